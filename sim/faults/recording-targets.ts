/**
 * FaultTargets that only record what they are asked to do (with the clock time): the dry run of a schedule,
 * and the fake system of executor and replay tests. Optional hooks make chosen calls fail or take time.
 */
import type { Clock, ManualClock } from '../core/clock.ts';
import { EdgeproofError } from '../core/errors.ts';
import type { FaultTargets } from './executor.ts';

export interface RecordedCall {
  /** Clock time (ms) of the call. */
  readonly t: number;
  readonly method: keyof FaultTargets;
  readonly args: readonly unknown[];
}

export interface RecordingOptions {
  /** Make a call throw (an EdgeproofError E_COMPONENT_UNHEALTHY naming the method). */
  readonly failOn?: (method: keyof FaultTargets, args: readonly unknown[]) => boolean;
  /** How long a call takes on the clock. */
  readonly durationMs?: (method: keyof FaultTargets, args: readonly unknown[]) => number;
  readonly onCall?: (call: RecordedCall) => void;
}

export function recordingTargets(clock: Clock, opts: RecordingOptions = {}): { readonly targets: FaultTargets; readonly calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const call =
    (method: keyof FaultTargets) =>
    async (...args: unknown[]): Promise<void> => {
      const c: RecordedCall = { t: clock.now(), method, args };
      calls.push(c);
      opts.onCall?.(c);
      const d = opts.durationMs?.(method, args) ?? 0;
      if (d > 0) await clock.sleep(d);
      if (opts.failOn?.(method, args) === true) throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `${method} failed`, { where: 'recording-targets' });
    };
  const targets: FaultTargets = {
    partition: call('partition'),
    heal: call('heal'),
    setLinkProfile: call('setLinkProfile'),
    moveVehicles: call('moveVehicles'),
    nodesOffline: call('nodesOffline'),
    nodesOnline: call('nodesOnline'),
    stopEdges: call('stopEdges'),
    startEdges: call('startEdges'),
    killComponent: call('killComponent'),
    startComponent: call('startComponent'),
    restartComponent: call('restartComponent'),
    rolloutUpdate: call('rolloutUpdate'),
    deleteWorkload: call('deleteWorkload'),
    applyWorkload: call('applyWorkload'),
    mark: call('mark'),
    setDesired: call('setDesired'),
  };
  return { targets, calls };
}

/**
 * Move a ManualClock forward by `ms` in steps, letting promise chains (the executor, async targets) run between
 * steps — ManualClock.advance alone only yields two microtasks per timer.
 */
export async function advanceSettled(clock: ManualClock, ms: number, step = 250): Promise<void> {
  const end = clock.now() + ms;
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  await settle(); // let the code under test reach its first wait before time moves
  while (clock.now() < end) {
    await clock.advance(Math.min(step, end - clock.now()));
    await settle();
  }
}
