import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry } from '../journal.ts';
import { compareRv, objectKey, objectLabel } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * sync.monotonic — an edge never applies an older version of an object after a newer one.
 *
 * Per (node, object key), over the whole history, the edge's `apply`/`delete` lines:
 * - the current incarnation is the uid of the last apply; a later apply of the same uid must not have a lower rv
 *   (numeric uint64 order; an equal rv is an idempotent re-apply, which at-least-once delivery allows);
 * - an apply with a new uid starts a new incarnation (a re-create is not a regression) and retires the old uid;
 * - a `delete` retires the uid it names (or the current one when it names none);
 * - applying a retired uid again is a regression: the object came back from the past (a resurrection after a
 *   delete, or an older incarnation over a newer one). Kubernetes never reuses a uid, so nothing newer can exist.
 * A case = one `apply` line; it is violated when it goes backwards in one of these ways.
 *
 * Cost: one pass, O(1) map work per line; state is one entry per (node, key) plus its retired uids.
 */

interface Incarnations {
  uid: string | undefined;
  maxRv: string;
  maxLine: number;
  /** Retired uid → the line that retired it. */
  retired: Map<string, number> | undefined;
}

export function checkSyncMonotonic(history: readonly JournalEntry[], _bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const state = new Map<string, Incarnations>(); // `${node}\u0000${key}`
  const collector = new EvidenceCollector(options);
  let checked = 0;

  const retire = (s: Incarnations, uid: string, line: number): void => {
    (s.retired ??= new Map()).set(uid, line);
  };

  for (const e of history) {
    if (e.op === 'apply') {
      checked++;
      const id = `${e.node}\u0000${objectKey(e.kind, e.namespace, e.name)}`;
      const s = state.get(id);
      if (s === undefined) {
        state.set(id, { uid: e.uid, maxRv: e.rv, maxLine: e.seq, retired: undefined });
        continue;
      }
      const retiredAt = s.retired?.get(e.uid);
      if (retiredAt !== undefined) {
        collector.add(2, {
          line: e.seq,
          related: [retiredAt],
          node: e.node,
          object: objectLabel(e.kind, e.namespace, e.name),
          t: e.t,
          note: `uid ${e.uid} applied again at rv ${e.rv} after line ${retiredAt} retired it (deleted or replaced by a newer incarnation)`,
        });
        continue;
      }
      if (s.uid === e.uid) {
        if (compareRv(e.rv, s.maxRv) < 0) {
          collector.add(1, {
            line: e.seq,
            related: [s.maxLine],
            node: e.node,
            object: objectLabel(e.kind, e.namespace, e.name),
            t: e.t,
            note: `rv went backwards: applied rv ${e.rv} after rv ${s.maxRv} (line ${s.maxLine})`,
          });
        } else if (compareRv(e.rv, s.maxRv) > 0) {
          s.maxRv = e.rv;
          s.maxLine = e.seq;
        }
        continue;
      }
      if (s.uid !== undefined) retire(s, s.uid, e.seq);
      s.uid = e.uid;
      s.maxRv = e.rv;
      s.maxLine = e.seq;
    } else if (e.op === 'delete') {
      const id = `${e.node}\u0000${objectKey(e.kind, e.namespace, e.name)}`;
      let s = state.get(id);
      if (s === undefined) {
        if (e.uid === undefined) continue;
        s = { uid: undefined, maxRv: '0', maxLine: e.seq, retired: undefined };
        state.set(id, s);
      }
      const uid = e.uid ?? s.uid;
      if (uid !== undefined) retire(s, uid, e.seq);
      if (uid === s.uid) s.uid = undefined;
    }
  }

  return verdictFrom(
    'sync.monotonic',
    { checked, skipped: 0, collector },
    {
      held: `all ${checked} edge applies went forward (per node and object: rv never lower for a uid, no retired uid re-applied)`,
      violated: `${collector.count} of ${checked} edge applies went backwards`,
      notChecked: 'no edge applied any object',
    },
  );
}
