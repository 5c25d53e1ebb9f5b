/**
 * A run's figures for machines:
 * - `metrics.prom`: Prometheus text exposition (format 0.0.4) of the end of the run — run identity and status,
 *   one gauge per verdict, the named figures of result.json, and the last value of every sampled metric. Ready for
 *   node_exporter's textfile collector or a Pushgateway.
 * - `metrics.csv`: every metric sample over time (one row each) followed by the end-of-run figures.
 * - `perfdata.json`: clusterloader2 PerfData of the latency-like figures (Perc50/90/99 in ms), for perf dashboards.
 */
import { percentile, type PerfData } from '../sim/bench/proc-stats.ts';
import type { ActionRecord } from '../sim/faults/executor.ts';
import type { HistoryStats, MetricPoint } from './history-stats.ts';
import type { RunResult } from './run-result.ts';

// ─────────────────────────────────────────── Prometheus text ───────────────────────────────────────────

/** A valid Prometheus metric name from any string (invalid characters become `_`). */
export function promName(s: string): string {
  const n = s.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(n) ? n : `_${n}`;
}

/** A label value: backslash, double quote and newline escaped. */
export function promLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const promHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

const promNumber = (v: number): string => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf');

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'untyped';
  readonly samples: { readonly labels: Labels; readonly value: number }[];
}

/** Families in insertion order; each family's samples together (the exposition format requires it). */
class Exposition {
  private readonly families = new Map<string, Family>();
  private readonly series = new Set<string>();

  /** Add a sample; a series (name + labels) already present is not added twice (the first one wins). */
  add(name: string, help: string, labels: Labels, value: number, type: Family['type'] = 'gauge'): void {
    const n = promName(name);
    const key = `${n}${JSON.stringify(Object.entries(labels).map(([k, v]) => [promName(k), v]))}`;
    if (this.series.has(key)) return;
    this.series.add(key);
    let f = this.families.get(n);
    if (f === undefined) this.families.set(n, (f = { help, type, samples: [] }));
    f.samples.push({ labels, value });
  }

  text(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${promHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
      for (const s of f.samples) {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${promName(k)}="${promLabelValue(v)}"`)
          .join(',');
        out.push(`${name}${labels === '' ? '' : `{${labels}}`} ${promNumber(s.value)}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}

const VERDICT_VALUES = ['held', 'violated', 'not-checked'] as const;

/** metrics.prom text of a run. `stats` adds the last value of every sampled metric series. */
export function prometheusText(result: RunResult, stats?: HistoryStats): string {
  const run = { scenario: result.scenario.name, seed: String(result.seed) };
  const x = new Exposition();
  x.add('edgeproof_run_info', 'The run: value is 1; its labels say which scenario, seed, backend and status.', { ...run, backend: result.backend, status: result.status }, 1);
  x.add('edgeproof_run_exit_code', 'Exit code of the run (0 held, 1 violated, 2 bad input, 3 environment, 130 interrupted).', run, result.exitCode);
  x.add('edgeproof_run_duration_seconds', 'Wall time of the run.', run, result.durationMs / 1000);
  x.add('edgeproof_run_start_timestamp_seconds', 'When the run started (Unix time).', run, Date.parse(result.startedAt) / 1000);
  for (const c of result.components) x.add('edgeproof_component_info', 'A real component the run used: value is 1; labels name it and its version.', { ...run, component: c.name, version: c.version }, 1);
  for (const v of result.verdicts) {
    for (const value of VERDICT_VALUES) x.add('edgeproof_guarantee_verdict', 'Verdict of each guarantee: 1 for its verdict, 0 for the others.', { ...run, guarantee: v.id, verdict: value }, v.verdict === value ? 1 : 0);
  }
  for (const v of result.verdicts) x.add('edgeproof_guarantee_checked', 'Cases each guarantee judged.', { ...run, guarantee: v.id }, v.checked);
  for (const v of result.verdicts) x.add('edgeproof_guarantee_violations', 'Cases that violated each guarantee.', { ...run, guarantee: v.id }, v.violations);
  for (const v of result.verdicts) x.add('edgeproof_guarantee_skipped', 'Cases each guarantee saw but could not judge.', { ...run, guarantee: v.id }, v.skipped);
  x.add('edgeproof_faults_planned', 'Fault schedule entries planned.', run, result.faults.planned);
  x.add('edgeproof_faults_ran', 'Fault schedule entries that started.', run, result.faults.ran);
  x.add('edgeproof_faults_errors', 'Fault schedule entries that failed.', run, result.faults.errors);
  x.add('edgeproof_faults_not_run', 'Fault schedule entries that never started.', run, result.faults.notRun);
  for (const [name, value] of Object.entries(result.metrics)) x.add(`edgeproof_${name}`, `Run figure ${name} (see result.json metrics).`, run, value);
  if (stats !== undefined) {
    const last = new Map<string, MetricPoint>();
    const about = (s: MetricPoint): string => `${s.node ?? ''}\u0000${s.link ?? ''}`;
    for (const s of stats.samples) last.set(`${s.metric}\u0000${s.source}\u0000${about(s)}`, s);
    const sorted = [...last.values()].sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : about(a) < about(b) ? -1 : 1));
    for (const s of sorted) {
      x.add(s.metric, `Last sampled value of ${s.metric} in the run's history.`, { ...run, source: s.source, ...(s.node !== undefined ? { node: s.node } : {}), ...(s.link !== undefined ? { link: s.link } : {}) }, s.value);
    }
  }
  return x.text();
}

// ─────────────────────────────────────────── CSV ───────────────────────────────────────────

/** RFC 4180 field. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = 'kind,t_ms,time,source,metric,node,value,link';

/**
 * metrics.csv text: `sample` rows (every journal metric line), then `figure` rows (result.json metrics). `link`
 * (the uplink a sample is about) is the last column so that readers of the older seven columns still work.
 */
export function metricsCsv(result: RunResult, stats?: HistoryStats): string {
  const rows = [CSV_HEADER];
  const iso = (t: number, zero: number): string => {
    const ms = zero + t;
    return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : '';
  };
  if (stats !== undefined) {
    for (const s of stats.samples) {
      rows.push(['sample', String(s.t), iso(s.t, stats.timeZero), s.source, csvField(s.metric), csvField(s.node ?? ''), promNumber(s.value), csvField(s.link ?? '')].join(','));
    }
  }
  const endT = result.durationMs;
  for (const [name, value] of Object.entries(result.metrics)) {
    rows.push(['figure', String(endT), result.endedAt, 'run', csvField(name), '', promNumber(value), ''].join(','));
  }
  return `${rows.join('\n')}\n`;
}

// ─────────────────────────────────────────── PerfData ───────────────────────────────────────────

/** `edge_reconnect_after_heal_ms` → `EdgeReconnectAfterHeal`. */
export function perfMetricName(snake: string): string {
  return snake
    .replace(/_(ms|seconds)$/, '')
    .split(/[^a-zA-Z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

type PerfItem = PerfData['dataItems'][number];

const percs = (sorted: readonly number[]): Record<string, number> => ({ Perc50: percentile(sorted, 50), Perc90: percentile(sorted, 90), Perc99: percentile(sorted, 99) });

/**
 * PerfData of the latency-like figures: the history's latency summaries, every sampled metric named `…_ms` or
 * `…_seconds` (in ms), and, given the executor's records, how long each kind of fault action took.
 */
export function perfData(result: RunResult, stats?: HistoryStats, records?: readonly ActionRecord[]): PerfData {
  const labels = { Scenario: result.scenario.name, Seed: String(result.seed), Backend: result.backend };
  const items: PerfItem[] = [];
  for (const l of stats?.latencies ?? []) {
    items.push({ data: { Perc50: l.p50, Perc90: l.p90, Perc99: l.p99 }, unit: 'ms', labels: { ...labels, Metric: perfMetricName(l.name) } });
  }
  if (stats !== undefined) {
    const byMetric = new Map<string, number[]>();
    const summarised = new Set(stats.latencies.map((l) => l.name));
    for (const s of stats.samples) {
      const m = /_(ms|seconds)$/.exec(s.metric);
      if (m === null || summarised.has(s.metric)) continue;
      let list = byMetric.get(s.metric);
      if (list === undefined) byMetric.set(s.metric, (list = []));
      list.push(m[1] === 'seconds' ? s.value * 1000 : s.value);
    }
    for (const [metric, list] of [...byMetric.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      items.push({ data: percs(list.sort((a, b) => a - b)), unit: 'ms', labels: { ...labels, Metric: perfMetricName(metric) } });
    }
  }
  if (records !== undefined && records.length > 0) {
    const byAction = new Map<string, number[]>();
    for (const r of records) {
      if (r.outcome !== 'ok') continue;
      let list = byAction.get(r.action);
      if (list === undefined) byAction.set(r.action, (list = []));
      list.push(r.endedAt - r.startedAt);
    }
    for (const [action, list] of [...byAction.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      items.push({ data: percs(list.sort((a, b) => a - b)), unit: 'ms', labels: { ...labels, Metric: 'FaultActionDuration', Action: action } });
    }
  }
  return { version: 'v1', dataItems: items };
}
