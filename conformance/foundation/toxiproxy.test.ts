import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Proxy } from 'toxiproxy-node-client';
import { startLocalToxiproxy, type StartedToxiproxy } from '../../sim/components/toxiproxy.ts';
import { silentProgress } from '../../sim/core/progress.ts';
import { connect, download, startTcpPeer, type TcpPeer } from '../support/tcp.ts';
import { eventually } from '../support/wait.ts';

const ONE_MB = 1_000_000;
const THREE_MBIT_KBPS = 375; // Toxiproxy's bandwidth rate is in KB/s: 3 Mbit/s = 375 KB/s

describe('real Toxiproxy server', () => {
  let toxiproxy: StartedToxiproxy;
  let source: TcpPeer;
  let sink: TcpPeer;

  beforeAll(async () => {
    toxiproxy = await startLocalToxiproxy(mkdtempSync(join(tmpdir(), 'edgeproof-toxi-')), silentProgress);
    source = await startTcpPeer(ONE_MB);
    sink = await startTcpPeer(0);
  });
  afterAll(async () => {
    await source?.close();
    await sink?.close();
    await toxiproxy?.stop();
  });

  const proxyTo = (name: string, port: number): Promise<Proxy> =>
    toxiproxy.client.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
  const portOf = (proxy: Proxy): number => Number(proxy.listen.split(':').pop());

  it('a 375 KB/s bandwidth toxic makes a 1 MB download take at least ~2.4 s; without it the same path is far faster', async () => {
    const proxy = await proxyTo('bandwidth', source.port);
    // control: the unshaped path must be able to beat the bound, or the bound proves nothing
    const free = await download(portOf(proxy));
    expect(free.bytes).toBe(ONE_MB);
    expect(free.seconds).toBeLessThan(2.4);

    await proxy.addToxic({ name: 'uplink-3mbit', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: THREE_MBIT_KBPS } });
    const shaped = await download(portOf(proxy));
    expect(shaped.bytes).toBe(ONE_MB);
    // physics: 1,000,000 B at 375,000 B/s cannot take less than 2.67 s; assert the lower bound only
    expect(shaped.seconds).toBeGreaterThanOrEqual(2.4);
    await proxy.remove();
  });

  it('a timeout toxic (timeout 0) cuts the link — no byte passes — and removing it heals the link', async () => {
    const proxy = await proxyTo('partition', sink.port);
    const before = sink.received();
    const client = await connect(portOf(proxy));
    client.write(Buffer.alloc(1000, 1));
    await eventually(() => (sink.received() >= before + 1000 ? true : undefined), { timeoutMs: 5000, what: 'bytes through the healthy link' });

    await proxy.addToxic({ name: 'partition', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
    const atCut = sink.received();
    client.write(Buffer.alloc(5000, 2));
    const fresh = await connect(portOf(proxy));
    fresh.write(Buffer.alloc(5000, 3));
    await new Promise((r) => setTimeout(r, 1500));
    expect(sink.received()).toBe(atCut);

    const toxic = await proxy.getToxic('partition');
    await toxic.remove();
    // Toxiproxy drops (does not hold) data under a timeout toxic and closes the connections it cut when the
    // toxic goes, so after a heal clients reconnect — as they must after a long real partition.
    const healed = await connect(portOf(proxy));
    healed.write(Buffer.alloc(100, 4));
    await eventually(() => (sink.received() >= atCut + 100 ? true : undefined), { timeoutMs: 10_000, what: 'bytes after healing' });
    expect(sink.received()).toBe(atCut + 100);
    client.destroy();
    fresh.destroy();
    healed.destroy();
    await proxy.remove();
  });
});
