/**
 * The fault schedule: a scenario's timeline (plus the vehicles' routes) resolved into a flat, sorted list of
 * concrete actions — when, what, on exactly which nodes/links/components, with which parameters. It is a pure
 * function of the scenario and the seed, so a run stores it as `schedule.json` and a replay regenerates and
 * compares it (same actions, same targets, same order).
 *
 * Randomness: every timeline entry draws from its own stream, `seed → "timeline" → <entry key>`, where the key
 * is the entry's `id` if it has one, else `<action>@<at in ms>` (plus `#n` for the n-th identical one). Adding,
 * removing or reordering other entries therefore never changes an entry's targets; repetitions draw from
 * `<key>#r<k>`. Vehicle moves need no randomness (a vehicle's route and phase come from the fleet).
 */
import { createHash } from 'node:crypto';
import { EdgeproofError } from '../core/errors.ts';
import { seededRandom, type Random } from '../core/random.ts';
import type { ReconnectPolicy } from '../edge/backoff.ts';
import { buildFleet, cellAt, shuffle, type Fleet, type FleetLink } from '../fleet/topology.ts';
import type { OutageMode } from '../network/uplink.ts';
import { select, type Selector, type SelectUnit } from '../scenario/selector.ts';
import type { ChurnMode, ComponentTarget, ImageSpec, Scenario, TimelineEntry } from '../scenario/types.ts';
import { devicePlacements } from '../scenario/devices.ts';
import { workloadInstances } from '../scenario/workloads.ts';

export const scheduleFormat = 'edgeproof.schedule/v1';

type NoParams = Record<string, never>;

/** Each action, its targets and its parameters. Targets are sorted names. */
export type ScheduleAction =
  /** Cut links (targets: link ids); data is dropped until healed. */
  | { readonly action: 'partition'; readonly params: { readonly mode: OutageMode } }
  /** Lift the cut on links (a link that is not cut is left alone). */
  | { readonly action: 'heal'; readonly params: NoParams }
  /** Give links another link profile. */
  | { readonly action: 'degrade'; readonly params: { readonly profile: string } }
  /** Give links back the profile the scenario gives them at that moment (station profile, vehicle's cell). */
  | { readonly action: 'restore'; readonly params: { readonly profile: string } }
  /** Vehicles entered a coverage cell: their cellular links take its profile (targets: vehicle node names). */
  | { readonly action: 'move-vehicles'; readonly params: { readonly cell: string; readonly profile: string } }
  /** Nodes drop off the cloud (disconnect: their connection is cut; power-off: the edge process stops). */
  | { readonly action: 'node-offline'; readonly params: { readonly mode: ChurnMode; readonly reconnect: ReconnectPolicy } }
  /** Nodes may reach the cloud again (power-off: the edge starts from its local store) and reconnect by `reconnect`. */
  | { readonly action: 'node-online'; readonly params: { readonly mode: ChurnMode; readonly reconnect: ReconnectPolicy } }
  /** Stop edge processes (their local store stays). */
  | { readonly action: 'stop-edges'; readonly params: NoParams }
  /** Start edge processes from their local store; `offline` says they cannot reach the cloud yet. */
  | { readonly action: 'start-edges'; readonly params: { readonly offline: boolean; readonly reconnect: ReconnectPolicy } }
  /** SIGKILL a real component (targets: [component]). */
  | { readonly action: 'kill-component'; readonly params: NoParams }
  | { readonly action: 'start-component'; readonly params: NoParams }
  /** Orderly stop and start of a component. */
  | { readonly action: 'restart-component'; readonly params: NoParams }
  /** Rolling update of a workload's objects (targets: object names) to another image. */
  | { readonly action: 'rollout'; readonly params: { readonly workload: string; readonly image: ImageSpec } }
  | { readonly action: 'delete-workload'; readonly params: { readonly workload: string; readonly force: boolean } }
  | { readonly action: 'apply-workload'; readonly params: { readonly workload: string } }
  /** A marker in the journal (no effect). */
  | { readonly action: 'mark'; readonly params: { readonly label: string } }
  /** Set a desired value on Devices (targets: Device names in namespace default). */
  | { readonly action: 'set-desired'; readonly params: { readonly property: string; readonly value: string } };

export type ScheduleActionName = ScheduleAction['action'];

export type ScheduleEntry = {
  /** Position in the schedule. */
  readonly seq: number;
  /** Milliseconds from the start of the run. */
  readonly at: number;
  readonly targets: readonly string[];
  /** What produced it: `timeline[3]`, the entry's id, `<that>/2` for the 2nd repetition, or `routes`. */
  readonly source: string;
} & ScheduleAction;

export interface Schedule {
  readonly format: typeof scheduleFormat;
  readonly scenario: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly entries: readonly ScheduleEntry[];
}

export const scheduleActionNames: readonly ScheduleActionName[] = [
  'partition',
  'heal',
  'degrade',
  'restore',
  'move-vehicles',
  'node-offline',
  'node-online',
  'stop-edges',
  'start-edges',
  'kill-component',
  'start-component',
  'restart-component',
  'rollout',
  'delete-workload',
  'apply-workload',
  'mark',
  'set-desired',
];

type Draft = Omit<ScheduleEntry, 'seq'>;

const noParams: NoParams = {};

/** The random stream of each timeline entry (see the file comment). */
export function entryRandoms(timeline: readonly TimelineEntry[], seed: number): Random[] {
  const root = seededRandom(seed >>> 0).fork('timeline');
  const seen = new Map<string, number>();
  return timeline.map((e) => {
    let key = e.id ?? `${e.action.kind}@${e.atMs}`;
    if (e.id === undefined) {
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      if (n > 0) key += `#${n}`;
    }
    return root.fork(key);
  });
}

/**
 * The schedule of a scenario for a seed (default: the scenario's own). Pure: the same scenario and seed give
 * a deep-equal schedule. Pass the fleet if it is already built for that seed.
 */
export function buildSchedule(scenario: Scenario, seed: number = scenario.seed, fleet: Fleet = buildFleet(scenario, seed)): Schedule {
  if (fleet.seed !== seed >>> 0) throw new EdgeproofError('E_INTERNAL', `fleet built for seed ${fleet.seed}, schedule asked for ${seed}`, { where: 'schedule' });
  const drafts: Draft[] = [...vehicleMoves(fleet, scenario.durationMs)];
  const randoms = entryRandoms(scenario.timeline, seed);
  scenario.timeline.forEach((entry, i) => {
    const times = entry.repeat?.times ?? 1;
    const base = entry.id ?? `timeline[${entry.index}]`;
    for (let k = 0; k < times; k++) {
      const random = k === 0 ? (randoms[i] as Random) : (randoms[i] as Random).fork(`#r${k}`);
      const at = entry.atMs + k * (entry.repeat?.everyMs ?? 0);
      drafts.push(...expand(scenario, fleet, entry, at, times > 1 ? `${base}/${k + 1}` : base, random));
    }
  });
  // stable: equal times keep route moves first, then timeline entries in file order, each in its own order
  const sorted = drafts.map((d, i) => ({ d, i })).sort((a, b) => a.d.at - b.d.at || a.i - b.i);
  return {
    format: scheduleFormat,
    scenario: scenario.name,
    seed: seed >>> 0,
    durationMs: scenario.durationMs,
    entries: sorted.map(({ d }, seq) => ({ seq, ...d }) as ScheduleEntry),
  };
}

function pick(selector: Selector, fleet: Fleet, unit: SelectUnit, random: Random, source: string): string[] {
  const out = select(selector, fleet, unit, random);
  if (out.length === 0) {
    throw new EdgeproofError('E_BAD_SCENARIO', `${source}: selector "${selector.text}" selects no ${unit} with this seed`, {
      where: selector.where || 'schedule',
      fix: 'widen the selector (it depends on the seed through hardware= / route= / share=) or run with the scenario’s own seed',
    });
  }
  return out;
}

/** The profile each link has "by the scenario" at time t: its station profile, or its vehicle's cell. */
function baseProfile(fleet: Fleet, link: FleetLink, t: number): string {
  if (link.vehicle === undefined) return link.profile;
  const v = fleet.vehicleByName.get(link.vehicle);
  return v === undefined ? link.profile : cellAt(v.route, t).profile;
}

function restoreDrafts(fleet: Fleet, links: readonly string[], at: number, source: string): Draft[] {
  const byProfile = new Map<string, string[]>();
  for (const id of links) {
    const link = fleet.linkById.get(id);
    if (link === undefined) continue;
    const p = baseProfile(fleet, link, at);
    const list = byProfile.get(p) ?? [];
    list.push(id);
    byProfile.set(p, list);
  }
  return [...byProfile.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([profile, targets]) => ({ at, action: 'restore', targets: targets.sort(), params: { profile }, source }));
}

function expand(scenario: Scenario, fleet: Fleet, entry: TimelineEntry, at: number, source: string, random: Random): Draft[] {
  const a = entry.action;
  const component = (c: ComponentTarget): string[] => [c];
  switch (a.kind) {
    case 'partition': {
      const targets = pick(a.selector, fleet, 'link', random, source);
      const out: Draft[] = [{ at, action: 'partition', targets, params: { mode: a.mode }, source }];
      if (a.forMs !== undefined) out.push({ at: at + a.forMs, action: 'heal', targets, params: noParams, source });
      return out;
    }
    case 'heal':
      return [{ at, action: 'heal', targets: pick(a.selector, fleet, 'link', random, source), params: noParams, source }];
    case 'degrade': {
      const targets = pick(a.selector, fleet, 'link', random, source);
      const out: Draft[] = [{ at, action: 'degrade', targets, params: { profile: a.profile }, source }];
      if (a.forMs !== undefined) out.push(...restoreDrafts(fleet, targets, at + a.forMs, source));
      return out;
    }
    case 'restore':
      return restoreDrafts(fleet, pick(a.selector, fleet, 'link', random, source), at, source);
    case 'churn': {
      const nodes = pick(a.selector, fleet, 'node', random, source);
      const order = shuffle([...nodes], random.fork('order'));
      const batches = Math.max(1, Math.min(order.length, a.batches ?? Math.max(1, Math.round(a.overMs / 1000))));
      const params = { mode: a.mode, reconnect: a.reconnect };
      const out: Draft[] = [];
      const back = new Map<number, string[]>();
      const downRandom = random.fork('offline');
      for (let b = 0; b < batches; b++) {
        const batch = order.slice(Math.floor((b * order.length) / batches), Math.floor(((b + 1) * order.length) / batches));
        if (batch.length === 0) continue;
        const t = at + Math.floor((b * a.overMs) / batches);
        out.push({ at: t, action: 'node-offline', targets: [...batch].sort(), params, source });
        if (a.offline !== undefined) {
          const { minMs, maxMs } = a.offline;
          for (const node of batch) {
            const steps = Math.floor((maxMs - minMs) / 1000);
            const down = steps > 0 ? Math.min(maxMs, minMs + downRandom.fork(node).int(0, steps) * 1000) : minMs;
            const list = back.get(t + down) ?? [];
            list.push(node);
            back.set(t + down, list);
          }
        }
      }
      for (const [t, list] of [...back.entries()].sort(([x], [y]) => x - y)) out.push({ at: t, action: 'node-online', targets: list.sort(), params, source });
      return out;
    }
    case 'restart-edges': {
      const nodes = pick(a.selector, fleet, 'node', random, source);
      if (a.offlineMs === undefined) {
        return [
          { at, action: 'stop-edges', targets: nodes, params: noParams, source },
          { at: at + a.downtimeMs, action: 'start-edges', targets: nodes, params: { offline: false, reconnect: a.reconnect }, source },
        ];
      }
      const link = { mode: 'disconnect' as const, reconnect: a.reconnect };
      return [
        { at, action: 'node-offline', targets: nodes, params: link, source },
        { at: at + a.restartAfterMs, action: 'stop-edges', targets: nodes, params: noParams, source },
        { at: at + a.restartAfterMs + a.downtimeMs, action: 'start-edges', targets: nodes, params: { offline: true, reconnect: a.reconnect }, source },
        { at: at + a.offlineMs, action: 'node-online', targets: nodes, params: link, source },
      ];
    }
    case 'kill': {
      const out: Draft[] = [{ at, action: 'kill-component', targets: component(a.component), params: noParams, source }];
      if (a.forMs !== undefined) out.push({ at: at + a.forMs, action: 'start-component', targets: component(a.component), params: noParams, source });
      return out;
    }
    case 'restart-component':
      return [{ at, action: 'restart-component', targets: component(a.component), params: noParams, source }];
    case 'rollout':
    case 'delete':
    case 'apply': {
      const w = scenario.workloads.find((x) => x.name === a.workload);
      if (w === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `${source}: unknown workload "${a.workload}"`, { where: entry.where, fix: 'define it under workloads' });
      const targets = workloadInstances(w);
      if (a.kind === 'rollout') return [{ at, action: 'rollout', targets, params: { workload: w.name, image: a.image }, source }];
      if (a.kind === 'delete') return [{ at, action: 'delete-workload', targets, params: { workload: w.name, force: a.force }, source }];
      return [{ at, action: 'apply-workload', targets, params: { workload: w.name }, source }];
    }
    case 'mark':
      return [{ at, action: 'mark', targets: [], params: { label: a.label }, source }];
    case 'set-desired': {
      const nodes = new Set(pick(a.selector, fleet, 'node', random, source));
      const targets = devicePlacements(scenario, fleet).filter((d) => d.kind === a.device && nodes.has(d.node)).map((d) => d.name);
      if (targets.length === 0) {
        throw new EdgeproofError('E_BAD_SCENARIO', `${source}: no ${a.device} device on the ${nodes.size} selected node(s)`, { where: entry.where, fix: 'select nodes the devices section places that kind on' });
      }
      return [{ at, action: 'set-desired', targets, params: { property: a.property, value: a.value }, source }];
    }
  }
}

/** Every cell change of every vehicle in (0, duration), vehicles entering one cell at one instant grouped. */
export function vehicleMoves(fleet: Fleet, durationMs: number): Draft[] {
  const groups = new Map<string, { at: number; cell: string; profile: string; targets: string[] }>();
  for (const v of fleet.vehicles) {
    let here = cellAt(v.route, 0);
    while (here.untilMs < durationMs) {
      const t = here.untilMs;
      const next = cellAt(v.route, t);
      if (next.cell !== here.cell) {
        const key = `${t}\u0000${next.cell}`;
        let g = groups.get(key);
        if (g === undefined) groups.set(key, (g = { at: t, cell: next.cell, profile: next.profile, targets: [] }));
        g.targets.push(v.name);
      }
      here = next;
    }
  }
  return [...groups.values()]
    .sort((a, b) => a.at - b.at || (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0))
    .map((g) => ({ at: g.at, action: 'move-vehicles', targets: g.targets.sort(), params: { cell: g.cell, profile: g.profile }, source: 'routes' }));
}

// ------------------------------------------------------------------ JSON (schedule.json)

/** JSON text of a schedule: a header, then one entry per line (readable diffs of run directories). */
export function scheduleToJson(schedule: Schedule): string {
  const head = JSON.stringify({ format: schedule.format, scenario: schedule.scenario, seed: schedule.seed, durationMs: schedule.durationMs, entries: [] });
  if (schedule.entries.length === 0) return `${head}\n`;
  return `${head.slice(0, -2)}\n${schedule.entries.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n]}\n`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse schedule.json; a malformed file is bad input naming the file and the entry. */
export function parseScheduleJson(text: string, file: string): Schedule {
  const bad = (msg: string): EdgeproofError =>
    new EdgeproofError('E_BAD_SCENARIO', `not an edgeproof schedule: ${msg}`, { where: file, fix: 'point at a run directory written by `edgeproof run` (its schedule.json is written before the first fault)' });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  if (!isObj(raw) || raw['format'] !== scheduleFormat) throw bad(`expected "format": "${scheduleFormat}"`);
  const { scenario, seed, durationMs, entries } = raw;
  if (typeof scenario !== 'string' || typeof seed !== 'number' || typeof durationMs !== 'number' || !Array.isArray(entries)) throw bad('scenario, seed, durationMs or entries missing');
  entries.forEach((e: unknown, i) => {
    if (!isObj(e)) throw bad(`entry ${i} is not an object`);
    const ok =
      e['seq'] === i &&
      typeof e['at'] === 'number' &&
      typeof e['source'] === 'string' &&
      scheduleActionNames.includes(e['action'] as ScheduleActionName) &&
      Array.isArray(e['targets']) &&
      (e['targets'] as unknown[]).every((t) => typeof t === 'string') &&
      isObj(e['params']);
    if (!ok) throw bad(`entry ${i} lacks seq/at/action/targets/params/source of the right types`);
  });
  return { format: scheduleFormat, scenario, seed, durationMs, entries: entries as ScheduleEntry[] };
}

/** JSON with sorted keys: equal schedules give equal text whatever the key order of their objects. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** sha256 of what a replay must reproduce (seed, duration, entries). */
export function scheduleDigest(schedule: Schedule): string {
  return createHash('sha256').update(canonicalJson({ seed: schedule.seed, durationMs: schedule.durationMs, entries: schedule.entries })).digest('hex');
}

const brief = (e: ScheduleEntry): string => {
  const t = e.targets.length <= 4 ? e.targets.join(',') : `${e.targets.slice(0, 3).join(',')},… (${e.targets.length})`;
  return `at ${e.at}ms ${e.action} [${t}] ${canonicalJson(e.params)} (${e.source})`;
};

/**
 * The first difference between a recorded and a regenerated schedule, in words; undefined when they agree on
 * seed, duration and every entry (the scenario name is not compared: it may come from the file name).
 */
export function diffSchedules(recorded: Schedule, regenerated: Schedule): string | undefined {
  if (recorded.seed !== regenerated.seed) return `seed ${recorded.seed} recorded, ${regenerated.seed} regenerated`;
  if (recorded.durationMs !== regenerated.durationMs) return `duration ${recorded.durationMs}ms recorded, ${regenerated.durationMs}ms regenerated`;
  const n = Math.min(recorded.entries.length, regenerated.entries.length);
  for (let i = 0; i < n; i++) {
    const a = recorded.entries[i] as ScheduleEntry;
    const b = regenerated.entries[i] as ScheduleEntry;
    if (canonicalJson(a) !== canonicalJson(b)) return `entry ${i}: recorded ${brief(a)}, regenerated ${brief(b)}`;
  }
  if (recorded.entries.length !== regenerated.entries.length) {
    const extra = recorded.entries.length > n ? recorded.entries[n] : regenerated.entries[n];
    return `${recorded.entries.length} entries recorded, ${regenerated.entries.length} regenerated (first extra: ${extra === undefined ? '?' : brief(extra)})`;
  }
  return undefined;
}

/** Counts per action, for progress lines ("schedule: 42 actions — 6 partition, 6 heal, 30 move-vehicles"). */
export function summarizeSchedule(schedule: Schedule): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of schedule.entries) out[e.action] = (out[e.action] ?? 0) + 1;
  return out;
}
