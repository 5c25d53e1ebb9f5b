/**
 * How many edge links one Toxiproxy server holds: `node --import tsx sim/network/measure-proxies.ts <N> [...]`.
 * For each N: a fresh local Toxiproxy, N proxies created in bulk, the toll-uplink profile applied to all,
 * a seeded sample checked end to end (bytes really pass), all removed — with times and the server's RSS.
 * Prints a table to stderr and one JSON line per N to stdout.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLocalToxiproxy } from '../components/toxiproxy.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import { stderrProgress, silentProgress } from '../core/progress.ts';
import { seededRandom } from '../core/random.ts';
import { linkProfile } from './link-profile.ts';
import { Network } from './network.ts';

export interface ProxyScaleFigures {
  readonly proxies: number;
  readonly createSeconds: number;
  readonly applyProfileSeconds: number;
  readonly rssAfterCreateMiB: number;
  readonly rssAfterProfileMiB: number;
  readonly rssAfterTrafficMiB: number;
  readonly sampled: number;
  readonly sampleOk: number;
  readonly removeSeconds: number;
  readonly leftAfterRemove: number;
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Math.round((Number(m[1]) / 1024) * 10) / 10;
}

/** A loopback sink that echoes what it receives. */
function startEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a !== null ? a.port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    }),
  );
}

/** Connect through a proxy, send `bytes`, resolve true when all of them came back echoed. */
function roundTrip(port: number, bytes: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let got = 0;
    const s = createConnection({ host: '127.0.0.1', port }, () => s.write(Buffer.alloc(bytes, 0x42)));
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.on('data', (c) => {
      got += c.length;
      if (got >= bytes) done(true);
    });
    s.on('error', () => done(false));
  });
}

export async function measureProxies(n: number, opts: { sample?: number; seed?: number; quiet?: boolean } = {}): Promise<ProxyScaleFigures> {
  const progress = opts.quiet === true ? silentProgress : stderrProgress;
  const stateDir = mkdtempSync(join(tmpdir(), 'edgeproof-measure-'));
  const toxiproxy = await startLocalToxiproxy(stateDir, progress);
  const echo = await startEcho();
  try {
    const network = new Network(toxiproxy, { progress, prefix: 'measure-' });
    const t0 = performance.now();
    const uplinks = await network.createUplinks(Array.from({ length: n }, (_, i) => ({ name: `station-${String(i).padStart(5, '0')}`, upstreamPort: echo.port })));
    const createSeconds = (performance.now() - t0) / 1000;
    const rssAfterCreateMiB = rssMiB(toxiproxy.pid);
    const ports = new Set(uplinks.map((u) => u.listenPort));
    if (ports.size !== n) throw new EdgeproofError('E_INTERNAL', `${n} proxies but ${ports.size} distinct listen ports`, { where: 'measure-proxies' });

    const toll = linkProfile('toll-uplink-3mbit-lossy');
    const t1 = performance.now();
    await network.applyProfile(uplinks, toll);
    const applyProfileSeconds = (performance.now() - t1) / 1000;
    const rssAfterProfileMiB = rssMiB(toxiproxy.pid);

    const random = seededRandom(opts.seed ?? 42);
    const sampleSize = Math.min(n, opts.sample ?? 50);
    const chosen = new Set<number>();
    while (chosen.size < sampleSize) chosen.add(random.int(0, n - 1));
    const results = await Promise.all([...chosen].map((i) => roundTrip(uplinks[i]?.listenPort ?? 0, 4096, 15_000)));
    const sampleOk = results.filter(Boolean).length;
    const rssAfterTrafficMiB = rssMiB(toxiproxy.pid);

    const t2 = performance.now();
    await network.removeAll();
    const removeSeconds = (performance.now() - t2) / 1000;
    const leftAfterRemove = (await network.proxyNamesOnServer()).length;
    return {
      proxies: n,
      createSeconds: round(createSeconds),
      applyProfileSeconds: round(applyProfileSeconds),
      rssAfterCreateMiB,
      rssAfterProfileMiB,
      rssAfterTrafficMiB,
      sampled: sampleSize,
      sampleOk,
      removeSeconds: round(removeSeconds),
      leftAfterRemove,
    };
  } finally {
    await echo.close();
    await toxiproxy.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(args: readonly string[]): Promise<number> {
  const sizes = args.length > 0 ? args.map(Number) : [1000];
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
    process.stderr.write('usage: node --import tsx sim/network/measure-proxies.ts <N> [<N> …]\n');
    return 2;
  }
  const rows: ProxyScaleFigures[] = [];
  for (const n of sizes) {
    const f = await measureProxies(n);
    rows.push(f);
    process.stdout.write(`${JSON.stringify(f)}\n`);
  }
  process.stderr.write('\nproxies | create s | profile s | RSS create MiB | RSS profile MiB | RSS traffic MiB | sample ok | remove s | left\n');
  for (const r of rows) {
    process.stderr.write(
      `${r.proxies} | ${r.createSeconds} | ${r.applyProfileSeconds} | ${r.rssAfterCreateMiB} | ${r.rssAfterProfileMiB} | ${r.rssAfterTrafficMiB} | ${r.sampleOk}/${r.sampled} | ${r.removeSeconds} | ${r.leftAfterRemove}\n`,
    );
  }
  return rows.every((r) => r.sampleOk === r.sampled && r.leftAfterRemove === 0) ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof EdgeproofError ? e.oneLine() : messageOf(e)}\n`);
      process.exitCode = e instanceof EdgeproofError ? e.exitCode : 4;
    },
  );
}
