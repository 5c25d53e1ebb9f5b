import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry } from '../journal.ts';
import { compareRv, findDeadline, ms, NodeTracker, objectKey, objectLabel } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * sync.converge — after faults heal, every edge's local copy of every object it should hold equals the cloud's,
 * same uid and resourceVersion, by the deadline.
 *
 * Precisely:
 * - D = the deadline (last `deadline` entry, else the last entry); only entries before it count.
 * - The cloud's view of object K for node N at an instant: present {uid, rv} when K exists (last `object-upsert`
 *   not followed by `object-delete`) and N ∈ its targets; absent otherwise.
 * - Acceptable views = every view the cloud held at some instant of [D − sync.lagMs, D]: the one in force at
 *   D − lagMs (absent before K's first entry) plus the one after each cloud entry in (D − lagMs, D].
 * - The edge's copy of K on N = its last `apply` (uid, rv) unless a later `delete`; absent otherwise.
 * - Judged nodes: nodes with an edge line before D that are neither partitioned nor killed at D.
 * - A case = (judged N, K) where the edge holds a copy or some acceptable view is present for N. It holds when
 *   the copy equals an acceptable view (absent = absent). Otherwise: `missing` (no copy), `extra` (a copy, no
 *   acceptable view present) or `stale` (a copy at another uid/rv).
 * - Not judged (`retained`): a copy whose object still exists in the cloud at D with the copy's uid, that the
 *   cloud once targeted to N and targets no longer. KubeEdge keeps such copies by design: edgecontroller sends a
 *   ConfigMap/Secret delete only when the object itself is deleted, not when the node's last pod using it goes,
 *   and no pod on N reads it any more.
 * A deleted object still held is both `extra` here and a sync.no-lost-delete case when the node was offline at
 * the delete: this checker judges the end state, that one the offline delete path.
 *
 * Cost: one pass; state is O(objects × views in the lag window + edge copies), evaluation walks each edge copy
 * and each acceptable view's targets once — no per-object scan of the history.
 */

type View = { readonly present: false; readonly line: number; readonly t: number } | {
  readonly present: true;
  readonly uid: string;
  readonly rv: string;
  readonly targets: readonly string[];
  readonly line: number;
  readonly t: number;
};

interface CloudObject {
  readonly label: string;
  views: View[];
  lastLine: number;
  lastT: number;
}

interface EdgeCopy {
  readonly uid: string;
  readonly rv: string;
  readonly line: number;
  readonly t: number;
}

export function checkSyncConverge(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const deadline = findDeadline(history);
  const windowStart = deadline.t - bounds.sync.lagMs;
  const cloud = new Map<string, CloudObject>();
  const edge = new Map<string, Map<string, EdgeCopy>>();
  const labels = new Map<string, string>();
  /** Per object, the nodes its current uid was ever targeted to (for `retained`). */
  const everTargeted = new Map<string, { uid: string; nodes: Set<string> }>();
  const tracker = new NodeTracker();

  const setView = (key: string, label: string, view: View): void => {
    const obj = cloud.get(key);
    if (obj === undefined) {
      // before its first entry the object did not exist: that absence is acceptable if it reaches into the window
      const views: View[] = view.t > windowStart ? [{ present: false, line: view.line, t: -Infinity }, view] : [view];
      cloud.set(key, { label, views, lastLine: view.line, lastT: view.t });
      return;
    }
    if (view.t > windowStart) obj.views.push(view);
    else obj.views = [view];
    obj.lastLine = view.line;
    obj.lastT = view.t;
  };

  for (let i = 0; i < deadline.cut; i++) {
    const e = history[i]!;
    tracker.observe(e);
    switch (e.op) {
      case 'object-upsert': {
        const key = objectKey(e.kind, e.namespace, e.name);
        let ever = everTargeted.get(key);
        if (ever?.uid !== e.uid) {
          ever = { uid: e.uid, nodes: new Set() };
          everTargeted.set(key, ever);
        }
        for (const n of e.targets) ever.nodes.add(n);
        setView(key, objectLabel(e.kind, e.namespace, e.name), {
          present: true,
          uid: e.uid,
          rv: e.rv,
          targets: e.targets,
          line: e.seq,
          t: e.t,
        });
        break;
      }
      case 'object-delete':
        setView(objectKey(e.kind, e.namespace, e.name), objectLabel(e.kind, e.namespace, e.name), { present: false, line: e.seq, t: e.t });
        break;
      case 'apply': {
        let copies = edge.get(e.node);
        if (copies === undefined) {
          copies = new Map();
          edge.set(e.node, copies);
        }
        const key = objectKey(e.kind, e.namespace, e.name);
        copies.set(key, { uid: e.uid, rv: e.rv, line: e.seq, t: e.t });
        if (!labels.has(key)) labels.set(key, objectLabel(e.kind, e.namespace, e.name));
        break;
      }
      case 'delete':
        edge.get(e.node)?.delete(objectKey(e.kind, e.namespace, e.name));
        break;
      default:
        break;
    }
  }

  const judged = new Set<string>();
  let excluded = 0;
  for (const n of tracker.edgeNodes) {
    if (tracker.partitioned(n) || tracker.killed(n)) excluded++;
    else judged.add(n);
  }

  const collector = new EvidenceCollector(options);
  const related = (...lines: (number | undefined)[]): number[] => lines.filter((l): l is number => l !== undefined);
  let checked = 0;
  let retained = 0;
  // views as target sets, built once per object on demand (a ConfigMap may target thousands of nodes)
  const targetSets = new Map<string, (ReadonlySet<string> | undefined)[]>();
  const presentSets = (key: string, obj: CloudObject): (ReadonlySet<string> | undefined)[] => {
    let sets = targetSets.get(key);
    if (sets === undefined) {
      sets = obj.views.map((v) => (v.present ? new Set(v.targets) : undefined));
      targetSets.set(key, sets);
    }
    return sets;
  };

  // 1. every copy an edge holds
  for (const [node, copies] of edge) {
    if (!judged.has(node)) continue;
    for (const [key, copy] of copies) {
      checked++;
      const obj = cloud.get(key);
      const label = obj?.label ?? labels.get(key) ?? key;
      const sets = obj === undefined ? [] : presentSets(key, obj);
      let match = false;
      let anyPresent = false;
      let latestPresent: (View & { present: true }) | undefined;
      if (obj !== undefined) {
        for (let i = 0; i < obj.views.length; i++) {
          const v = obj.views[i]!;
          if (!v.present || sets[i]?.has(node) !== true) continue;
          anyPresent = true;
          latestPresent = v;
          if (v.uid === copy.uid && compareRv(v.rv, copy.rv) === 0) match = true;
        }
      }
      if (match) continue;
      const age = deadline.t - (obj?.lastT ?? copy.t);
      if (!anyPresent) {
        const latest = obj?.views[obj.views.length - 1];
        const ever = everTargeted.get(key);
        if (latest?.present === true && latest.uid === copy.uid && ever?.uid === copy.uid && ever.nodes.has(node)) {
          checked--;
          retained++;
          continue;
        }
        const why = obj === undefined ? 'the cloud never had it' : obj.views.every((v) => !v.present) ? `deleted in the cloud at t=${obj.lastT}` : 'the cloud does not target it to this node';
        collector.add(age, {
          line: obj?.lastLine ?? copy.line,
          related: related(copy.line, deadline.seq),
          node,
          object: label,
          t: deadline.t,
          note: `extra: the edge still holds uid ${copy.uid} rv ${copy.rv} at the deadline, but ${why}`,
        });
      } else {
        const want = latestPresent!;
        collector.add(age, {
          line: obj!.lastLine,
          related: related(copy.line, deadline.seq),
          node,
          object: label,
          t: deadline.t,
          note: `stale: the edge holds uid ${copy.uid} rv ${copy.rv} at the deadline, the cloud has uid ${want.uid} rv ${want.rv} (lag allowed ${ms(bounds.sync.lagMs)})`,
        });
      }
    }
  }

  // 2. objects the cloud wants on a judged node that holds no copy
  for (const [key, obj] of cloud) {
    const sets = presentSets(key, obj);
    const candidates = new Set<string>();
    for (const s of sets) if (s !== undefined) for (const n of s) if (judged.has(n) && edge.get(n)?.has(key) !== true) candidates.add(n);
    for (const node of candidates) {
      checked++;
      if (!sets.every((s) => s?.has(node) === true)) continue; // some acceptable view is "absent": no copy is fine
      const last = obj.views[obj.views.length - 1] as View & { present: true };
      collector.add(deadline.t - obj.lastT, {
        line: obj.lastLine,
        related: related(deadline.seq),
        node,
        object: obj.label,
        t: deadline.t,
        note: `missing: the cloud has uid ${last.uid} rv ${last.rv} for this node since t=${obj.lastT}, the edge holds nothing at the deadline`,
      });
    }
  }

  const at = `at the deadline t=${deadline.t}${deadline.seq === undefined ? ' (end of history)' : ` (line ${deadline.seq})`}`;
  const excludedNote =
    (excluded > 0 ? `; ${excluded} node(s) still partitioned or killed were not judged` : '') +
    (retained > 0 ? `; ${retained} copy(ies) of objects the cloud still has but no longer targets to their node were not judged (KubeEdge keeps them)` : '');
  return verdictFrom(
    'sync.converge',
    { checked, skipped: excluded, collector },
    {
      held: `all ${checked} (node, object) copies equal the cloud's view ${at}${excludedNote}`,
      violated: `${collector.count} of ${checked} (node, object) copies differ from the cloud ${at}${excludedNote}`,
      notChecked:
        cloud.size === 0 && edge.size === 0
          ? 'no cloud objects and no edge copies in the history'
          : judged.size === 0
            ? `no edge node could be judged ${at} (${excluded} still partitioned or killed, none other wrote a line)`
            : `no judged edge node holds or should hold any object ${at}${excludedNote}`,
    },
  );
}
