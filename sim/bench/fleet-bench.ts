import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type BackendChoice } from '../components/stack.ts';
import { systemClock } from '../core/clock.ts';
import type { Progress } from '../core/progress.ts';
import { seededRandom } from '../core/random.ts';
import { loadHardwareProfile } from '../edge/profile.ts';
import { RunningFleet, type FleetMember } from '../fleet/running-fleet.ts';
import { Network } from '../network/network.ts';
import { cpuCores, percentile, sampleProcess, type PerfData, type ProcSample } from './proc-stats.ts';

export interface FleetBenchOptions {
  readonly nodes: number;
  /** Gates per station uplink (they share one Toxiproxy proxy). */
  readonly perUplink: number;
  /** How long to hold the fleet connected after it is Ready, measuring steady state. */
  readonly holdSeconds: number;
  readonly credentials: 'shared' | 'per-node';
  readonly inMemoryStores: boolean;
  readonly backend: BackendChoice;
  readonly outDir: string;
  readonly progress: Progress;
}

export interface FleetBenchResult {
  readonly nodes: number;
  readonly uplinks: number;
  readonly secondsToAllConnected: number;
  readonly secondsToAllReady: number;
  /** Time from a node's start to its Ready in the API, per node. */
  readonly readyLatencyMs: { readonly p50: number; readonly p90: number; readonly p99: number };
  readonly benchRssPerNodeBytes: number;
  readonly benchHeapPerNodeBytes: number;
  readonly cloudcore: { readonly rssBytes: number; readonly cpuCoresDuringStart: number; readonly cpuCoresSteady: number };
  readonly apiserver: { readonly rssBytes: number; readonly cpuCoresDuringStart: number; readonly cpuCoresSteady: number };
  readonly benchCpuCoresSteady: number;
}

interface Condition { type: string; status: string }

/**
 * N simulated nodes against the real CloudCore, every node through a Toxiproxy uplink shared by
 * `perUplink` nodes: how long until all are Ready (limited by the cloud, reported next to the simulator's
 * own cost), memory per simulated node, and what CloudCore and the apiserver spend.
 */
export async function runFleetBench(opts: FleetBenchOptions): Promise<FleetBenchResult> {
  const p = opts.progress;
  const stack = await startStack({ backend: opts.backend, cloud: 'kubeedge', cloudcore: { nodeLimit: Math.max(1000, opts.nodes + 100) }, progress: p });
  try {
    const cloudcore = stack.cloudcore;
    if (cloudcore === undefined) throw new Error('CloudCore did not start');
    const apiserverPid = stack.controlPlane.component('kube-apiserver')?.pid;
    const profile = loadHardwareProfile('fixtures/hardware/arm-gate-4c-1g.yaml');
    const members: FleetMember[] = Array.from({ length: opts.nodes }, (_, i) => ({
      name: `bench-gate-${String(i).padStart(5, '0')}`,
      profile,
      uplink: `station-${String(Math.floor(i / opts.perUplink)).padStart(4, '0')}`,
    }));
    global.gc?.();
    const baseRss = process.memoryUsage().rss;
    const baseHeap = process.memoryUsage().heapUsed;
    const network = new Network(stack.toxiproxy);
    const fleet = await RunningFleet.create({
      members,
      cloud: cloudcore,
      network,
      stateDir: join(stack.stateDir, 'fleet'),
      clock: systemClock,
      random: seededRandom(1),
      credentials: opts.credentials,
      inMemoryStores: opts.inMemoryStores,
      slimStatus: true,
      startConcurrency: 100,
      progress: p,
    });
    const cc0 = sampleProcess(cloudcore.pid ?? -1);
    const api0 = apiserverPid !== undefined ? sampleProcess(apiserverPid) : undefined;
    const started = Date.now();
    const startedAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    for (const m of members) startedAt.set(m.name, started);
    p.step('bench', `starting ${opts.nodes} nodes behind ${new Set(members.map((m) => m.uplink)).size} uplinks`);
    const startAll = fleet.startAll(p);
    let allConnectedAt: number | undefined;
    // watch Ready in the API while nodes come up
    for (;;) {
      if (allConnectedAt === undefined && fleet.connectedCount() === opts.nodes) allConnectedAt = Date.now();
      const list = await stack.controlPlane.kube.list('/api/v1/nodes?labelSelector=node-role.kubernetes.io%2Fedge');
      const now = Date.now();
      for (const n of list.items) {
        const name = n.metadata?.name ?? '';
        const ready = ((n['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready && !readyAt.has(name)) readyAt.set(name, now);
      }
      if (readyAt.size >= opts.nodes) break;
      if (now - started > 600_000) throw new Error(`only ${readyAt.size}/${opts.nodes} nodes Ready after 10 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await startAll;
    allConnectedAt ??= Date.now();
    const allReadyAt = Date.now();
    const cc1 = sampleProcess(cloudcore.pid ?? -1);
    const api1 = apiserverPid !== undefined ? sampleProcess(apiserverPid) : undefined;
    p.step('bench', `all ${opts.nodes} Ready after ${((allReadyAt - started) / 1000).toFixed(1)} s; holding ${opts.holdSeconds} s for steady state`);
    const self0 = sampleProcess(process.pid);
    await new Promise((r) => setTimeout(r, opts.holdSeconds * 1000));
    global.gc?.();
    const self1 = sampleProcess(process.pid);
    const cc2 = sampleProcess(cloudcore.pid ?? -1);
    const api2 = apiserverPid !== undefined ? sampleProcess(apiserverPid) : undefined;
    const rss = process.memoryUsage().rss;
    const heap = process.memoryUsage().heapUsed;
    const connectedAtEnd = fleet.connectedCount();
    const latencies = [...readyAt.entries()].map(([n, t]) => t - (startedAt.get(n) ?? started)).sort((a, b) => a - b);
    const cores = (a: ProcSample | undefined, b: ProcSample | undefined): number => (a !== undefined && b !== undefined ? cpuCores(a, b) : 0);
    const result: FleetBenchResult = {
      nodes: opts.nodes,
      uplinks: fleet.uplinks.size,
      secondsToAllConnected: (allConnectedAt - started) / 1000,
      secondsToAllReady: (allReadyAt - started) / 1000,
      readyLatencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99) },
      benchRssPerNodeBytes: Math.round((rss - baseRss) / opts.nodes),
      benchHeapPerNodeBytes: Math.round((heap - baseHeap) / opts.nodes),
      cloudcore: { rssBytes: cc2?.rssBytes ?? 0, cpuCoresDuringStart: cores(cc0, cc1), cpuCoresSteady: cores(cc1, cc2) },
      apiserver: { rssBytes: api2?.rssBytes ?? 0, cpuCoresDuringStart: cores(api0, api1), cpuCoresSteady: cores(api1, api2) },
      benchCpuCoresSteady: cores(self0, self1),
    };
    if (connectedAtEnd < opts.nodes) p.step('bench', `warning: only ${connectedAtEnd}/${opts.nodes} connected at the end of the hold`);
    await fleet.stopAll();
    writeResults(opts.outDir, result, opts);
    return result;
  } finally {
    await stack.stop();
  }
}

function writeResults(outDir: string, r: FleetBenchResult, opts: FleetBenchOptions): void {
  mkdirSync(outDir, { recursive: true });
  const labels = { Metric: '', Nodes: String(r.nodes), Credentials: opts.credentials, Stores: opts.inMemoryStores ? 'memory' : 'sqlite' };
  const perf: PerfData = {
    version: 'v1',
    dataItems: [
      { data: { Perc50: r.readyLatencyMs.p50, Perc90: r.readyLatencyMs.p90, Perc99: r.readyLatencyMs.p99 }, unit: 'ms', labels: { ...labels, Metric: 'EdgeNodeStartToReady' } },
      { data: { Value: r.secondsToAllReady * 1000 }, unit: 'ms', labels: { ...labels, Metric: 'FleetAllReady' } },
      { data: { Value: r.benchRssPerNodeBytes / 1024 }, unit: 'KiB', labels: { ...labels, Metric: 'SimulatorRssPerNode' } },
      { data: { Value: r.cloudcore.rssBytes / 2 ** 20 }, unit: 'MiB', labels: { ...labels, Metric: 'CloudCoreRss' } },
      { data: { Start: r.cloudcore.cpuCoresDuringStart, Steady: r.cloudcore.cpuCoresSteady }, unit: 'cores', labels: { ...labels, Metric: 'CloudCoreCpu' } },
    ],
  };
  writeFileSync(join(outDir, `fleet-${r.nodes}-perfdata.json`), `${JSON.stringify(perf, null, 2)}\n`);
  writeFileSync(join(outDir, `fleet-${r.nodes}-result.json`), `${JSON.stringify({ options: { ...opts, progress: undefined }, result: r }, null, 2)}\n`);
}

export function formatFleetBench(r: FleetBenchResult): string {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  return [
    `fleet bench: ${r.nodes} simulated edge nodes behind ${r.uplinks} Toxiproxy uplinks, real CloudCore`,
    `  all connected:              ${r.secondsToAllConnected.toFixed(1)} s`,
    `  all Ready in the API:       ${r.secondsToAllReady.toFixed(1)} s   (start→Ready p50 ${r.readyLatencyMs.p50} ms, p90 ${r.readyLatencyMs.p90} ms, p99 ${r.readyLatencyMs.p99} ms)`,
    `  simulator memory per node:  ${(r.benchRssPerNodeBytes / 1024).toFixed(1)} KiB RSS, ${(r.benchHeapPerNodeBytes / 1024).toFixed(1)} KiB JS heap   (target ≤ 64 KiB)`,
    `  simulator CPU, steady:      ${r.benchCpuCoresSteady.toFixed(2)} cores`,
    `  CloudCore:                  ${mib(r.cloudcore.rssBytes)} RSS, ${r.cloudcore.cpuCoresDuringStart.toFixed(2)} cores while nodes joined, ${r.cloudcore.cpuCoresSteady.toFixed(2)} steady`,
    `  kube-apiserver:             ${mib(r.apiserver.rssBytes)} RSS, ${r.apiserver.cpuCoresDuringStart.toFixed(2)} cores while nodes joined, ${r.apiserver.cpuCoresSteady.toFixed(2)} steady`,
  ].join('\n');
}
