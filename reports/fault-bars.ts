/**
 * The fault timeline as bars: one lane per action kind, one bar per schedule entry — from when it started to
 * when it ended, and, for an action that opens a fault (partition, degrade, node-offline, stop-edges,
 * kill-component), a lighter window on to the action that closes it for all its targets. Without a schedule
 * (a run cut short before it was written) the bars come from the journal's fault lines instead.
 */
import type { ActionRecord } from '../sim/faults/executor.ts';
import type { ScheduleActionName, ScheduleEntry } from '../sim/faults/schedule.ts';
import type { FaultWindow } from './history-stats.ts';
import { formatClock, formatDuration } from './text.ts';

export type BarOutcome = 'ok' | 'error' | 'interrupted' | 'not-run' | 'planned';

export interface FaultBar {
  readonly lane: string;
  /** ms from t = 0: when it started (planned time when it never ran). */
  readonly start: number;
  readonly end: number;
  /** Until when the fault it opened lasted (an opener only). */
  readonly windowEnd?: number;
  /** The fault was still open when the run ended. */
  readonly open: boolean;
  readonly outcome: BarOutcome;
  /** One line for a tooltip. */
  readonly label: string;
}

export interface FaultBars {
  /** Lanes in the order to draw them. */
  readonly lanes: readonly string[];
  readonly bars: readonly FaultBar[];
}

/** Opener → closer. */
const closers: Partial<Record<ScheduleActionName, ScheduleActionName>> = {
  partition: 'heal',
  degrade: 'restore',
  'node-offline': 'node-online',
  'stop-edges': 'start-edges',
  'kill-component': 'start-component',
};

const laneOrder: readonly string[] = [
  'partition',
  'heal',
  'degrade',
  'restore',
  'node-offline',
  'node-online',
  'stop-edges',
  'start-edges',
  'kill-component',
  'start-component',
  'restart-component',
  'move-vehicles',
  'rollout',
  'delete-workload',
  'apply-workload',
  'mark',
  'set-desired',
];

function unitOf(action: ScheduleActionName): string {
  switch (action) {
    case 'partition':
    case 'heal':
    case 'degrade':
    case 'restore':
      return 'link';
    case 'move-vehicles':
      return 'vehicle';
    case 'kill-component':
    case 'start-component':
    case 'restart-component':
      return 'component';
    case 'rollout':
    case 'delete-workload':
    case 'apply-workload':
      return 'object';
    case 'mark':
      return 'target';
    case 'set-desired':
      return 'device';
    case 'node-offline':
    case 'node-online':
    case 'stop-edges':
    case 'start-edges':
      return 'node';
  }
}

/** `partition 3 links (uplink-p01-s001, …) — timeline[2]` */
export function describeEntry(e: ScheduleEntry): string {
  const n = e.targets.length;
  const shown = n === 0 ? '' : n <= 3 ? ` (${e.targets.join(', ')})` : ` (${e.targets.slice(0, 2).join(', ')}, … ${n - 2} more)`;
  let params = '';
  switch (e.action) {
    case 'partition':
      params = ` mode ${e.params.mode}`;
      break;
    case 'degrade':
    case 'restore':
      params = ` → ${e.params.profile}`;
      break;
    case 'move-vehicles':
      params = ` → cell ${e.params.cell} (${e.params.profile})`;
      break;
    case 'node-offline':
    case 'node-online':
      params = ` mode ${e.params.mode}`;
      break;
    case 'rollout':
      params = ` ${e.params.workload} → ${e.params.image.name}`;
      break;
    case 'delete-workload':
    case 'apply-workload':
      params = ` ${e.params.workload}`;
      break;
    case 'mark':
      params = ` "${e.params.label}"`;
      break;
    case 'start-edges':
      params = e.params.offline ? ' offline' : '';
      break;
    case 'set-desired':
      params = ` ${e.params.property} = ${e.params.value}`;
      break;
    case 'heal':
    case 'stop-edges':
    case 'kill-component':
    case 'start-component':
    case 'restart-component':
      break;
  }
  const what = e.action === 'mark' ? '' : ` ${n} ${unitOf(e.action)}${n === 1 ? '' : 's'}${shown}`;
  return `${e.action}${what}${params} — ${e.source}`;
}

function firstAtOrAfter(sorted: readonly number[], t: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < t) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}

/**
 * Bars of a schedule. `records` (the executor's) give actual times and outcomes; without them the bars are
 * the plan. `offsetMs` shifts schedule time onto the report's axis (executor startTime − report t = 0).
 */
export function faultBarsFromSchedule(
  entries: readonly ScheduleEntry[],
  opts: { readonly records?: readonly ActionRecord[]; readonly offsetMs?: number; readonly endMs: number },
): FaultBars {
  const off = opts.offsetMs ?? 0;
  const bySeq = new Map<number, ActionRecord>();
  for (const r of opts.records ?? []) bySeq.set(r.seq, r);
  const haveRecords = opts.records !== undefined;
  const timing = entries.map((e) => {
    const r = bySeq.get(e.seq);
    const outcome: BarOutcome = r !== undefined ? r.outcome : haveRecords ? 'not-run' : 'planned';
    const start = (r?.startedAt ?? e.at) + off;
    const end = (r?.endedAt ?? r?.startedAt ?? e.at) + off;
    return { e, r, outcome, start, end: Math.max(start, end) };
  });
  // where each target of each closer kind is closed (only closers that did run, or the plan without records)
  const closedAt = new Map<string, Map<string, number[]>>();
  for (const { e, outcome, start } of timing) {
    if (!Object.values(closers).includes(e.action) || outcome === 'not-run' || outcome === 'error') continue;
    let byTarget = closedAt.get(e.action);
    if (byTarget === undefined) closedAt.set(e.action, (byTarget = new Map<string, number[]>()));
    for (const x of e.targets) {
      const list = byTarget.get(x);
      if (list === undefined) byTarget.set(x, [start]);
      else list.push(start);
    }
  }
  for (const m of closedAt.values()) for (const list of m.values()) list.sort((a, b) => a - b);

  const bars: FaultBar[] = [];
  const lanes = new Set<string>();
  for (const { e, r, outcome, start, end } of timing) {
    lanes.add(e.action);
    const closer = closers[e.action];
    let windowEnd: number | undefined;
    let open = false;
    if (closer !== undefined && outcome !== 'not-run' && outcome !== 'error') {
      const byTarget = closedAt.get(closer);
      let last = end;
      for (const x of e.targets) {
        const c = byTarget?.get(x);
        const at = c === undefined ? undefined : firstAtOrAfter(c, start);
        if (at === undefined) open = true;
        else last = Math.max(last, at);
      }
      windowEnd = open ? Math.max(last, opts.endMs) : last;
    }
    let label = `${formatClock(start)} ${describeEntry(e)}`;
    if (r !== undefined) {
      label += ` · took ${formatDuration(r.endedAt - r.startedAt)}`;
      if (r.lateMs > 0) label += `, ${formatDuration(r.lateMs)} late`;
      if (r.outcome !== 'ok') label += ` · ${r.outcome}${r.error !== undefined ? `: ${r.error.message}` : ''}`;
    } else if (outcome === 'not-run') label += ' · never ran (the run was cut short)';
    if (windowEnd !== undefined) label += open ? ' · still open at the end' : ` · until ${formatClock(windowEnd)}`;
    bars.push({ lane: e.action, start, end, ...(windowEnd !== undefined ? { windowEnd } : {}), open, outcome, label });
  }
  return { lanes: laneOrder.filter((l) => lanes.has(l)), bars };
}

/** Bars from the journal's own fault lines (when there is no schedule). */
export function faultBarsFromWindows(windows: readonly FaultWindow[], endMs: number): FaultBars {
  const lanes = new Set<string>();
  const bars: FaultBar[] = windows.map((w) => {
    lanes.add(w.kind);
    const open = w.end === undefined;
    const windowEnd = w.end ?? endMs;
    const what = w.kind === 'partition' ? `partition ${w.label}: ${w.nodes} nodes cut` : w.kind === 'churn' ? `churn wave ${w.label}: ${w.nodes} nodes` : w.kind === 'kill' ? `kill ${w.label}` : `rollout ${w.label} to ${w.nodes} nodes`;
    const label = `${formatClock(w.start)} ${what}${w.kind === 'rollout' ? '' : open ? ' · still open at the end' : ` · until ${formatClock(windowEnd)}`}`;
    return { lane: w.kind, start: w.start, end: w.start, ...(w.kind === 'rollout' ? {} : { windowEnd }), open, outcome: 'ok', label };
  });
  return { lanes: ['partition', 'churn', 'kill', 'rollout'].filter((l) => lanes.has(l)), bars };
}
