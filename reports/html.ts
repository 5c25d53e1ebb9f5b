/**
 * report.html: one self-contained page (inline CSS and hand-built SVG, no scripts, no external assets) that shows
 * a run the way people want to look at it: what ran and how it ended, the verdict of each guarantee with its
 * evidence, and — on one shared time axis — the faults, the edge nodes connected and Ready, and cloud memory.
 */
import type { Verdict, VerdictValue } from '../sim/evidence/verdict.ts';
import type { ActionRecord } from '../sim/faults/executor.ts';
import type { Schedule } from '../sim/faults/schedule.ts';
import { guaranteeSpecs } from '../sim/scenario/guarantees.ts';
import { CHART_CSS, laneChart, seriesChart, type Band, type LaneBar, type LaneMarker, type RefLine, type Series } from './charts.ts';
import { evidenceLine } from './evidence-text.ts';
import { faultBarsFromSchedule, faultBarsFromWindows, type BarOutcome, type FaultBars } from './fault-bars.ts';
import { historyFigures, memorySeries, type FaultWindow, type HistoryStats, type MetricSeries } from './history-stats.ts';
import type { RunResult, RunStatus } from './run-result.ts';
import { escapeAttr, escapeText, formatBytes, formatClock, formatCount, formatDuration, formatFigure, oneLine } from './text.ts';

export interface HtmlReportInput {
  readonly result: RunResult;
  /** analyzeHistory of history.jsonl (absent: no history could be read; the charts say so). */
  readonly stats?: HistoryStats;
  readonly schedule?: Schedule;
  /** The executor's records (actual times and outcomes of the schedule's entries). */
  readonly records?: readonly ActionRecord[];
  /** Epoch ms of the executor's t = 0 (ExecutionReport.startTime); default: the history's t = 0. */
  readonly executionStartTime?: number;
  /** The run directory as the user named it (shown in the replay command). */
  readonly runDir?: string;
}

const LANE_COLORS: Readonly<Record<string, string>> = {
  partition: '#ea580c',
  heal: '#ea580c',
  degrade: '#ca8a04',
  restore: '#ca8a04',
  'node-offline': '#9333ea',
  'node-online': '#9333ea',
  churn: '#9333ea',
  'stop-edges': '#db2777',
  'start-edges': '#db2777',
  'kill-component': '#dc2626',
  'start-component': '#dc2626',
  'restart-component': '#dc2626',
  kill: '#dc2626',
  'move-vehicles': '#0891b2',
  rollout: '#2563eb',
  'delete-workload': '#2563eb',
  'apply-workload': '#2563eb',
  mark: '#64748b',
  violations: '#dc2626',
};
const laneColor = (lane: string): string => LANE_COLORS[lane] ?? '#64748b';

const STATUS_TEXT: Readonly<Record<RunStatus, string>> = { passed: 'PASSED', failed: 'FAILED', partial: 'PARTIAL', error: 'ERROR' };
const VERDICT_MARK: Readonly<Record<VerdictValue, string>> = { held: '✓', violated: '✗', 'not-checked': '–' };
const VERDICT_TEXT: Readonly<Record<VerdictValue, string>> = { held: 'held', violated: 'violated', 'not-checked': 'not checked' };

const barStyle = (o: BarOutcome): LaneBar['style'] => (o === 'error' ? 'failed' : o === 'not-run' ? 'missed' : o === 'planned' ? 'hollow' : 'solid');

/** Union of overlapping windows per colour, so a thousand small cuts shade as a few bands. */
function mergeBands(list: readonly Band[]): Band[] {
  const byColor = new Map<string, Band[]>();
  for (const b of list) {
    const l = byColor.get(b.color) ?? [];
    l.push(b);
    byColor.set(b.color, l);
  }
  const out: Band[] = [];
  for (const [color, l] of byColor) {
    l.sort((a, b) => a.start - b.start);
    let cur: { start: number; end: number; titles: string[] } | undefined;
    for (const b of l) {
      if (cur !== undefined && b.start <= cur.end) {
        cur.end = Math.max(cur.end, b.end);
        cur.titles.push(b.title);
      } else {
        if (cur !== undefined) out.push({ start: cur.start, end: cur.end, color, title: bandTitle(cur.titles) });
        cur = { start: b.start, end: b.end, titles: [b.title] };
      }
    }
    if (cur !== undefined) out.push({ start: cur.start, end: cur.end, color, title: bandTitle(cur.titles) });
  }
  return out;
}

const bandTitle = (titles: readonly string[]): string => (titles.length <= 4 ? titles.join('\n') : `${titles.slice(0, 3).join('\n')}\n… and ${titles.length - 3} more`);

function windowBands(windows: readonly FaultWindow[], endMs: number): Band[] {
  return windows
    .filter((w) => w.kind !== 'rollout' && (w.end === undefined || w.end > w.start))
    .map((w) => ({ start: w.start, end: w.end ?? endMs, color: laneColor(w.kind), title: `${w.kind} ${w.label} (${w.nodes} nodes): ${formatClock(w.start)}–${formatClock(w.end ?? endMs)}` }));
}

function barBands(bars: FaultBars): Band[] {
  return bars.bars.filter((b) => b.windowEnd !== undefined && b.windowEnd > b.start).map((b) => ({ start: b.start, end: b.windowEnd ?? b.start, color: laneColor(b.lane), title: b.label }));
}

function section(title: string, body: string, id: string): string {
  return `<section id="${escapeAttr(id)}"><h2>${escapeText(title)}</h2>${body}</section>`;
}

function header(input: HtmlReportInput): string {
  const r = input.result;
  const facts: [string, string][] = [
    ['scenario file', r.scenario.file],
    ['seed', String(r.seed)],
    ['backend', r.backend],
    ['started', r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')],
    ['duration', formatDuration(r.durationMs)],
    ['exit code', String(r.exitCode)],
    ['faults', `${formatCount(r.faults.ran)} of ${formatCount(r.faults.planned)} ran${r.faults.errors > 0 ? `, ${formatCount(r.faults.errors)} failed` : ''}${r.faults.notRun > 0 ? `, ${formatCount(r.faults.notRun)} never ran` : ''}`],
  ];
  if (input.stats !== undefined) facts.push(['edge nodes', formatCount(input.stats.nodes)]);
  facts.push(['scenario digest', r.scenario.digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…')]);
  const comps = r.components.map((c) => `<span class="chip"><b>${escapeText(c.name)}</b> ${escapeText(c.version)}</span>`).join('');
  let banner = '';
  if (r.status === 'partial' && r.partial !== undefined) {
    const p = r.partial;
    banner = `<div class="banner partial"><b>This run was cut short (${escapeText(p.reason)}${p.component !== undefined ? `: ${escapeText(p.component)}` : ''}${p.atMs !== undefined ? ` at ${escapeText(formatClock(p.atMs))}` : ''}).</b> ${escapeText(p.note)}${r.error !== undefined ? `<br><code>${escapeText(r.error.code)}</code> ${escapeText(r.error.message)}` : ''}<br>Verdicts judge the history up to the cut; guarantees that could not be judged are marked not checked.</div>`;
  } else if (r.status === 'error' && r.error !== undefined) {
    const e = r.error;
    banner = `<div class="banner error"><b>The run could not be carried out:</b> ${escapeText(e.message)} <code>${escapeText(e.code)}</code>${e.where !== undefined ? `<br>where: <code>${escapeText(e.where)}</code>` : ''}${e.fix !== undefined ? `<br>fix: ${escapeText(e.fix)}` : ''}${e.logFile !== undefined ? `<br>log: <code>${escapeText(e.logFile)}</code>` : ''}</div>`;
  }
  const warn = (r.warnings ?? []).length > 0 ? `<div class="banner warn"><b>Reporting warnings:</b><ul>${(r.warnings ?? []).map((w) => `<li>${escapeText(w)}</li>`).join('')}</ul></div>` : '';
  const hist = input.stats === undefined ? '<div class="banner warn">No history could be read: the charts are empty.</div>' : r.history?.tornLastLine === true ? '<div class="banner warn">The last line of history.jsonl was cut short by a crash and was skipped.</div>' : '';
  return `<header>
<div class="titlebar"><h1>${escapeText(r.scenario.name)}</h1><span class="status ${r.status}">${STATUS_TEXT[r.status]}</span></div>
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${escapeText(k)}</dt><dd>${escapeText(v)}</dd></div>`).join('')}</dl>
${comps !== '' ? `<div class="chips">${comps}</div>` : ''}
${banner}${hist}${warn}
</header>`;
}

function verdictTable(r: RunResult, timeZero: number | undefined): string {
  if (r.verdicts.length === 0) return '<p class="muted">No guarantee was judged.</p>';
  const rows = r.verdicts.map((v: Verdict) => {
    const spec = guaranteeSpecs[v.id] as { summary?: string } | undefined;
    const lines = v.evidence.map((ev) => `<li><code>${escapeText(evidenceLine(ev, timeZero))}</code></li>`).join('');
    const hidden = v.violations - v.evidence.length;
    const more = v.verdict === 'violated' && hidden > 0 ? `<li class="muted">… and ${escapeText(formatCount(hidden))} more violations (the heaviest are shown)</li>` : '';
    const evidence = lines === '' ? '' : `<details${v.verdict === 'violated' ? ' open' : ''}><summary>evidence (${v.evidence.length} ${v.evidence.length === 1 ? 'line' : 'lines'})</summary><ol class="evidence">${lines}${more}</ol></details>`;
    return `<tr class="${v.verdict}" id="g-${escapeAttr(v.id)}">
<td class="mark">${VERDICT_MARK[v.verdict]}</td>
<td class="gid"><b>${escapeText(v.id)}</b>${spec?.summary !== undefined ? `<div class="muted small">${escapeText(spec.summary)}</div>` : ''}</td>
<td class="verdict"><span class="pill ${v.verdict}">${VERDICT_TEXT[v.verdict]}</span></td>
<td class="num">${escapeText(formatCount(v.checked))}</td><td class="num">${escapeText(formatCount(v.violations))}</td><td class="num">${escapeText(formatCount(v.skipped))}</td>
<td class="summary">${escapeText(oneLine(v.summary))}${evidence}</td>
</tr>`;
  });
  const held = r.verdicts.filter((v) => v.verdict === 'held').length;
  const violated = r.verdicts.filter((v) => v.verdict === 'violated').length;
  const skipped = r.verdicts.length - held - violated;
  return `<p class="tally"><span class="pill held">${held} held</span> <span class="pill violated">${violated} violated</span> <span class="pill not-checked">${skipped} not checked</span></p>
<table class="verdicts"><thead><tr><th></th><th>guarantee</th><th>verdict</th><th class="num">checked</th><th class="num">violated</th><th class="num">skipped</th><th>summary and evidence</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function charts(input: HtmlReportInput, timeZero: number | undefined): string {
  const { result, stats, schedule, records } = input;
  const offsetMs = input.executionStartTime !== undefined && stats !== undefined ? input.executionStartTime - stats.timeZero : 0;
  const lastRecord = (records ?? []).reduce((m, rec) => Math.max(m, rec.endedAt + offsetMs), 0);
  const cutMs = result.status === 'partial' ? (result.partial?.atMs ?? stats?.endMs) : undefined;
  const endMs = Math.max(1000, stats?.endMs ?? 0, schedule?.durationMs ?? 0, lastRecord, cutMs ?? 0);
  const axis = { endMs, ...(cutMs !== undefined ? { cutMs } : {}) };
  const bars: FaultBars =
    schedule !== undefined
      ? faultBarsFromSchedule(schedule.entries, { ...(records !== undefined ? { records } : {}), offsetMs, endMs })
      : stats !== undefined
        ? faultBarsFromWindows(stats.faultWindows, endMs)
        : { lanes: [], bars: [] };
  const markers: LaneMarker[] = [];
  if (timeZero !== undefined) {
    for (const v of result.verdicts) {
      if (v.verdict !== 'violated') continue;
      for (const ev of v.evidence) {
        if (ev.t === undefined) continue;
        markers.push({ lane: 'violations', t: ev.t - timeZero, color: laneColor('violations'), title: `${v.id}: ${evidenceLine(ev, timeZero)}` });
      }
    }
  }
  const lanes = markers.length > 0 ? [...bars.lanes, 'violations'] : bars.lanes;
  const laneBars: LaneBar[] = bars.bars.map((b) => ({
    lane: b.lane,
    start: b.start,
    end: b.end,
    ...(b.windowEnd !== undefined ? { windowEnd: b.windowEnd } : {}),
    open: b.open,
    color: laneColor(b.lane),
    style: barStyle(b.outcome),
    title: b.label,
  }));
  const faultSource = schedule !== undefined ? (records !== undefined ? 'schedule.json with what the executor recorded' : 'schedule.json (the plan: no execution records)') : 'the fault lines of history.jsonl (no schedule was available)';
  const timeline = laneChart({ title: 'Faults over time', axis, lanes, bars: laneBars, markers, emptyText: 'no faults in this run' });

  const bands = mergeBands(stats !== undefined && stats.faultWindows.length > 0 ? windowBands(stats.faultWindows, endMs) : barBands(bars));
  const nodeSeries: Series[] = [];
  const refs: RefLine[] = [];
  if (stats !== undefined) {
    nodeSeries.push({ name: 'connected to CloudCore', color: '#2563eb', points: stats.connected, shape: 'step', fill: true });
    nodeSeries.push({ name: 'Ready in the cloud', color: '#16a34a', points: stats.ready, shape: 'step' });
    if (stats.nodes > 0) refs.push({ value: stats.nodes, label: `${formatCount(stats.nodes)} nodes`, color: '#64748b' });
  }
  const nodesChart = seriesChart({ title: 'Edge nodes', axis, series: nodeSeries, refLines: refs, bands, yFormat: formatCount, emptyText: 'no connect or node-ready lines in the history' });

  const palette = ['#7c3aed', '#0891b2', '#db2777', '#ca8a04', '#475569'];
  const mem = stats !== undefined ? memorySeries(stats) : [];
  const memSeries: Series[] = mem.map((s, i) => ({ name: s.metric, color: palette[i % palette.length] ?? '#475569', points: s.points, shape: 'line' }));
  const budget = stats?.bounds?.storm.rssBudgetBytes;
  const memRefs: RefLine[] = budget !== undefined ? [{ value: budget, label: `budget ${formatBytes(budget)}`, color: '#dc2626' }] : [];
  const memChart = seriesChart({ title: 'Cloud memory', axis, series: memSeries, refLines: memRefs, bands, yFormat: formatBytes, bytes: true, emptyText: 'no cloud memory samples (metric lines) in the history' });

  // series that share a unit share a chart: cloud CPU, link throughput, API latency
  const cloudSeries = stats?.cloudSeries ?? [];
  const groups: { title: string; series: MetricSeries[]; yFormat: (v: number) => string; bytes?: true }[] = [
    { title: 'Cloud CPU (cores)', series: cloudSeries.filter((s) => s.source === 'cloud' && /_cpu_cores$/.test(s.metric)), yFormat: (v) => formatCount(v) },
    { title: 'Link throughput, all uplinks (edge ends)', series: cloudSeries.filter((s) => /_bytes_per_second$/.test(s.metric)), yFormat: (v) => `${formatBytes(v)}/s`, bytes: true },
    { title: 'Kube API latency', series: cloudSeries.filter((s) => s.source === 'cloud' && /^kube_api_.*_ms$/.test(s.metric)), yFormat: formatDuration },
  ];
  const groupCharts = groups
    .filter((g) => g.series.length > 0)
    .map((g) =>
      seriesChart({
        title: g.title,
        axis,
        series: g.series.map((s, i) => ({ name: s.metric, color: palette[i % palette.length] ?? '#475569', points: s.points, shape: 'line' })),
        bands,
        yFormat: g.yFormat,
        ...(g.bytes === true ? { bytes: true } : {}),
      }),
    );
  const charted = new Set([...mem, ...groups.flatMap((g) => g.series)]);
  // counters only ever rise: their rates are what is worth a chart
  const others = cloudSeries.filter((s) => !charted.has(s) && !/_total$/.test(s.metric)).slice(0, 6);
  const otherCharts = others.map((s, i) =>
    seriesChart({
      title: `${s.metric} (${s.source})`,
      axis,
      series: [{ name: s.metric, color: palette[(i + 1) % palette.length] ?? '#475569', points: s.points, shape: 'line' }],
      bands,
      yFormat: (v) => formatFigure(s.metric, v),
      height: 170,
    }),
  );
  const legend = `<p class="caption">One time axis for all charts (t = 0 is the start of the fault schedule). Faults: a solid mark is the action itself, the light bar behind it how long the fault it opened lasted (dashed: still open at the end); red marks failed, dotted never ran; ◆ marks the evidence of violations. Shaded bands in the charts below are the fault windows. Hover for details. Fault source: ${escapeText(faultSource)}.</p>`;
  return `${legend}${[timeline, nodesChart, memChart, ...groupCharts, ...otherCharts].map((c) => `<div class="chartbox">${c}</div>`).join('')}`;
}

function figures(input: HtmlReportInput): string {
  const { result, stats } = input;
  const parts: string[] = [];
  const lat = stats?.latencies ?? [];
  if (lat.length > 0) {
    parts.push(`<h3>Latencies</h3><table class="figures"><thead><tr><th>what</th><th class="num">samples</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th></tr></thead><tbody>${lat
      .map(
        (l) =>
          `<tr><td><b>${escapeText(l.name)}</b><div class="muted small">${escapeText(l.description)}</div></td><td class="num">${escapeText(formatCount(l.count))}</td><td class="num">${escapeText(formatDuration(l.p50))}</td><td class="num">${escapeText(formatDuration(l.p90))}</td><td class="num">${escapeText(formatDuration(l.p99))}</td><td class="num">${escapeText(formatDuration(l.max))}</td></tr>`,
      )
      .join('')}</tbody></table>`);
  }
  const all: Record<string, number> = { ...(stats !== undefined ? historyFigures(stats) : {}), ...result.metrics };
  const metrics = Object.entries(all)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .filter(([k]) => !/_p(50|90|99)$|_count$/.test(k) || !lat.some((l) => k.startsWith(l.name)));
  if (metrics.length > 0) {
    parts.push(`<h3>Figures</h3><div class="metricgrid">${metrics
      .map(([k, v]) => `<div class="metric"><div class="mname">${escapeText(k)}</div><div class="mvalue">${escapeText(formatFigure(k, v))}</div></div>`)
      .join('')}</div>`);
  }
  const failed = (input.records ?? []).filter((r) => r.outcome !== 'ok');
  if (failed.length > 0) {
    parts.push(`<h3>Fault actions that did not complete</h3><table class="figures"><thead><tr><th>at</th><th>action</th><th>outcome</th><th>error</th></tr></thead><tbody>${failed
      .slice(0, 50)
      .map((r) => `<tr><td>${escapeText(formatClock(r.startedAt))}</td><td>${escapeText(`${r.action} ×${r.targets.length} (${r.source})`)}</td><td>${escapeText(r.outcome)}</td><td>${escapeText(r.error?.message ?? '')}</td></tr>`)
      .join('')}</tbody></table>${failed.length > 50 ? `<p class="muted">… and ${failed.length - 50} more in history.jsonl</p>` : ''}`);
  }
  return parts.length > 0 ? parts.join('') : '<p class="muted">No figures were recorded.</p>';
}

function footer(r: RunResult, runDir: string | undefined): string {
  const f = r.files;
  const candidates: [string | undefined, string][] = [
      ['result.json', 'result.json'],
      [f.junit, 'JUnit XML'],
      [f.history, 'history'],
      [f.metrics, 'Prometheus metrics'],
      [f.metricsCsv, 'metrics CSV'],
      [f.perfdata, 'PerfData'],
      [f.schedule, 'fault schedule'],
      [f.scenario, 'scenario'],
  ];
  const links = candidates
    .filter((x): x is [string, string] => x[0] !== undefined)
    .map(([href, label]) => `<a href="${escapeAttr(href)}">${escapeText(label)}</a>`)
    .join(' · ');
  const replay = runDir !== undefined ? `edgeproof replay ${runDir}` : r.replay;
  return `<footer><div>${links}</div>${replay !== undefined ? `<div>replay: <code>${escapeText(replay)}</code></div>` : ''}<div class="muted">${escapeText(`${r.format}${r.edgeproofVersion !== undefined ? ` · edgeproof ${r.edgeproofVersion}` : ''} · ended ${r.endedAt}`)}</div></footer>`;
}

const PAGE_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f5f9; color: #0f172a; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 40px; }
header, section { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 18px 22px; margin-bottom: 18px; }
h1 { font-size: 24px; margin: 0; }
h2 { font-size: 17px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 18px 0 8px; color: #334155; }
.titlebar { display: flex; align-items: center; gap: 14px; margin-bottom: 12px; }
.status { font-weight: 700; letter-spacing: .06em; padding: 3px 12px; border-radius: 999px; color: #fff; font-size: 13px; }
.status.passed { background: #16a34a; } .status.failed { background: #dc2626; } .status.partial { background: #d97706; } .status.error { background: #7f1d1d; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 6px 18px; margin: 0 0 10px; }
dl.facts div { min-width: 0; } dt { color: #64748b; font-size: 12px; } dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
.chip { background: #f1f5f9; border: 1px solid #e2e8f0; border-radius: 6px; padding: 2px 8px; font-size: 12.5px; }
.banner { margin-top: 12px; padding: 10px 14px; border-radius: 8px; border: 1px solid; }
.banner.partial { background: #fffbeb; border-color: #fcd34d; } .banner.error { background: #fef2f2; border-color: #fca5a5; } .banner.warn { background: #f8fafc; border-color: #cbd5e1; }
.banner ul { margin: 4px 0 0 18px; padding: 0; }
.tally { margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 12px; color: #64748b; font-weight: 600; border-bottom: 1px solid #e2e8f0; padding: 6px 8px; }
td { padding: 8px; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.verdicts tr.held td.mark { color: #16a34a; } table.verdicts tr.violated td.mark { color: #dc2626; } table.verdicts tr.not-checked td.mark { color: #94a3b8; }
table.verdicts td.mark { font-size: 18px; font-weight: 700; width: 26px; text-align: center; }
table.verdicts tr.held { background: #f0fdf4; } table.verdicts tr.violated { background: #fef2f2; } table.verdicts tr.not-checked { background: #f8fafc; }
table.verdicts td.gid { width: 300px; } table.verdicts td.verdict { width: 100px; }
.pill { display: inline-block; white-space: nowrap; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600; }
.pill.held { background: #dcfce7; color: #166534; } .pill.violated { background: #fee2e2; color: #991b1b; } .pill.not-checked { background: #e2e8f0; color: #475569; }
details { margin-top: 6px; } summary { cursor: pointer; color: #475569; font-size: 12.5px; }
ol.evidence { margin: 6px 0 0; padding-left: 22px; font-size: 12px; } ol.evidence li { margin: 2px 0; overflow-wrap: anywhere; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f5f9; padding: 0 3px; border-radius: 3px; }
ol.evidence code { background: none; padding: 0; }
.muted { color: #64748b; } .small { font-size: 12px; }
.caption { color: #475569; font-size: 12.5px; margin: 0 0 10px; }
.chartbox { border-top: 1px solid #f1f5f9; padding-top: 8px; margin-top: 8px; }
.metricgrid { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 8px; }
.metric { border: 1px solid #e2e8f0; border-radius: 8px; padding: 6px 10px; }
.mname { font-size: 11.5px; color: #64748b; overflow-wrap: anywhere; } .mvalue { font-size: 16px; font-weight: 600; font-variant-numeric: tabular-nums; }
footer { color: #334155; font-size: 12.5px; padding: 0 4px; display: grid; gap: 4px; }
footer a { color: #2563eb; }
${CHART_CSS}`;

/** The report.html text of a run. */
export function buildHtmlReport(input: HtmlReportInput): string {
  const r = input.result;
  const tz = input.stats?.timeZero ?? Date.parse(r.startedAt);
  const timeZero = Number.isFinite(tz) ? tz : undefined;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeText(`edgeproof · ${r.scenario.name} · ${STATUS_TEXT[r.status]}`)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
${header(input)}
${section('Guarantees', verdictTable(r, timeZero), 'guarantees')}
${section('Timeline', charts(input, timeZero), 'timeline')}
${section('Figures', figures(input), 'figures')}
${footer(r, input.runDir)}
</main>
</body>
</html>
`;
}
