/**
 * One pass over a history journal for the reports: node counts over time (connected to CloudCore, Ready in the
 * cloud), metric samples, fault windows, and latency samples (reconnect after a heal, Ready after a heal,
 * boot to Ready, cloud-to-edge sync lag, device answers, desired value to register). Times are ms from the run's
 * t = 0 (`timeZero`), so they line up with the fault schedule.
 *
 * It reads what it finds and never throws on odd content: a report of a damaged or partial run must still render.
 */
import { closeSync, openSync } from 'node:fs';
import { forEachLine } from '../sim/core/lines.ts';
import { percentile } from '../sim/bench/proc-stats.ts';
import { entryProblem, METRIC_CLOUDCORE_RSS, METRICS, type JournalEntry } from '../sim/evidence/journal.ts';
import type { GuaranteeBounds } from '../sim/evidence/bounds.ts';

export interface Point {
  /** ms from t = 0. */
  readonly t: number;
  readonly v: number;
}

export interface MetricSeries {
  readonly metric: string;
  readonly source: string;
  readonly node?: string;
  readonly points: readonly Point[];
}

/** A fault as the journal shows it: from its start to its end (undefined: still open when the history ends). */
export interface FaultWindow {
  readonly kind: 'partition' | 'churn' | 'kill' | 'rollout';
  readonly label: string;
  readonly start: number;
  readonly end: number | undefined;
  /** Nodes it covers (0 for a component). */
  readonly nodes: number;
}

export interface LatencySummary {
  /** snake_case, e.g. `edge_reconnect_after_heal_ms`. */
  readonly name: string;
  readonly description: string;
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface HistoryStats {
  readonly entries: number;
  readonly lastSeq: number;
  /** t of the first line (epoch ms) and the t = 0 used. */
  readonly firstT: number | undefined;
  readonly lastT: number | undefined;
  readonly timeZero: number;
  /** ms from t = 0 to the last line. */
  readonly endMs: number;
  readonly scenario?: string;
  readonly seed?: number;
  readonly bounds?: GuaranteeBounds;
  /** Every node seen in an edge line or a node-ready line. */
  readonly nodes: number;
  /** Step series: value from this point until the next. */
  readonly connected: readonly Point[];
  readonly ready: readonly Point[];
  readonly connectedMax: number;
  readonly readyMax: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly restarts: number;
  /** Cloud- and fleet-wide metrics (no node, no link), one series per (source, metric). */
  readonly cloudSeries: readonly MetricSeries[];
  /** All metric samples, in journal order. */
  readonly samples: readonly MetricPoint[];
  readonly faultWindows: readonly FaultWindow[];
  readonly latencies: readonly LatencySummary[];
}

/** One metric line, with t from t = 0. */
export interface MetricPoint {
  readonly t: number;
  readonly source: string;
  readonly metric: string;
  readonly node?: string;
  readonly link?: string;
  readonly value: number;
}

export interface AnalyzeOptions {
  /** Epoch ms of the run's t = 0 (the executor's startTime). Default: the run-start line, else the first line. */
  readonly timeZero?: number;
}

const LATENCY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  edge_reconnect_after_heal_ms: 'edge hub reconnected, after its link healed / it returned / it restarted',
  node_ready_after_heal_ms: 'node Ready=True in the cloud, after its link healed / it returned / it restarted',
  node_boot_to_ready_ms: 'first boot of an edge node to Ready=True in the cloud',
  edge_offline_ms: 'edge hub disconnected to connected again',
  sync_apply_lag_ms: 'cloud object version to the edge storing it',
  device_answer_ms: 'device request to its answer',
  twin_desired_to_register_ms: 'desired device value set in the cloud to the device register holding it',
  [METRICS.apiProbe]: 'kube-apiserver answering a LIST of one pod, probed every few seconds',
  [METRICS.apiRead]: 'kube-apiserver answering a GET the bench made',
  [METRICS.apiWrite]: 'kube-apiserver answering a create, update, patch or delete the bench made',
};

/** Cloud-wide metrics whose every sample is one latency: summarised as latencies (p50/p90/p99), not max/last. */
const LATENCY_METRICS: ReadonlySet<string> = new Set([METRICS.apiProbe, METRICS.apiRead, METRICS.apiWrite]);

/** Summaries of latency samples (sorted in place). Empty sample lists give no summary. */
function summarize(samples: Map<string, number[]>): LatencySummary[] {
  const out: LatencySummary[] = [];
  for (const name of Object.keys(LATENCY_DESCRIPTIONS)) {
    const list = samples.get(name);
    if (list === undefined || list.length === 0) continue;
    list.sort((a, b) => a - b);
    out.push({
      name,
      description: LATENCY_DESCRIPTIONS[name] ?? name,
      count: list.length,
      p50: percentile(list, 50),
      p90: percentile(list, 90),
      p99: percentile(list, 99),
      max: list[list.length - 1] ?? 0,
    });
  }
  return out;
}

/** Analyze a history (in journal order). */
export function analyzeHistory(history: readonly JournalEntry[], options: AnalyzeOptions = {}): HistoryStats {
  const first = history[0];
  const runStart = history.find((e) => e.op === 'run-start');
  const timeZero = options.timeZero ?? runStart?.t ?? first?.t ?? 0;
  const rel = (t: number): number => t - timeZero;

  const nodes = new Set<string>();
  const connectedSet = new Set<string>();
  const readySet = new Set<string>();
  const connected: Point[] = [];
  const ready: Point[] = [];
  let connectedMax = 0;
  let readyMax = 0;
  let connects = 0;
  let disconnects = 0;
  let restarts = 0;
  const pushStep = (series: Point[], t: number, v: number): void => {
    const last = series[series.length - 1];
    if (last !== undefined && last.v === v) return;
    if (last !== undefined && last.t === t) series[series.length - 1] = { t, v };
    else series.push({ t, v });
  };
  const setConnected = (node: string, up: boolean, t: number): void => {
    const had = connectedSet.has(node);
    if (up === had) return;
    if (up) connectedSet.add(node);
    else connectedSet.delete(node);
    connectedMax = Math.max(connectedMax, connectedSet.size);
    pushStep(connected, t, connectedSet.size);
  };

  const samples: MetricPoint[] = [];
  const cloud = new Map<string, { metric: string; source: string; points: Point[] }>();

  type Window = { -readonly [K in keyof FaultWindow]: FaultWindow[K] };
  const windows: Window[] = [];
  const openPartitions = new Map<string, { window: Window; nodes: Set<string> }>();
  const openWaves = new Map<string, Window>();
  const openKills = new Map<string, Window>();
  const cutCount = new Map<string, number>();

  const lat = new Map<string, number[]>();
  const sample = (name: string, ms: number): void => {
    if (!Number.isFinite(ms) || ms < 0) return;
    let list = lat.get(name);
    if (list === undefined) lat.set(name, (list = []));
    list.push(ms);
  };
  /** Node → when the way back to the cloud cleared (heal, churn return, restart). */
  const pendingReconnect = new Map<string, number>();
  const pendingReady = new Map<string, number>();
  const bootAt = new Map<string, number>();
  const offlineSince = new Map<string, number>();
  const upsertT = new Map<string, number>();
  const appliedOnce = new Set<string>();
  const requestT = new Map<string, number>();
  const desiredT = new Map<string, { value: string; t: number }>();

  const cleared = (node: string, t: number): void => {
    if ((cutCount.get(node) ?? 0) > 0) return;
    if (!connectedSet.has(node)) pendingReconnect.set(node, t);
    if (!readySet.has(node)) pendingReady.set(node, t);
  };

  let scenario: string | undefined;
  let seed: number | undefined;
  let bounds: GuaranteeBounds | undefined;
  let lastSeq = 0;
  let lastT = timeZero;

  for (const e of history) {
    lastSeq = e.seq;
    lastT = e.t;
    const t = rel(e.t);
    switch (e.op) {
      case 'run-start':
        scenario = e.value.scenario;
        seed = e.value.seed;
        break;
      case 'bounds':
        bounds = e.value;
        break;
      case 'connect': {
        nodes.add(e.node);
        connects++;
        setConnected(e.node, true, t);
        const since = pendingReconnect.get(e.node);
        if (since !== undefined) sample('edge_reconnect_after_heal_ms', t - since);
        pendingReconnect.delete(e.node);
        const off = offlineSince.get(e.node);
        if (off !== undefined) sample('edge_offline_ms', t - off);
        offlineSince.delete(e.node);
        break;
      }
      case 'disconnect':
        nodes.add(e.node);
        disconnects++;
        if (connectedSet.has(e.node)) offlineSince.set(e.node, t);
        setConnected(e.node, false, t);
        break;
      case 'start':
        nodes.add(e.node);
        if (connectedSet.has(e.node)) offlineSince.set(e.node, t);
        setConnected(e.node, false, t);
        if (e.value === 'boot') {
          if (!bootAt.has(e.node)) bootAt.set(e.node, t);
        } else {
          restarts++;
          cleared(e.node, t);
        }
        break;
      case 'node-ready': {
        nodes.add(e.node);
        const isReady = e.value === 'True';
        if (isReady !== readySet.has(e.node)) {
          if (isReady) readySet.add(e.node);
          else readySet.delete(e.node);
          readyMax = Math.max(readyMax, readySet.size);
          pushStep(ready, t, readySet.size);
        }
        if (isReady) {
          const since = pendingReady.get(e.node);
          if (since !== undefined) sample('node_ready_after_heal_ms', t - since);
          pendingReady.delete(e.node);
          const boot = bootAt.get(e.node);
          if (boot !== undefined && boot >= 0) sample('node_boot_to_ready_ms', t - boot);
          bootAt.set(e.node, -1);
        }
        break;
      }
      case 'metric': {
        const s = { t, source: e.source, metric: e.metric, value: e.value, ...(e.node !== undefined ? { node: e.node } : {}), ...(e.link !== undefined ? { link: e.link } : {}) };
        samples.push(s);
        if (e.node === undefined && e.link === undefined) {
          if (LATENCY_METRICS.has(e.metric)) sample(e.metric, e.value);
          const key = `${e.source}\u0000${e.metric}`;
          let series = cloud.get(key);
          if (series === undefined) cloud.set(key, (series = { metric: e.metric, source: e.source, points: [] }));
          series.points.push({ t, v: e.value });
        }
        break;
      }
      case 'partition': {
        const open = openPartitions.get(e.fault);
        const fresh = e.nodes.filter((n) => open === undefined || !open.nodes.has(n));
        for (const n of fresh) cutCount.set(n, (cutCount.get(n) ?? 0) + 1);
        if (open === undefined) {
          const w: Window = { kind: 'partition', label: e.fault, start: t, end: undefined, nodes: fresh.length };
          windows.push(w);
          openPartitions.set(e.fault, { window: w, nodes: new Set(fresh) });
        } else {
          for (const n of fresh) open.nodes.add(n);
          open.window.nodes = open.nodes.size;
        }
        break;
      }
      case 'heal': {
        const open = openPartitions.get(e.fault);
        if (open === undefined) break;
        open.window.end = t;
        openPartitions.delete(e.fault);
        for (const n of open.nodes) {
          const c = (cutCount.get(n) ?? 1) - 1;
          if (c <= 0) cutCount.delete(n);
          else cutCount.set(n, c);
          cleared(n, t);
        }
        break;
      }
      case 'churn':
        if (e.phase === 'drop') {
          const w: Window = { kind: 'churn', label: e.wave, start: t, end: undefined, nodes: e.nodes.length };
          windows.push(w);
          openWaves.set(e.wave, w);
        } else {
          const w = openWaves.get(e.wave);
          if (w !== undefined) w.end = t;
          openWaves.delete(e.wave);
          for (const n of e.nodes) cleared(n, t);
        }
        break;
      case 'kill': {
        const label = e.component === 'edge' ? `edge ×${e.nodes?.length ?? 0}` : e.component;
        const w: Window = { kind: 'kill', label, start: t, end: undefined, nodes: e.nodes?.length ?? 0 };
        windows.push(w);
        if (e.component === 'edge') {
          w.end = t; // each killed edge comes back with its own start line; the window marks the kill only
          for (const n of e.nodes ?? []) {
            if (connectedSet.has(n)) offlineSince.set(n, t);
            setConnected(n, false, t);
          }
        } else openKills.set(e.component, w);
        break;
      }
      case 'restart': {
        const w = openKills.get(e.component);
        if (w !== undefined) w.end = t;
        openKills.delete(e.component);
        break;
      }
      case 'update-rollout':
        windows.push({ kind: 'rollout', label: `${e.app} → ${e.version}`, start: t, end: t, nodes: e.nodes.length });
        break;
      case 'object-upsert':
        upsertT.set(`${e.uid}@${e.rv}`, t);
        break;
      case 'apply': {
        nodes.add(e.node);
        const key = `${e.uid}@${e.rv}`;
        const since = upsertT.get(key);
        const once = `${e.node}\u0000${key}`;
        if (since !== undefined && !appliedOnce.has(once)) {
          appliedOnce.add(once);
          sample('sync_apply_lag_ms', t - since);
        }
        break;
      }
      case 'device-request':
        requestT.set(`${e.node}\u0000${e.reqId}`, t);
        break;
      case 'device-answer': {
        const key = `${e.node}\u0000${e.reqId}`;
        const since = requestT.get(key);
        if (since !== undefined) sample('device_answer_ms', t - since);
        requestT.delete(key);
        break;
      }
      case 'device-desired':
        desiredT.set(`${e.node}\u0000${e.namespace ?? ''}/${e.name}#${e.property}`, { value: e.value, t });
        break;
      case 'register-value': {
        const key = `${e.node}\u0000${e.namespace ?? ''}/${e.name}#${e.property}`;
        const d = desiredT.get(key);
        if (d !== undefined && d.value === e.value) {
          sample('twin_desired_to_register_ms', t - d.t);
          desiredT.delete(key);
        }
        break;
      }
      case 'pod-state':
      case 'status-report':
      case 'twin-write':
      case 'device-read':
      case 'ack':
      case 'delete':
        nodes.add(e.node);
        break;
      default:
        break;
    }
  }

  return {
    entries: history.length,
    lastSeq,
    firstT: first?.t,
    lastT: history[history.length - 1]?.t,
    timeZero,
    endMs: Math.max(0, rel(lastT)),
    ...(scenario !== undefined ? { scenario } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(bounds !== undefined ? { bounds } : {}),
    nodes: nodes.size,
    connected,
    ready,
    connectedMax,
    readyMax,
    connects,
    disconnects,
    restarts,
    cloudSeries: [...cloud.values()].sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0)),
    samples,
    faultWindows: windows,
    latencies: summarize(lat),
  };
}

/** Named end-of-run figures from the stats (for result.json `metrics` and metrics.prom). */
export function historyFigures(stats: HistoryStats): Record<string, number> {
  const out: Record<string, number> = {
    history_entries: stats.entries,
    history_span_ms: stats.endMs,
    edge_nodes_seen: stats.nodes,
    edge_connected_max: stats.connectedMax,
    edge_connected_end: stats.connected[stats.connected.length - 1]?.v ?? 0,
    nodes_ready_max: stats.readyMax,
    nodes_ready_end: stats.ready[stats.ready.length - 1]?.v ?? 0,
    edge_connects_total: stats.connects,
    edge_disconnects_total: stats.disconnects,
    edge_restarts_total: stats.restarts,
  };
  for (const s of stats.cloudSeries) {
    if (s.points.length === 0 || LATENCY_METRICS.has(s.metric)) continue;
    const name = s.metric.replace(/[^a-zA-Z0-9_:]/g, '_');
    const last = s.points[s.points.length - 1]?.v ?? 0;
    // a counter's figure is where it ended; its max is the same number
    if (name.endsWith('_total')) {
      out[name] = last;
      continue;
    }
    out[`${name}_max`] = s.points.reduce((m, p) => (p.v > m ? p.v : m), -Infinity);
    out[`${name}_last`] = last;
    // a rate or a load: what it averaged over the run (samples are evenly spaced)
    if (/_cores$|_per_second$/.test(name)) out[`${name}_mean`] = s.points.reduce((sum, p) => sum + p.v, 0) / s.points.length;
  }
  for (const l of stats.latencies) {
    out[`${l.name}_p50`] = l.p50;
    out[`${l.name}_p90`] = l.p90;
    out[`${l.name}_p99`] = l.p99;
    out[`${l.name}_count`] = l.count;
  }
  return out;
}

/** The cloud memory series to plot: CloudCore RSS first, then any other cloud-wide `…bytes` gauge. */
export function memorySeries(stats: HistoryStats): MetricSeries[] {
  const mem = stats.cloudSeries.filter((s) => s.source === 'cloud' && /bytes/.test(s.metric) && !/_total$|_per_second$/.test(s.metric));
  return mem.sort((a, b) => (a.metric === METRIC_CLOUDCORE_RSS ? -1 : b.metric === METRIC_CLOUDCORE_RSS ? 1 : a.metric < b.metric ? -1 : 1));
}

// ─────────────────────────────────────────── reading a damaged history ───────────────────────────────────────────

export interface LenientRead {
  readonly entries: JournalEntry[];
  readonly tornLastLine: boolean;
  /** Lines skipped: not JSON, not a journal entry, or out of order. */
  readonly skippedLines: number;
  /** The first skipped line, for the warning. */
  readonly firstProblem?: string;
}

/**
 * Read history.jsonl, keeping every valid line and skipping the rest (a report of a damaged run beats none).
 * Streams in 1 MiB chunks. Use sim/evidence readJournal where a damaged history must be refused instead.
 */
export function readHistoryLenient(path: string): LenientRead {
  const entries: JournalEntry[] = [];
  let skipped = 0;
  let firstProblem: string | undefined;
  let lineNo = 0;
  let prevSeq = 0;
  let prevT = -Infinity;
  const take = (text: string, last: boolean): boolean => {
    lineNo++;
    if (text.trim() === '') return true;
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      if (last) return false;
      skipped++;
      firstProblem ??= `line ${lineNo}: not JSON`;
      return true;
    }
    const problem = entryProblem(value);
    const e = value as JournalEntry;
    if (problem !== undefined || e.seq <= prevSeq || e.t < prevT) {
      skipped++;
      firstProblem ??= `line ${lineNo}: ${problem ?? 'out of order'}`;
      return true;
    }
    prevSeq = e.seq;
    prevT = e.t;
    entries.push(e);
    return true;
  };
  const fd = openSync(path, 'r');
  let torn = false;
  try {
    const rest = forEachLine(fd, (line) => void take(line, false));
    if (rest !== '') torn = !take(rest, true);
  } finally {
    closeSync(fd);
  }
  return { entries, tornLastLine: torn, skippedLines: skipped, ...(firstProblem !== undefined ? { firstProblem } : {}) };
}
