/**
 * The timeline executor: runs a fault schedule on an injected clock against the real (or a fake) system.
 * Each entry waits for its time, is applied through FaultTargets, and is recorded — with its planned and
 * actual time and its outcome — through `onAction` (the run's journal). An entry that fails is recorded and
 * the run goes on. Entries run one at a time in schedule order: if one overruns, the next starts late, and its
 * record says by how much. Cancelling (Ctrl-C → AbortSignal) stops at once: the report and the journal hold
 * every entry that started, the interrupted one marked `interrupted`, and say how many never ran.
 */
import type { Clock } from '../core/clock.ts';
import { isEdgeproofError, messageOf } from '../core/errors.ts';
import type { ReconnectPolicy } from '../edge/backoff.ts';
import type { OutageMode } from '../network/uplink.ts';
import type { ChurnMode, ComponentTarget, ImageSpec } from '../scenario/types.ts';
import type { Schedule, ScheduleEntry } from './schedule.ts';

/**
 * Which schedule entry a call comes from. `source` pairs the halves of one fault: a partition and the heal its
 * `for` produces, a churn wave's offline and online batches, an offline restart's four steps all share it
 * (`timeline[3]`, an entry id, `<id>/2` for a repetition).
 */
export interface ActionContext {
  readonly seq: number;
  readonly at: number;
  readonly source: string;
}

/**
 * What faults act on. Every method may take long (thousands of targets) and may throw; the executor awaits
 * it and records the outcome. Targets are the sorted names from the schedule: link ids (`uplink-p01-s003`,
 * `cellular-v-0001`), node names, component names, workload object names. Every method also gets the entry's
 * ActionContext as its last argument (implementations may leave it out).
 */
export interface FaultTargets {
  /** Cut links: nothing passes until heal (mode: see sim/network/uplink.ts OutageMode). The cut is an outage
   * on top of the link's profile: setLinkProfile and moveVehicles change the profile, not the cut. */
  partition(links: readonly string[], mode: OutageMode, ctx: ActionContext): Promise<void>;
  /** Lift cuts; links that are not cut are left alone. A link whose profile has no coverage stays dark. */
  heal(links: readonly string[], ctx: ActionContext): Promise<void>;
  /** Shape links like a link profile (fixtures/links; degrade, and restore to the scenario's own profile). */
  setLinkProfile(links: readonly string[], profile: string, reason: 'degrade' | 'restore', ctx: ActionContext): Promise<void>;
  /** Vehicles entered a coverage cell: shape each one's cellular link (`cellular-<vehicle>`) like `profile`
   * (no-coverage: the link goes dark until the next cell). */
  moveVehicles(vehicles: readonly string[], cell: string, profile: string, ctx: ActionContext): Promise<void>;
  /** Nodes drop off: `disconnect` cuts each node's own connection (and refuses new ones) until nodesOnline;
   * `power-off` stops the edge process (its store stays). Either way they use `reconnect` from now on. */
  nodesOffline(nodes: readonly string[], opts: { readonly mode: ChurnMode; readonly reconnect: ReconnectPolicy }, ctx: ActionContext): Promise<void>;
  /** Nodes may reach the cloud again (`power-off`: start the edge from its store first). */
  nodesOnline(nodes: readonly string[], opts: { readonly mode: ChurnMode; readonly reconnect: ReconnectPolicy }, ctx: ActionContext): Promise<void>;
  /** Stop edge processes (an edge restart is stopEdges then startEdges). */
  stopEdges(nodes: readonly string[], ctx: ActionContext): Promise<void>;
  /** Start edge processes from their local store; `offline`: they are cut off and must come up from local state alone. */
  startEdges(nodes: readonly string[], opts: { readonly offline: boolean; readonly reconnect: ReconnectPolicy }, ctx: ActionContext): Promise<void>;
  /** SIGKILL a real component. */
  killComponent(name: ComponentTarget, ctx: ActionContext): Promise<void>;
  /** Start a killed component again (same config, same state). */
  startComponent(name: ComponentTarget, ctx: ActionContext): Promise<void>;
  /** Orderly restart. */
  restartComponent(name: ComponentTarget, ctx: ActionContext): Promise<void>;
  /** Roll the workload's objects (`instances`) to `image` (see rolloutPatch in sim/scenario/workloads.ts). */
  rolloutUpdate(workload: string, instances: readonly string[], image: ImageSpec, ctx: ActionContext): Promise<void>;
  /** `force`: also delete the pods at once (grace period 0), whether or not their nodes can confirm. */
  deleteWorkload(workload: string, instances: readonly string[], force: boolean, ctx: ActionContext): Promise<void>;
  /** Create (or re-create) the workload's objects (workloadManifest). */
  applyWorkload(workload: string, instances: readonly string[], ctx: ActionContext): Promise<void>;
  /** Set `property` to `value` in the desired state of each Device named (namespace default). */
  setDesired(devices: readonly string[], property: string, value: string, ctx: ActionContext): Promise<void>;
  /** Optional: told about journal markers. */
  mark?(label: string, ctx: ActionContext): Promise<void>;
}

export type ActionOutcome = 'ok' | 'error' | 'interrupted';

/** One journal record: the schedule entry plus what happened. */
export type ActionRecord = ScheduleEntry & {
  /** When it actually started and ended, ms from the start of the run. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** startedAt − at (≥ 0): how late the entry started, because an earlier one overran. */
  readonly lateMs: number;
  readonly outcome: ActionOutcome;
  readonly error?: { readonly message: string; readonly code?: string };
};

export interface ExecutionReport {
  /** Every entry that started, in order. */
  readonly records: readonly ActionRecord[];
  /** Every entry ran (with or without errors). */
  readonly completed: boolean;
  readonly cancelled: boolean;
  /** Entries that never started. */
  readonly notRun: number;
  readonly errors: number;
  /** Clock time (ms) of the run's t = 0. */
  readonly startTime: number;
  /** Errors thrown by onAction/onStart (the journal): they are reported here and the run goes on. */
  readonly hookErrors: readonly string[];
}

export interface ExecutorOptions {
  readonly clock: Clock;
  readonly targets: FaultTargets;
  /** Abort to cancel (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Called once per entry when it has ended (or was interrupted): write it to the journal. */
  readonly onAction?: (record: ActionRecord) => void;
  /** Called as an entry starts (a journal that must show what was in flight if the process dies). */
  readonly onStart?: (entry: ScheduleEntry, startedAt: number) => void;
  /** Clock time (ms) of t = 0; default: clock.now() when run() is called. */
  readonly startTime?: number;
}

/** Longest single timer: Node's setTimeout cannot wait longer than 2^31−1 ms. */
const maxTimerMs = 3_600_000;

/** Resolves true at `targetTime` on the clock, false as soon as `signal` aborts. */
function waitUntil(clock: Clock, targetTime: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve(false);
    const step = (): void => {
      const left = targetTime - clock.now();
      if (left <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
        return;
      }
      timer = clock.setTimeout(step, Math.min(left, maxTimerMs));
    };
    let timer: { cancel(): void } | undefined;
    const onAbort = (): void => {
      timer?.cancel();
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    step();
  });
}

/** Apply one entry through the targets. */
export function applyEntry(targets: FaultTargets, e: ScheduleEntry): Promise<void> {
  const component = (): ComponentTarget => e.targets[0] as ComponentTarget;
  const ctx: ActionContext = { seq: e.seq, at: e.at, source: e.source };
  switch (e.action) {
    case 'partition':
      return targets.partition(e.targets, e.params.mode, ctx);
    case 'heal':
      return targets.heal(e.targets, ctx);
    case 'degrade':
      return targets.setLinkProfile(e.targets, e.params.profile, 'degrade', ctx);
    case 'restore':
      return targets.setLinkProfile(e.targets, e.params.profile, 'restore', ctx);
    case 'move-vehicles':
      return targets.moveVehicles(e.targets, e.params.cell, e.params.profile, ctx);
    case 'node-offline':
      return targets.nodesOffline(e.targets, e.params, ctx);
    case 'node-online':
      return targets.nodesOnline(e.targets, e.params, ctx);
    case 'stop-edges':
      return targets.stopEdges(e.targets, ctx);
    case 'start-edges':
      return targets.startEdges(e.targets, e.params, ctx);
    case 'kill-component':
      return targets.killComponent(component(), ctx);
    case 'start-component':
      return targets.startComponent(component(), ctx);
    case 'restart-component':
      return targets.restartComponent(component(), ctx);
    case 'rollout':
      return targets.rolloutUpdate(e.params.workload, e.targets, e.params.image, ctx);
    case 'delete-workload':
      return targets.deleteWorkload(e.params.workload, e.targets, e.params.force, ctx);
    case 'apply-workload':
      return targets.applyWorkload(e.params.workload, e.targets, ctx);
    case 'mark':
      return targets.mark?.(e.params.label, ctx) ?? Promise.resolve();
    case 'set-desired':
      return targets.setDesired(e.targets, e.params.property, e.params.value, ctx);
  }
}

const errorOf = (e: unknown): { message: string; code?: string } => (isEdgeproofError(e) ? { message: e.oneLine(), code: e.code } : { message: messageOf(e) });

/** Run a schedule (or a slice of its entries) to the end, or until cancelled. Never throws for a failing action. */
export async function runSchedule(schedule: Schedule | readonly ScheduleEntry[], opts: ExecutorOptions): Promise<ExecutionReport> {
  const entries: readonly ScheduleEntry[] = 'format' in schedule ? schedule.entries : schedule;
  const { clock, targets, signal } = opts;
  const startTime = opts.startTime ?? clock.now();
  const records: ActionRecord[] = [];
  const hookErrors: string[] = [];
  let errors = 0;
  let cancelled = false;
  const hook = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      hookErrors.push(messageOf(e));
    }
  };

  for (const entry of entries) {
    if (!(await waitUntil(clock, startTime + entry.at, signal))) {
      cancelled = true;
      break;
    }
    const startedAt = clock.now() - startTime;
    hook(() => opts.onStart?.(entry, startedAt));
    let outcome: ActionOutcome = 'ok';
    let error: { message: string; code?: string } | undefined;
    try {
      const running = applyEntry(targets, entry);
      if (signal === undefined) await running;
      else {
        let onAbort: (() => void) | undefined;
        const aborted = new Promise<'aborted'>((resolve) => {
          onAbort = () => resolve('aborted');
          if (signal.aborted) resolve('aborted');
          else signal.addEventListener('abort', onAbort, { once: true });
        });
        const result = await Promise.race([running.then(() => 'done' as const), aborted]);
        if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
        if (result === 'aborted') {
          running.catch(() => undefined); // it may still settle; nobody is waiting any more
          outcome = 'interrupted';
          cancelled = true;
        }
      }
    } catch (e) {
      outcome = 'error';
      error = errorOf(e);
      errors++;
    }
    const endedAt = clock.now() - startTime;
    const record: ActionRecord = { ...entry, startedAt, endedAt, lateMs: Math.max(0, startedAt - entry.at), outcome, ...(error !== undefined ? { error } : {}) };
    records.push(record);
    hook(() => opts.onAction?.(record));
    if (cancelled) break;
  }
  const notRun = entries.length - records.length;
  return { records, completed: notRun === 0 && !cancelled, cancelled, notRun, errors, startTime, hookErrors };
}
