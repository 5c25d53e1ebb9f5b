import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../core/index.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import { linkMessages } from './link.ts';
import { DEFAULT_PROJECT_ID, MessageFactory, type Message } from './message.ts';
import { startTestWsServer, type TestWsServer } from './testserver.ts';
import { createMemoryPair, dialWebSocket, edgeHubUrl, secureContextFor, toPem, type CloseInfo, type Frame, type Transport } from './transport.ts';
import { rejection } from '../../conformance/support/rejection.ts';
import { LinkMeter } from '../network/link-meter.ts';
import { createControlPlanePki } from '../components/pki.ts';

const text = (f: Frame): string => (typeof f === 'string' ? f : Buffer.from(f).toString('utf8'));

function collect(t: Transport): Frame[] {
  const got: Frame[] = [];
  t.onMessage((f) => got.push(f));
  return got;
}

function closeOf(t: Transport): Promise<CloseInfo> {
  return new Promise((resolve) => t.onClose(resolve));
}

async function until(done: () => boolean, timeoutMs = 2000): Promise<void> {
  const by = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > by) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}


describe('memory pair', () => {
  it('delivers frames in order, both ways, as copies', async () => {
    const [a, b] = createMemoryPair();
    const atB = collect(b);
    const atA = collect(a);
    const buf = Buffer.from('one');
    await a.send(buf);
    buf.write('XXX');
    await a.send('two');
    await b.send('back');
    await Promise.resolve();
    expect(atB.map(text)).toEqual(['one', 'two']);
    expect(atA.map(text)).toEqual(['back']);
  });

  it('keeps frames that arrive before a handler is registered', async () => {
    const [a, b] = createMemoryPair();
    await a.send('early');
    await new Promise((r) => setImmediate(r));
    const got = collect(b);
    expect(got.map(text)).toEqual(['early']);
  });

  it('delivers a close behind the frames already sent, then refuses sends', async () => {
    const [a, b] = createMemoryPair();
    const got = collect(b);
    const closedB = closeOf(b);
    await a.send('last words');
    a.close(4000, 'bye');
    expect(await closedB).toEqual({ code: 4000, reason: 'bye' });
    expect(got.map(text)).toEqual(['last words']);
    expect((await rejection(b.send('x'))).code).toBe('E_BACKEND_UNAVAILABLE');
    expect(a.state).toBe('closed');
  });

  it('terminate drops in-flight frames and reports 1006', async () => {
    const clock = new ManualClock();
    const [a, b] = createMemoryPair({ clock, latencyMs: 50 });
    const got = collect(b);
    await a.send('lost');
    expect(a.bufferedAmount).toBe(4);
    const closed = closeOf(b);
    a.terminate();
    await clock.advance(100);
    expect((await closed).code).toBe(1006);
    expect(got).toEqual([]);
  });

  it('applies latency on the injected clock', async () => {
    const clock = new ManualClock();
    const [a, b] = createMemoryPair({ clock, latencyMs: 20 });
    const got = collect(b);
    await a.send('x');
    await clock.advance(19);
    expect(got).toEqual([]);
    await clock.advance(1);
    expect(got.map(text)).toEqual(['x']);
    expect(() => createMemoryPair({ latencyMs: 5 })).toThrow(/needs a clock/);
  });
});

describe('message link', () => {
  it('carries messages through the codec and reports undecodable frames instead of throwing', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const [cloudSide, edgeSide] = createMemoryPair();
    const cloudGot: Message[] = [];
    const bad: string[] = [];
    const cloud = linkMessages(cloudSide, { onMessage: (m) => cloudGot.push(m) });
    const edgeFactory = new MessageFactory({ clock });
    const edge = linkMessages(edgeSide, {
      onMessage: (m) => void edge.send(edgeFactory.ack(m)),
      onBadFrame: (e) => bad.push(e.code),
    });
    const insert = new MessageFactory({ clock }).newMessage('', { source: 'edgecontroller', group: 'resource', operation: 'insert', resource: 'default/pod/p' }, { kind: 'Pod' });
    await cloud.send(insert);
    await cloudSide.send('{"header":');
    await new Promise((r) => setImmediate(r));
    expect(cloudGot).toHaveLength(1);
    expect(cloudGot[0]?.header.parentMsgId).toBe(insert.header.msgId);
    expect(bad).toEqual(['E_BAD_MESSAGE']);
    await expect(cloud.send({ ...insert, content: Number.NaN })).rejects.toThrow(/NaN/);
  });
});

describe('websocket client', () => {
  let server: TestWsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('dials edgecore’s URL with its headers and exchanges text frames', async () => {
    server = await startTestWsServer();
    const dialing = dialWebSocket({ server: `127.0.0.1:${server.port}`, nodeName: 'edge-7' });
    const conn = await server.nextConnection();
    const t = await dialing;
    expect(conn.request.url).toBe(`/${DEFAULT_PROJECT_ID}/edge-7/events`);
    expect(conn.request.headers['node_id']).toBe('edge-7');
    expect(conn.request.headers['project_id']).toBe(DEFAULT_PROJECT_ID);
    expect(conn.request.headers['connectionuse']).toBe('msg');
    expect(conn.request.headers['sec-websocket-extensions']).toBeUndefined();
    expect(conn.request.headers['origin']).toBeUndefined();

    const factory = new MessageFactory({ clock: systemClock });
    const keepalive = factory.keepalive();
    await t.send(encodeMessage(keepalive));
    const frame = await conn.nextFrame();
    expect(frame.isBinary).toBe(false);
    expect(decodeMessage(frame.data)).toEqual(keepalive);

    const got = collect(t);
    conn.ws.send(Buffer.from(encodeMessage(factory.ack(keepalive))), { binary: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(got.length).toBe(1);
    expect(decodeMessage(got[0] as Frame).header.parentMsgId).toBe(keepalive.header.msgId);

    const closed = closeOf(t);
    conn.ws.close(4001, 'session replaced');
    expect(await closed).toMatchObject({ code: 4001, reason: 'session replaced' });
    expect((await rejection(t.send('x'))).code).toBe('E_BACKEND_UNAVAILABLE');
  });

  it('sees an abrupt server drop as 1006', async () => {
    server = await startTestWsServer();
    const dialing = dialWebSocket({ server: `127.0.0.1:${server.port}`, nodeName: 'n' });
    const conn = await server.nextConnection();
    const t = await dialing;
    const closed = closeOf(t);
    conn.ws.terminate();
    expect((await closed).code).toBe(1006);
  });

  it('reports a refused upgrade with its HTTP status', async () => {
    server = await startTestWsServer({ refuseWith: 403 });
    const err = await rejection(dialWebSocket({ server: `127.0.0.1:${server.port}`, nodeName: 'n' }));
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.message).toMatch(/HTTP 403/);
    expect(err.where).toContain('/n/events');
  });

  it('reports nothing listening and a handshake that never completes', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    expect((await rejection(dialWebSocket({ server: `127.0.0.1:${port}`, nodeName: 'n' }))).message).toMatch(/ECONNREFUSED/);

    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const err = await rejection(
        dialWebSocket({ server: `127.0.0.1:${(silent.address() as AddressInfo).port}`, nodeName: 'n', handshakeTimeoutMs: 200 }),
      );
      expect(err.code).toBe('E_TIMEOUT');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('a metered dial counts the exact bytes on the wire both ways, and keeps them after the socket closes', async () => {
    server = await startTestWsServer();
    const meter = new LinkMeter();
    const dialing = dialWebSocket({ server: `127.0.0.1:${server.port}`, nodeName: 'edge-9', meter });
    const conn = await server.nextConnection();
    const t = await dialing;
    expect(meter.openSockets).toBe(1);
    const afterUpgrade = meter.bytes();
    expect(afterUpgrade.up).toBeGreaterThan(100); // the HTTP upgrade request
    expect(afterUpgrade.down).toBeGreaterThan(100); // the 101 response
    // a client frame of 10 bytes: 2 header + 4 mask + 10; a server frame of 200 bytes: 2 + 2 (16-bit length) + 200
    await t.send('0123456789');
    await conn.nextFrame();
    const got = collect(t);
    conn.ws.send('x'.repeat(200));
    await until(() => got.length === 1);
    expect(meter.bytes()).toEqual({ up: afterUpgrade.up + 16, down: afterUpgrade.down + 204 });
    const closed = closeOf(t);
    t.close();
    await closed;
    await until(() => meter.openSockets === 0);
    const final = meter.bytes();
    expect(final.up).toBeGreaterThanOrEqual(afterUpgrade.up + 16 + 6); // plus the close frame
    expect(final.down).toBeGreaterThanOrEqual(afterUpgrade.down + 204 + 2); // plus the server's close frame
    expect(meter.bytes()).toEqual(final);
  });

  it('a metered dial to nothing fails like an unmetered one', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const meter = new LinkMeter();
    const err = await rejection(dialWebSocket({ server: `127.0.0.1:${port}`, nodeName: 'n', meter }));
    expect(err.message).toMatch(/ECONNREFUSED/);
    await until(() => meter.openSockets === 0);
    expect(meter.bytes()).toEqual({ up: 0, down: 0 });
  });

  it('a metered dial into a link that never answers (a black hole) times out like an unmetered one, with and without TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-transport-'));
    const pki = createControlPlanePki(dir);
    const tls = { cert: readFileSync(pki.adminCert, 'utf8'), key: readFileSync(pki.adminKey, 'utf8'), ca: readFileSync(pki.caCert, 'utf8') };
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const server = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      for (const secure of [false, true]) {
        const started = Date.now();
        const err = await rejection(dialWebSocket({ server, nodeName: 'n', handshakeTimeoutMs: 200, meter: new LinkMeter(), ...(secure ? { tls } : {}) }));
        expect(err.code, secure ? 'tls' : 'plain').toBe('E_TIMEOUT');
        expect(Date.now() - started).toBeLessThan(5000);
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('connections with the same credentials share one TLS context; other credentials get their own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-transport-'));
    try {
      const pki = createControlPlanePki(dir);
      const ca = readFileSync(pki.caCert, 'utf8');
      const admin = { cert: readFileSync(pki.adminCert, 'utf8'), key: readFileSync(pki.adminKey, 'utf8'), ca };
      const first = secureContextFor(admin);
      // a new object with equal credentials (each node's dial builds its own) reuses the context
      expect(secureContextFor({ ...admin })).toBe(first);
      const other = { cert: readFileSync(pki.apiserverCert, 'utf8'), key: readFileSync(pki.apiserverKey, 'utf8'), ca };
      expect(secureContextFor(other)).not.toBe(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds the URL and PEM forms edgecore uses', () => {
    expect(edgeHubUrl('10.0.0.1:10000', 'n1')).toBe('wss://10.0.0.1:10000/e632aba927ea4ac2b575ec1603d56f10/n1/events');
    const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);
    expect(toPem(der, 'CERTIFICATE')).toBe('-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n');
    expect(toPem('-----BEGIN X-----', 'CERTIFICATE')).toBe('-----BEGIN X-----');
  });
});
