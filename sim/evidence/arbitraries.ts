/**
 * fast-check generators of histories, for the checker properties. Model-based: a list of commands (cloud updates
 * and deletes, edge applies and catch-ups, connects, partitions, kills, restarts, pod and device activity, churn
 * waves, rollouts, a deadline) is run against a tiny world that keeps it plausible — rvs grow, uids are fresh on
 * re-create, applies pick versions the cloud really had (mostly the latest, sometimes an old one), heals name open
 * partitions, request ids are unique — and turned into journal entries at advancing times. "Good behaviour"
 * commands (an edge syncing everything, restoring its pods, twins catching up, all nodes reporting Ready) make
 * healthy histories likely enough that every checker sees both verdicts. Shrinking works on the command list.
 */
import fc from 'fast-check';
import type { GuaranteeBounds } from './bounds.ts';
import { MemoryJournal, type JournalEntry, type JournalInput, type PodPhase, type ReadyValue } from './journal.ts';

export const NODES = ['n1', 'n2', 'n3'] as const;
const OBJECTS = [
  { kind: 'Pod', namespace: 'default', name: 'p1' },
  { kind: 'Pod', namespace: 'default', name: 'p2' },
  { kind: 'ConfigMap', namespace: 'default', name: 'cfg' },
  { kind: 'Lease', name: 'cluster-wide' }, // cluster-scoped
] as const;
const PROPS = [
  { device: 'd1', property: 'temp', home: 0 },
  { device: 'd1', property: 'set', home: 0 },
  { device: 'd2', property: 'alarm', home: 1 },
] as const;
const PODS = ['a', 'b', 'toll-1', 'toll-2'] as const;
const PHASES: readonly PodPhase[] = ['running', 'running', 'stopped', 'failed', 'pending'];
const READY: readonly ReadyValue[] = ['True', 'True', 'True', 'False', 'Unknown'];

/** A command without its time step. */
export type CommandBody =
  | { readonly k: 'upsert'; readonly obj: number; readonly targets: number; readonly deleting: boolean }
  | { readonly k: 'cloud-delete'; readonly obj: number }
  | { readonly k: 'apply'; readonly node: number; readonly obj: number; readonly pick: number; readonly which: number }
  | { readonly k: 'edge-delete'; readonly node: number; readonly obj: number; readonly withUid: boolean }
  | { readonly k: 'sync-node'; readonly node: number }
  | { readonly k: 'connect' | 'disconnect' | 'start' | 'restore-pods' | 'ready-all' | 'twin-sync' | 'answer-all' | 'deadline'; readonly node: number }
  | { readonly k: 'partition' | 'kill'; readonly nodes: number }
  | { readonly k: 'heal' | 'answer'; readonly pick: number }
  | { readonly k: 'pod'; readonly node: number; readonly pod: number; readonly phase: number; readonly version: number }
  | { readonly k: 'ready'; readonly node: number; readonly value: number }
  | { readonly k: 'desired' | 'reported' | 'register'; readonly prop: number; readonly value: number; readonly node: number; readonly flag: boolean }
  | { readonly k: 'request'; readonly node: number; readonly device: number }
  | { readonly k: 'churn'; readonly wave: number; readonly drop: boolean; readonly nodes: number }
  | { readonly k: 'rollout'; readonly version: number; readonly nodes: number }
  | { readonly k: 'rss'; readonly value: number }
  | { readonly k: 'api-delete'; readonly obj: number; readonly withUid: boolean };

/** A command and the time that passes before it (ms). */
export type Command = CommandBody & { readonly dt: number };

export type CommandKind = CommandBody['k'];

/** Time steps: mostly multiples of 10 ms, like the bounds, so lines land exactly on bound edges often. */
const dtArbitrary = (maxDt: number): fc.Arbitrary<number> =>
  fc.oneof(
    { arbitrary: fc.constant(0), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: Math.floor(maxDt / 10) }).map((n) => n * 10), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: Math.min(60, maxDt) }), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: maxDt }), weight: 1 },
  );
const idx = (n: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: n - 1 });
const mask = fc.integer({ min: 0, max: (1 << NODES.length) - 1 });
const node = idx(NODES.length);
const obj = idx(OBJECTS.length);

const commandArbs: Record<CommandKind, fc.Arbitrary<CommandBody>> = {
  upsert: fc.record({ k: fc.constant('upsert' as const), obj, targets: fc.oneof(mask, fc.constantFrom(1, 2, 4)), deleting: fc.nat(9).map((n) => n === 0) }),
  'cloud-delete': fc.record({ k: fc.constant('cloud-delete' as const), obj }),
  apply: fc.record({ k: fc.constant('apply' as const), node, obj, pick: fc.nat(100), which: fc.nat(9) }),
  'edge-delete': fc.record({ k: fc.constant('edge-delete' as const), node, obj, withUid: fc.boolean() }),
  'sync-node': fc.record({ k: fc.constant('sync-node' as const), node }),
  connect: fc.record({ k: fc.constant('connect' as const), node }),
  disconnect: fc.record({ k: fc.constant('disconnect' as const), node }),
  start: fc.record({ k: fc.constant('start' as const), node }),
  'restore-pods': fc.record({ k: fc.constant('restore-pods' as const), node }),
  'ready-all': fc.record({ k: fc.constant('ready-all' as const), node }),
  'twin-sync': fc.record({ k: fc.constant('twin-sync' as const), node }),
  'answer-all': fc.record({ k: fc.constant('answer-all' as const), node }),
  deadline: fc.record({ k: fc.constant('deadline' as const), node }),
  partition: fc.record({ k: fc.constant('partition' as const), nodes: mask }),
  kill: fc.record({ k: fc.constant('kill' as const), nodes: mask }),
  heal: fc.record({ k: fc.constant('heal' as const), pick: fc.nat(100) }),
  answer: fc.record({ k: fc.constant('answer' as const), pick: fc.nat(100) }),
  pod: fc.record({ k: fc.constant('pod' as const), node, pod: idx(PODS.length), phase: idx(PHASES.length), version: idx(3) }),
  ready: fc.record({ k: fc.constant('ready' as const), node, value: idx(READY.length) }),
  desired: fc.record({ k: fc.constant('desired' as const), prop: idx(PROPS.length), value: idx(3), node: fc.nat(9), flag: fc.boolean() }),
  reported: fc.record({ k: fc.constant('reported' as const), prop: idx(PROPS.length), value: idx(3), node: fc.nat(9), flag: fc.boolean() }),
  register: fc.record({ k: fc.constant('register' as const), prop: idx(PROPS.length), value: idx(3), node: fc.nat(9), flag: fc.nat(5).map((n) => n > 0) }),
  request: fc.record({ k: fc.constant('request' as const), node, device: idx(2) }),
  churn: fc.record({ k: fc.constant('churn' as const), wave: idx(2), drop: fc.boolean(), nodes: mask }),
  rollout: fc.record({ k: fc.constant('rollout' as const), version: idx(3), nodes: mask }),
  rss: fc.record({ k: fc.constant('rss' as const), value: fc.integer({ min: 0, max: 2000 }) }),
  'api-delete': fc.record({ k: fc.constant('api-delete' as const), obj, withUid: fc.boolean() }),
};

export const COMMAND_KINDS = Object.keys(commandArbs) as CommandKind[];

/** Command weights: every kind is possible; a focus raises the ones a checker is about. */
export function commandArbitrary(weights: Partial<Record<CommandKind, number>> = {}, maxDt = 400): fc.Arbitrary<Command> {
  const kinds = fc.oneof(...COMMAND_KINDS.map((k) => ({ arbitrary: commandArbs[k], weight: weights[k] ?? 1 })).filter((w) => w.weight > 0));
  return fc.tuple(kinds, dtArbitrary(maxDt)).map(([c, dt]): Command => ({ ...c, dt }));
}

const nodesOf = (m: number): string[] => NODES.filter((_, i) => (m & (1 << i)) !== 0);

/** Run commands against the little world and return the history they produce. */
export function interpret(commands: readonly Command[]): JournalEntry[] {
  const j = new MemoryJournal();
  let t = 0;
  let rv = 0;
  let uids = 0;
  let faults = 0;
  let reqs = 0;
  const cloud: ({ uid: string; rv: string; targets: string[] } | undefined)[] = OBJECTS.map(() => undefined);
  const versions: { uid: string; rv: string }[][] = OBJECTS.map(() => []);
  const copies = new Map<string, Set<number>>(); // node → objects it holds (as far as the world knows)
  const openFaults: string[] = [];
  const pending: { node: string; name: string; reqId: string }[] = [];
  const running = new Map<string, Map<string, string | undefined>>(); // node → pod → version (toll pods)
  const desired = new Map<number, string>();
  const register = new Map<number, string>();
  const emit = (input: JournalInput): void => {
    j.appendAt(t, input);
  };
  const held = (n: string): Set<number> => {
    let s = copies.get(n);
    if (s === undefined) {
      s = new Set();
      copies.set(n, s);
    }
    return s;
  };
  const ident = (i: number): { kind: string; name: string; namespace?: string } => {
    const o = OBJECTS[i]!;
    return 'namespace' in o ? { kind: o.kind, namespace: o.namespace, name: o.name } : { kind: o.kind, name: o.name };
  };
  const apply = (n: string, i: number, v: { uid: string; rv: string }): void => {
    emit({ source: 'edge', op: 'apply', node: n, ...ident(i), uid: v.uid, rv: v.rv });
    held(n).add(i);
  };
  const podInput = (n: string, pod: string, value: PodPhase, version: string | undefined): JournalInput => ({
    source: 'edge',
    op: 'pod-state',
    node: n,
    namespace: 'default',
    name: pod,
    value,
    ...(pod.startsWith('toll') && version !== undefined ? { app: 'toll', version } : {}),
  });
  const propNode = (p: number, pick: number): string => NODES[pick < 8 ? PROPS[p]!.home : pick % NODES.length]!;

  for (const c of commands) {
    t += c.dt;
    switch (c.k) {
      case 'upsert': {
        const targets = nodesOf(c.targets);
        const cur = cloud[c.obj] ?? { uid: `u${++uids}`, rv: '0', targets };
        const next = { uid: cur.uid, rv: String(++rv), targets };
        cloud[c.obj] = next;
        versions[c.obj]!.push({ uid: next.uid, rv: next.rv });
        emit({ source: 'cloud', op: 'object-upsert', ...ident(c.obj), uid: next.uid, rv: next.rv, targets, ...(c.deleting ? { deleting: true as const } : {}) });
        break;
      }
      case 'cloud-delete': {
        const cur = cloud[c.obj];
        if (cur === undefined) break;
        cloud[c.obj] = undefined;
        emit({ source: 'cloud', op: 'object-delete', ...ident(c.obj), uid: cur.uid, rv: String(++rv) });
        break;
      }
      case 'apply': {
        const vs = versions[c.obj]!;
        if (vs.length === 0) break;
        const v = c.which === 0 ? vs[c.pick % vs.length]! : vs[vs.length - 1]!;
        apply(NODES[c.node]!, c.obj, v);
        break;
      }
      case 'edge-delete': {
        const n = NODES[c.node]!;
        const vs = versions[c.obj]!;
        const uid = vs[vs.length - 1]?.uid;
        emit({ source: 'edge', op: 'delete', node: n, ...ident(c.obj), ...(c.withUid && uid !== undefined ? { uid } : {}) });
        held(n).delete(c.obj);
        break;
      }
      case 'sync-node': {
        const n = NODES[c.node]!;
        OBJECTS.forEach((_, i) => {
          const cur = cloud[i];
          if (cur !== undefined && cur.targets.includes(n)) apply(n, i, cur);
          else if (held(n).has(i)) {
            emit({ source: 'edge', op: 'delete', node: n, ...ident(i) });
            held(n).delete(i);
          }
        });
        break;
      }
      case 'connect':
        emit({ source: 'edge', op: 'connect', node: NODES[c.node]! });
        break;
      case 'disconnect':
        emit({ source: 'edge', op: 'disconnect', node: NODES[c.node]! });
        break;
      case 'start':
        emit({ source: 'edge', op: 'start', node: NODES[c.node]!, value: 'restart' });
        break;
      case 'restore-pods': {
        const n = NODES[c.node]!;
        for (const [pod, version] of running.get(n) ?? []) emit(podInput(n, pod, 'running', version));
        break;
      }
      case 'ready-all':
        for (const n of NODES) emit({ source: 'cloud', op: 'node-ready', node: n, value: 'True' });
        break;
      case 'twin-sync':
        PROPS.forEach((p, i) => {
          const want = desired.get(i);
          if (want !== undefined) {
            register.set(i, want);
            emit({ source: 'device', op: 'register-value', node: NODES[p.home], name: p.device, property: p.property, value: want, cause: 'write' });
          }
          const have = register.get(i);
          if (have !== undefined) emit({ source: 'cloud', op: 'device-reported', node: NODES[p.home], name: p.device, property: p.property, value: have });
        });
        break;
      case 'answer-all':
        for (const r of pending.splice(0)) emit({ source: 'device', op: 'device-answer', node: r.node, name: r.name, reqId: r.reqId });
        break;
      case 'deadline':
        emit({ source: 'bench', op: 'deadline' });
        break;
      case 'partition': {
        const nodes = nodesOf(c.nodes);
        if (nodes.length === 0) break;
        const f = `f${++faults}`;
        openFaults.push(f);
        emit({ source: 'fault', op: 'partition', fault: f, nodes });
        break;
      }
      case 'heal': {
        if (openFaults.length === 0) break;
        const [f] = openFaults.splice(c.pick % openFaults.length, 1);
        emit({ source: 'fault', op: 'heal', fault: f! });
        break;
      }
      case 'kill': {
        const nodes = nodesOf(c.nodes);
        if (nodes.length > 0) emit({ source: 'fault', op: 'kill', component: 'edge', nodes });
        break;
      }
      case 'answer': {
        if (pending.length === 0) break;
        const [r] = pending.splice(c.pick % pending.length, 1);
        emit({ source: 'device', op: 'device-answer', node: r!.node, name: r!.name, reqId: r!.reqId });
        break;
      }
      case 'pod': {
        const n = NODES[c.node]!;
        const pod = PODS[c.pod]!;
        const phase = PHASES[c.phase]!;
        const version = `v${c.version}`;
        let m = running.get(n);
        if (m === undefined) {
          m = new Map();
          running.set(n, m);
        }
        if (phase === 'running') m.set(pod, version);
        else m.delete(pod);
        emit(podInput(n, pod, phase, version));
        break;
      }
      case 'ready':
        emit({ source: 'cloud', op: 'node-ready', node: NODES[c.node]!, value: READY[c.value]! });
        break;
      case 'desired': {
        const p = PROPS[c.prop]!;
        desired.set(c.prop, String(c.value));
        emit({ source: 'cloud', op: 'device-desired', node: propNode(c.prop, c.node), name: p.device, property: p.property, value: String(c.value) });
        break;
      }
      case 'reported': {
        const p = PROPS[c.prop]!;
        emit({ source: 'cloud', op: 'device-reported', node: propNode(c.prop, c.node), name: p.device, property: p.property, value: String(c.value) });
        break;
      }
      case 'register': {
        const p = PROPS[c.prop]!;
        register.set(c.prop, String(c.value));
        emit({
          source: 'device',
          op: 'register-value',
          node: propNode(c.prop, c.node),
          name: p.device,
          property: p.property,
          value: String(c.value),
          cause: 'sensor',
          ...(c.flag ? {} : { reportToCloud: false as const }),
        });
        break;
      }
      case 'request': {
        const r = { node: NODES[c.node]!, name: `d${c.device + 1}`, reqId: `r${++reqs}` };
        pending.push(r);
        emit({ source: 'device', op: 'device-request', node: r.node, name: r.name, reqId: r.reqId });
        break;
      }
      case 'churn': {
        const nodes = nodesOf(c.nodes);
        emit({ source: 'fault', op: 'churn', wave: `w${c.wave}`, phase: c.drop ? 'drop' : 'return', nodes });
        break;
      }
      case 'rollout':
        emit({ source: 'fault', op: 'update-rollout', app: 'toll', version: `v${c.version}`, nodes: nodesOf(c.nodes) });
        break;
      case 'rss':
        emit({ source: 'cloud', op: 'metric', metric: 'cloudcore_rss_bytes', value: c.value });
        break;
      case 'api-delete': {
        const uid = cloud[c.obj]?.uid;
        emit({ source: 'bench', op: 'api-delete', ...ident(c.obj), ...(c.withUid && uid !== undefined ? { uid } : {}) });
        break;
      }
    }
  }
  return j.entries;
}

export interface HistoryShape {
  /** Relative weight of each command kind (default 1). */
  readonly weights?: Partial<Record<CommandKind, number>>;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Largest time step between two commands, ms (default 400). */
  readonly maxDt?: number;
}

export function historyArbitrary(shape: HistoryShape = {}): fc.Arbitrary<JournalEntry[]> {
  return fc.array(commandArbitrary(shape.weights, shape.maxDt), { minLength: shape.minLength ?? 0, maxLength: shape.maxLength ?? 60, size: 'max' }).map(interpret);
}

/** Bounds in multiples of 10 ms (see dtArbitrary), 0 included. */
const ms10 = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: max / 10 }).map((n) => n * 10);

export const boundsArbitrary: fc.Arbitrary<GuaranteeBounds> = fc.record({
  sync: fc.record({ lagMs: ms10(300) }),
  autonomy: fc.record({ evictionToleranceMs: ms10(600), restoreMs: ms10(600), deviceAnswerMs: ms10(300) }),
  twin: fc.record({ lagMs: ms10(300) }),
  status: fc.record({ periodMs: ms10(200), slackMs: ms10(100) }),
  storm: fc.oneof(fc.record({ recoverMs: ms10(1000) }), fc.record({ recoverMs: ms10(1000), rssBudgetBytes: fc.integer({ min: 0, max: 2000 }) })),
  app: fc.record({ hotUpdateMs: ms10(600) }),
});
