import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isListening } from '../../sim/components/ports.ts';
import { startLocalToxiproxy, type StartedToxiproxy } from '../../sim/components/toxiproxy.ts';
import { EdgeproofError } from '../../sim/core/errors.ts';
import { silentProgress } from '../../sim/core/progress.ts';
import { seededRandom } from '../../sim/core/random.ts';
import { linkProfile } from '../../sim/network/link-profile.ts';
import { Network } from '../../sim/network/network.ts';
import type { Uplink } from '../../sim/network/uplink.ts';
import { connect, download, startTcpPeer, type TcpPeer } from '../support/tcp.ts';
import { eventually } from '../support/wait.ts';
import { connectCounting, sleep, startEchoSink, timedUpload, type EchoSink } from './helpers.ts';

const ONE_MB = 1_000_000;

describe('uplinks: link profiles as Toxiproxy toxics on a real Toxiproxy server', () => {
  let toxiproxy: StartedToxiproxy;
  let network: Network;
  const stateDir = mkdtempSync(join(tmpdir(), 'edgeproof-uplinks-'));

  beforeAll(async () => {
    toxiproxy = await startLocalToxiproxy(stateDir, silentProgress);
    network = new Network(toxiproxy);
  });
  afterAll(async () => {
    await network?.removeAll();
    await toxiproxy?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe('partition of one uplink among three', () => {
    let sinks: EchoSink[] = [];
    let uplinks: Uplink[] = [];

    beforeAll(async () => {
      sinks = await Promise.all([startEchoSink(), startEchoSink(), startEchoSink()]);
      uplinks = await network.createUplinks(sinks.map((s, i) => ({ name: `station-${i}`, upstreamPort: s.port })));
    });
    afterAll(async () => {
      for (const u of uplinks) await network.remove(u.name);
      for (const s of sinks) await s.close();
    });

    it('stops every byte on the partitioned uplink, in both directions, and only there; healing restores it', async () => {
      const clients = await Promise.all(uplinks.map((u) => connectCounting(u.listenPort)));
      for (const c of clients) c.send(1000);
      await eventually(() => (sinks.every((s) => s.received() === 1000) && clients.every((c) => c.received() === 1000) ? true : undefined), {
        timeoutMs: 10_000,
        what: '1000 bytes each way through all three healthy uplinks',
      });

      const cut = uplinks[1];
      if (cut === undefined) throw new Error('no uplink');
      await cut.partition();
      expect(cut.partitioned).toBe(true);
      const fresh = await connectCounting(cut.listenPort); // Toxiproxy still accepts: the far end stays silent
      for (const c of clients) c.send(5000);
      fresh.send(5000);

      // the two other uplinks keep carrying bytes both ways...
      await eventually(() => ([0, 2].every((i) => sinks[i]?.received() === 6000 && clients[i]?.received() === 6000) ? true : undefined), {
        timeoutMs: 10_000,
        what: 'bytes through the two unaffected uplinks during the partition',
      });
      // ...while not one byte crossed the cut one (held to the same standard for a further 1.5 s)
      await sleep(1500);
      expect(sinks[1]?.received()).toBe(1000);
      expect(clients[1]?.received()).toBe(1000);
      expect(fresh.received()).toBe(0);
      expect(clients[1]?.closed()).toBe(false); // silence, not a close: peers learn of it by their own timeouts

      await cut.heal();
      expect(cut.partitioned).toBe(false);
      // what was sent into the black hole is gone; Toxiproxy closes the connections the cut held
      await eventually(() => (clients[1]?.closed() === true && fresh.closed() ? true : undefined), { timeoutMs: 10_000, what: 'cut connections closed on heal' });
      const after = await connectCounting(cut.listenPort);
      after.send(100);
      await eventually(() => (sinks[1]?.received() === 1100 && after.received() === 100 ? true : undefined), { timeoutMs: 10_000, what: 'bytes on a new connection after heal' });
      // nothing sent during the cut was delivered late
      expect(sinks[1]?.received()).toBe(1100);
      // the other uplinks were never disturbed
      expect(clients[0]?.closed()).toBe(false);
      expect(clients[2]?.closed()).toBe(false);
      for (const c of [...clients, fresh, after]) c.destroy();
    });

    it('a stall holds the bytes and delivers them on heal over the same connection', async () => {
      const u = uplinks[2];
      const sink = sinks[2];
      if (u === undefined || sink === undefined) throw new Error('no uplink');
      const c = await connectCounting(u.listenPort);
      const base = sink.received();
      await u.partition('stall');
      c.send(700);
      await sleep(1500);
      expect(sink.received()).toBe(base);
      await u.heal();
      await eventually(() => (sink.received() === base + 700 && c.received() === 700 ? true : undefined), { timeoutMs: 10_000, what: 'held bytes after the stall' });
      expect(c.closed()).toBe(false);
      c.destroy();
    });

    it('"refuse" closes the listener (the cloud end is down) and re-opens the same port on heal', async () => {
      const u = uplinks[0];
      const sink = sinks[0];
      if (u === undefined || sink === undefined) throw new Error('no uplink');
      const c = await connectCounting(u.listenPort);
      await u.partition('refuse');
      await eventually(() => (c.closed() ? true : undefined), { timeoutMs: 5000, what: 'existing connection closed' });
      await expect(connect(u.listenPort)).rejects.toThrow(/ECONNREFUSED/);
      await u.heal();
      const again = await connectCounting(u.listenPort);
      const base = sink.received();
      again.send(10);
      await eventually(() => (sink.received() === base + 10 ? true : undefined), { timeoutMs: 5000, what: 'bytes after re-enable' });
      again.destroy();
    });
  });

  describe('profiles', () => {
    let echo: EchoSink;
    let source: TcpPeer;

    beforeAll(async () => {
      echo = await startEchoSink();
      source = await startTcpPeer(ONE_MB);
    });
    afterAll(async () => {
      await echo?.close();
      await source?.close();
    });

    it('applies, replaces in place and heals back from a no-coverage profile', async () => {
      const u = await network.createUplink({ name: 'vehicle-1', upstreamPort: echo.port });
      const toll = linkProfile('toll-uplink-3mbit-lossy');
      const lte = linkProfile('lte');
      await u.applyProfile(toll);
      const onServer = await u.toxicsOnServer();
      expect(onServer.map((t) => `${t.type}/${t.stream}/${JSON.stringify(t.attributes)}`).sort()).toEqual([
        'bandwidth/downstream/{"rate":375}',
        'bandwidth/upstream/{"rate":375}',
        'latency/downstream/{"latency":40,"jitter":10}',
        'latency/upstream/{"latency":40,"jitter":10}',
      ]);
      const c = await connectCounting(u.listenPort);
      await u.applyProfile(lte); // same toxic names, new attributes: the open connection must survive
      c.send(10);
      await eventually(() => (c.received() === 10 ? true : undefined), { timeoutMs: 5000, what: 'echo after profile change' });
      expect(c.closed()).toBe(false);
      expect((await u.toxicsOnServer()).find((t) => t.name === 'ep-bandwidth-down')?.attributes).toEqual({ rate: 2500 });

      await u.applyProfile(linkProfile('no-coverage'));
      expect(u.partitioned).toBe(true);
      expect((await u.toxicsOnServer()).filter((t) => t.type === 'timeout')).toHaveLength(2);
      await u.heal(); // back to the last profile with coverage
      expect(u.profile.name).toBe('lte');
      expect((await u.toxicsOnServer()).some((t) => t.type === 'timeout')).toBe(false);

      await u.degrade({ latencyMs: 300 });
      expect((await u.toxicsOnServer()).find((t) => t.name === 'ep-latency-up')?.attributes).toEqual({ latency: 300, jitter: 10 });
      c.destroy();
      await network.remove(u.name);
    });

    it('the 3 Mbit/s toll uplink cannot carry 1 MB faster than physics allows (≥ 2.4 s), in either direction', async () => {
      const down = await network.createUplink({ name: 'toll-down', upstreamPort: source.port });
      const up = await network.createUplink({ name: 'toll-up', upstreamPort: echo.port });
      // control: unshaped, the same paths beat the bound, or the bound would prove nothing
      const freeDown = await download(down.listenPort);
      expect(freeDown.bytes).toBe(ONE_MB);
      expect(freeDown.seconds).toBeLessThan(2.4);
      expect(await timedUpload(up.listenPort, echo, ONE_MB)).toBeLessThan(2.4);

      const toll = linkProfile('toll-uplink-3mbit-lossy');
      await down.applyProfile(toll);
      await up.applyProfile(toll);
      const shaped = await download(down.listenPort);
      expect(shaped.bytes).toBe(ONE_MB);
      // 1,000,000 B at 375,000 B/s cannot take less than 2.67 s: lower bound only, never an upper one
      expect(shaped.seconds).toBeGreaterThanOrEqual(2.4);
      expect(await timedUpload(up.listenPort, echo, ONE_MB)).toBeGreaterThanOrEqual(2.4);
      await network.remove(down.name);
      await network.remove(up.name);
    });

    it('refuses upstreams that are not loopback', async () => {
      await expect(network.createUplink({ name: 'outside', upstreamPort: 80, upstreamHost: '192.0.2.1' })).rejects.toThrow(EdgeproofError);
      await expect(network.createUplink({ name: 'outside', upstreamPort: 80, upstreamHost: '192.0.2.1' })).rejects.toThrow(/not loopback/);
    });
  });

  it('one server holds 2,000 proxies: all created in bulk on distinct ports, a seeded sample forwards, all removed', async () => {
    const echo = await startEchoSink();
    const many = new Network(toxiproxy, { prefix: 'many-' });
    try {
      const N = 2000;
      const uplinks = await many.createUplinks(Array.from({ length: N }, (_, i) => ({ name: `station-${i}`, upstreamPort: echo.port })));
      expect(uplinks).toHaveLength(N);
      expect(new Set(uplinks.map((u) => u.listenPort)).size).toBe(N);
      expect((await many.proxyNamesOnServer()).length).toBe(N);
      await many.applyProfile(uplinks, linkProfile('lte'));

      const random = seededRandom(2000);
      const sample = new Set<number>();
      while (sample.size < 25) sample.add(random.int(0, N - 1));
      for (const i of sample) {
        const u = uplinks[i];
        if (u === undefined) throw new Error('missing uplink');
        const c = await connectCounting(u.listenPort);
        c.send(64);
        await eventually(() => (c.received() === 64 ? true : undefined), { timeoutMs: 5000, what: `echo through ${u.name}` });
        c.destroy();
      }

      await many.removeAll();
      expect(await many.proxyNamesOnServer()).toEqual([]);
      for (const i of [...sample].slice(0, 5)) expect(await isListening(uplinks[i]?.listenPort ?? 0)).toBe(false);
    } finally {
      await many.removeAll().catch(() => undefined);
      await echo.close();
    }
  });
});
