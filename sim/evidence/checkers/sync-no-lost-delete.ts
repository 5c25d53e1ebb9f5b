import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry } from '../journal.ts';
import { findDeadline, NodeTracker, objectKey, objectLabel } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * sync.no-lost-delete — an object deleted in the cloud while an edge that held it was offline is gone from that
 * edge by the deadline (KubeEdge drops the per-node queue on disconnect; only SyncController can re-deliver).
 *
 * Precisely (entries before the deadline D, see sync.converge):
 * - A case = (an `object-delete` X of key K, uid U; a node N) where N's edge copy of K had uid U just before X
 *   (last `apply` of K on N, no `delete` since) and N was offline at X: not connected, partitioned or killed.
 * - At D, a case is skipped when N is still partitioned or killed (it cannot have been told), else it is violated
 *   when N's copy of K still has uid U. A newer incarnation of K on N is fine (that is sync.converge's business).
 * Deletes while the edge was online are left to sync.converge (an extra copy at the deadline).
 *
 * Cost: one pass with an index key → (node → held uid), so a delete visits only the nodes holding that key.
 */
export function checkSyncNoLostDelete(history: readonly JournalEntry[], _bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const deadline = findDeadline(history);
  const holders = new Map<string, Map<string, { uid: string; line: number }>>();
  const cases: { node: string; key: string; uid: string; label: string; line: number; t: number; applyLine: number }[] = [];
  const tracker = new NodeTracker();

  for (let i = 0; i < deadline.cut; i++) {
    const e = history[i]!;
    switch (e.op) {
      case 'apply': {
        const key = objectKey(e.kind, e.namespace, e.name);
        let m = holders.get(key);
        if (m === undefined) {
          m = new Map();
          holders.set(key, m);
        }
        m.set(e.node, { uid: e.uid, line: e.seq });
        break;
      }
      case 'delete':
        holders.get(objectKey(e.kind, e.namespace, e.name))?.delete(e.node);
        break;
      case 'object-delete': {
        const key = objectKey(e.kind, e.namespace, e.name);
        const m = holders.get(key);
        if (m === undefined) break;
        for (const [node, held] of m) {
          if (held.uid !== e.uid || tracker.online(node)) continue;
          cases.push({ node, key, uid: e.uid, label: objectLabel(e.kind, e.namespace, e.name), line: e.seq, t: e.t, applyLine: held.line });
        }
        break;
      }
      default:
        break;
    }
    tracker.observe(e);
  }

  const collector = new EvidenceCollector(options);
  let checked = 0;
  let skipped = 0;
  for (const c of cases) {
    if (tracker.partitioned(c.node) || tracker.killed(c.node)) {
      skipped++;
      continue;
    }
    checked++;
    const held = holders.get(c.key)?.get(c.node);
    if (held?.uid !== c.uid) continue;
    collector.add(deadline.t - c.t, {
      line: c.line,
      related: [held.line, ...(deadline.seq === undefined ? [] : [deadline.seq])],
      node: c.node,
      object: c.label,
      t: deadline.t,
      note: `deleted in the cloud at t=${c.t} while the node was offline; uid ${c.uid} is still on the edge at the deadline t=${deadline.t}`,
    });
  }

  const skippedNote = skipped > 0 ? `; ${skipped} case(s) skipped: the node was still partitioned or killed at the deadline` : '';
  return verdictFrom(
    'sync.no-lost-delete',
    { checked, skipped, collector },
    {
      held: `all ${checked} objects deleted while a holding edge was offline are gone from it by the deadline t=${deadline.t}${skippedNote}`,
      violated: `${collector.count} of ${checked} objects deleted while a holding edge was offline are still on it at the deadline t=${deadline.t}${skippedNote}`,
      notChecked: cases.length === 0 ? 'no object was deleted in the cloud while an edge that held it was offline' : `every case was skipped${skippedNote}`,
    },
  );
}
