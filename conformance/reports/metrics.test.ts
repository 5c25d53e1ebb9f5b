/**
 * metrics.prom (Prometheus text exposition 0.0.4), metrics.csv and perfdata.json (clusterloader2 PerfData), and
 * the history analysis behind them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cloud, edge, fault, HistoryBuilder } from '../../sim/evidence/history-builder.ts';
import { analyzeHistory, historyFigures, readHistoryLenient } from '../../reports/history-stats.ts';
import { CSV_HEADER, metricsCsv, perfData, perfMetricName, prometheusText, promName } from '../../reports/metrics.ts';
import { buildRunResult } from '../../reports/run-result.ts';
import { sampleIdentity, sampleRun } from './sample-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeproof-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A strict reader of the text format: HELP/TYPE before a family's samples, families contiguous, valid lines. */
function parseProm(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const typed = new Set<string>();
  const done = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      const name = meta[2] as string;
      if (meta[1] === 'TYPE') {
        expect(['gauge', 'counter', 'untyped', 'summary', 'histogram']).toContain(meta[3]);
        expect(typed.has(name), `TYPE twice for ${name}`).toBe(false);
        typed.add(name);
      }
      if (current !== undefined && current !== name) done.add(current);
      expect(done.has(name), `family ${name} not contiguous`).toBe(false);
      current = name;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `bad sample line: ${line}`).not.toBeNull();
    const name = (m as RegExpExecArray)[1] as string;
    expect(name, 'sample outside its family').toBe(current);
    const labels: Record<string, string> = {};
    const body = (m as RegExpExecArray)[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y;
    let at = 0;
    while (at < body.length) {
      re.lastIndex = at;
      const l = re.exec(body);
      expect(l, `bad labels: ${body.slice(at)}`).not.toBeNull();
      const lv = (l as RegExpExecArray)[2] as string;
      labels[(l as RegExpExecArray)[1] as string] = lv.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
      at = re.lastIndex;
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    expect(seen.has(key), `duplicate series ${key}`).toBe(false);
    seen.add(key);
    const raw = (m as RegExpExecArray)[3] as string;
    expect(raw).toMatch(/^(-?[0-9.]+(e[+-]?[0-9]+)?|[+-]Inf|NaN)$/);
    samples.push({ name, labels, value: Number(raw) });
  }
  return samples;
}

/** RFC 4180 reader. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

describe('analyzeHistory', () => {
  it('counts connected and Ready nodes over time and measures reconnects after a heal', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.start('a', 'boot'));
    h.add(0, edge.start('b', 'boot'));
    h.add(100, edge.connect('a'));
    h.add(150, edge.connect('b'));
    h.add(300, cloud.ready('a'));
    h.add(400, cloud.ready('b'));
    h.add(1000, fault.partition('cut', ['a']));
    h.add(1200, edge.disconnect('a'));
    h.add(2000, cloud.ready('a', 'Unknown'));
    h.add(3000, fault.heal('cut'));
    h.add(3500, edge.connect('a'));
    h.add(4000, cloud.ready('a'));
    h.add(5000, cloud.rss(100));
    h.add(6000, cloud.rss(300));
    const s = analyzeHistory(h.entries, { timeZero: 0 });
    expect(s.connected).toEqual([
      { t: 100, v: 1 },
      { t: 150, v: 2 },
      { t: 1200, v: 1 },
      { t: 3500, v: 2 },
    ]);
    expect(s.ready.map((p) => p.v)).toEqual([1, 2, 1, 2]);
    expect(s.faultWindows).toEqual([{ kind: 'partition', label: 'cut', start: 1000, end: 3000, nodes: 1 }]);
    const lat = new Map(s.latencies.map((l) => [l.name, l]));
    expect(lat.get('edge_reconnect_after_heal_ms')).toMatchObject({ count: 1, p50: 500, p99: 500 });
    expect(lat.get('node_ready_after_heal_ms')).toMatchObject({ count: 1, p50: 1000 });
    expect(lat.get('node_boot_to_ready_ms')).toMatchObject({ count: 2, max: 400 });
    expect(lat.get('edge_offline_ms')).toMatchObject({ count: 1, p50: 2300 });
    const f = historyFigures(s);
    expect(f).toMatchObject({ edge_nodes_seen: 2, edge_connected_max: 2, nodes_ready_end: 2, cloudcore_rss_bytes_max: 300, cloudcore_rss_bytes_last: 300, edge_reconnect_after_heal_ms_p99: 500 });
  });

  it('summarises what the run sampler journals: latencies as percentiles, counters by their end, loads by their mean', () => {
    const h = new HistoryBuilder();
    const metric = (metric: string, value: number, link?: string): Parameters<HistoryBuilder['add']>[1] => ({ source: metric.startsWith('link_') ? 'edge' : 'cloud', op: 'metric', metric, value, ...(link !== undefined ? { link } : {}) });
    // 100 probes of 1..100 ms: p50 is the 50th, p99 the 99th
    for (let i = 1; i <= 100; i++) h.add(i * 10, metric('kube_api_probe_ms', 101 - i));
    h.add(2000, metric('kube_api_write_ms', 40));
    h.add(2001, metric('cloudcore_cpu_cores', 0.5));
    h.add(2002, metric('cloudcore_cpu_cores', 1.5));
    h.add(2003, metric('cloudcore_cpu_cores', 0.1));
    h.add(2004, metric('link_up_bytes_total', 1000));
    h.add(2005, metric('link_up_bytes_total', 4000));
    h.add(2006, metric('link_up_bytes_total', 999_999, 'uplink-a'));
    h.add(2007, metric('link_up_bytes_per_second', 600));
    h.add(2008, metric('link_up_bytes_per_second', 200));
    const s = analyzeHistory(h.entries, { timeZero: 0 });
    const lat = new Map(s.latencies.map((l) => [l.name, l]));
    expect(lat.get('kube_api_probe_ms')).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(lat.get('kube_api_write_ms')).toMatchObject({ count: 1, p99: 40 });
    // a per-link sample is not part of the fleet-wide series
    expect(s.cloudSeries.find((x) => x.metric === 'link_up_bytes_total')?.points.map((p) => p.v)).toEqual([1000, 4000]);
    expect(s.samples.filter((x) => x.link === 'uplink-a')).toHaveLength(1);
    const f = historyFigures(s);
    expect(f).toMatchObject({
      kube_api_probe_ms_p50: 50,
      kube_api_probe_ms_p99: 99,
      kube_api_probe_ms_count: 100,
      cloudcore_cpu_cores_max: 1.5,
      link_up_bytes_total: 4000,
      link_up_bytes_per_second_max: 600,
      link_up_bytes_per_second_mean: 400,
    });
    expect(f['cloudcore_cpu_cores_mean']).toBeCloseTo(0.7, 10);
    expect(Object.keys(f).filter((k) => /^kube_api_probe_ms_(max|last)$|^link_up_bytes_total_/.test(k))).toEqual([]);
  });

  it('an empty history gives zeros, not NaN', () => {
    const s = analyzeHistory([]);
    for (const [k, v] of Object.entries(historyFigures(s))) expect(Number.isFinite(v), k).toBe(true);
  });

  it('reads a damaged history leniently: a torn last line and a bad middle line are skipped and counted', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('a'));
    h.add(5, edge.connect('b'));
    h.add(9, edge.disconnect('a'));
    const lines = h.entries.map((e) => JSON.stringify(e));
    const p = join(dir, 'damaged.jsonl');
    writeFileSync(p, `${lines[0] ?? ''}\n{"seq":2,"t":3,"source":"edge","op":"teleport","node":"a"}\n${lines[1] ?? ''}\n${lines[2] ?? ''}\n{"seq":4,"t":1`);
    const r = readHistoryLenient(p);
    expect(r.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(r.tornLastLine).toBe(true);
    expect(r.skippedLines).toBe(1);
    expect(r.firstProblem).toMatch(/line 2: unknown op/);
  });
});

describe('metrics.prom', () => {
  const s = sampleRun();
  const stats = analyzeHistory(s.history, { timeZero: s.execution.startTime });

  it('is valid text exposition with the run, its verdicts, figures and the last sampled values', () => {
    const samples = parseProm(prometheusText(s.result, stats));
    const get = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
    expect(get('edgeproof_run_info', { status: 'failed', scenario: 'sample-storm', seed: '7' })).toBe(1);
    expect(get('edgeproof_run_exit_code')).toBe(1);
    expect(get('edgeproof_guarantee_verdict', { guarantee: 'storm.recover', verdict: 'violated' })).toBe(1);
    expect(get('edgeproof_guarantee_verdict', { guarantee: 'storm.recover', verdict: 'held' })).toBe(0);
    expect(get('edgeproof_guarantee_violations', { guarantee: 'storm.recover' })).toBe(4);
    expect(get('edgeproof_component_info', { component: 'cloudcore', version: 'v1.18.1' })).toBe(1);
    expect(get('edgeproof_faults_errors')).toBe(1);
    expect(get('edgeproof_edge_nodes')).toBe(72);
    const lastRss = [...stats.samples].reverse().find((x) => x.metric === 'cloudcore_rss_bytes')?.value;
    expect(get('cloudcore_rss_bytes', { source: 'cloud' })).toBe(lastRss);
    // the fleet-wide total and each link's are separate series, told apart by the link label
    const lastOf = (link: string | undefined): number | undefined => [...stats.samples].reverse().find((x) => x.metric === 'link_down_bytes_total' && x.link === link)?.value;
    const fleet = samples.find((x) => x.name === 'link_down_bytes_total' && x.labels['link'] === undefined);
    expect(fleet?.value).toBe(lastOf(undefined));
    expect(get('link_down_bytes_total', { link: 'uplink-p01-s002' })).toBe(lastOf('uplink-p01-s002'));
    expect(lastOf('uplink-p01-s002')).toBeLessThan(lastOf(undefined) as number);
  });

  it('escapes label values and sanitises names', () => {
    const h = new HistoryBuilder();
    h.add(0, { source: 'edge', op: 'metric', metric: 'pod-start.ms', value: 12, node: 'we"ird\\node\nx' });
    const r = buildRunResult({ ...sampleIdentity(), scenario: { name: 'a"b', file: 'f', digest: `sha256:${'0'.repeat(64)}` } }, { verdicts: [] });
    const samples = parseProm(prometheusText(r, analyzeHistory(h.entries)));
    const m = samples.find((x) => x.name === 'pod_start_ms');
    expect(m?.labels).toMatchObject({ node: 'we"ird\\node\nx', scenario: 'a"b' });
    expect(promName('9lives')).toBe('_9lives');
  });

  it('never writes a series twice, whatever the figures are called', () => {
    const r = buildRunResult(sampleIdentity(), { verdicts: [], metrics: { faults_planned: 3, run_info: 2 } });
    parseProm(prometheusText(r));
  });
});

describe('metrics.csv', () => {
  it('has one row per sample then the figures, quoted where needed', () => {
    const h = new HistoryBuilder();
    h.add(1000, cloud.rss(5));
    h.add(2000, { source: 'edge', op: 'metric', metric: 'queue_len', value: 3, node: 'n,"1"' });
    h.add(3000, { source: 'edge', op: 'metric', metric: 'link_down_bytes_total', value: 77, link: 'up,"s1"' });
    const r = buildRunResult(sampleIdentity(), { verdicts: [], metrics: { x_total: 2 } });
    const rows = parseCsv(metricsCsv(r, analyzeHistory(h.entries, { timeZero: 0 })));
    expect(rows[0]?.join(',')).toBe(CSV_HEADER);
    expect(rows[1]).toEqual(['sample', '1000', '1970-01-01T00:00:01.000Z', 'cloud', 'cloudcore_rss_bytes', '', '5', '']);
    expect(rows[2]).toEqual(['sample', '2000', '1970-01-01T00:00:02.000Z', 'edge', 'queue_len', 'n,"1"', '3', '']);
    expect(rows[3]).toEqual(['sample', '3000', '1970-01-01T00:00:03.000Z', 'edge', 'link_down_bytes_total', '', '77', 'up,"s1"']);
    expect(rows[4]?.[0]).toBe('figure');
    expect(rows[4]?.slice(4)).toEqual(['x_total', '', '2', '']);
    expect(rows.every((row) => row.length === 8)).toBe(true);
  });
});

describe('perfdata.json', () => {
  it('has the clusterloader2 shape: version v1, Perc50/90/99 in ms, string labels', () => {
    const s = sampleRun();
    const stats = analyzeHistory(s.history, { timeZero: s.execution.startTime });
    const perf = JSON.parse(JSON.stringify(perfData(s.result, stats, s.execution.records))) as { version: string; dataItems: { data: Record<string, unknown>; unit: string; labels: Record<string, unknown> }[] };
    expect(perf.version).toBe('v1');
    expect(perf.dataItems.length).toBeGreaterThan(5);
    for (const item of perf.dataItems) {
      expect(Object.keys(item.data).sort()).toEqual(['Perc50', 'Perc90', 'Perc99']);
      for (const v of Object.values(item.data)) expect(Number.isFinite(v)).toBe(true);
      expect(item.data['Perc50'] as number).toBeLessThanOrEqual(item.data['Perc99'] as number);
      expect(item.unit).toBe('ms');
      for (const v of Object.values(item.labels)) expect(typeof v).toBe('string');
      expect(item.labels['Metric']).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    }
    const metrics = perf.dataItems.map((d) => d.labels['Metric']);
    expect(metrics).toEqual(expect.arrayContaining(['EdgeReconnectAfterHeal', 'NodeReadyAfterHeal', 'SyncApplyLag', 'DeviceAnswer', 'CloudApiMutatingP99', 'FaultActionDuration', 'KubeApiProbe']));
    // a sampled latency that is also a history latency is one item, not two
    expect(metrics.filter((m) => m === 'KubeApiProbe')).toHaveLength(1);
    expect(perf.dataItems.find((d) => d.labels['Action'] === 'start-component')?.data['Perc50']).toBe(4200);
    expect(perfMetricName('node_boot_to_ready_ms')).toBe('NodeBootToReady');
  });
});
