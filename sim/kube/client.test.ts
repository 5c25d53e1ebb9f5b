import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type KubeCall } from './client.ts';

/** A fake apiserver: /slow answers after 120 ms, /missing is a 404, a watch streams one event and stays open. */
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url?.includes('watch=true')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      return;
    }
    if (req.url === '/slow') setTimeout(() => json(200, { kind: 'Status' }), 120);
    else if (req.url === '/missing') json(404, { kind: 'Status', reason: 'NotFound', message: 'gone' });
    else json(200, { items: [], metadata: {} });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('KubeClient.onCall', () => {
  it('reports every finished request with its status and time, not watches, until unsubscribed', async () => {
    const kube = new KubeClient({ server: url });
    const calls: KubeCall[] = [];
    const off = kube.onCall((c) => calls.push(c));
    kube.onCall(() => {
      throw new Error('a broken listener');
    });
    await kube.get('/slow');
    await kube.patch('/missing', { a: 1 }).catch(() => undefined);
    expect(await kube.find('/missing')).toBeUndefined();
    const events: unknown[] = [];
    const w = kube.watch('/api/v1/pods', { onEvent: (e) => events.push(e) });
    while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
    w.stop();
    off();
    await kube.list('/api/v1/pods');
    kube.close();
    expect(calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ['GET', '/slow', 200],
      ['PATCH', '/missing', 404],
      ['GET', '/missing', 404],
    ]);
    expect(calls[0]?.ms).toBeGreaterThanOrEqual(100);
    expect(calls[0]?.ms).toBeLessThan(2000);
    expect(calls[1]?.ms).toBeLessThan(calls[0]?.ms ?? 0);
  });

  it('reports a request nobody answered with status 0, once', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const kube = new KubeClient({ server: `http://127.0.0.1:${port}` });
    const calls: KubeCall[] = [];
    kube.onCall((c) => calls.push(c));
    await expect(kube.get('/api')).rejects.toThrow(/ECONNREFUSED/);
    kube.close();
    expect(calls.map((c) => [c.method, c.status])).toEqual([['GET', 0]]);
  });
});
