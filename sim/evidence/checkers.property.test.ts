/**
 * Every checker against a deliberately naive reference, on generated histories.
 *
 * The references below are written from the checkers' doc comments alone and share no code with them: no
 * incremental state, no indexes, no FIFO queues — "the state before line i" is recomputed by scanning the prefix,
 * windows are found by comparing that state line by line, time-continuous conditions are sampled at every half
 * millisecond (exact for integer times), resourceVersions are compared as BigInt. They are quadratic and slow on
 * purpose; histories here are short. Checker and reference must agree on the verdict, the counts (checked,
 * skipped, violations) and the (line, node) of every violation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundsArbitrary, historyArbitrary, NODES, type HistoryShape } from './arbitraries.ts';
import type { GuaranteeBounds } from './bounds.ts';
import { checkers } from './index.ts';
import type { EntryOf, JournalEntry } from './journal.ts';
import type { GuaranteeId, VerdictValue } from './verdict.ts';

type H = readonly JournalEntry[];

interface Judgement {
  checked: number;
  skipped: number;
  violations: [number, string][]; // [line, node]
}

// ───────────────────────────── naive reading of a history ─────────────────────────────

const keyOf = (e: { kind: string; namespace?: string; name: string }): string => `${e.kind}/${e.namespace ?? ''}/${e.name}`;
const kills = (e: JournalEntry, n: string): boolean => e.op === 'kill' && e.component === 'edge' && (e.nodes ?? []).includes(n);
const sameRv = (a: string, b: string): boolean => BigInt(a) === BigInt(b);

/** partitioned/killed/connected of node n before line i, by rescanning the prefix. */
function partitionedBefore(h: H, n: string, i: number): boolean {
  const open = new Map<string, string[]>();
  for (const e of h.slice(0, i)) {
    if (e.op === 'partition') open.set(e.fault, [...(open.get(e.fault) ?? []), ...e.nodes]);
    if (e.op === 'heal') open.delete(e.fault);
  }
  return [...open.values()].some((ns) => ns.includes(n));
}
function killedBefore(h: H, n: string, i: number): boolean {
  let killed = false;
  for (const e of h.slice(0, i)) {
    if (kills(e, n)) killed = true;
    if (e.op === 'start' && e.node === n) killed = false;
  }
  return killed;
}
function connectedBefore(h: H, n: string, i: number): boolean {
  let c = false;
  for (const e of h.slice(0, i)) {
    if (e.op === 'connect' && e.node === n) c = true;
    if ((e.op === 'disconnect' || e.op === 'start') && e.node === n) c = false;
    if (kills(e, n)) c = false;
  }
  return c;
}

/** The state tables: S.x[n][i] = state of n before line i, for i in 0..h.length. */
function tables(h: H): { part: Record<string, boolean[]>; killed: Record<string, boolean[]>; online: Record<string, boolean[]> } {
  const part: Record<string, boolean[]> = {};
  const killed: Record<string, boolean[]> = {};
  const online: Record<string, boolean[]> = {};
  for (const n of NODES) {
    part[n] = [];
    killed[n] = [];
    online[n] = [];
    for (let i = 0; i <= h.length; i++) {
      part[n][i] = partitionedBefore(h, n, i);
      killed[n][i] = killedBefore(h, n, i);
      online[n][i] = connectedBefore(h, n, i) && !part[n][i]! && !killed[n][i]!;
    }
  }
  return { part, killed, online };
}

/** Maximal runs of `state[i]` = true as [opening line index, closing line index or h.length). */
function windows(state: boolean[], length: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < length; i++) {
    if (state[i] || !state[i + 1]) continue;
    let j = i + 1;
    while (j < length && !(state[j] && !state[j + 1])) j++;
    out.push([i, j]);
  }
  return out;
}

function deadlineOf(h: H): { cut: number; t: number } {
  let cut = h.length;
  h.forEach((e, i) => {
    if (e.op === 'deadline') cut = i;
  });
  return { cut, t: cut < h.length ? h[cut]!.t : (h[h.length - 1]?.t ?? 0) };
}

// ───────────────────────────── the references ─────────────────────────────

function naiveSyncConverge(h: H, b: GuaranteeBounds): Judgement {
  const { cut, t: D } = deadlineOf(h);
  const w0 = D - b.sync.lagMs;
  const before = h.slice(0, cut);
  const S = tables(h);
  const edgeNodes = [...new Set(before.flatMap((e) => (e.source === 'edge' && 'node' in e && e.node !== undefined ? [e.node] : [])))];
  const judged = edgeNodes.filter((n) => !S.part[n]![cut] && !S.killed[n]![cut]);
  const out: Judgement = { checked: 0, skipped: edgeNodes.length - judged.length, violations: [] };
  const keys = new Set(before.flatMap((e) => (e.op === 'object-upsert' || e.op === 'object-delete' || e.op === 'apply' || e.op === 'delete' ? [keyOf(e)] : [])));
  for (const key of keys) {
    const cloudLines = before.filter((e): e is EntryOf<'object-upsert'> | EntryOf<'object-delete'> => (e.op === 'object-upsert' || e.op === 'object-delete') && keyOf(e) === key);
    const views = [cloudLines.filter((e) => e.t <= w0).at(-1), ...cloudLines.filter((e) => e.t > w0)];
    for (const n of judged) {
      const vs = views.map((v) => (v?.op === 'object-upsert' && v.targets.includes(n) ? v : undefined));
      const last = before.filter((e) => (e.op === 'apply' || e.op === 'delete') && e.node === n && keyOf(e) === key).at(-1);
      const copy = last?.op === 'apply' ? last : undefined;
      if (copy === undefined && vs.every((v) => v === undefined)) continue;
      // retained: the object still exists with the copy's uid, was targeted to n under that uid (since the
      // name last carried another uid), and is not any more
      const latest = cloudLines.at(-1);
      const sinceUid = cloudLines.slice(cloudLines.findLastIndex((e) => e.op === 'object-upsert' && e.uid !== copy?.uid) + 1);
      if (
        copy !== undefined &&
        vs.every((v) => v === undefined) &&
        latest?.op === 'object-upsert' &&
        latest.uid === copy.uid &&
        sinceUid.some((e) => e.op === 'object-upsert' && e.targets.includes(n))
      )
        continue;
      out.checked++;
      const ok = copy === undefined ? vs.some((v) => v === undefined) : vs.some((v) => v !== undefined && v.uid === copy.uid && sameRv(v.rv, copy.rv));
      if (!ok) out.violations.push([cloudLines.at(-1)?.seq ?? copy!.seq, n]);
    }
  }
  return out;
}

function naiveSyncMonotonic(h: H): Judgement {
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  const bad = new Set<number>();
  h.forEach((e, i) => {
    if (e.op !== 'apply') return;
    out.checked++;
    let cur: string | undefined;
    let max = -1n;
    const retired: string[] = [];
    for (const x of h.slice(0, i)) {
      if ((x.op !== 'apply' && x.op !== 'delete') || x.node !== e.node || keyOf(x) !== keyOf(e)) continue;
      if (x.op === 'apply') {
        if (bad.has(x.seq)) continue;
        if (x.uid !== cur) {
          if (cur !== undefined) retired.push(cur);
          cur = x.uid;
          max = BigInt(x.rv);
        } else if (BigInt(x.rv) > max) max = BigInt(x.rv);
      } else {
        const u = x.uid ?? cur;
        if (u !== undefined) retired.push(u);
        if (u === cur) cur = undefined;
      }
    }
    if (retired.includes(e.uid) || (e.uid === cur && BigInt(e.rv) < max)) {
      bad.add(e.seq);
      out.violations.push([e.seq, e.node]);
    }
  });
  return out;
}

function naiveSyncNoLostDelete(h: H): Judgement {
  const { cut } = deadlineOf(h);
  const S = tables(h);
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  const lastEdge = (n: string, key: string, upTo: number): JournalEntry | undefined =>
    h.slice(0, upTo).filter((e) => (e.op === 'apply' || e.op === 'delete') && e.node === n && keyOf(e) === key).at(-1);
  h.slice(0, cut).forEach((x, i) => {
    if (x.op !== 'object-delete') return;
    for (const n of NODES) {
      const held = lastEdge(n, keyOf(x), i);
      if (held?.op !== 'apply' || held.uid !== x.uid || S.online[n]![i]) continue;
      if (S.part[n]![cut] || S.killed[n]![cut]) {
        out.skipped++;
        continue;
      }
      out.checked++;
      const atDeadline = lastEdge(n, keyOf(x), cut);
      if (atDeadline?.op === 'apply' && atDeadline.uid === x.uid) out.violations.push([x.seq, n]);
    }
  });
  return out;
}

/** Is pod `pod` of node n running before line i (kill/start clear it, lines while killed are ignored)? */
function podRunningBefore(h: H, killed: boolean[], n: string, pod: string, i: number): boolean {
  let running = false;
  h.slice(0, i).forEach((e, j) => {
    if (kills(e, n) || (e.op === 'start' && e.node === n)) running = false;
    else if (e.op === 'pod-state' && e.node === n && `${e.namespace}/${e.name}` === pod && !killed[j]) running = e.value === 'running';
  });
  return running;
}

function naiveKeepRunning(h: H, b: GuaranteeBounds): Judgement {
  const S = tables(h);
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  for (const n of NODES) {
    const pods = [...new Set(h.flatMap((e) => (e.op === 'pod-state' && e.node === n ? [`${e.namespace}/${e.name}`] : [])))];
    for (const [s, end] of windows(S.part[n]!, h.length)) {
      for (const pod of pods) {
        let isCase = false;
        for (let j = s; j < end; j++) if (podRunningBefore(h, S.killed[n]!, n, pod, j + 1)) isCase = true;
        if (!isCase) continue;
        out.checked++;
        for (let j = s + 1; j < end; j++) {
          const e = h[j]!;
          if (e.op === 'pod-state' && e.node === n && `${e.namespace}/${e.name}` === pod && e.value !== 'running' && !S.killed[n]![j] && podRunningBefore(h, S.killed[n]!, n, pod, j)) {
            out.violations.push([e.seq, n]);
            break;
          }
        }
      }
    }
  }
  h.forEach((e, i) => {
    if (e.op !== 'device-request' || !S.part[e.node]![i] || S.killed[e.node]![i]) return;
    const due = e.t + b.autonomy.deviceAnswerMs;
    const later = h.slice(i + 1);
    if (later.some((x) => x.op === 'device-answer' && x.node === e.node && x.reqId === e.reqId && x.t <= due)) out.checked++;
    else if (later.some((x) => x.t > due)) {
      out.checked++;
      out.violations.push([e.seq, e.node]);
    } else out.skipped++;
  });
  return out;
}

function naiveRestartOffline(h: H, b: GuaranteeBounds): Judgement {
  const S = tables(h);
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  h.forEach((e, i) => {
    if (e.op !== 'start' || !S.part[e.node]![i]) return;
    const n = e.node;
    const killed = S.killed[n]!;
    let snapshotAt = i;
    if (killed[i]) {
      let m = i - 1;
      while (!(killed[m + 1] && !killed[m])) m--;
      snapshotAt = m;
    }
    const pods = [...new Set(h.flatMap((x) => (x.op === 'pod-state' && x.node === n ? [`${x.namespace}/${x.name}`] : [])))];
    const due = e.t + b.autonomy.restoreMs;
    for (const pod of pods.filter((p) => podRunningBefore(h, killed, n, p, snapshotAt))) {
      let outcome: 'held' | 'violated' | 'skipped' = 'skipped';
      for (let j = i + 1; j < h.length; j++) {
        const x = h[j]!;
        if (x.t > due) {
          outcome = 'violated';
          break;
        }
        if (x.op === 'pod-state' && x.node === n && `${x.namespace}/${x.name}` === pod && x.value === 'running' && !killed[j]) {
          outcome = 'held';
          break;
        }
        if (((x.op === 'connect' || x.op === 'start') && x.node === n) || kills(x, n)) break;
      }
      if (outcome === 'skipped') out.skipped++;
      else out.checked++;
      if (outcome === 'violated') out.violations.push([e.seq, n]);
    }
  });
  return out;
}

function naiveNoEviction(h: H, b: GuaranteeBounds): Judgement {
  const S = tables(h);
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  type PodLine = EntryOf<'object-upsert'> | EntryOf<'object-delete'>;
  const podLines = (uid: string, upTo: number): PodLine[] =>
    h.slice(0, upTo).filter((e): e is PodLine => (e.op === 'object-upsert' || e.op === 'object-delete') && e.kind === 'Pod' && e.uid === uid);
  /** Targets of pod uid after line j (undefined once deleted or before it exists). */
  const targetsAfter = (uid: string, j: number): readonly string[] | undefined => {
    const last = podLines(uid, j + 1).at(-1);
    return last?.op === 'object-upsert' ? last.targets : undefined;
  };
  const markedBefore = (uid: string, j: number): boolean => podLines(uid, j).some((e) => e.op === 'object-upsert' && e.deleting === true);
  const benchDeletedBefore = (uid: string, j: number): boolean =>
    h.slice(0, j).some((x, k) => {
      if (x.op !== 'api-delete' || x.kind !== 'Pod') return false;
      if (x.uid !== undefined) return x.uid === uid;
      const current = h.slice(0, k).filter((y) => y.op === 'object-upsert' && y.kind === 'Pod' && keyOf(y) === keyOf(x)).at(-1);
      return current?.op === 'object-upsert' && current.uid === uid;
    });
  const uids = [...new Set(h.flatMap((e) => (e.op === 'object-upsert' && e.kind === 'Pod' ? [e.uid] : [])))];
  for (const n of NODES) {
    for (const [s, end] of windows(S.part[n]!, h.length)) {
      for (const uid of uids) {
        let isCase = false;
        for (let j = s; j < end; j++) if (targetsAfter(uid, j)?.includes(n) === true) isCase = true;
        if (!isCase) continue;
        out.checked++;
        for (let j = s; j < end; j++) {
          const x = h[j]!;
          if ((x.op !== 'object-upsert' && x.op !== 'object-delete') || x.kind !== 'Pod' || x.uid !== uid) continue;
          const old = targetsAfter(uid, j - 1);
          const evicts =
            x.op === 'object-upsert'
              ? (x.deleting === true && !markedBefore(uid, j) && x.targets.includes(n)) || (old !== undefined && old.includes(n) && !x.targets.includes(n))
              : old !== undefined && old.includes(n) && !markedBefore(uid, j);
          if (!evicts) continue;
          if (!benchDeletedBefore(uid, j) && x.t - h[s]!.t < b.autonomy.evictionToleranceMs) out.violations.push([x.seq, n]);
          break;
        }
      }
    }
  }
  return out;
}

function naiveTwin(h: H, b: GuaranteeBounds): Judgement {
  const { cut, t: D } = deadlineOf(h);
  const w0 = D - b.twin.lagMs;
  const S = tables(h);
  const before = h.slice(0, cut);
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  type DeviceLine = EntryOf<'device-desired' | 'device-reported' | 'register-value' | 'device-read' | 'twin-write'>;
  const propLines = before.filter((e): e is DeviceLine => ['device-desired', 'device-reported', 'register-value', 'device-read', 'twin-write'].includes(e.op));
  const ids = [...new Set(propLines.map((e) => `${e.namespace ?? ''}/${e.name}#${e.property}`))];
  const acceptable = (lines: { t: number; value: string }[]): string[] | 'any' =>
    lines[0]!.t > w0 ? 'any' : [lines.filter((e) => e.t <= w0).at(-1)!.value, ...lines.filter((e) => e.t > w0).map((e) => e.value)];
  for (const id of ids) {
    const device = id.slice(0, id.lastIndexOf('#'));
    const mine = propLines.filter((e) => `${e.namespace ?? ''}/${e.name}#${e.property}` === id);
    const node = before.filter((e) => ['device-desired', 'device-reported', 'register-value', 'device-read', 'twin-write', 'device-request', 'device-answer'].includes(e.op) && `${(e as { namespace?: string }).namespace ?? ''}/${(e as { name: string }).name}` === device).at(-1) as { node: string };
    const desired = mine.filter((e) => e.op === 'device-desired');
    const registers = mine.filter((e) => e.op === 'register-value');
    const reported = mine.filter((e) => e.op === 'device-reported').at(-1);
    const reports = registers.length > 0 && (registers.at(-1) as EntryOf<'register-value'>).reportToCloud !== false;
    const cases = (desired.length > 0 ? 1 : 0) + (reports ? 1 : 0);
    if (cases === 0) continue;
    if (S.part[node.node]![cut] || S.killed[node.node]![cut]) {
      out.skipped += cases;
      continue;
    }
    out.checked += cases;
    if (desired.length > 0) {
      const ok = acceptable(desired);
      const reg = registers.at(-1)?.value;
      if (ok !== 'any' && (reg === undefined || !ok.includes(reg))) out.violations.push([desired.at(-1)!.seq, node.node]);
    }
    if (reports) {
      const ok = acceptable(registers);
      if (ok !== 'any' && (reported === undefined || !ok.includes(reported.value))) out.violations.push([registers.at(-1)!.seq, node.node]);
    }
  }
  return out;
}

function naiveStatusFresh(h: H, b: GuaranteeBounds): Judgement {
  const bound = b.status.periodMs + b.status.slackMs;
  const S = tables(h);
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  const end = h[h.length - 1]?.t ?? 0;
  for (const n of NODES) {
    const trues = h.filter((e) => e.op === 'node-ready' && e.node === n && e.value === 'True');
    for (const [s, close] of windows(S.online[n]!, h.length)) {
      const from = h[s]!.t + bound;
      const until = close < h.length ? h[close]!.t : end;
      if (!(until > from)) {
        out.skipped++;
        continue;
      }
      out.checked++;
      let p = 0;
      for (let tau = from; tau < until; tau += 0.5) {
        while (p < trues.length && trues[p]!.t <= tau) p++;
        const last = trues[p - 1];
        if (last === undefined || tau - last.t > bound) {
          out.violations.push([last?.seq ?? h[s]!.seq, n]);
          break;
        }
      }
    }
  }
  return out;
}

function naiveStormRecover(h: H, b: GuaranteeBounds): Judgement {
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  const recoverMs = b.storm.recoverMs;
  h.forEach((e, i) => {
    if (e.op !== 'churn' || e.phase !== 'return') return;
    for (const n of e.nodes) {
      const due = e.t + recoverMs;
      let outcome: 'held' | 'violated' | 'skipped' = 'skipped';
      for (const x of h.slice(i + 1)) {
        if (x.t > due) {
          outcome = 'violated';
          break;
        }
        if (x.op === 'node-ready' && x.node === n && x.value === 'True') {
          outcome = 'held';
          break;
        }
        if (((x.op === 'churn' && x.phase === 'drop') || x.op === 'partition') && x.nodes.includes(n)) break;
        if (kills(x, n)) break;
      }
      if (outcome === 'skipped') out.skipped++;
      else out.checked++;
      if (outcome === 'violated') out.violations.push([e.seq, n]);
    }
  });
  const budget = b.storm.rssBudgetBytes;
  if (budget === undefined) return out;
  h.forEach((e, i) => {
    if (e.op !== 'metric' || e.metric !== 'cloudcore_rss_bytes') return;
    const churn = h.slice(0, i).filter((x): x is EntryOf<'churn'> => x.op === 'churn');
    const waveOpen = [...new Set(churn.map((x) => x.wave))].some((w) => churn.filter((x) => x.wave === w).at(-1)!.phase === 'drop');
    const windowEnd = Math.max(-Infinity, ...churn.filter((x) => x.phase === 'return').map((x) => x.t + recoverMs));
    if (!waveOpen && e.t > windowEnd) return;
    out.checked++;
    if (e.value > budget) out.violations.push([e.seq, '']);
  });
  return out;
}

function naiveAppHotUpdate(h: H, b: GuaranteeBounds): Judgement {
  const bound = b.app.hotUpdateMs;
  const S = tables(h);
  const out: Judgement = { checked: 0, skipped: 0, violations: [] };
  const end = h[h.length - 1]?.t ?? 0;
  const appPodsBefore = (n: string, app: string, i: number): Map<string, string> => {
    const m = new Map<string, string>();
    h.slice(0, i).forEach((e, j) => {
      if (kills(e, n) || (e.op === 'start' && e.node === n)) m.clear();
      else if (e.op === 'pod-state' && e.node === n && e.app === app && !S.killed[n]![j]) {
        if (e.value === 'running') m.set(`${e.namespace}/${e.name}`, e.version ?? '');
        else m.delete(`${e.namespace}/${e.name}`);
      }
    });
    return m;
  };
  h.forEach((r, i) => {
    if (r.op !== 'update-rollout') return;
    for (const n of r.nodes) {
      if ([...appPodsBefore(n, r.app, i + 1).values()].includes(r.version)) {
        out.checked += 2;
        continue;
      }
      let stop = h.length;
      let ran = false;
      for (let j = i + 1; j < h.length; j++) {
        const x = h[j]!;
        if (x.op === 'pod-state' && x.node === n && x.app === r.app && x.value === 'running' && x.version === r.version && !S.killed[n]![j]) {
          stop = j;
          ran = true;
          break;
        }
        if (x.op === 'update-rollout' && x.app === r.app && x.nodes.includes(n)) {
          stop = j;
          break;
        }
      }
      let gap: number | undefined;
      for (let j = i + 1; j < stop; j++) {
        const x = h[j]!;
        if (x.op !== 'pod-state' || x.node !== n || x.app !== r.app || x.value === 'running' || S.killed[n]![j]) continue;
        const pods = appPodsBefore(n, r.app, j);
        if (pods.has(`${x.namespace}/${x.name}`) && pods.size === 1) {
          gap = x.seq;
          break;
        }
      }
      let covered = 0;
      const last = stop < h.length ? stop : h.length - 1;
      for (let k = i; k < last; k++) if (S.online[n]![k + 1]) covered += h[k + 1]!.t - h[k]!.t;
      void end;
      const late = covered > bound;
      if (gap !== undefined) out.violations.push([gap, n]);
      if (!ran && !late) {
        if (gap !== undefined) {
          out.checked++;
          out.skipped++;
        } else out.skipped += 2;
        continue;
      }
      out.checked += 2;
      if (late) out.violations.push([r.seq, n]);
    }
  });
  return out;
}

const references: Record<GuaranteeId, (h: H, b: GuaranteeBounds) => Judgement> = {
  'sync.converge': naiveSyncConverge,
  'sync.monotonic': naiveSyncMonotonic,
  'sync.no-lost-delete': naiveSyncNoLostDelete,
  'autonomy.keep-running': naiveKeepRunning,
  'autonomy.restart-offline': naiveRestartOffline,
  'autonomy.no-eviction': naiveNoEviction,
  'twin.converge': naiveTwin,
  'status.fresh': naiveStatusFresh,
  'storm.recover': naiveStormRecover,
  'app.hot-update': naiveAppHotUpdate,
};

// ───────────────────────────── the properties ─────────────────────────────

/** What each checker's histories are made of (other commands keep weight 1, so every kind still appears). */
const focus: Record<GuaranteeId, HistoryShape> = {
  'sync.converge': { weights: { upsert: 8, 'cloud-delete': 3, apply: 6, 'sync-node': 6, connect: 3, partition: 2, heal: 3, deadline: 2 } },
  'sync.monotonic': { weights: { upsert: 8, 'cloud-delete': 2, apply: 10, 'edge-delete': 3, 'sync-node': 3 } },
  'sync.no-lost-delete': {
    weights: { upsert: 30, 'cloud-delete': 25, apply: 20, 'sync-node': 50, connect: 15, disconnect: 15, partition: 15, heal: 25, kill: 5, start: 10, deadline: 5 },
    minLength: 10,
  },
  'autonomy.keep-running': { weights: { pod: 10, partition: 4, heal: 3, request: 5, answer: 4, 'answer-all': 2, kill: 2, start: 2, 'restore-pods': 2 } },
  'autonomy.restart-offline': { weights: { pod: 40, partition: 20, heal: 10, kill: 20, start: 25, 'restore-pods': 50, connect: 10 }, minLength: 10, maxDt: 200 },
  'autonomy.no-eviction': { weights: { upsert: 8, 'cloud-delete': 4, partition: 4, heal: 3, 'api-delete': 2 } },
  'twin.converge': { weights: { desired: 6, reported: 4, register: 6, 'twin-sync': 5, partition: 1, deadline: 2 } },
  'status.fresh': { weights: { connect: 5, disconnect: 2, ready: 4, 'ready-all': 12, partition: 2, heal: 2 }, maxDt: 120 },
  'storm.recover': { weights: { churn: 6, ready: 4, 'ready-all': 4, rss: 6, partition: 1, kill: 1 } },
  'app.hot-update': { weights: { rollout: 5, pod: 10, connect: 4, disconnect: 2, partition: 2, heal: 2, 'restore-pods': 2 } },
};

/** Runs per checker: more where the interesting cases are rarer. */
const runs: Partial<Record<GuaranteeId, number>> = { 'sync.no-lost-delete': 2000, 'autonomy.restart-offline': 2000, 'autonomy.no-eviction': 2000 };

const verdictOf = (j: Judgement): VerdictValue => (j.violations.length > 0 ? 'violated' : j.checked > 0 ? 'held' : 'not-checked');
const sortPairs = (pairs: [number, string][]): [number, string][] => [...pairs].sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));

describe('checkers agree with naive references on generated histories', () => {
  for (const id of Object.keys(references) as GuaranteeId[]) {
    it(id, () => {
      const seen: Record<VerdictValue, number> = { held: 0, violated: 0, 'not-checked': 0 };
      fc.assert(
        fc.property(historyArbitrary(focus[id]), boundsArbitrary, (history, bounds) => {
          const got = checkers[id](history, bounds, { maxEvidence: 1_000_000 });
          const want = references[id](history, bounds);
          seen[got.verdict]++;
          expect({ verdict: got.verdict, checked: got.checked, skipped: got.skipped, violations: got.violations }).toEqual({
            verdict: verdictOf(want),
            checked: want.checked,
            skipped: want.skipped,
            violations: want.violations.length,
          });
          expect(sortPairs(got.evidence.map((e) => [e.line, e.node ?? '']))).toEqual(sortPairs(want.violations));
        }),
        { numRuns: runs[id] ?? 1000 },
      );
      // the generator must reach both outcomes, or the agreement proves little
      expect(seen.held).toBeGreaterThan(0);
      expect(seen.violated).toBeGreaterThan(0);
    });
  }
});
