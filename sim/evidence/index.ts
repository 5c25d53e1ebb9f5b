/**
 * sim/evidence — the history journal and the checkers that judge it (README §4).
 *
 * Producers write through a `JournalSink` (FileJournal for a run's history.jsonl, MemoryJournal in tests);
 * `readJournal` reads one back; `runCheckers` turns a history into one verdict per guarantee.
 */
import { EdgeproofError } from '../core/errors.ts';
import { boundsProblem, type GuaranteeBounds } from './bounds.ts';
import { checkAppHotUpdate } from './checkers/app-hot-update.ts';
import { checkAutonomyKeepRunning } from './checkers/autonomy-keep-running.ts';
import { checkAutonomyNoEviction } from './checkers/autonomy-no-eviction.ts';
import { checkAutonomyRestartOffline } from './checkers/autonomy-restart-offline.ts';
import { checkStatusFresh } from './checkers/status-fresh.ts';
import { checkStormRecover } from './checkers/storm-recover.ts';
import { checkSyncConverge } from './checkers/sync-converge.ts';
import { checkSyncMonotonic } from './checkers/sync-monotonic.ts';
import { checkSyncNoLostDelete } from './checkers/sync-no-lost-delete.ts';
import { checkTwinConverge } from './checkers/twin-converge.ts';
import { assertOrdered, type JournalEntry } from './journal.ts';
import { GUARANTEE_IDS, type CheckOptions, type Checker, type GuaranteeId, type Verdict } from './verdict.ts';

export * from './bounds.ts';
export * from './journal.ts';
export * from './verdict.ts';
export { compareRv, objectKey, objectLabel, deviceLabel, findDeadline } from './timeline.ts';
export {
  checkAppHotUpdate,
  checkAutonomyKeepRunning,
  checkAutonomyNoEviction,
  checkAutonomyRestartOffline,
  checkStatusFresh,
  checkStormRecover,
  checkSyncConverge,
  checkSyncMonotonic,
  checkSyncNoLostDelete,
  checkTwinConverge,
};

/** The checker of each guarantee id. */
export const checkers: Readonly<Record<GuaranteeId, Checker>> = {
  'sync.converge': checkSyncConverge,
  'sync.monotonic': checkSyncMonotonic,
  'sync.no-lost-delete': checkSyncNoLostDelete,
  'autonomy.keep-running': checkAutonomyKeepRunning,
  'autonomy.restart-offline': checkAutonomyRestartOffline,
  'autonomy.no-eviction': checkAutonomyNoEviction,
  'twin.converge': checkTwinConverge,
  'status.fresh': checkStatusFresh,
  'storm.recover': checkStormRecover,
  'app.hot-update': checkAppHotUpdate,
};

/**
 * Judge a history: one verdict per requested id (all, in GUARANTEE_IDS order, by default). Checks the history is
 * in journal order and the bounds are sane first (E_BAD_MESSAGE / E_BAD_SCENARIO). Each checker is one pass.
 */
export function runCheckers(history: readonly JournalEntry[], bounds: GuaranteeBounds, ids: readonly GuaranteeId[] = GUARANTEE_IDS, options?: CheckOptions): Verdict[] {
  const problem = boundsProblem(bounds);
  if (problem !== undefined) throw new EdgeproofError('E_BAD_SCENARIO', `guarantee bounds: ${problem}`, { fix: 'give every bound as a duration ≥ 0' });
  assertOrdered(history);
  return ids.map((id) => checkers[id](history, bounds, options));
}

/** The bounds the run recorded (its last `bounds` line), if any. */
export function boundsFromHistory(history: readonly JournalEntry[]): GuaranteeBounds | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i]!;
    if (e.op === 'bounds') return e.value;
  }
  return undefined;
}
