import type { GuaranteeBounds } from '../bounds.ts';
import type { EntryOf, JournalEntry } from '../journal.ts';
import { deviceLabel, ms, NodeTracker, objectLabel } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * autonomy.keep-running — a partitioned edge keeps its pods running and its devices served.
 *
 * A partition window of node N runs from the line that makes N partitioned to the line that ends it (or the end
 * of the history). Pods: N's running pods are the pods whose last `pod-state` is 'running'; a `kill` of N clears
 * them (they died with the process — autonomy.restart-offline judges their return) and `pod-state` lines while N
 * is killed are ignored.
 * - Pod case = (window, pod) for every pod running on N at some moment of the window. Violated when, inside the
 *   window, a `pod-state` line moves it from 'running' to anything else (evidence: the first such line).
 * - Device case = a `device-request` of N inside a window while N is not killed. Held when a `device-answer` with
 *   the same (node, reqId) comes with t ≤ request t + autonomy.deviceAnswerMs; violated when a line later than
 *   that exists and no answer came in time; skipped when the history ends first.
 *
 * Cost: one pass. Requests wait in a FIFO ordered by their answer deadline (request t + a constant, so FIFO order
 * is deadline order); each line first expires the overdue ones: O(1) amortised per line.
 */
export function checkAutonomyKeepRunning(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const tracker = new NodeTracker();
  const running = new Map<string, Map<string, number>>(); // node → pod "ns/name" → line it became running
  const windows = new Map<string, { seq: number; t: number; pods: Set<string>; stopped: Set<string> }>(); // open window per node
  const pending = new Map<string, { e: EntryOf<'device-request'>; windowLine: number; due: number }>(); // `${node}\0${reqId}` (unique per node)
  const queue: { id: string; due: number }[] = [];
  let head = 0;
  const collector = new EvidenceCollector(options);
  let podCases = 0;
  let deviceCases = 0;
  let skipped = 0;
  let partitions = 0;

  const runningOf = (node: string): Map<string, number> => {
    let m = running.get(node);
    if (m === undefined) {
      m = new Map();
      running.set(node, m);
    }
    return m;
  };
  const countPod = (w: { pods: Set<string> }, pod: string): void => {
    if (w.pods.has(pod)) return;
    w.pods.add(pod);
    podCases++;
  };

  for (const e of history) {
    // requests whose answer deadline passed before this line
    while (head < queue.length && queue[head]!.due < e.t) {
      const { id, due } = queue[head++]!;
      const p = pending.get(id);
      if (p === undefined || p.due !== due) continue; // answered (or a reused reqId: the newer request waits on)
      pending.delete(id);
      collector.add(1, {
        line: p.e.seq,
        related: [p.windowLine],
        node: p.e.node,
        object: deviceLabel(p.e.namespace, p.e.name),
        t: due,
        note: `device request ${p.e.reqId}${p.e.value === undefined ? '' : ` (${p.e.value})`} during the partition got no answer within ${ms(bounds.autonomy.deviceAnswerMs)}`,
      });
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }

    const healed = tracker.healedBy(e);
    tracker.observe(e);
    switch (e.op) {
      case 'kill':
        if (e.component === 'edge') for (const n of e.nodes ?? []) running.get(n)?.clear();
        break;
      case 'start':
        running.get(e.node)?.clear();
        break;
      case 'pod-state': {
        if (tracker.killed(e.node)) break;
        const pod = `${e.namespace}/${e.name}`;
        const pods = runningOf(e.node);
        const w = windows.get(e.node);
        if (e.value === 'running') {
          if (!pods.has(pod)) pods.set(pod, e.seq);
          if (w !== undefined) countPod(w, pod);
        } else if (pods.has(pod)) {
          const since = pods.get(pod)!;
          pods.delete(pod);
          if (w !== undefined && !w.stopped.has(pod)) {
            w.stopped.add(pod);
            collector.add(2, {
              line: e.seq,
              related: [w.seq, since],
              node: e.node,
              object: objectLabel('Pod', e.namespace, e.name),
              t: e.t,
              note: `pod went ${e.value} at t=${e.t} while the node was partitioned (since t=${w.t})`,
            });
          }
        }
        break;
      }
      case 'device-request':
        if (windows.has(e.node) && !tracker.killed(e.node)) {
          const id = `${e.node}\u0000${e.reqId}`;
          const due = e.t + bounds.autonomy.deviceAnswerMs;
          if (pending.has(id)) deviceCases--; // a reused reqId replaces the request still waiting
          pending.set(id, { e, windowLine: windows.get(e.node)!.seq, due });
          queue.push({ id, due });
          deviceCases++;
        }
        break;
      case 'device-answer':
        pending.delete(`${e.node}\u0000${e.reqId}`);
        break;
      default:
        break;
    }
    // windows open and close on the partition state transitions this line caused
    for (const n of e.op === 'heal' ? healed : NodeTracker.touched(e)) {
      const open = windows.get(n);
      if (open === undefined && tracker.partitioned(n)) {
        partitions++;
        const w = { seq: e.seq, t: e.t, pods: new Set<string>(), stopped: new Set<string>() };
        windows.set(n, w);
        for (const pod of running.get(n)?.keys() ?? []) countPod(w, pod);
      } else if (open !== undefined && !tracker.partitioned(n)) {
        windows.delete(n);
      }
    }
  }
  // requests still waiting when the history ended could not be judged
  skipped += pending.size;
  deviceCases -= pending.size;

  const checked = podCases + deviceCases;
  const skippedNote = skipped > 0 ? `; ${skipped} device request(s) not judgeable: the history ended before their answer deadline` : '';
  return verdictFrom(
    'autonomy.keep-running',
    { checked, skipped, collector },
    {
      held: `across ${partitions} partition window(s), ${podCases} running pod(s) kept running and ${deviceCases} device request(s) were answered in time${skippedNote}`,
      violated: `${collector.count} failure(s) during ${partitions} partition window(s): pods stopped or device requests unanswered (${podCases} pod case(s), ${deviceCases} request(s))${skippedNote}`,
      notChecked: partitions === 0 ? 'no node was partitioned' : `partitioned nodes ran no pods and had no device requests${skippedNote}`,
    },
  );
}
