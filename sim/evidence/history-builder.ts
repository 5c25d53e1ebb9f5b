/**
 * Test support: terse constructors for journal inputs and a builder that places them at explicit times. Used by
 * the checker tests here and meant for any test that hand-builds a history (e.g. a deliberately broken edge).
 */
import type { GuaranteeBounds } from './bounds.ts';
import { MemoryJournal, type JournalEntry, type JournalInput, type PodPhase, type ReadyValue } from './journal.ts';

interface Obj {
  readonly kind?: string;
  readonly ns?: string;
  readonly name: string;
}
interface Versioned extends Obj {
  readonly uid: string;
  readonly rv: string | number;
}

const ident = (o: Obj): { kind: string; name: string; namespace?: string } => ({
  kind: o.kind ?? 'Pod',
  name: o.name,
  ...(o.ns === undefined ? { namespace: 'default' } : o.ns === '' ? {} : { namespace: o.ns }),
});

export const cloud = {
  upsert: (o: Versioned & { readonly targets: readonly string[]; readonly deleting?: boolean }): JournalInput => ({
    source: 'cloud',
    op: 'object-upsert',
    ...ident(o),
    uid: o.uid,
    rv: String(o.rv),
    targets: o.targets,
    ...(o.deleting === true ? { deleting: true as const } : {}),
  }),
  delete: (o: Obj & { readonly uid: string }): JournalInput => ({ source: 'cloud', op: 'object-delete', ...ident(o), uid: o.uid }),
  ready: (node: string, value: ReadyValue = 'True'): JournalInput => ({ source: 'cloud', op: 'node-ready', node, value }),
  desired: (node: string, device: string, property: string, value: string): JournalInput => ({ source: 'cloud', op: 'device-desired', node, name: device, property, value }),
  reported: (node: string, device: string, property: string, value: string): JournalInput => ({ source: 'cloud', op: 'device-reported', node, name: device, property, value }),
  rss: (bytes: number): JournalInput => ({ source: 'cloud', op: 'metric', metric: 'cloudcore_rss_bytes', value: bytes }),
};

export const edge = {
  apply: (node: string, o: Versioned): JournalInput => ({ source: 'edge', op: 'apply', node, ...ident(o), uid: o.uid, rv: String(o.rv) }),
  delete: (node: string, o: Obj & { readonly uid?: string }): JournalInput => ({ source: 'edge', op: 'delete', node, ...ident(o), ...(o.uid === undefined ? {} : { uid: o.uid }) }),
  connect: (node: string): JournalInput => ({ source: 'edge', op: 'connect', node }),
  disconnect: (node: string): JournalInput => ({ source: 'edge', op: 'disconnect', node }),
  start: (node: string, value: 'boot' | 'restart' = 'restart'): JournalInput => ({ source: 'edge', op: 'start', node, value }),
  pod: (node: string, name: string, value: PodPhase, app?: { readonly app: string; readonly version: string }): JournalInput => ({
    source: 'edge',
    op: 'pod-state',
    node,
    namespace: 'default',
    name,
    value,
    ...(app === undefined ? {} : { app: app.app, version: app.version }),
  }),
  twinReject: (node: string, name: string, reason: string): JournalInput => ({ source: 'edge', op: 'twin-reject', node, name, value: reason }),
};

export const device = {
  register: (node: string, name: string, property: string, value: string, reportToCloud = true): JournalInput => ({
    source: 'device',
    op: 'register-value',
    node,
    name,
    property,
    value,
    ...(reportToCloud ? {} : { reportToCloud: false as const }),
  }),
  request: (node: string, name: string, reqId: string): JournalInput => ({ source: 'device', op: 'device-request', node, name, reqId }),
  answer: (node: string, name: string, reqId: string): JournalInput => ({ source: 'device', op: 'device-answer', node, name, reqId }),
};

export const fault = {
  partition: (fault: string, nodes: readonly string[]): JournalInput => ({ source: 'fault', op: 'partition', fault, nodes }),
  heal: (fault: string): JournalInput => ({ source: 'fault', op: 'heal', fault }),
  churn: (wave: string, phase: 'drop' | 'return', nodes: readonly string[]): JournalInput => ({ source: 'fault', op: 'churn', wave, phase, nodes }),
  kill: (nodes: readonly string[]): JournalInput => ({ source: 'fault', op: 'kill', component: 'edge', nodes }),
  rollout: (app: string, version: string, nodes: readonly string[]): JournalInput => ({ source: 'fault', op: 'update-rollout', app, version, nodes }),
};

export const bench = {
  deadline: (): JournalInput => ({ source: 'bench', op: 'deadline' }),
  apiDelete: (o: Obj & { readonly uid?: string }): JournalInput => ({ source: 'bench', op: 'api-delete', ...ident(o), ...(o.uid === undefined ? {} : { uid: o.uid }) }),
};

/** Lines at explicit times; `add` returns the seq, so tests can name the evidence lines they expect. */
export class HistoryBuilder {
  private readonly journal = new MemoryJournal();

  add(t: number, input: JournalInput): number {
    return this.journal.appendAt(t, input).seq;
  }

  get entries(): readonly JournalEntry[] {
    return this.journal.entries;
  }
}

/** Small bounds for hand-built histories (milliseconds). */
export const testBounds: GuaranteeBounds = {
  sync: { lagMs: 100 },
  autonomy: { evictionToleranceMs: 1000, restoreMs: 500, deviceAnswerMs: 100 },
  twin: { lagMs: 100 },
  status: { periodMs: 100, slackMs: 50 },
  storm: { recoverMs: 1000, rssBudgetBytes: 1000 },
  app: { hotUpdateMs: 500 },
};
