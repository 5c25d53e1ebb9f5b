import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry } from '../journal.ts';
import { ms, NodeTracker, objectKey, objectLabel } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * autonomy.no-eviction — the cloud does not evict or reschedule pods of a partitioned edge within the platform's
 * tolerance (default NoExecute toleration 300 s; KubeEdge #3941/#4048/#4429).
 *
 * Precisely, over cloud lines about kind 'Pod' (a pod's node = its `targets`):
 * - A partition episode of N runs from the line that makes N partitioned to the line that ends it.
 * - Case = (episode, pod uid) for every pod targeted to N at some moment of the episode.
 * - An eviction of (uid, N) is an `object-upsert` that first sets `deleting` (deletionTimestamp), an
 *   `object-delete` not preceded by such a mark, or an `object-upsert` of the uid no longer targeting N (moved).
 *   Deletions the bench asked for itself (`api-delete` of that uid, or of the key while that uid was current)
 *   are not evictions.
 * - A case is violated when the first eviction of its pod from N inside the episode has
 *   t − episode start < autonomy.evictionToleranceMs. Evictions after the tolerance, or outside partitions, hold.
 * Rescheduling shows up as the old pod's deletion (a controller replaces a pod only after deleting it).
 *
 * Cost: one pass; pods indexed by uid and by node, so an episode start visits only that node's pods.
 */
interface PodInfo {
  readonly key: string;
  readonly label: string;
  targets: readonly string[];
  deleting: boolean;
}

export function checkAutonomyNoEviction(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const tracker = new NodeTracker();
  const pods = new Map<string, PodInfo>(); // uid → pod
  const podsOnNode = new Map<string, Set<string>>(); // node → uids
  const currentUid = new Map<string, string>(); // key → uid
  const benchDeleted = new Set<string>(); // uids
  // open episode per node: its pods (the cases) and the pods whose first eviction in it was already judged
  const episodes = new Map<string, { seq: number; t: number; uids: Set<string>; done: Set<string> }>();
  const collector = new EvidenceCollector(options);
  const tolerance = bounds.autonomy.evictionToleranceMs;
  let checked = 0;
  let episodeCount = 0;

  const link = (uid: string, node: string): void => {
    let s = podsOnNode.get(node);
    if (s === undefined) {
      s = new Set();
      podsOnNode.set(node, s);
    }
    s.add(uid);
    const ep = episodes.get(node);
    if (ep !== undefined && !ep.uids.has(uid)) {
      ep.uids.add(uid);
      checked++;
    }
  };

  const evicted = (uid: string, pod: PodInfo, node: string, e: JournalEntry, how: string): void => {
    const ep = episodes.get(node);
    if (ep === undefined || ep.done.has(uid)) return;
    ep.done.add(uid);
    if (benchDeleted.has(uid)) return;
    const after = e.t - ep.t;
    if (after >= tolerance) return;
    collector.add(tolerance - after, {
      line: e.seq,
      related: [ep.seq],
      node,
      object: pod.label,
      t: e.t,
      note: `${how} ${ms(after)} after the node was partitioned (tolerance ${ms(tolerance)})`,
    });
  };

  for (const e of history) {
    const healed = tracker.healedBy(e);
    tracker.observe(e);
    switch (e.op) {
      case 'object-upsert': {
        if (e.kind !== 'Pod') break;
        const key = objectKey(e.kind, e.namespace, e.name);
        currentUid.set(key, e.uid);
        let pod = pods.get(e.uid);
        if (pod === undefined) {
          pod = { key, label: objectLabel(e.kind, e.namespace, e.name), targets: [], deleting: false };
          pods.set(e.uid, pod);
        }
        for (const n of pod.targets) {
          if (e.targets.includes(n)) continue;
          evicted(e.uid, pod, n, e, 'moved to another node');
          podsOnNode.get(n)?.delete(e.uid);
        }
        if (e.deleting === true && !pod.deleting) for (const n of e.targets) evicted(e.uid, pod, n, e, 'marked for deletion');
        pod.deleting ||= e.deleting === true;
        pod.targets = e.targets;
        for (const n of e.targets) link(e.uid, n);
        break;
      }
      case 'object-delete': {
        if (e.kind !== 'Pod') break;
        const pod = pods.get(e.uid);
        if (pod === undefined) break;
        if (!pod.deleting) for (const n of pod.targets) evicted(e.uid, pod, n, e, 'deleted');
        for (const n of pod.targets) podsOnNode.get(n)?.delete(e.uid);
        pods.delete(e.uid);
        break;
      }
      case 'api-delete': {
        if (e.kind !== 'Pod') break;
        const uid = e.uid ?? currentUid.get(objectKey(e.kind, e.namespace, e.name));
        if (uid !== undefined) benchDeleted.add(uid);
        break;
      }
      default:
        break;
    }
    for (const n of e.op === 'heal' ? healed : NodeTracker.touched(e)) {
      const ep = episodes.get(n);
      if (ep === undefined && tracker.partitioned(n)) {
        episodeCount++;
        episodes.set(n, { seq: e.seq, t: e.t, uids: new Set(), done: new Set() });
        for (const uid of podsOnNode.get(n) ?? []) link(uid, n);
      } else if (ep !== undefined && !tracker.partitioned(n)) {
        episodes.delete(n);
      }
    }
  }

  return verdictFrom(
    'autonomy.no-eviction',
    { checked, skipped: 0, collector },
    {
      held: `no pod of a partitioned node was evicted or moved within ${ms(tolerance)} (${checked} pod(s) across ${episodeCount} partition episode(s))`,
      violated: `${collector.count} pod(s) evicted or moved within ${ms(tolerance)} of their node's partition (${checked} pod(s) across ${episodeCount} episode(s))`,
      notChecked: episodeCount === 0 ? 'no node was partitioned' : 'partitioned nodes had no pods in the cloud',
    },
  );
}
