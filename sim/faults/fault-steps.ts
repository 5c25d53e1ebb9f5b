/**
 * Property-based fault schedules (issue 7 item 5): fast-check model-based commands whose every step is a
 * scenario timeline entry. A step is plain data (which station, which gate, how long); the commands check it
 * against a model of what is open (partitioned stations, deleted workloads) and hand it to a `StepRunner` — the
 * live system in conformance/runs/fault-property.test.ts, anything else in a unit test.
 *
 * Why steps are timeline entries and not ad-hoc calls: a failing sequence must be replayable by
 * `edgeproof replay`, which regenerates a run's schedule from its scenario.yaml. Each step becomes one entry with
 * an explicit `id` (its schedule `source` and random stream then depend on nothing else), and the whole sequence
 * is written as a scenario whose schedule is exactly what ran.
 *
 * Steps name stations and gates by index, not by name: the live bench gives each sequence a fleet of its own
 * (fresh names, see faultScenarioYaml), so indices are what a shrunk counterexample keeps meaning.
 */
import fc from 'fast-check';
import { EdgeproofError } from '../core/errors.ts';
import type { HardwareProfile } from '../edge/profile.ts';
import { buildFleet, type Fleet } from '../fleet/topology.ts';
import type { LinkProfile } from '../network/link-profile.ts';
import { parseScenario } from '../scenario/loader.ts';
import type { Scenario } from '../scenario/types.ts';
import { buildSchedule, canonicalJson, type Schedule, type ScheduleEntry } from './schedule.ts';

/** The fleet every sequence runs on: `stations` stations of `gatesPerStation` gates, one shared uplink each. */
export const faultFleet = { stations: 2, gatesPerStation: 2 } as const;

/** The workloads a sequence can update, delete and re-create (DaemonSets on every gate of its fleet). */
export const faultWorkloads = ['tolling', 'lane-config'] as const;
export type FaultWorkload = (typeof faultWorkloads)[number];

export type FaultStep =
  /** Cut a station's uplink (its gates lose the cloud together) until a heal. */
  | { readonly kind: 'partition'; readonly station: number }
  | { readonly kind: 'heal'; readonly station: number }
  /** Roll a workload to its next image version (the runner numbers versions 1.1, 1.2, …). */
  | { readonly kind: 'rollout'; readonly workload: FaultWorkload }
  /** Delete a workload, force-deleting its pods (the path sync.no-lost-delete judges when a node is cut off). */
  | { readonly kind: 'delete'; readonly workload: FaultWorkload }
  | { readonly kind: 'apply'; readonly workload: FaultWorkload }
  /** Crash one gate's edge process and start it again from its store after `downtimeS` (offline if its station is cut). */
  | { readonly kind: 'restart-edge'; readonly gate: number; readonly downtimeS: number }
  /** SIGKILL CloudCore and start it again after `forS`. */
  | { readonly kind: 'kill-cloudcore'; readonly forS: number }
  /** One gate drops off (its own connection cut, or its process powered off) and returns after `offlineS`. */
  | { readonly kind: 'churn'; readonly gate: number; readonly mode: 'disconnect' | 'power-off'; readonly offlineS: number }
  /** Heal every station that is still cut: the closing step of every sequence (not generated). */
  | { readonly kind: 'heal-all' };

/** Names of one sequence's fleet (faultScenarioYaml's province prefix). */
export interface FaultNames {
  readonly province: string;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
export const stationName = (names: FaultNames, station: number): string => `${names.province}-s${pad(station + 1, 3)}`;
export function gateName(names: FaultNames, gate: number): string {
  const station = Math.floor(gate / faultFleet.gatesPerStation);
  return `${stationName(names, station)}-g${pad((gate % faultFleet.gatesPerStation) + 1, 2)}`;
}
export const workloadName = (names: FaultNames, w: FaultWorkload): string => `${w}-${names.province}`;
const gates = faultFleet.stations * faultFleet.gatesPerStation;

/**
 * How long a step occupies the timeline (whole seconds): the next step starts after it. Long enough for the step's
 * own second half (a kill's restart, a churn's return) and for the system to notice it (a cut link is noticed by
 * heartbeats, 5 s in this fleet); short enough that a sequence of a few steps stays well under a minute.
 */
export function stepSpanS(step: FaultStep): number {
  switch (step.kind) {
    case 'partition':
    case 'heal':
    case 'heal-all':
      return 7;
    case 'rollout':
    case 'apply':
      return 6;
    case 'delete':
      return 5;
    case 'restart-edge':
      return step.downtimeS + 5;
    case 'kill-cloudcore':
      return step.forS + 6;
    case 'churn':
      return step.offlineS + 6;
  }
}

/** Short text of a step, as fast-check prints counterexamples. */
export function describeStep(step: FaultStep): string {
  switch (step.kind) {
    case 'partition':
    case 'heal':
      return `${step.kind}(station ${step.station + 1})`;
    case 'rollout':
    case 'delete':
    case 'apply':
      return `${step.kind}(${step.workload})`;
    case 'restart-edge':
      return `restart-edge(gate ${step.gate + 1}, down ${step.downtimeS}s)`;
    case 'kill-cloudcore':
      return `kill-cloudcore(${step.forS}s)`;
    case 'churn':
      return `churn(gate ${step.gate + 1}, ${step.mode}, ${step.offlineS}s)`;
    case 'heal-all':
      return 'heal-all';
  }
}

/** The image a rollout to version `v` (1, 2, …) sets; version 0 is the manifest's own. */
export const workloadImage = (w: FaultWorkload, version: number): string => `registry.local/toll/${w}:1.${version}`;

/**
 * One timeline entry (a YAML flow mapping) for a step at `atS`. `version` is the rollout's target version.
 * The explicit id makes the entry's schedule source and random stream independent of its position.
 */
export function timelineEntryYaml(step: FaultStep, id: string, atS: number, names: FaultNames, version = 0): string {
  const head = `{ at: ${atS}s, id: ${id}, `;
  const q = (s: string): string => JSON.stringify(s);
  switch (step.kind) {
    case 'partition':
      return `${head}partition: { select: ${q(`station=${stationName(names, step.station)}`)} } }`;
    case 'heal':
      return `${head}heal: { select: ${q(`station=${stationName(names, step.station)}`)} } }`;
    case 'heal-all':
      return `${head}heal: { select: all } }`;
    case 'rollout':
      // the full image spec: a replay builds the edges' image catalog from the scenario, so size and arch must be in it
      return `${head}rollout: { workload: ${workloadName(names, step.workload)}, image: { name: ${workloadImage(step.workload, version)}, size: 1MB, arch: [amd64, arm64] } } }`;
    case 'delete':
      return `${head}delete: { workload: ${workloadName(names, step.workload)}, force: true } }`;
    case 'apply':
      return `${head}apply: { workload: ${workloadName(names, step.workload)} } }`;
    case 'restart-edge':
      return `${head}restart-edges: { select: ${q(`node=${gateName(names, step.gate)}`)}, downtime: ${step.downtimeS}s } }`;
    case 'kill-cloudcore':
      return `${head}kill: { component: cloudcore, for: ${step.forS}s } }`;
    case 'churn':
      return `${head}churn: { select: ${q(`node=${gateName(names, step.gate)}`)}, over: 1s, offline: ${step.offlineS}s, mode: ${step.mode}, reconnect: "fixed:2s" } }`;
  }
}

/** Convergence bound after the last step: the scenario's sync.converge `within`, and the replay's deadline. */
export const faultConvergeS = 30;

export interface FaultScenarioInput {
  readonly names: FaultNames;
  /** Timeline entries (timelineEntryYaml), in time order. */
  readonly timeline: readonly string[];
  /** Whole seconds: the last step's end plus the convergence bound. */
  readonly durationS: number;
  /** Comment lines for the header (how the sequence was found, how to replay it). */
  readonly comment?: readonly string[];
}

/**
 * The scenario one sequence runs as: a 2 × 2-gate fleet on a LAN uplink with names of its own, two DaemonSets
 * on its gates, a short heartbeat and a fixed 2 s redial (so heals are noticed in seconds), and the guarantees
 * the property asserts. Left out on purpose: autonomy.no-eviction and app.hot-update — a DaemonSet rollout
 * while a node is NotReady deletes its pod at once (the platform finding in scenarios/findings/), which is
 * the platform's behaviour, not a fault of the edge; twin.converge — no devices here.
 */
export function faultScenarioYaml(input: FaultScenarioInput): string {
  const { names } = input;
  const p = names.province;
  const lines = [
    '# A fault sequence generated by the property-based fault schedule test (conformance/runs/fault-property.test.ts).',
    ...(input.comment ?? []).map((c) => `# ${c}`),
    `name: fault-sequence-${p}`,
    'seed: 1',
    `duration: ${input.durationS}s`,
    '',
    'cloud:',
    '  backend: local',
    '',
    'fleet:',
    '  provinces:',
    `    - { name: ${p}, stations: ${faultFleet.stations}, gatesPerStation: ${faultFleet.gatesPerStation} }`,
    '  gateHardware: { arm-gate-4c-1g: 50%, x86-ipc-8c-16g: 50% }',
    '  edge: { heartbeat: 5s, reconnect: "fixed:2s" }',
    '',
    'links:',
    '  stationUplink: lan',
    '',
    'workloads:',
    ...faultWorkloads.map(
      (w) => `  - { name: ${workloadName(names, w)}, kind: DaemonSet, select: "gate province=${p}", autonomy: true, image: { name: ${workloadImage(w, 0)}, size: 1MB, arch: [amd64, arm64] } }`,
    ),
    '',
    ...(input.timeline.length > 0 ? ['timeline:', ...input.timeline.map((e) => `  - ${e}`)] : ['timeline: []']),
    '',
    'guarantees:',
    `  sync.converge: { within: ${faultConvergeS}s, lag: 5s }`,
    '  sync.monotonic: {}',
    `  sync.no-lost-delete: { within: ${faultConvergeS}s, lag: 5s }`,
    '  autonomy.keep-running: {}',
    '  autonomy.restart-offline: { within: 20s }',
    '  storm.recover: { within: 60s }',
    '  status.fresh: { slack: 20s }',
    '',
  ];
  return lines.join('\n');
}

// ─────────────────────────────────────────── a sequence as a growing scenario ───────────────────────────────────────────

export interface SequencePlanOptions {
  readonly names: FaultNames;
  /** Where the scenario will be written (messages name it). */
  readonly file: string;
  readonly comment?: readonly string[];
  readonly hardwareProfiles?: ReadonlyMap<string, HardwareProfile>;
  readonly linkProfiles?: ReadonlyMap<string, LinkProfile>;
}

/**
 * The scenario and schedule of a sequence as it grows: each step is appended to the timeline at the current
 * cursor and the whole scenario is parsed and scheduled again, so what a step runs is exactly what the final
 * scenario's schedule holds for it — the property a replay depends on, checked at every step.
 */
export class SequencePlan {
  readonly steps: FaultStep[] = [];
  private readonly entries: string[] = [];
  private readonly scheduled: ScheduleEntry[] = [];
  private readonly open = new Set<number>();
  private cursor = 0;
  private current: Scenario;
  readonly topology: Fleet;

  constructor(private readonly opts: SequencePlanOptions) {
    this.current = this.parse([], faultConvergeS);
    this.topology = buildFleet(this.current, this.current.seed);
  }

  /** The scenario with every step so far (its duration reaches the convergence bound after the last one). */
  get scenario(): Scenario {
    return this.current;
  }

  /** Whole seconds from t = 0 where the next step goes. */
  get cursorS(): number {
    return this.cursor;
  }

  /** Stations cut by a partition step and not healed since. */
  get openStations(): ReadonlySet<number> {
    return this.open;
  }

  private parse(timeline: readonly string[], durationS: number): Scenario {
    const text = faultScenarioYaml({ names: this.opts.names, timeline, durationS, ...(this.opts.comment !== undefined ? { comment: this.opts.comment } : {}) });
    return parseScenario(this.opts.file, text, {
      ...(this.opts.hardwareProfiles !== undefined ? { hardwareProfiles: this.opts.hardwareProfiles } : {}),
      ...(this.opts.linkProfiles !== undefined ? { linkProfiles: this.opts.linkProfiles } : {}),
    });
  }

  /** Append a step (`version`: a rollout's target version); returns its schedule entries, in order, and its time. */
  add(step: FaultStep, version: number): { readonly id: string; readonly atS: number; readonly spanS: number; readonly entries: readonly ScheduleEntry[] } {
    const spanS = stepSpanS(step);
    const atS = this.cursor;
    const id = `s${String(this.steps.length + 1).padStart(2, '0')}`;
    const timeline = [...this.entries, timelineEntryYaml(step, id, atS, this.opts.names, version)];
    const scenario = this.parse(timeline, atS + spanS + faultConvergeS);
    const schedule = buildSchedule(scenario, scenario.seed, this.topology);
    if (canonicalJson(schedule.entries.slice(0, this.scheduled.length)) !== canonicalJson(this.scheduled)) {
      throw new EdgeproofError('E_INTERNAL', `step ${id} (${describeStep(step)}) changed the schedule of the steps before it`, { where: this.opts.file, fix: 'keep every step inside its span (stepSpanS)' });
    }
    const fresh = schedule.entries.slice(this.scheduled.length);
    if (fresh.some((e) => e.at >= (atS + spanS) * 1000)) {
      throw new EdgeproofError('E_INTERNAL', `step ${id} (${describeStep(step)}) has an action after its span of ${spanS} s`, { where: this.opts.file, fix: 'lengthen its span in stepSpanS' });
    }
    this.entries.push(timeline[timeline.length - 1] as string);
    this.steps.push(step);
    this.scheduled.push(...fresh);
    this.current = scenario;
    this.cursor += spanS;
    if (step.kind === 'partition') this.open.add(step.station);
    if (step.kind === 'heal') this.open.delete(step.station);
    if (step.kind === 'heal-all') this.open.clear();
    return { id, atS, spanS, entries: fresh };
  }

  /**
   * The scenario a replay runs and its schedule: every step, and a duration that ends the convergence bound
   * after the last one. Throws if that schedule is not exactly what the steps ran.
   */
  final(): { readonly scenario: Scenario; readonly schedule: Schedule } {
    const scenario = this.parse(this.entries, Math.max(1, this.cursor + faultConvergeS));
    const schedule = buildSchedule(scenario, scenario.seed, this.topology);
    if (canonicalJson(schedule.entries) !== canonicalJson(this.scheduled)) {
      throw new EdgeproofError('E_INTERNAL', 'the written scenario does not regenerate the schedule that ran', { where: this.opts.file, fix: 'keep every step inside its span (stepSpanS)' });
    }
    return { scenario, schedule };
  }
}

// ─────────────────────────────────────────── the model and the commands ───────────────────────────────────────────

/** What the commands know of the system: which stations are cut, which workloads exist and at what version. */
export interface FaultModel {
  readonly partitioned: Set<number>;
  readonly present: Map<FaultWorkload, boolean>;
  readonly version: Map<FaultWorkload, number>;
}

export function initialFaultModel(): FaultModel {
  return { partitioned: new Set(), present: new Map(faultWorkloads.map((w) => [w, true])), version: new Map(faultWorkloads.map((w) => [w, 0])) };
}

/** Whatever carries steps out. `version` is a rollout's target version (model's current + 1). */
export interface StepRunner {
  apply(step: FaultStep, version: number): Promise<void>;
}

/** Whether the model allows the step now (a heal needs a cut, an update needs the workload to exist…). */
export function stepAllowed(step: FaultStep, m: Readonly<FaultModel>): boolean {
  switch (step.kind) {
    case 'partition':
      return !m.partitioned.has(step.station);
    case 'heal':
      return m.partitioned.has(step.station);
    case 'delete':
      // the last one too: the copies of kube-root-ca.crt its gates keep are not judged by sync.converge
      // (objects the cloud still has but no longer targets to a node; KubeEdge keeps them by design)
    case 'rollout':
      return m.present.get(step.workload) === true;
    case 'apply':
      return m.present.get(step.workload) === false;
    case 'restart-edge':
    case 'kill-cloudcore':
    case 'churn':
    case 'heal-all':
      return true;
  }
}

/** The model after the step (mutates it, as fast-check's commands do). Returns the rollout version used. */
export function advanceModel(step: FaultStep, m: FaultModel): number {
  switch (step.kind) {
    case 'partition':
      m.partitioned.add(step.station);
      return 0;
    case 'heal':
      m.partitioned.delete(step.station);
      return 0;
    case 'heal-all':
      m.partitioned.clear();
      return 0;
    case 'rollout': {
      const v = (m.version.get(step.workload) ?? 0) + 1;
      m.version.set(step.workload, v);
      return v;
    }
    case 'delete':
      m.present.set(step.workload, false);
      return 0;
    case 'apply':
      // re-created from the manifest: the image is version 0 again
      m.present.set(step.workload, true);
      m.version.set(step.workload, 0);
      return 0;
    case 'restart-edge':
    case 'kill-cloudcore':
    case 'churn':
      return 0;
  }
}

/** One fast-check command: a step, checked against the model, carried out by the runner. */
export class FaultCommand implements fc.AsyncCommand<FaultModel, StepRunner> {
  constructor(readonly step: FaultStep) {}

  check(m: Readonly<FaultModel>): boolean {
    return stepAllowed(this.step, m);
  }

  async run(m: FaultModel, r: StepRunner): Promise<void> {
    const version = this.step.kind === 'rollout' ? (m.version.get(this.step.workload) ?? 0) + 1 : 0;
    await r.apply(this.step, version);
    advanceModel(this.step, m);
  }

  toString(): string {
    return describeStep(this.step);
  }
}

const station = fc.integer({ min: 0, max: faultFleet.stations - 1 });
const gate = fc.integer({ min: 0, max: gates - 1 });
const workload = fc.constantFrom(...faultWorkloads);

/**
 * The command arbitraries: every step kind, with durations kept short (real waits on a real stack). Weighted
 * towards partitions and object changes, which are what the sync and autonomy guarantees are about.
 */
export const faultCommandArbitraries: readonly fc.Arbitrary<fc.AsyncCommand<FaultModel, StepRunner>>[] = [
  station.map((s) => new FaultCommand({ kind: 'partition', station: s })),
  station.map((s) => new FaultCommand({ kind: 'partition', station: s })),
  station.map((s) => new FaultCommand({ kind: 'heal', station: s })),
  workload.map((w) => new FaultCommand({ kind: 'rollout', workload: w })),
  workload.map((w) => new FaultCommand({ kind: 'delete', workload: w })),
  workload.map((w) => new FaultCommand({ kind: 'apply', workload: w })),
  fc.record({ gate, downtimeS: fc.integer({ min: 1, max: 3 }) }).map((x) => new FaultCommand({ kind: 'restart-edge', ...x })),
  fc.integer({ min: 4, max: 10 }).map((forS) => new FaultCommand({ kind: 'kill-cloudcore', forS })),
  fc.record({ gate, mode: fc.constantFrom('disconnect' as const, 'power-off' as const), offlineS: fc.integer({ min: 4, max: 10 }) }).map((x) => new FaultCommand({ kind: 'churn', ...x })),
];

/**
 * fast-check's commands arbitrary over them: at most `maxCommands` generated per sequence (fewer may run: a heal
 * of a station that is not cut is skipped), replaying `replayPath` (from a reported counterexample) if given.
 * Not wrapped in filter or limitShrink: both lose the commands' record of what ran, and shrinking stops working.
 */
export type FaultCommandSequence = Iterable<fc.AsyncCommand<FaultModel, StepRunner>>;

export function faultCommands(opts: { readonly maxCommands: number; readonly replayPath?: string }): fc.Arbitrary<FaultCommandSequence> {
  if (!Number.isInteger(opts.maxCommands) || opts.maxCommands < 1) {
    throw new EdgeproofError('E_INTERNAL', `maxCommands ${opts.maxCommands} is not a whole number ≥ 1`, { where: 'faultCommands' });
  }
  return fc.commands([...faultCommandArbitraries], { maxCommands: opts.maxCommands, ...(opts.replayPath !== undefined ? { replayPath: opts.replayPath } : {}) });
}
