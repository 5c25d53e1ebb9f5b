import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry } from '../journal.ts';
import { ms, NodeTracker } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * autonomy.restart-offline — an edge restarted while offline restores its pods from local state alone
 * (upstream #4210/#3618/#4441/#6414: pods do not start when an offline node reboots).
 *
 * Precisely:
 * - N's running pods: pods whose last `pod-state` is 'running' (lines while N is killed are ignored).
 * - An offline restart = a `start` of N while N is partitioned. The pods expected back are those running when N
 *   was killed (the `kill` before this start; a second kill keeps the first snapshot) or, without a kill, those
 *   running just before the start. A start empties N's running pods: the new process must bring them back.
 * - Case = (offline restart, expected pod). Restored when a `pod-state` 'running' of that pod on N comes after the
 *   start, before N's next `connect`/`kill`/`start` (so from local state, not from the cloud), with
 *   t ≤ start t + autonomy.restoreMs. Violated when a line later than that bound comes first. Skipped when N
 *   reconnects, is killed or restarts again within the bound (local and cloud restore are then indistinguishable),
 *   or the history ends first.
 *
 * Cost: one pass; open restarts wait in a FIFO by due time (start t + a constant, so FIFO order is due order).
 */
interface OpenRestart {
  readonly node: string;
  readonly line: number;
  readonly killLine: number | undefined;
  readonly t: number;
  readonly due: number;
  readonly pods: Set<string>;
  closed: boolean;
}

export function checkAutonomyRestartOffline(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const tracker = new NodeTracker();
  const running = new Map<string, Set<string>>();
  const killSnapshots = new Map<string, { pods: Set<string>; line: number }>();
  const open = new Map<string, OpenRestart>();
  const queue: OpenRestart[] = [];
  let head = 0;
  const collector = new EvidenceCollector(options);
  let checked = 0;
  let skipped = 0;
  let offlineRestarts = 0;

  const close = (r: OpenRestart, judge: 'violated' | 'skipped'): void => {
    if (r.closed) return;
    r.closed = true;
    if (open.get(r.node) === r) open.delete(r.node);
    if (judge === 'skipped') {
      skipped += r.pods.size;
      return;
    }
    checked += r.pods.size;
    for (const pod of r.pods) {
      const [ns, name] = splitPod(pod);
      collector.add(1, {
        line: r.line,
        related: r.killLine === undefined ? [] : [r.killLine],
        node: r.node,
        object: `Pod ${ns}/${name}`,
        t: r.due,
        note: `restarted offline at t=${r.t}; pod not running again from local state within ${ms(bounds.autonomy.restoreMs)}`,
      });
    }
    r.pods.clear();
  };

  for (const e of history) {
    while (head < queue.length && queue[head]!.due < e.t) close(queue[head++]!, 'violated');
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }

    switch (e.op) {
      case 'kill':
        if (e.component !== 'edge') break;
        for (const n of e.nodes ?? []) {
          const r = open.get(n);
          if (r !== undefined) close(r, 'skipped');
          if (tracker.killed(n)) continue; // killed twice: the first snapshot stands
          killSnapshots.set(n, { pods: new Set(running.get(n)), line: e.seq });
          running.get(n)?.clear();
        }
        break;
      case 'connect': {
        const r = open.get(e.node);
        if (r !== undefined) close(r, 'skipped');
        break;
      }
      case 'start': {
        const prev = open.get(e.node);
        if (prev !== undefined) close(prev, 'skipped');
        const snap = tracker.killed(e.node) ? killSnapshots.get(e.node) : undefined;
        const expected = snap?.pods ?? new Set(running.get(e.node));
        killSnapshots.delete(e.node);
        running.get(e.node)?.clear();
        if (!tracker.partitioned(e.node)) break;
        offlineRestarts++;
        if (expected.size === 0) break;
        const r: OpenRestart = { node: e.node, line: e.seq, killLine: snap?.line, t: e.t, due: e.t + bounds.autonomy.restoreMs, pods: expected, closed: false };
        open.set(e.node, r);
        queue.push(r);
        break;
      }
      case 'pod-state': {
        if (tracker.killed(e.node)) break;
        const pod = `${e.namespace}/${e.name}`;
        let pods = running.get(e.node);
        if (pods === undefined) {
          pods = new Set();
          running.set(e.node, pods);
        }
        if (e.value === 'running') {
          pods.add(pod);
          const r = open.get(e.node);
          if (r !== undefined && r.pods.delete(pod)) checked++;
        } else pods.delete(pod);
        break;
      }
      default:
        break;
    }
    tracker.observe(e);
  }
  for (const r of open.values()) close(r, 'skipped');

  const skippedNote = skipped > 0 ? `; ${skipped} pod case(s) not judgeable (reconnected, killed or the history ended within the restore bound)` : '';
  return verdictFrom(
    'autonomy.restart-offline',
    { checked, skipped, collector },
    {
      held: `after ${offlineRestarts} offline restart(s), all ${checked} expected pod(s) ran again from local state within ${ms(bounds.autonomy.restoreMs)}${skippedNote}`,
      violated: `${collector.count} of ${checked} pod(s) did not come back from local state within ${ms(bounds.autonomy.restoreMs)} of an offline restart${skippedNote}`,
      notChecked:
        offlineRestarts === 0
          ? 'no edge restarted while partitioned'
          : skipped === 0
            ? `${offlineRestarts} offline restart(s), but no pods were running to restore`
            : `no offline restart could be judged${skippedNote}`,
    },
  );
}

function splitPod(pod: string): [string, string] {
  const i = pod.indexOf('/');
  return [pod.slice(0, i), pod.slice(i + 1)];
}
