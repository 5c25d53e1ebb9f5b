import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import type { LinkProfile } from './link-profile.ts';
import type { RelaySpec } from './ns-relay.ts';

/**
 * Real packet loss and rate limits by the kernel, inside network namespaces the bench creates.
 *
 * A kernel link is two fresh namespaces, `a` (the edge side) and `b` (the cloud side), joined by a veth pair
 * created directly inside them (nothing is ever added to the root namespace). Each end has an address from a
 * private /30 that exists only in these namespaces, and no route anywhere else, so traffic on the link cannot
 * leave it. On each end:
 * - nftables, netdev ingress hook: `meta protocol ip numgen random mod 10000 < N drop` — an independent
 *   random drop of N/10000 of the IPv4 packets arriving over the link, with named counters of dropped and
 *   passed packets (ARP is never dropped, so the link does not stall on neighbour discovery);
 * - `tc qdisc tbf` on egress for the rate (netem is not available in these kernels).
 * Latency and partitions stay with Toxiproxy (uplink.ts); this adds what Toxiproxy cannot do: lose packets.
 *
 * `tcpPath()` carries TCP from the root namespace's loopback across the link and back to a loopback
 * upstream (through Unix sockets, which all namespaces share), so the lossy link can sit in front of
 * CloudCore or behind a Toxiproxy uplink.
 */

export type Side = 'a' | 'b';

export interface KernelLinkOptions {
  /** Share of IPv4 packets dropped, per direction, in percent (0–100, resolution 0.01). */
  readonly lossPercent: number;
  /** Rate of b → a (cloud → edge), kbit/s; undefined = not limited. */
  readonly downKbps?: number;
  /** Rate of a → b (edge → cloud), kbit/s; undefined = not limited. */
  readonly upKbps?: number;
  /** Which arrivals lose packets: both directions (default, like a radio link), or only a → b / b → a. */
  readonly lossDirection?: 'both' | 'a-to-b' | 'b-to-a';
  readonly progress?: Progress;
}

export interface DirectionCounters {
  readonly dropped: number;
  readonly passed: number;
  readonly droppedBytes: number;
  readonly passedBytes: number;
}

export interface LinkCounters {
  /** IPv4 packets that arrived at b (sent by a) and were dropped / passed by the loss rule. */
  readonly aToB: DirectionCounters;
  readonly bToA: DirectionCounters;
}

export interface KernelCapability {
  readonly ok: boolean;
  readonly root: boolean;
  /** Tools not found on PATH (`ip`, `tc`, `nft`). */
  readonly missing: readonly string[];
  /** Why it cannot work, one line each. */
  readonly problems: readonly string[];
  /** What to do. */
  readonly fix: string;
}

const TOOL_PACKAGES: Record<string, string> = { ip: 'iproute2', tc: 'iproute2', nft: 'nftables' };
const SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

function findTool(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...SBIN].filter((d) => d !== '');
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Whether kernel links can be made here. With `deep`, also creates and deletes a scratch namespace with a
 * veth pair, which is the only sure test (a root user in a container may still lack CAP_NET_ADMIN).
 */
export function probeKernelLinks(opts: { deep?: boolean } = {}): KernelCapability {
  const root = isRoot();
  const missing = ['ip', 'tc', 'nft'].filter((t) => findTool(t) === undefined);
  const problems: string[] = [];
  if (!root) problems.push('not running as root: creating network namespaces needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)');
  for (const t of missing) problems.push(`\`${t}\` not found (Debian package ${TOOL_PACKAGES[t] ?? t})`);
  if (problems.length === 0 && opts.deep === true) {
    const ns = `edgeproof-probe-${process.pid}`;
    try {
      run(['ip', 'netns', 'add', ns]);
      try {
        run(['ip', '-n', ns, 'link', 'add', 'ep-a', 'type', 'veth', 'peer', 'name', 'ep-b']);
        run(['ip', 'netns', 'exec', ns, 'nft', 'add', 'table', 'netdev', 'edgeproof-probe']);
        run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'ep-a', 'root', 'tbf', 'rate', '1mbit', 'burst', '4kb', 'latency', '100ms']);
      } finally {
        spawnSync(toolPath('ip'), ['netns', 'del', ns], { stdio: 'ignore' });
      }
    } catch (e) {
      problems.push(`a test namespace could not be set up: ${messageOf(e)}`);
    }
  }
  const packages = [...new Set(missing.map((t) => TOOL_PACKAGES[t] ?? t))];
  const fix = !root
    ? 'run the bench as root (or with CAP_NET_ADMIN+CAP_SYS_ADMIN) for real packet loss; without it, lossy profiles get latency, bandwidth and partitions from Toxiproxy only'
    : packages.length > 0
      ? `install the tools: \`apt-get install ${packages.join(' ')}\` (or \`npx edgeproof setup\`)`
      : 'this kernel or container does not allow network namespaces/veth/nftables/tbf: run on a host or a privileged container';
  return { ok: problems.length === 0, root, missing, problems, fix };
}

/**
 * Make kernel links possible or say exactly why not. As root with `install`, missing tools are installed with
 * apt-get (progress shown). Throws E_TOOL_MISSING (tools) or E_BACKEND_UNAVAILABLE (no root, kernel refuses),
 * both exit code 3.
 */
export function ensureKernelLinks(opts: { install?: boolean; progress?: Progress } = {}): KernelCapability {
  const progress = opts.progress ?? silentProgress;
  let cap = probeKernelLinks();
  if (!cap.ok && cap.root && cap.missing.length > 0 && opts.install === true && findTool('apt-get') !== undefined) {
    const packages = [...new Set(cap.missing.map((t) => TOOL_PACKAGES[t] ?? t))];
    progress.step('kernel-link', `installing ${packages.join(', ')} with apt-get`);
    const update = spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const install = spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (update.status !== 0 || install.status !== 0) {
      const out = `${update.stderr ?? ''}${install.stderr ?? ''}`.trim().split('\n').pop() ?? '';
      throw new EdgeproofError('E_TOOL_MISSING', `apt-get could not install ${packages.join(', ')}: ${out}`, {
        where: 'kernel-link',
        fix: `install them by hand: \`apt-get update && apt-get install ${packages.join(' ')}\``,
      });
    }
    cap = probeKernelLinks();
  }
  if (cap.ok) cap = probeKernelLinks({ deep: true });
  if (!cap.ok) {
    const code = cap.missing.length > 0 && cap.root ? 'E_TOOL_MISSING' : 'E_BACKEND_UNAVAILABLE';
    throw new EdgeproofError(code, `real packet loss is not possible here: ${cap.problems.join('; ')}`, { where: 'kernel-link', fix: cap.fix });
  }
  return cap;
}

const toolPaths = new Map<string, string>();
function toolPath(name: string): string {
  let p = toolPaths.get(name);
  if (p === undefined) {
    p = findTool(name) ?? name;
    toolPaths.set(name, p);
  }
  return p;
}

/** Run a command synchronously; a failure becomes an EdgeproofError naming the command and its stderr. */
function run(argv: readonly string[], input?: string): string {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty command');
  const res = spawnSync(toolPath(cmd), args, { encoding: 'utf8', input, timeout: 30_000 });
  if (res.error !== undefined) {
    throw new EdgeproofError('E_TOOL_MISSING', `cannot run ${cmd}: ${res.error.message}`, { where: 'kernel-link', fix: `install ${TOOL_PACKAGES[cmd] ?? cmd}` });
  }
  if (res.status !== 0) {
    throw new EdgeproofError('E_BACKEND_UNAVAILABLE', `\`${argv.join(' ')}\` failed (exit ${res.status ?? res.signal}): ${(res.stderr || res.stdout).trim()}`, {
      where: 'kernel-link',
      fix: 'run as root on a kernel with network namespaces, veth, nftables (netdev family) and tbf',
    });
  }
  return res.stdout;
}

const NS_PREFIX = 'edgeproof-';
const live = new Set<KernelLink>();
let sequence = 0;

/** Last resort: namespaces of links still open when the process exits are deleted (synchronously). */
process.once('exit', () => {
  for (const link of live) link.closeSync();
});

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Delete namespaces left by bench processes that died without cleaning up (their names carry the pid).
 * Returns the names deleted.
 */
export function sweepStaleKernelLinks(): string[] {
  const res = spawnSync(toolPath('ip'), ['netns', 'list'], { encoding: 'utf8' });
  if (res.status !== 0) return [];
  const removed: string[] = [];
  for (const line of res.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^edgeproof-(\d+)-[0-9a-z]+-[ab]$/.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    if (spawnSync(toolPath('ip'), ['netns', 'del', name], { stdio: 'ignore' }).status === 0) removed.push(name);
  }
  return removed;
}

/** Namespaces this process created and has not deleted yet. */
export function liveKernelLinkNamespaces(): string[] {
  return [...live].flatMap((l) => [l.namespace('a'), l.namespace('b')]);
}

function tsxLoader(): string {
  return import.meta.resolve('tsx');
}

interface RelayHandle {
  child: ChildProcess;
  port: number;
}

export class KernelLink {
  readonly id: string;
  /** Addresses inside the namespaces (private /30). */
  readonly addressA: string;
  readonly addressB: string;
  private readonly nsA: string;
  private readonly nsB: string;
  /** False when this iproute2/kernel could not turn segmentation offload down: TCP loss then hits
   * multi-segment packets (UDP datagrams below the MTU are unaffected). */
  wireSizedPackets = true;
  private loss: number;
  private lossDirection: 'both' | 'a-to-b' | 'b-to-a';
  private closed = false;
  private readonly children = new Set<ChildProcess>();
  private readonly servers = new Set<Server>();
  private readonly sockets = new Set<Socket>();
  private readonly tempDirs: string[] = [];

  private constructor(id: string, index: number, opts: KernelLinkOptions) {
    this.id = id;
    this.nsA = `${NS_PREFIX}${id}-a`;
    this.nsB = `${NS_PREFIX}${id}-b`;
    const third = (index >> 6) & 255;
    const fourth = (index & 63) * 4;
    this.addressA = `10.254.${third}.${fourth + 1}`;
    this.addressB = `10.254.${third}.${fourth + 2}`;
    this.loss = opts.lossPercent;
    this.lossDirection = opts.lossDirection ?? 'both';
  }

  /**
   * Create a link (checking capability first; see ensureKernelLinks). On any failure everything created so
   * far is deleted before the error is thrown.
   */
  static create(opts: KernelLinkOptions): KernelLink {
    validatePercent(opts.lossPercent);
    ensureKernelLinks({ progress: opts.progress ?? silentProgress });
    sweepStaleKernelLinks();
    const index = sequence++;
    const link = new KernelLink(`${process.pid}-${index.toString(36)}`, index, opts);
    live.add(link);
    try {
      link.setUp(opts);
    } catch (e) {
      link.closeSync();
      throw e;
    }
    return link;
  }

  /**
   * The kernel part of a link profile: its packet loss, shared by every uplink of that profile (loss is
   * per packet and independent, so sharing changes nothing). Rates stay per uplink in Toxiproxy: a tbf here
   * would make all uplinks of the profile share one pipe. Put it behind the uplinks with
   * `network.createUplinks(specs.map(s => ({ ...s, upstreamPort: (await link.tcpPath(cloudPort)).port })))`.
   */
  static forProfile(profile: Pick<LinkProfile, 'lossPercent' | 'name'>, opts: Omit<KernelLinkOptions, 'lossPercent'> = {}): KernelLink {
    return KernelLink.create({ ...opts, lossPercent: profile.lossPercent });
  }

  namespace(side: Side): string {
    return side === 'a' ? this.nsA : this.nsB;
  }

  address(side: Side): string {
    return side === 'a' ? this.addressA : this.addressB;
  }

  get lossPercent(): number {
    return this.loss;
  }

  private setUp(opts: KernelLinkOptions): void {
    run(['ip', 'netns', 'add', this.nsA]);
    run(['ip', 'netns', 'add', this.nsB]);
    // the veth pair is born inside the namespaces: nothing ever appears in the root namespace
    run(['ip', 'link', 'add', 'ep-a', 'netns', this.nsA, 'type', 'veth', 'peer', 'name', 'ep-b', 'netns', this.nsB]);
    for (const [ns, dev, addr] of [
      [this.nsA, 'ep-a', this.addressA],
      [this.nsB, 'ep-b', this.addressB],
    ] as const) {
      run(['ip', '-n', ns, 'addr', 'add', `${addr}/30`, 'dev', dev]);
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      // one wire-sized segment per packet: with segmentation offload TCP would hand the veth 64 KB
      // super-packets, and the drop rule would lose 40 segments at once instead of one
      const gso = spawnSync(toolPath('ip'), ['-n', ns, 'link', 'set', dev, 'gso_max_segs', '1', 'gso_max_size', '1500'], { encoding: 'utf8' });
      if (gso.status !== 0) this.wireSizedPackets = false;
      run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    }
    this.writeLossRules(true);
    this.setRate(opts.downKbps, opts.upKbps);
  }

  /** Change the loss share (counters keep counting). */
  setLoss(percent: number, direction: 'both' | 'a-to-b' | 'b-to-a' = this.lossDirection): void {
    validatePercent(percent);
    this.loss = percent;
    this.lossDirection = direction;
    this.writeLossRules(false);
  }

  /** Set or clear the rate of each direction (tbf on the sending end's egress). */
  setRate(downKbps: number | undefined, upKbps: number | undefined): void {
    this.tbf(this.nsB, 'ep-b', downKbps);
    this.tbf(this.nsA, 'ep-a', upKbps);
  }

  private tbf(ns: string, dev: string, kbps: number | undefined): void {
    if (kbps === undefined) {
      spawnSync(toolPath('ip'), ['netns', 'exec', ns, toolPath('tc'), 'qdisc', 'del', 'dev', dev, 'root'], { stdio: 'ignore' });
      return;
    }
    if (!(kbps >= 8)) throw new EdgeproofError('E_BAD_PROFILE', `rate ${kbps} kbit/s is below 8 kbit/s`, { where: `kernel link ${this.id}`, fix: 'use at least 8 kbit/s' });
    const bytesPerSecond = (kbps * 1000) / 8;
    // bucket: 20 ms of traffic but never less than two full frames; queue: 200 ms of traffic, like a modem buffer
    const burst = Math.max(3200, Math.round(bytesPerSecond / 50));
    const limit = Math.max(burst + 3200, Math.round(bytesPerSecond / 5));
    run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${Math.round(kbps)}kbit`, 'burst', String(burst), 'limit', String(limit)]);
  }

  private writeLossRules(create: boolean): void {
    const threshold = Math.round(this.loss * 100); // out of 10000
    const dropsAt = (side: Side): boolean =>
      this.lossDirection === 'both' || (side === 'b' && this.lossDirection === 'a-to-b') || (side === 'a' && this.lossDirection === 'b-to-a');
    for (const side of ['a', 'b'] as const) {
      const dev = side === 'a' ? 'ep-a' : 'ep-b';
      const n = dropsAt(side) ? threshold : 0;
      const script = [
        ...(create
          ? [
              'table netdev edgeproof {',
              '  counter dropped { }',
              '  counter passed { }',
              `  chain ingress { type filter hook ingress device "${dev}" priority 0; policy accept; }`,
              '}',
            ]
          : ['flush chain netdev edgeproof ingress']),
        // named counters survive the flush, so a loss change does not reset what was counted
        ...(n > 0 ? [`add rule netdev edgeproof ingress meta protocol ip numgen random mod 10000 < ${n} counter name "dropped" drop`] : []),
        'add rule netdev edgeproof ingress meta protocol ip counter name "passed"',
      ].join('\n');
      run(['ip', 'netns', 'exec', this.namespace(side), 'nft', '-f', '-'], `${script}\n`);
    }
  }

  /** Packets dropped and passed by the loss rule at each end, from the kernel's own counters. */
  counters(): LinkCounters {
    const read = (side: Side): DirectionCounters => {
      const out = run(['ip', 'netns', 'exec', this.namespace(side), 'nft', '-j', 'list', 'counters', 'table', 'netdev', 'edgeproof']);
      const parsed = JSON.parse(out) as { nftables: { counter?: { name: string; packets: number; bytes: number } }[] };
      const counter = (name: string): { packets: number; bytes: number } => parsed.nftables.find((e) => e.counter?.name === name)?.counter ?? { packets: 0, bytes: 0 };
      const dropped = counter('dropped');
      const passed = counter('passed');
      return { dropped: dropped.packets, passed: passed.packets, droppedBytes: dropped.bytes, passedBytes: passed.bytes };
    };
    return { aToB: read('b'), bToA: read('a') };
  }

  /**
   * Spawn a process inside one namespace (`ip netns exec`). It dies with the bench (pdeathsig where
   * `setpriv` exists) and is killed by close().
   */
  spawnIn(side: Side, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    this.assertOpen();
    const inner = [toolPath('ip'), 'netns', 'exec', this.namespace(side), command, ...args];
    const withDeathSig = findTool('setpriv') !== undefined ? ['setpriv', '--pdeathsig', 'KILL', '--', ...inner] : inner;
    const [cmd, ...rest] = withDeathSig;
    const child = spawn(cmd ?? 'ip', rest, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Run a TypeScript module of this repository inside a namespace (node --import tsx). */
  spawnScript(side: Side, script: string, args: readonly string[]): ChildProcess {
    return this.spawnIn(side, process.execPath, ['--import', tsxLoader(), script, ...args]);
  }

  /**
   * A loopback port in the root namespace whose connections cross the link (a → b, losing packets and
   * rate-limited as configured) and arrive at `127.0.0.1:upstreamPort`:
   * 127.0.0.1:port → unix → [ns a] relay → addressA ⇄ veth ⇄ addressB → [ns b] relay → unix → 127.0.0.1:upstream.
   */
  async tcpPath(upstreamPort: number): Promise<{ readonly port: number }> {
    this.assertOpen();
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-kl-'));
    this.tempDirs.push(dir);
    const intoA = join(dir, 'into-a.sock');
    const outOfB = join(dir, 'out-of-b.sock');
    // root namespace: the exit towards the upstream
    await this.listen({ path: outOfB }, () => createConnection({ host: '127.0.0.1', port: upstreamPort }));
    // namespace b: the link's far end, listening on its namespace-only address
    const relayB = await this.startRelay('b', { listen: { host: this.addressB, port: 0 }, connect: { path: outOfB } });
    // namespace a: the edge end, fed through a Unix socket
    await this.startRelay('a', { listen: { path: intoA }, connect: { host: this.addressB, port: relayB.port } });
    // root namespace: the entry on loopback
    const entry = await this.listen({ port: 0 }, () => createConnection({ path: intoA }));
    const a = entry.address();
    return { port: typeof a === 'object' && a !== null ? a.port : 0 };
  }

  private listen(at: { path: string } | { port: number }, dial: () => Socket): Promise<Server> {
    const server = createServer((client) => {
      const upstream = dial();
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const fail = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', fail);
      upstream.on('error', fail);
      client.on('close', () => {
        this.sockets.delete(client);
        upstream.end();
      });
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        client.end();
      });
    });
    this.servers.add(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => resolve(server);
      if ('path' in at) server.listen(at.path, done);
      else server.listen(at.port, '127.0.0.1', done);
    });
  }

  private async startRelay(side: Side, spec: RelaySpec): Promise<RelayHandle> {
    const child = this.spawnScript(side, fileURLToPath(new URL('./ns-relay.ts', import.meta.url)), [JSON.stringify(spec)]);
    const port = await readyLine(child, `relay in ${this.namespace(side)}`);
    return { child, port };
  }

  private assertOpen(): void {
    if (this.closed) throw new EdgeproofError('E_INTERNAL', `kernel link ${this.id} is closed`, { where: 'kernel-link' });
  }

  /** Kill its processes, close its sockets, delete both namespaces (and with them the veth pair). */
  async close(): Promise<void> {
    const exits = [...this.children].map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()))));
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.all(exits);
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.closeSync();
  }

  closeSync(): void {
    for (const c of this.children) c.kill('SIGKILL');
    for (const s of this.sockets) s.destroy();
    for (const s of this.servers) s.close();
    const failures: string[] = [];
    for (const ns of [this.nsA, this.nsB]) {
      const res = spawnSync(toolPath('ip'), ['netns', 'del', ns], { encoding: 'utf8' });
      if (res.status !== 0 && !/No such file|not found|Invalid/.test(res.stderr ?? '')) failures.push(`${ns}: ${res.stderr.trim()}`);
    }
    for (const d of this.tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
    this.closed = true;
    live.delete(this);
    if (failures.length > 0) {
      throw new EdgeproofError('E_BACKEND_UNAVAILABLE', `could not delete namespaces: ${failures.join('; ')}`, { where: 'kernel-link', fix: `delete them by hand: ip netns del ${this.nsA}; ip netns del ${this.nsB}` });
    }
  }
}

function validatePercent(p: number): void {
  if (!Number.isFinite(p) || p < 0 || p > 100) {
    throw new EdgeproofError('E_BAD_PROFILE', `loss ${p} % is not between 0 and 100`, { where: 'kernel-link', fix: 'use a loss percentage 0–100' });
  }
}

/** Wait for a child's `ready <port>` line; its stderr is in the error if it dies first. */
export function readyLine(child: ChildProcess, what: string, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    if (child.stdout === null) {
      reject(new EdgeproofError('E_INTERNAL', `${what}: spawned without a stdout pipe`, { where: 'kernel-link' }));
      return;
    }
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      lines.close();
      reject(new EdgeproofError('E_BACKEND_UNAVAILABLE', `${what}: ${why}${stderr !== '' ? `: ${stderr.trim()}` : ''}`, { where: 'kernel-link', fix: 'see the message; is node usable inside the namespace?' }));
    };
    lines.on('line', (line) => {
      const m = /^ready (\d+)$/.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        lines.removeAllListeners('line');
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code, signal) => fail(`exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`));
  });
}
