/**
 * Hand-built inline SVG charts for report.html: a lane chart (fault timeline) and time-series charts (step or
 * line). All share one horizontal layout — the same left margin and width — so their time axes line up when
 * stacked. Series of any length are decimated to about one point per pixel column.
 */
import type { Point } from './history-stats.ts';
import { escapeAttr, escapeText, formatClock } from './text.ts';

export const CHART_WIDTH = 1160;
const LEFT = 150;
const RIGHT = 24;
const PLOT_W = CHART_WIDTH - LEFT - RIGHT;

const fmt = (n: number): string => (Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : '0');

/** Steps of "nice" numbers (1, 2, 5 × 10^k) covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push((ticks[ticks.length - 1] ?? 0) + step);
  return ticks;
}

/** Binary steps for byte axes (… 256 MiB, 512 MiB, 1 GiB …) when the maximum is at least 1 KiB. */
export function byteTicks(max: number, count = 5): number[] {
  if (!Number.isFinite(max) || max < 1024) return niceTicks(max, count);
  const raw = max / count;
  let step = 2 ** Math.ceil(Math.log2(raw));
  if (max / step < 3) step /= 2;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map((s) => s * 1000);

/** Time ticks (ms) for an axis of [0, endMs]: about `count` of them at round times. */
export function timeTicks(endMs: number, count = 10): number[] {
  if (!Number.isFinite(endMs) || endMs <= 0) return [0];
  const step = TIME_STEPS.find((s) => endMs / s <= count) ?? 86_400_000;
  const out: number[] = [];
  for (let t = 0; t <= endMs + 1e-6; t += step) out.push(t);
  return out;
}

export interface TimeAxis {
  /** ms at the right edge (≥ 1). */
  readonly endMs: number;
  /** Where the run was cut short (a partial run): a marked vertical line. */
  readonly cutMs?: number;
}

const xOf = (axis: TimeAxis, t: number): number => LEFT + (Math.min(Math.max(t, 0), axis.endMs) / axis.endMs) * PLOT_W;

function xAxis(axis: TimeAxis, top: number, bottom: number, showLabels: boolean): string {
  const out: string[] = [];
  for (const t of timeTicks(axis.endMs)) {
    const x = fmt(xOf(axis, t));
    out.push(`<line class="grid" x1="${x}" y1="${top}" x2="${x}" y2="${bottom}"/>`);
    if (showLabels) out.push(`<text class="tick" x="${x}" y="${bottom + 14}" text-anchor="middle">${escapeText(formatClock(t))}</text>`);
  }
  out.push(`<line class="axis" x1="${LEFT}" y1="${bottom}" x2="${LEFT + PLOT_W}" y2="${bottom}"/>`);
  return out.join('');
}

/** The line where a partial run was cut short, drawn over everything else. */
function cutMarker(axis: TimeAxis, top: number, bottom: number): string {
  if (axis.cutMs === undefined || !Number.isFinite(axis.cutMs)) return '';
  const x = fmt(xOf(axis, axis.cutMs));
  return `<line class="cut" x1="${x}" y1="${top}" x2="${x}" y2="${bottom}"><title>the run was cut short here</title></line><text class="cutlabel" x="${x}" y="${bottom - 6}" text-anchor="end" dx="-4">cut short</text>`;
}

/** A shaded interval behind a time-series chart (a fault window). */
export interface Band {
  readonly start: number;
  readonly end: number;
  readonly color: string;
  readonly title: string;
}

function bands(axis: TimeAxis, list: readonly Band[], top: number, bottom: number): string {
  return list
    .map((b) => {
      const x1 = xOf(axis, b.start);
      const x2 = Math.max(x1 + 1.5, xOf(axis, b.end));
      return `<rect class="band" x="${fmt(x1)}" y="${top}" width="${fmt(x2 - x1)}" height="${bottom - top}" fill="${escapeAttr(b.color)}"><title>${escapeText(b.title)}</title></rect>`;
    })
    .join('');
}

// ─────────────────────────────────────────── time series ───────────────────────────────────────────

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
  /** step: the value holds until the next point (counts); line: straight lines between samples (gauges). */
  readonly shape: 'step' | 'line';
  readonly dashed?: boolean;
  /** Shade the area under it. */
  readonly fill?: boolean;
}

/** A horizontal reference line (a budget, a total). */
export interface RefLine {
  readonly value: number;
  readonly label: string;
  readonly color: string;
}

export interface SeriesChartOptions {
  readonly title: string;
  readonly axis: TimeAxis;
  readonly series: readonly Series[];
  readonly refLines?: readonly RefLine[];
  readonly bands?: readonly Band[];
  readonly yFormat?: (v: number) => string;
  /** Binary ticks for bytes. */
  readonly bytes?: boolean;
  readonly height?: number;
  /** Shown instead of an empty plot. */
  readonly emptyText?: string;
}

/**
 * Path of a series, at most about one vertex group per half pixel. A step series is drawn as horizontal runs and
 * vertical jumps; points falling in the same column become one vertical stroke from their min to their max.
 */
function seriesPath(s: Series, axis: TimeAxis, y: (v: number) => number): string {
  const pts = s.points;
  const gapMs = s.shape === 'line' ? gapOf(pts) : Infinity;
  const first = pts[0];
  if (first === undefined) return '';
  const parts: string[] = [];
  let colX = Math.round(xOf(axis, first.t) * 2) / 2;
  let min = first.v;
  let max = first.v;
  let last = first.v;
  let inCol = 1;
  parts.push(`M${fmt(colX)} ${fmt(y(first.v))}`);
  const flush = (): void => {
    if (inCol > 1) parts.push(`V${fmt(y(max))}V${fmt(y(min))}V${fmt(y(last))}`);
  };
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i] as Point;
    const x = Math.round(xOf(axis, p.t) * 2) / 2;
    const gap = p.t - (pts[i - 1] as Point).t > gapMs;
    if (x === colX) {
      min = Math.min(min, p.v);
      max = Math.max(max, p.v);
      last = p.v;
      inCol++;
      continue;
    }
    flush();
    if (s.shape === 'step') parts.push(`H${fmt(x)}V${fmt(y(p.v))}`);
    else parts.push(`${gap ? 'M' : 'L'}${fmt(x)} ${fmt(y(p.v))}`);
    colX = x;
    min = max = last = p.v;
    inCol = 1;
  }
  flush();
  if (s.shape === 'step') parts.push(`H${fmt(xOf(axis, axis.endMs))}`);
  return parts.join('');
}

/** A sampled series has a hole where two samples are more than 3× the median interval apart (nothing was sampled). */
function gapOf(pts: readonly Point[]): number {
  if (pts.length < 4) return Infinity;
  const dts: number[] = [];
  for (let i = 1; i < pts.length; i++) dts.push((pts[i] as Point).t - (pts[i - 1] as Point).t);
  dts.sort((a, b) => a - b);
  const median = dts[dts.length >> 1] ?? 0;
  return median > 0 ? 3 * median : Infinity;
}

export function seriesChart(o: SeriesChartOptions): string {
  const height = o.height ?? 220;
  const top = 34;
  const bottom = height - 26;
  const yFormat = o.yFormat ?? ((v: number) => String(v));
  let yMaxData = 0;
  for (const s of o.series) for (const p of s.points) if (p.v > yMaxData) yMaxData = p.v;
  for (const r of o.refLines ?? []) if (r.value > yMaxData) yMaxData = r.value;
  const ticks = o.bytes === true ? byteTicks(yMaxData) : niceTicks(yMaxData);
  const yMax = Math.max(1e-9, ticks[ticks.length - 1] ?? 1);
  const y = (v: number): number => bottom - (Math.max(0, v) / yMax) * (bottom - top);
  const out: string[] = [`<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeAttr(o.title)}" xmlns="http://www.w3.org/2000/svg">`];
  out.push(`<text class="title" x="${LEFT}" y="18">${escapeText(o.title)}</text>`);
  out.push(bands(o.axis, o.bands ?? [], top, bottom));
  out.push(xAxis(o.axis, top, bottom, true));
  for (const v of ticks) {
    const yy = fmt(y(v));
    out.push(`<line class="grid" x1="${LEFT}" y1="${yy}" x2="${LEFT + PLOT_W}" y2="${yy}"/>`);
    out.push(`<text class="tick" x="${LEFT - 8}" y="${yy}" dy="4" text-anchor="end">${escapeText(yFormat(v))}</text>`);
  }
  out.push(`<line class="axis" x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${bottom}"/>`);
  const hasData = o.series.some((s) => s.points.length > 0);
  if (!hasData) {
    out.push(`<text class="empty" x="${LEFT + PLOT_W / 2}" y="${(top + bottom) / 2}" text-anchor="middle">${escapeText(o.emptyText ?? 'no samples in the history')}</text>`);
  }
  for (const r of o.refLines ?? []) {
    const yy = fmt(y(r.value));
    out.push(`<line class="ref" x1="${LEFT}" y1="${yy}" x2="${LEFT + PLOT_W}" y2="${yy}" stroke="${escapeAttr(r.color)}"><title>${escapeText(r.label)}</title></line>`);
    out.push(`<text class="reflabel" x="${LEFT + 6}" y="${yy}" dy="-4" fill="${escapeAttr(r.color)}">${escapeText(r.label)}</text>`);
  }
  for (const s of o.series) {
    const d = seriesPath(s, o.axis, y);
    if (d === '') continue;
    const firstP = s.points[0] as Point;
    if (s.fill === true) out.push(`<path class="area" d="${d}V${fmt(bottom)}H${fmt(xOf(o.axis, firstP.t))}Z" fill="${escapeAttr(s.color)}"/>`);
    out.push(`<path class="line${s.dashed === true ? ' dashed' : ''}" d="${d}" stroke="${escapeAttr(s.color)}"><title>${escapeText(s.name)}</title></path>`);
  }
  // legend, right-aligned above the plot
  let lx = LEFT + PLOT_W;
  const legend: string[] = [];
  for (const s of [...o.series].reverse()) {
    const w = 26 + s.name.length * 6.6;
    lx -= w;
    legend.push(
      `<line class="line${s.dashed === true ? ' dashed' : ''}" x1="${fmt(lx)}" y1="14" x2="${fmt(lx + 16)}" y2="14" stroke="${escapeAttr(s.color)}"/><text class="legend" x="${fmt(lx + 20)}" y="18">${escapeText(s.name)}</text>`,
    );
    lx -= 10;
  }
  out.push(legend.join(''));
  out.push(cutMarker(o.axis, top, bottom));
  out.push('</svg>');
  return out.join('');
}

// ─────────────────────────────────────────── lanes ───────────────────────────────────────────

export interface LaneBar {
  readonly lane: string;
  readonly start: number;
  readonly end: number;
  readonly windowEnd?: number;
  readonly open?: boolean;
  readonly color: string;
  /** solid: it ran; hollow: planned only; failed: it ran and failed; missed: it never ran. */
  readonly style: 'solid' | 'hollow' | 'failed' | 'missed';
  readonly title: string;
}

export interface LaneMarker {
  readonly lane: string;
  readonly t: number;
  readonly color: string;
  readonly title: string;
}

export interface LaneChartOptions {
  readonly title: string;
  readonly axis: TimeAxis;
  readonly lanes: readonly string[];
  readonly bars: readonly LaneBar[];
  readonly markers?: readonly LaneMarker[];
  readonly emptyText?: string;
}

export function laneChart(o: LaneChartOptions): string {
  const laneH = 22;
  const top = 34;
  const lanes = o.lanes.length > 0 ? o.lanes : [''];
  const bottom = top + lanes.length * laneH;
  const height = bottom + 26;
  const laneY = new Map(lanes.map((l, i) => [l, top + i * laneH]));
  const out: string[] = [`<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeAttr(o.title)}" xmlns="http://www.w3.org/2000/svg">`];
  out.push(`<text class="title" x="${LEFT}" y="18">${escapeText(o.title)}</text>`);
  lanes.forEach((l, i) => {
    const y0 = top + i * laneH;
    if (i % 2 === 1) out.push(`<rect class="stripe" x="${LEFT}" y="${y0}" width="${PLOT_W}" height="${laneH}"/>`);
    out.push(`<text class="lane" x="${LEFT - 8}" y="${y0 + laneH / 2}" dy="4" text-anchor="end">${escapeText(l)}</text>`);
  });
  out.push(xAxis(o.axis, top, bottom, true));
  out.push(`<line class="axis" x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${bottom}"/>`);
  if (o.bars.length === 0 && (o.markers ?? []).length === 0) {
    out.push(`<text class="empty" x="${LEFT + PLOT_W / 2}" y="${(top + bottom) / 2}" dy="4" text-anchor="middle">${escapeText(o.emptyText ?? 'no faults')}</text>`);
  }
  for (const b of o.bars) {
    const y0 = laneY.get(b.lane);
    if (y0 === undefined) continue;
    const x1 = xOf(o.axis, b.start);
    const title = `<title>${escapeText(b.title)}</title>`;
    if (b.windowEnd !== undefined) {
      const x2 = Math.max(x1 + 2, xOf(o.axis, b.windowEnd));
      out.push(`<rect class="window${b.open === true ? ' open' : ''}" x="${fmt(x1)}" y="${y0 + 5}" width="${fmt(x2 - x1)}" height="${laneH - 10}" fill="${escapeAttr(b.color)}" stroke="${escapeAttr(b.color)}">${title}</rect>`);
    }
    const x2 = Math.max(x1 + 3, xOf(o.axis, b.end));
    out.push(`<rect class="act ${b.style}" x="${fmt(x1)}" y="${y0 + 3}" width="${fmt(x2 - x1)}" height="${laneH - 6}" fill="${escapeAttr(b.color)}" stroke="${escapeAttr(b.color)}">${title}</rect>`);
  }
  for (const m of o.markers ?? []) {
    const y0 = laneY.get(m.lane);
    if (y0 === undefined) continue;
    const x = xOf(o.axis, m.t);
    const cy = y0 + laneH / 2;
    out.push(`<path class="marker" d="M${fmt(x)} ${fmt(cy - 6)}L${fmt(x + 5)} ${fmt(cy)}L${fmt(x)} ${fmt(cy + 6)}L${fmt(x - 5)} ${fmt(cy)}Z" fill="${escapeAttr(m.color)}"><title>${escapeText(m.title)}</title></path>`);
  }
  out.push(cutMarker(o.axis, top, bottom));
  out.push('</svg>');
  return out.join('');
}

/** The CSS the charts need (report.html inlines it). */
export const CHART_CSS = `
svg.chart { width: 100%; height: auto; display: block; font: 11px system-ui, -apple-system, "Segoe UI", sans-serif; }
svg.chart .title { font-size: 13px; font-weight: 600; fill: #0f172a; }
svg.chart .tick, svg.chart .lane { fill: #475569; }
svg.chart .lane { font-size: 11.5px; }
svg.chart .legend { fill: #334155; }
svg.chart .cut { stroke: #b45309; stroke-width: 1.5; stroke-dasharray: 2 3; }
svg.chart .cutlabel { fill: #b45309; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
svg.chart .grid { stroke: #e2e8f0; stroke-width: 1; }
svg.chart .axis { stroke: #94a3b8; stroke-width: 1; }
svg.chart .stripe { fill: #f8fafc; }
svg.chart .band { opacity: 0.13; }
svg.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg.chart .line.dashed { stroke-dasharray: 5 4; stroke-width: 1.5; }
svg.chart .area { opacity: 0.10; stroke: none; }
svg.chart .ref { stroke-dasharray: 6 4; stroke-width: 1.5; }
svg.chart .reflabel { font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
svg.chart .empty { fill: #94a3b8; font-size: 13px; font-style: italic; }
svg.chart .window { fill-opacity: 0.18; stroke-opacity: 0.45; stroke-width: 1; }
svg.chart .window.open { stroke-dasharray: 4 3; }
svg.chart .act.solid { stroke: none; }
svg.chart .act.hollow { fill-opacity: 0.15; stroke-width: 1.5; }
svg.chart .act.failed { fill: #dc2626; stroke: #7f1d1d; stroke-width: 1.5; }
svg.chart .act.missed { fill: none; stroke: #94a3b8; stroke-dasharray: 3 2; stroke-width: 1.5; }
svg.chart .marker { stroke: #fff; stroke-width: 1; }
`;
