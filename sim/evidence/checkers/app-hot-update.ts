import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry } from '../journal.ts';
import { endOf, ms, NodeTracker, objectLabel } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * app.hot-update — a rolling app update reaches every vehicle once it is covered, without the old version
 * stopping before the new one runs.
 *
 * Precisely, for each `update-rollout` line R (app A, version V) and each vehicle n it names:
 * - covered(R, τ) = total time in [R.t, τ] during which n was online (connected ∧ ¬partitioned ∧ ¬killed).
 * - The update ends at the first `pod-state` 'running' on n with app A and version V after R (immediately, if
 *   such a pod already runs at R), or when a later rollout of A names n (superseded), or at the history's end.
 * - Update case: violated when covered(R, end) > app.hotUpdateMs and the end is not V running in time — i.e. the
 *   vehicle was covered for longer than the bound before V ran, or V never ran. If it ends superseded or with the
 *   history before that much coverage, it is skipped.
 * - No-gap case: violated when, between R and the end of the update, a `pod-state` line takes the last running
 *   pod of A on n out of 'running' (A had ≥ 1 running pod and has none): the old version stopped before the new
 *   one ran. Otherwise judged (held) together with the update case, skipped with it.
 * N's running pods come from `pod-state` lines (app/version labels); lines while n is killed are ignored, and a
 * kill or start empties them without counting as a gap (the process died; restart-offline judges that).
 *
 * Cost: one pass; per (vehicle, app) one open case holding a coverage accumulator updated only on the lines
 * that change n's online state.
 */
interface Case {
  readonly node: string;
  readonly app: string;
  readonly version: string;
  readonly line: number;
  readonly t: number;
  acc: number;
  since: number | undefined; // online since (while online)
  crossedAt: number | undefined; // the instant covered time passed the bound
  gap: boolean;
}

export function checkAppHotUpdate(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const bound = bounds.app.hotUpdateMs;
  const tracker = new NodeTracker();
  const running = new Map<string, Map<string, Map<string, string>>>(); // node → app → pod → version
  const open = new Map<string, Map<string, Case>>(); // node → app → case
  const collector = new EvidenceCollector(options);
  let checked = 0;
  let skipped = 0;
  let rollouts = 0;

  const appPods = (node: string, app: string): Map<string, string> => {
    let apps = running.get(node);
    if (apps === undefined) {
      apps = new Map();
      running.set(node, apps);
    }
    let pods = apps.get(app);
    if (pods === undefined) {
      pods = new Map();
      apps.set(app, pods);
    }
    return pods;
  };

  const covered = (c: Case, at: number): number => c.acc + (c.since === undefined ? 0 : at - c.since);

  /** Finish a case at time `at`; `ran` = V is running now. */
  const finish = (c: Case, at: number, ran: boolean): void => {
    open.get(c.node)?.delete(c.app);
    const cov = covered(c, at);
    const late = cov > bound;
    if (!ran && !late) {
      // superseded or the history ended before the vehicle was covered long enough: cannot say
      if (c.gap) {
        checked++;
        skipped++;
      } else skipped += 2;
      return;
    }
    checked += 2;
    if (late) {
      const crossed = c.crossedAt ?? (c.since === undefined ? at : c.since + (bound - c.acc));
      collector.add(1, {
        line: c.line,
        node: c.node,
        object: `app ${c.app}`,
        t: crossed,
        note: ran
          ? `version ${c.version} ran only at t=${at}, after ${ms(cov)} of coverage since the rollout at t=${c.t} (bound ${ms(bound)})`
          : `version ${c.version} never ran: ${ms(cov)} of coverage since the rollout at t=${c.t} (bound ${ms(bound)})`,
      });
    }
  };

  const setOnline = (node: string, at: number, online: boolean): void => {
    for (const c of open.get(node)?.values() ?? []) {
      if (online && c.since === undefined) c.since = at;
      else if (!online && c.since !== undefined) {
        const before = c.acc;
        c.acc += at - c.since;
        if (c.crossedAt === undefined && before <= bound && c.acc > bound) c.crossedAt = c.since + (bound - before);
        c.since = undefined;
      }
    }
  };

  for (const e of history) {
    const touched = e.op === 'heal' ? tracker.healedBy(e) : NodeTracker.touched(e);
    if (touched.length === 0) tracker.observe(e);
    else {
      const wasOnline = touched.map((n) => tracker.online(n));
      tracker.observe(e);
      touched.forEach((n, i) => {
        const now = tracker.online(n);
        if (now !== wasOnline[i]) setOnline(n, e.t, now);
      });
    }

    switch (e.op) {
      case 'update-rollout':
        rollouts++;
        for (const n of e.nodes) {
          let cases = open.get(n);
          const prev = cases?.get(e.app);
          if (prev !== undefined) finish(prev, e.t, false);
          const c: Case = { node: n, app: e.app, version: e.version, line: e.seq, t: e.t, acc: 0, since: tracker.online(n) ? e.t : undefined, crossedAt: undefined, gap: false };
          const pods = running.get(n)?.get(e.app);
          if (pods !== undefined && [...pods.values()].includes(e.version)) {
            checked += 2; // already running the new version: nothing to wait for, no gap possible
            continue;
          }
          if (cases === undefined) {
            cases = new Map();
            open.set(n, cases);
          }
          cases.set(e.app, c);
        }
        break;
      case 'kill':
        if (e.component === 'edge') for (const n of e.nodes ?? []) running.delete(n);
        break;
      case 'start':
        running.delete(e.node);
        break;
      case 'pod-state': {
        if (e.app === undefined || tracker.killed(e.node)) break;
        const pods = appPods(e.node, e.app);
        const pod = `${e.namespace}/${e.name}`;
        const c = open.get(e.node)?.get(e.app);
        if (e.value === 'running') {
          pods.set(pod, e.version ?? '');
          if (c !== undefined && e.version === c.version) finish(c, e.t, true);
        } else if (pods.delete(pod) && pods.size === 0 && c !== undefined && !c.gap) {
          c.gap = true;
          collector.add(2, {
            line: e.seq,
            related: [c.line],
            node: e.node,
            object: objectLabel('Pod', e.namespace, e.name),
            t: e.t,
            note: `gap: the last running pod of app ${e.app} went ${e.value} at t=${e.t} before version ${c.version} ran (rollout at t=${c.t})`,
          });
        }
        break;
      }
      default:
        break;
    }
  }
  const end = endOf(history);
  for (const cases of [...open.values()]) for (const c of [...cases.values()]) finish(c, end, false);

  const skippedNote = skipped > 0 ? `; ${skipped} case(s) not judgeable (superseded, or the vehicle was not covered long enough before the history ended)` : '';
  return verdictFrom(
    'app.hot-update',
    { checked, skipped, collector },
    {
      held: `${checked / 2} vehicle update(s) from ${rollouts} rollout(s) reached the new version within ${ms(bound)} of coverage, without a gap${skippedNote}`,
      violated: `${collector.count} failure(s) in ${rollouts} rollout(s): vehicles left on the old version past ${ms(bound)} of coverage, or gaps with no version running${skippedNote}`,
      notChecked: rollouts === 0 ? 'no app update was rolled out' : `no vehicle update could be judged${skippedNote}`,
    },
  );
}
