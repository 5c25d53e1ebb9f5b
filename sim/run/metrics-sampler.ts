/**
 * The metrics a run samples alongside its history (issue 7 item 1): CloudCore and kube-apiserver CPU and memory,
 * API latency, and the bytes through the edge uplinks — journalled as `metric` lines (names: METRICS in
 * sim/evidence/journal.ts) so the reports chart and summarise them from the history like everything else.
 *
 * Every few seconds (the injected clock) one sample:
 * - each process: RSS, and CPU in cores over the interval since its previous sample (none after a restart: the
 *   new process's CPU time starts again from 0, so the first sample of a pid is its baseline);
 * - the links: fleet-wide up/down totals and rates, and per link the totals that changed (up to `perLinkLimit`
 *   links — a 2,000-vehicle fleet gets the fleet figures only);
 * - one API probe, started unless the previous one is still waiting, journalled when it answers.
 * Besides, every request the bench itself makes through the kube client is journalled as it finishes (its own
 * latency line), up to `maxCallsPerInterval` per interval so a busy producer cannot flood the history.
 *
 * The sources are injected: runMetricsSources() wires the real ones, tests pass fakes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sampleProcess } from '../bench/proc-stats.ts';
import type { StartedStack } from '../components/stack.ts';
import type { Clock, Timer } from '../core/clock.ts';
import { METRICS, type JournalSink } from '../evidence/journal.ts';
import type { RunningFleet } from '../fleet/running-fleet.ts';
import { KubeClient, type KubeCall } from '../kube/client.ts';
import type { LinkBytes } from '../network/link-meter.ts';

export interface ProcessUsage {
  readonly rssBytes: number;
  /** User + system CPU seconds the process has used since it started. */
  readonly cpuSeconds: number;
}

/** A process to sample, under the metric names it is journalled as. */
export interface SampledProcess {
  /** Journal source of its lines (default cloud). */
  readonly source?: 'cloud' | 'bench';
  readonly rssMetric: string;
  readonly cpuMetric: string;
  /** Its pid now; undefined while it is down or when it is not a local process. */
  pid(): number | undefined;
}

export interface MetricsSources {
  readonly processes?: readonly SampledProcess[];
  /** How a process is read; default /proc (sampleProcess). Undefined: the process is gone. */
  readonly readProcess?: (pid: number) => ProcessUsage | undefined;
  /** Bytes through each link so far, by link name (never decreasing). */
  readonly links?: () => Iterable<readonly [string, LinkBytes]>;
  /** One API round trip; resolves with its latency in ms, rejects when the API did not answer. */
  readonly probeApi?: () => Promise<number>;
  /** Where the bench's own API requests can be heard (KubeClient.onCall). */
  readonly apiCalls?: { onCall(listener: (call: KubeCall) => void): () => void };
  /** The simulator's own event-loop delay, p99 ms since the previous call (which resets it). */
  readonly eventLoopDelayP99Ms?: () => number | undefined;
  /** Releases what the sources hold (a probe's connections); called by stop(). */
  readonly close?: () => void;
}

export interface MetricsSamplerOptions {
  readonly journal: JournalSink;
  readonly clock: Clock;
  readonly sources: MetricsSources;
  /** Default 5 s. */
  readonly intervalMs?: number;
  /** Per-link totals are journalled while there are at most this many links; default 100. */
  readonly perLinkLimit?: number;
  /** API call lines per interval at most; default 200. */
  readonly maxCallsPerInterval?: number;
}

const round = (v: number, places: number): number => {
  const f = 10 ** places;
  return Math.round(v * f) / f;
};

export class MetricsSampler {
  private readonly journal: JournalSink;
  private readonly clock: Clock;
  private readonly sources: MetricsSources;
  private readonly intervalMs: number;
  private readonly perLinkLimit: number;
  private readonly maxCalls: number;
  private readonly readProcess: (pid: number) => ProcessUsage | undefined;
  private timer: Timer | undefined;
  private running = false;
  private probing = false;
  private callsThisInterval = 0;
  private unsubscribe: (() => void) | undefined;
  /** Per process (by rss metric): the previous reading, the CPU baseline. */
  private readonly lastProcess = new Map<string, { pid: number; cpuSeconds: number; at: number }>();
  private lastFleet: { up: number; down: number; at: number } | undefined;
  private readonly lastLink = new Map<string, LinkBytes>();
  /** Worst event-loop delay p99 of any interval so far (ms). */
  private worstLoopDelayMs = 0;

  constructor(options: MetricsSamplerOptions) {
    this.journal = options.journal;
    this.clock = options.clock;
    this.sources = options.sources;
    this.intervalMs = options.intervalMs ?? 5000;
    this.perLinkLimit = options.perLinkLimit ?? 100;
    this.maxCalls = options.maxCallsPerInterval ?? 200;
    this.readProcess =
      options.sources.readProcess ??
      ((pid) => {
        const s = sampleProcess(pid);
        return s === undefined ? undefined : { rssBytes: s.rssBytes, cpuSeconds: s.cpuSeconds };
      });
  }

  /** The worst p99 event-loop delay of the simulator over any sampled interval so far, ms (0: none sampled). */
  get worstEventLoopDelayMs(): number {
    return this.worstLoopDelayMs;
  }

  /** Sample now, then every interval until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.sources.apiCalls?.onCall((call) => this.onCall(call));
    this.tick();
  }

  /** No line is journalled after this returns (a probe still waiting is ignored when it answers). Idempotent. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.sources.close?.();
  }

  private tick(): void {
    if (!this.running) return;
    this.callsThisInterval = 0;
    const now = this.clock.now();
    for (const p of this.sources.processes ?? []) this.sampleProcessOf(p, now);
    this.sampleLinks(now);
    const delay = this.sources.eventLoopDelayP99Ms?.();
    if (delay !== undefined && Number.isFinite(delay)) {
      this.worstLoopDelayMs = Math.max(this.worstLoopDelayMs, delay);
      this.journal.append({ source: 'bench', op: 'metric', metric: METRICS.benchLoopDelay, value: round(delay, 1) });
    }
    this.probe();
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  private sampleProcessOf(p: SampledProcess, now: number): void {
    const pid = p.pid();
    const usage = pid !== undefined ? this.readProcess(pid) : undefined;
    if (pid === undefined || usage === undefined) {
      this.lastProcess.delete(p.rssMetric);
      return;
    }
    const source = p.source ?? 'cloud';
    this.journal.append({ source, op: 'metric', metric: p.rssMetric, value: usage.rssBytes });
    const before = this.lastProcess.get(p.rssMetric);
    if (before !== undefined && before.pid === pid && now > before.at && usage.cpuSeconds >= before.cpuSeconds) {
      const cores = (usage.cpuSeconds - before.cpuSeconds) / ((now - before.at) / 1000);
      this.journal.append({ source, op: 'metric', metric: p.cpuMetric, value: round(cores, 3) });
    }
    this.lastProcess.set(p.rssMetric, { pid, cpuSeconds: usage.cpuSeconds, at: now });
  }

  private sampleLinks(now: number): void {
    if (this.sources.links === undefined) return;
    const links = [...this.sources.links()];
    let up = 0;
    let down = 0;
    for (const [, b] of links) {
      up += b.up;
      down += b.down;
    }
    this.journal.append({ source: 'edge', op: 'metric', metric: METRICS.linkUpTotal, value: up });
    this.journal.append({ source: 'edge', op: 'metric', metric: METRICS.linkDownTotal, value: down });
    const before = this.lastFleet;
    if (before !== undefined && now > before.at) {
      const seconds = (now - before.at) / 1000;
      this.journal.append({ source: 'edge', op: 'metric', metric: METRICS.linkUpRate, value: round(Math.max(0, up - before.up) / seconds, 1) });
      this.journal.append({ source: 'edge', op: 'metric', metric: METRICS.linkDownRate, value: round(Math.max(0, down - before.down) / seconds, 1) });
    }
    this.lastFleet = { up, down, at: now };
    if (links.length > this.perLinkLimit) return;
    for (const [link, b] of links) {
      const prev = this.lastLink.get(link);
      if (prev !== undefined && prev.up === b.up && prev.down === b.down) continue;
      this.lastLink.set(link, { up: b.up, down: b.down });
      this.journal.append({ source: 'edge', op: 'metric', metric: METRICS.linkUpTotal, value: b.up, link });
      this.journal.append({ source: 'edge', op: 'metric', metric: METRICS.linkDownTotal, value: b.down, link });
    }
  }

  private probe(): void {
    const probeApi = this.sources.probeApi;
    if (probeApi === undefined || this.probing) return;
    this.probing = true;
    probeApi().then(
      (ms) => {
        this.probing = false;
        if (this.running && Number.isFinite(ms) && ms >= 0) this.journal.append({ source: 'cloud', op: 'metric', metric: METRICS.apiProbe, value: round(ms, 2) });
      },
      () => {
        // the API did not answer (killed, restarting): there is no latency to record, and the gap shows it
        this.probing = false;
      },
    );
  }

  private onCall(call: KubeCall): void {
    // status 0: no answer at all, which is an outage, not a latency
    if (!this.running || call.status === 0 || !Number.isFinite(call.ms)) return;
    if (++this.callsThisInterval > this.maxCalls) return;
    const metric = call.method === 'GET' ? METRICS.apiRead : METRICS.apiWrite;
    this.journal.append({ source: 'cloud', op: 'metric', metric, value: round(call.ms, 2) });
  }
}

/**
 * The real sources of a run: CloudCore and kube-apiserver from the stack (local processes only), the fleet's
 * uplink meters, the bench's kube client, and a probe on a client of its own — so the probe neither waits behind
 * the bench's requests nor counts as one of them.
 */
export function runMetricsSources(stack: StartedStack, fleet: RunningFleet): MetricsSources {
  const apiserver = stack.controlPlane.component('kube-apiserver');
  const probeClient = KubeClient.fromKubeconfig(stack.controlPlane.kubeconfigPath);
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  return {
    eventLoopDelayP99Ms: () => {
      const p99 = loop.percentile(99) / 1e6;
      loop.reset();
      return p99;
    },
    processes: [
      { source: 'bench', rssMetric: METRICS.benchRss, cpuMetric: METRICS.benchCpu, pid: () => process.pid },
      { rssMetric: METRICS.cloudcoreRss, cpuMetric: METRICS.cloudcoreCpu, pid: () => stack.cloudcore?.pid },
      { rssMetric: METRICS.apiserverRss, cpuMetric: METRICS.apiserverCpu, pid: () => apiserver?.pid },
    ],
    links: () => [...fleet.uplinks].map(([name, u]) => [name, u.meter.bytes()] as const),
    probeApi: async () => {
      const started = performance.now();
      await probeClient.list('/api/v1/namespaces/default/pods?limit=1');
      return performance.now() - started;
    },
    apiCalls: stack.controlPlane.kube,
    close: () => {
      loop.disable();
      probeClient.close();
    },
  };
}
