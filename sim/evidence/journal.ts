import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '../core/clock.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import { forEachLine } from '../core/lines.ts';
import { boundsProblem, type GuaranteeBounds } from './bounds.ts';

/**
 * The history journal (`history.jsonl`): one JSON object per line, append-only, the single source every
 * checker judges. Producers — the cloud API watches, every simulated edge node, the device simulators, the fault
 * executor and the bench itself — emit what they *observed or did*, at the moment they did it.
 *
 * Line shape: `{"seq":N,"t":MS,"source":…,"op":…,…payload}`. `seq` (1, 2, 3, …) and `t` (milliseconds from the
 * injected clock) are assigned by the journal, never by the producer, so `seq` order is time order. Payload fields
 * are flat (no nesting except `value` of bench entries) so a line costs one small JSON.stringify.
 *
 * Vocabulary: `op` is unique across sources and decides the payload (a discriminated union below). `source` is
 * fixed by `op` (only `metric`, `device-request` and `device-answer` allow more than one) and is kept on the line
 * for grep-ability. Pass exactly the payload: the reader rejects unknown fields, so a producer's typo fails loudly.
 * Kubernetes objects are identified by kind + namespace (omitted for cluster-scoped objects) + name; their
 * incarnation by `uid`; their version by `rv`, the resourceVersion string (a decimal uint64, compared numerically).
 * Device properties are identified by the Device's namespace/name + `property`; twin values are strings exactly as
 * the twin carries them ("23", not 23 — producers format, checkers compare strings).
 */

export type Source = 'cloud' | 'edge' | 'device' | 'fault' | 'bench';

/** The identity of a Kubernetes object in a line. `namespace` is omitted for cluster-scoped objects. */
export interface ObjectFields {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** The identity of one property of a Device (`namespace`/`name` are the Device's). */
export interface DevicePropertyFields {
  readonly node: string;
  readonly namespace?: string;
  readonly name: string;
  readonly property: string;
}

export type ReadyValue = 'True' | 'False' | 'Unknown';
export type PodPhase = 'pending' | 'running' | 'stopped' | 'failed';
export type Component = 'edge' | 'cloudcore' | 'apiserver' | 'etcd' | 'controller-manager' | 'scheduler' | 'mqtt' | 'toxiproxy';

// ─────────────────────────────────────────── cloud: watches on the real API ───────────────────────────────────────────

/**
 * A watch ADDED/MODIFIED event: the object now exists in the API at `rv`. `targets` are the edge nodes that, per
 * the cloud's view at this version, should hold a copy: `[spec.nodeName]` for a bound pod, every node with a pod
 * that references a ConfigMap/Secret, `[]` for cloud-only objects. Re-emit with the same `rv` when only the
 * targets change (a pod referencing a ConfigMap lands on a new node). `deleting` = deletionTimestamp is set.
 */
export interface ObjectUpsert extends ObjectFields {
  readonly source: 'cloud';
  readonly op: 'object-upsert';
  readonly uid: string;
  readonly rv: string;
  readonly targets: readonly string[];
  readonly deleting?: true;
}

/** A watch DELETED event: the object (this `uid`) is gone from the API. `rv` is the final resourceVersion if known. */
export interface ObjectDelete extends ObjectFields {
  readonly source: 'cloud';
  readonly op: 'object-delete';
  readonly uid: string;
  readonly rv?: string;
}

/**
 * Every observed write of a Node's status (watch MODIFIED of the Node): the Ready condition's status as the cloud
 * shows it now. Emit on every status update, also when the value did not change (a refreshed heartbeat is what
 * status.fresh measures). `heartbeatT` = the condition's lastHeartbeatTime in ms, informational.
 */
export interface NodeReady {
  readonly source: 'cloud';
  readonly op: 'node-ready';
  readonly node: string;
  readonly value: ReadyValue;
  readonly heartbeatT?: number;
}

/** The desired value of a device property as set in the cloud (Device spec.properties[].desired.value). */
export interface DeviceDesired extends DevicePropertyFields {
  readonly source: 'cloud';
  readonly op: 'device-desired';
  readonly value: string;
}

/** The reported value of a device property as the cloud now shows it (DeviceStatus twins[].reported.value). */
export interface DeviceReported extends DevicePropertyFields {
  readonly source: 'cloud';
  readonly op: 'device-reported';
  readonly value: string;
}

/**
 * A sampled metric. `cloudcore_rss_bytes` (source cloud) is read by storm.recover; others are for reports.
 * `node` names the edge node a sample is about; `link` the uplink (station, vehicle) one is about. Neither: the
 * sample is about the whole cloud or fleet. Names are Prometheus-style; `METRICS` lists the ones the bench writes.
 */
export interface MetricSample {
  readonly source: 'cloud' | 'edge' | 'bench';
  readonly op: 'metric';
  readonly metric: string;
  readonly value: number;
  readonly node?: string;
  readonly link?: string;
}

export const METRIC_CLOUDCORE_RSS = 'cloudcore_rss_bytes';

/**
 * The metrics `edgeproof run` samples (sim/run/metrics-sampler.ts), every few seconds unless said otherwise.
 * Process figures are read from /proc, so they exist only for local processes (not under testcontainers).
 */
export const METRICS = {
  /** (cloud) CloudCore resident memory. */
  cloudcoreRss: METRIC_CLOUDCORE_RSS,
  /** (cloud) CloudCore CPU in cores, averaged since the previous sample. */
  cloudcoreCpu: 'cloudcore_cpu_cores',
  apiserverRss: 'kube_apiserver_rss_bytes',
  apiserverCpu: 'kube_apiserver_cpu_cores',
  /** (cloud) One probe per sample: a LIST of one pod, request to last byte. */
  apiProbe: 'kube_api_probe_ms',
  /** (cloud) Every GET the bench itself made (warm-up, fault actions), as it finished. */
  apiRead: 'kube_api_read_ms',
  /** (cloud) Every POST/PUT/PATCH/DELETE the bench itself made, as it finished. */
  apiWrite: 'kube_api_write_ms',
  /** (edge) Bytes the edge ends put on their uplinks (edge → cloud) so far: the fleet, or one `link`. */
  linkUpTotal: 'link_up_bytes_total',
  /** (edge) Bytes the edge ends received from their uplinks (cloud → edge) so far: the fleet, or one `link`. */
  linkDownTotal: 'link_down_bytes_total',
  /** (edge) Fleet-wide up/down rate since the previous sample. */
  linkUpRate: 'link_up_bytes_per_second',
  linkDownRate: 'link_down_bytes_per_second',
  /** (bench) The simulator process itself: its memory, CPU, and the p99 delay of its event loop since the
   * previous sample — when that grows to seconds, the simulated edges answer late and timing verdicts are
   * about the bench, not the platform. */
  benchRss: 'bench_rss_bytes',
  benchCpu: 'bench_cpu_cores',
  benchLoopDelay: 'bench_event_loop_delay_p99_ms',
} as const;

// ─────────────────────────────────────────── edge: each simulated node ───────────────────────────────────────────

/** The edge stored the object at `rv` in its local DB (before it ACKs). Emit for every insert/update/patch applied. */
export interface EdgeApply extends ObjectFields {
  readonly source: 'edge';
  readonly op: 'apply';
  readonly node: string;
  readonly uid: string;
  readonly rv: string;
}

/** The edge removed the object from its local DB (for whatever reason: a cloud delete, a local GC). */
export interface EdgeDelete extends ObjectFields {
  readonly source: 'edge';
  readonly op: 'delete';
  readonly node: string;
  readonly uid?: string;
}

/** The edge sent an ACK for a cloud message about this object. Informational. */
export interface EdgeAck extends ObjectFields {
  readonly source: 'edge';
  readonly op: 'ack';
  readonly node: string;
  readonly uid?: string;
  readonly rv?: string;
}

/** The edge's hub connection to CloudCore is up (WebSocket upgraded). */
export interface EdgeConnect {
  readonly source: 'edge';
  readonly op: 'connect';
  readonly node: string;
}

/** The edge noticed its hub connection is down. `value`: why (read error, keepalive timeout, closed by peer…). */
export interface EdgeDisconnect {
  readonly source: 'edge';
  readonly op: 'disconnect';
  readonly node: string;
  readonly value?: string;
}

/**
 * The edge process (re)started and loaded its local store. 'boot' = first start, 'restart' = any later one.
 * Implies not connected. Whether it was offline is derived from fault entries, not claimed by the node.
 */
export interface EdgeStart {
  readonly source: 'edge';
  readonly op: 'start';
  readonly node: string;
  readonly value: 'boot' | 'restart';
}

/**
 * A pod's phase on the node changed (emit on every change, and 'running' for each pod restored after a start).
 * `app`/`version` (from the pod's labels) make it part of an app for app.hot-update.
 */
export interface PodState {
  readonly source: 'edge';
  readonly op: 'pod-state';
  readonly node: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  readonly value: PodPhase;
  readonly app?: string;
  readonly version?: string;
}

/** The edge sent a node status update upstream. Informational (status.fresh judges what the cloud shows). */
export interface StatusReport {
  readonly source: 'edge';
  readonly op: 'status-report';
  readonly node: string;
  readonly value: ReadyValue;
}

/** The edge (its mapper) wrote a desired value to the device. Informational. */
export interface TwinWrite extends DevicePropertyFields {
  readonly source: 'edge';
  readonly op: 'twin-write';
  readonly value: string;
}

/** The edge (its mapper) read a value from the device. Informational. */
export interface DeviceRead extends DevicePropertyFields {
  readonly source: 'edge';
  readonly op: 'device-read';
  readonly value: string;
}

/**
 * The edge twin refused a device's reports (`value`: why, e.g. "not a member of this node"): journalled once per
 * device and edge process, the first time. Informational: twin.converge names it when reports never arrived.
 */
export interface TwinReject {
  readonly source: 'edge';
  readonly op: 'twin-reject';
  readonly node: string;
  readonly namespace?: string;
  readonly name: string;
  readonly value: string;
}

// ─────────────────────────────────────────── device: device simulators ───────────────────────────────────────────

/**
 * The device's register now holds `value` (in twin format) — after a write by the mapper (`cause` 'write') or a
 * change of its own (a sensor, 'sensor'). `reportToCloud: false` for properties the model does not report.
 */
export interface RegisterValue extends DevicePropertyFields {
  readonly source: 'device';
  readonly op: 'register-value';
  readonly value: string;
  readonly cause?: 'write' | 'sensor';
  readonly reportToCloud?: false;
}

/**
 * A request between a device and its edge whose completion can be observed: a device asking (MQTT twin/get,
 * twin/update, state/update — emitted by the device simulator) or a mapper polling the device (emitted by the
 * edge). `reqId` is unique per node; `value` says what was asked.
 */
export interface DeviceRequest {
  readonly source: 'device' | 'edge';
  readonly op: 'device-request';
  readonly node: string;
  readonly namespace?: string;
  readonly name: string;
  readonly reqId: string;
  readonly value?: string;
}

/** The requester got its answer for `reqId` (same node). */
export interface DeviceAnswer {
  readonly source: 'device' | 'edge';
  readonly op: 'device-answer';
  readonly node: string;
  readonly namespace?: string;
  readonly name: string;
  readonly reqId: string;
  readonly value?: string;
}

// ─────────────────────────────────────────── fault: the timeline executor ───────────────────────────────────────────

/**
 * The links of `nodes` are cut from now until a `heal` with the same `fault` id. A node is partitioned while at
 * least one partition naming it is open (a station uplink cut and a gate's own cut may overlap). Entries with an
 * already open id add nodes to it. `value`: how (e.g. the Toxiproxy proxy).
 */
export interface FaultPartition {
  readonly source: 'fault';
  readonly op: 'partition';
  readonly fault: string;
  readonly nodes: readonly string[];
  readonly value?: string;
}

/** The partition `fault` is over for all its nodes. */
export interface FaultHeal {
  readonly source: 'fault';
  readonly op: 'heal';
  readonly fault: string;
}

/**
 * A churn wave marker. It does nothing by itself: the executor also emits the mechanism (partition/heal or
 * kill/start) for each node. storm.recover judges from each 'return'.
 */
export interface FaultChurn {
  readonly source: 'fault';
  readonly op: 'churn';
  readonly wave: string;
  readonly phase: 'drop' | 'return';
  readonly nodes: readonly string[];
}

/** A process was killed. For `component: 'edge'`, `nodes` lists the edge nodes killed; each is down until its `start`. */
export interface FaultKill {
  readonly source: 'fault';
  readonly op: 'kill';
  readonly component: Component;
  readonly nodes?: readonly string[];
}

/** The executor restarted a process. Informational: for edges, the node's own `start` entry is what counts. */
export interface FaultRestart {
  readonly source: 'fault';
  readonly op: 'restart';
  readonly component: Component;
  readonly nodes?: readonly string[];
}

/** A rolling update of `app` to `version` begins for the vehicles `nodes`. */
export interface FaultUpdateRollout {
  readonly source: 'fault';
  readonly op: 'update-rollout';
  readonly app: string;
  readonly version: string;
  readonly nodes: readonly string[];
}

/**
 * One timeline action as the executor ran it (every schedule entry gets one, whatever it did): `action` its
 * name, `value` the schedule source, `targets` what it acted on, `outcome` ok/error/interrupted. Informational:
 * the checkers judge the mechanism lines (partition, kill, …) that the action also wrote.
 */
export interface FaultAction {
  readonly source: 'fault';
  readonly op: 'action';
  readonly action: string;
  readonly targets: readonly string[];
  readonly outcome: string;
  readonly value?: string;
}

// ─────────────────────────────────────────── bench: the run itself ───────────────────────────────────────────

/** First line of a run. */
export interface BenchRunStart {
  readonly source: 'bench';
  readonly op: 'run-start';
  readonly value: { readonly scenario: string; readonly seed: number };
}

/** The bounds the run is judged with (the last one wins). */
export interface BenchBounds {
  readonly source: 'bench';
  readonly op: 'bounds';
  readonly value: GuaranteeBounds;
}

/**
 * The moment "at the deadline" means for sync.converge, sync.no-lost-delete and twin.converge: the bench emits it
 * once the last fault healed plus the scenario's bound. The last one wins; without one, the end of the history.
 */
export interface BenchDeadline {
  readonly source: 'bench';
  readonly op: 'deadline';
  readonly value?: string;
}

/** The bench itself asked the API to delete this object (so autonomy.no-eviction does not blame the platform). */
export interface BenchApiDelete extends ObjectFields {
  readonly source: 'bench';
  readonly op: 'api-delete';
  readonly uid?: string;
}

/** What a producer hands to the journal. */
export type JournalInput =
  | ObjectUpsert
  | ObjectDelete
  | NodeReady
  | DeviceDesired
  | DeviceReported
  | MetricSample
  | EdgeApply
  | EdgeDelete
  | EdgeAck
  | EdgeConnect
  | EdgeDisconnect
  | EdgeStart
  | PodState
  | StatusReport
  | TwinWrite
  | TwinReject
  | DeviceRead
  | RegisterValue
  | DeviceRequest
  | DeviceAnswer
  | FaultPartition
  | FaultHeal
  | FaultChurn
  | FaultKill
  | FaultRestart
  | FaultUpdateRollout
  | FaultAction
  | BenchRunStart
  | BenchBounds
  | BenchDeadline
  | BenchApiDelete;

export type Op = JournalInput['op'];

/** One journal line. */
export type JournalEntry = JournalInput & { readonly seq: number; readonly t: number };

/** The entry of a given op, e.g. `EntryOf<'apply'>`. */
export type EntryOf<O extends Op> = Extract<JournalEntry, { op: O }>;

// ─────────────────────────────────────────── validation (reader side) ───────────────────────────────────────────

type FieldType = 'string' | 'number' | 'rv' | 'strings' | 'true' | 'false' | 'bounds' | 'run' | readonly string[];
interface OpSpec {
  readonly sources: readonly Source[];
  readonly required: Readonly<Record<string, FieldType>>;
  readonly optional?: Readonly<Record<string, FieldType>>;
}

const objectRequired = { kind: 'string', name: 'string' } as const;
const deviceRequired = { node: 'string', name: 'string', property: 'string', value: 'string' } as const;
const components: readonly Component[] = ['edge', 'cloudcore', 'apiserver', 'etcd', 'controller-manager', 'scheduler', 'mqtt', 'toxiproxy'];
const readyValues: readonly ReadyValue[] = ['True', 'False', 'Unknown'];

/** The closed vocabulary, as data: what the reader accepts for each op. Keyed by Op, so a new op must be added here. */
const opSpecs: Readonly<Record<Op, OpSpec>> = {
  'object-upsert': { sources: ['cloud'], required: { ...objectRequired, uid: 'string', rv: 'rv', targets: 'strings' }, optional: { namespace: 'string', deleting: 'true' } },
  'object-delete': { sources: ['cloud'], required: { ...objectRequired, uid: 'string' }, optional: { namespace: 'string', rv: 'rv' } },
  'node-ready': { sources: ['cloud'], required: { node: 'string', value: readyValues }, optional: { heartbeatT: 'number' } },
  'device-desired': { sources: ['cloud'], required: deviceRequired, optional: { namespace: 'string' } },
  'device-reported': { sources: ['cloud'], required: deviceRequired, optional: { namespace: 'string' } },
  metric: { sources: ['cloud', 'edge', 'bench'], required: { metric: 'string', value: 'number' }, optional: { node: 'string', link: 'string' } },
  apply: { sources: ['edge'], required: { ...objectRequired, node: 'string', uid: 'string', rv: 'rv' }, optional: { namespace: 'string' } },
  delete: { sources: ['edge'], required: { ...objectRequired, node: 'string' }, optional: { namespace: 'string', uid: 'string' } },
  ack: { sources: ['edge'], required: { ...objectRequired, node: 'string' }, optional: { namespace: 'string', uid: 'string', rv: 'rv' } },
  connect: { sources: ['edge'], required: { node: 'string' } },
  disconnect: { sources: ['edge'], required: { node: 'string' }, optional: { value: 'string' } },
  start: { sources: ['edge'], required: { node: 'string', value: ['boot', 'restart'] } },
  'pod-state': {
    sources: ['edge'],
    required: { node: 'string', namespace: 'string', name: 'string', value: ['pending', 'running', 'stopped', 'failed'] },
    optional: { uid: 'string', app: 'string', version: 'string' },
  },
  'status-report': { sources: ['edge'], required: { node: 'string', value: readyValues } },
  'twin-write': { sources: ['edge'], required: deviceRequired, optional: { namespace: 'string' } },
  'device-read': { sources: ['edge'], required: deviceRequired, optional: { namespace: 'string' } },
  'twin-reject': { sources: ['edge'], required: { node: 'string', name: 'string', value: 'string' }, optional: { namespace: 'string' } },
  'register-value': { sources: ['device'], required: deviceRequired, optional: { namespace: 'string', cause: ['write', 'sensor'], reportToCloud: 'false' } },
  'device-request': { sources: ['device', 'edge'], required: { node: 'string', name: 'string', reqId: 'string' }, optional: { namespace: 'string', value: 'string' } },
  'device-answer': { sources: ['device', 'edge'], required: { node: 'string', name: 'string', reqId: 'string' }, optional: { namespace: 'string', value: 'string' } },
  partition: { sources: ['fault'], required: { fault: 'string', nodes: 'strings' }, optional: { value: 'string' } },
  heal: { sources: ['fault'], required: { fault: 'string' } },
  churn: { sources: ['fault'], required: { wave: 'string', phase: ['drop', 'return'], nodes: 'strings' } },
  kill: { sources: ['fault'], required: { component: components }, optional: { nodes: 'strings' } },
  restart: { sources: ['fault'], required: { component: components }, optional: { nodes: 'strings' } },
  'update-rollout': { sources: ['fault'], required: { app: 'string', version: 'string', nodes: 'strings' } },
  action: { sources: ['fault'], required: { action: 'string', targets: 'strings', outcome: 'string' }, optional: { value: 'string' } },
  'run-start': { sources: ['bench'], required: { value: 'run' } },
  bounds: { sources: ['bench'], required: { value: 'bounds' } },
  deadline: { sources: ['bench'], required: {}, optional: { value: 'string' } },
  'api-delete': { sources: ['bench'], required: objectRequired, optional: { namespace: 'string', uid: 'string' } },
};

/** Every op of the vocabulary. */
export const OPS: readonly Op[] = Object.keys(opSpecs) as Op[];

/** The specs as arrays, built once: the reader validates millions of lines. */
const compiled = new Map<string, { sources: readonly string[]; required: [string, FieldType][]; allowed: Map<string, FieldType> }>(
  OPS.map((op) => {
    const spec = opSpecs[op];
    const allowed = new Map<string, FieldType>([...Object.entries(spec.required), ...Object.entries(spec.optional ?? {})]);
    return [op, { sources: spec.sources, required: Object.entries(spec.required), allowed }];
  }),
);

const RV = /^(0|[1-9][0-9]*)$/;

function fieldProblem(name: string, value: unknown, type: FieldType): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `"${name}" must be a string`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `"${name}" must be a finite number`;
    case 'rv':
      return typeof value === 'string' && RV.test(value) ? undefined : `"${name}" must be a decimal resourceVersion string`;
    case 'strings':
      return Array.isArray(value) && value.every((s) => typeof s === 'string') ? undefined : `"${name}" must be an array of strings`;
    case 'true':
      return value === true ? undefined : `"${name}" must be true when present`;
    case 'false':
      return value === false ? undefined : `"${name}" must be false when present`;
    case 'bounds': {
      const p = boundsProblem(value);
      return p === undefined ? undefined : `"${name}": ${p}`;
    }
    case 'run': {
      const v = value as Record<string, unknown> | null;
      return typeof v === 'object' && v !== null && typeof v['scenario'] === 'string' && typeof v['seed'] === 'number'
        ? undefined
        : `"${name}" must be {scenario: string, seed: number}`;
    }
    default:
      return typeof value === 'string' && type.includes(value) ? undefined : `"${name}" must be one of ${type.join(', ')}`;
  }
}

/** Why a parsed line is not a journal entry, or undefined when it is one. Shape only; order is the reader's job. */
export function entryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  const seq = v['seq'];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return '"seq" must be an integer ≥ 1';
  const t = v['t'];
  if (typeof t !== 'number' || !Number.isFinite(t)) return '"t" must be a finite number';
  const op = v['op'];
  const spec = typeof op === 'string' ? compiled.get(op) : undefined;
  if (spec === undefined) return `unknown op ${JSON.stringify(op)}`;
  const source = v['source'];
  if (typeof source !== 'string' || !spec.sources.includes(source)) {
    return `op "${op as string}" needs source ${spec.sources.join(' or ')}, got ${JSON.stringify(source)}`;
  }
  for (const [name] of spec.required) {
    if (!(name in v)) return `op "${op as string}" needs "${name}"`;
  }
  for (const name in v) {
    if (name === 'seq' || name === 't' || name === 'op' || name === 'source') continue;
    const type = spec.allowed.get(name);
    if (type === undefined) return `op "${op as string}" has no field "${name}"`;
    const p = fieldProblem(name, v[name], type);
    if (p !== undefined) return p;
  }
  return undefined;
}

// ─────────────────────────────────────────── writing ───────────────────────────────────────────

/** What producers depend on: append one observation; the journal stamps `seq` and `t` and returns the seq. */
export interface JournalSink {
  append(entry: JournalInput): number;
}

export interface FileJournalOptions {
  readonly clock: Clock;
  /**
   * 'buffered' (default): lines collect in memory and are written by one write(2) at the end of the current
   * event-loop turn (setImmediate), when 256 KiB pile up, on flush()/close(), and on process exit. A hard kill
   * (SIGKILL, power loss) loses at most the lines of the current turn — well under a millisecond of simulated
   * activity in practice — and can leave a torn last line, which the reader tolerates.
   * 'sync': one write(2) per line, for tests of crash behaviour; ~1 µs per line more.
   */
  readonly mode?: 'buffered' | 'sync';
  readonly maxBufferBytes?: number;
}

function stampedInput(where: string): EdgeproofError {
  return new EdgeproofError('E_INTERNAL', 'a journal input must not carry seq or t: the journal stamps them', {
    where,
    fix: 'append the payload only (strip seq and t when re-journalling an entry)',
  });
}

/**
 * The history.jsonl writer. Creates the file exclusively (an existing history is never appended to or
 * rewritten), assigns seq 1, 2, … and t = clock.now() — clamped to never go backwards, so line order is time order
 * even when the wall clock steps back.
 */
export class FileJournal implements JournalSink {
  readonly path: string;
  private fd: number | undefined;
  private readonly clock: Clock;
  private readonly sync: boolean;
  private readonly maxBuffer: number;
  private chunks: string[] = [];
  private bufferedChars = 0;
  private scheduled = false;
  private seq = 0;
  private lastT = -Infinity;
  private failure: EdgeproofError | undefined;
  private readonly onExit = (): void => {
    try {
      this.flush();
    } catch {
      // exiting anyway; nothing else can be done with the error here
    }
  };

  private constructor(path: string, fd: number, options: FileJournalOptions) {
    this.path = path;
    this.fd = fd;
    this.clock = options.clock;
    this.sync = options.mode === 'sync';
    this.maxBuffer = options.maxBufferBytes ?? 256 * 1024;
    process.on('exit', this.onExit);
  }

  static create(path: string, options: FileJournalOptions): FileJournal {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
      throw new EdgeproofError(exists ? 'E_BAD_FLAG' : 'E_INTERNAL', exists ? 'a history journal already exists here' : `cannot create the history journal: ${messageOf(e)}`, {
        where: path,
        fix: exists ? 'give the run an empty --out directory: a history is never appended to or rewritten' : 'check that the run directory exists and is writable',
        cause: e,
      });
    }
    return new FileJournal(path, fd, options);
  }

  /** Seq of the last line appended (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  append(input: JournalInput): number {
    if (this.failure !== undefined) throw this.failure;
    if (this.fd === undefined) throw new EdgeproofError('E_INTERNAL', 'append to a closed history journal', { where: this.path });
    if ('seq' in input || 't' in input) throw stampedInput(this.path);
    const t = Math.max(this.clock.now(), this.lastT);
    this.lastT = t;
    const seq = ++this.seq;
    // `{"seq":…,"t":…,` + the input's own JSON minus its `{`: one stringify, no object copy. Inputs always have
    // source and op, so the input's JSON is never `{}`.
    const line = `{"seq":${seq},"t":${t},${JSON.stringify(input).slice(1)}\n`;
    if (this.sync) {
      this.write(line);
      return seq;
    }
    this.chunks.push(line);
    this.bufferedChars += line.length;
    if (this.bufferedChars >= this.maxBuffer) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        try {
          this.flush();
        } catch {
          // kept in this.failure and thrown by the next append/flush/close
        }
      });
    }
    return seq;
  }

  /** Write everything buffered now. */
  flush(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.chunks.length === 0 || this.fd === undefined) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.bufferedChars = 0;
    this.write(text);
  }

  /** Flush and close. Idempotent. */
  close(): void {
    process.off('exit', this.onExit);
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private write(text: string): void {
    if (this.fd === undefined) return;
    try {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      this.failure = new EdgeproofError('E_INTERNAL', `cannot write the history journal: ${messageOf(e)}`, {
        where: this.path,
        fix: 'check free disk space and permissions of the run directory',
        cause: e,
      });
      throw this.failure;
    }
  }
}

/**
 * A journal in memory, for tests and for in-process runs that judge without a file. `append` stamps t from the
 * clock like FileJournal; `appendAt` lets a test place lines at explicit times (never earlier than the last one).
 */
export class MemoryJournal implements JournalSink {
  readonly entries: JournalEntry[] = [];
  private readonly clock: Clock | undefined;

  constructor(clock?: Clock) {
    this.clock = clock;
  }

  append(input: JournalInput): number {
    return this.appendAt(this.clock?.now() ?? this.lastT(), input).seq;
  }

  appendAt(t: number, input: JournalInput): JournalEntry {
    if ('seq' in input || 't' in input) throw stampedInput('memory journal');
    const entry = { seq: this.entries.length + 1, t: Math.max(t, this.lastT()), ...input } as JournalEntry;
    this.entries.push(entry);
    return entry;
  }

  private lastT(): number {
    return this.entries[this.entries.length - 1]?.t ?? 0;
  }
}

// ─────────────────────────────────────────── reading ───────────────────────────────────────────

export interface JournalRead {
  readonly entries: JournalEntry[];
  /** Set when the last line was cut short by a crash (no newline, not JSON) and was skipped. */
  readonly tornLastLine?: { readonly line: number; readonly text: string };
}

function badLine(where: string, line: number, problem: string, text: string): EdgeproofError {
  const shown = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  return new EdgeproofError('E_BAD_MESSAGE', `history line ${line}: ${problem}: ${shown}`, {
    where: `${where}:${line}`,
    fix: 'a history.jsonl is written by edgeproof only; restore the original file or re-run the scenario',
    context: { line },
  });
}

/** Incremental line parser shared by parseJournal and readJournal. */
class LineParser {
  readonly entries: JournalEntry[] = [];
  private line = 0;
  private prevSeq = 0;
  private prevT = -Infinity;

  constructor(private readonly where: string) {}

  /** A complete (newline-terminated) line. */
  complete(text: string): void {
    this.line++;
    this.accept(text, this.parse(text));
  }

  /** The text after the last newline; returns the torn line if it is one. */
  finish(text: string): JournalRead['tornLastLine'] {
    if (text === '') return undefined;
    this.line++;
    const parsed = this.parse(text, true);
    if (parsed === torn) return { line: this.line, text };
    this.accept(text, parsed);
    return undefined;
  }

  private parse(text: string, last = false): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      if (last) return torn;
      throw badLine(this.where, this.line, `not JSON (${messageOf(e)})`, text);
    }
  }

  private accept(text: string, value: unknown): void {
    const problem = entryProblem(value);
    if (problem !== undefined) throw badLine(this.where, this.line, problem, text);
    const entry = value as JournalEntry;
    if (entry.seq <= this.prevSeq) throw badLine(this.where, this.line, `seq ${entry.seq} does not follow ${this.prevSeq}`, text);
    if (entry.t < this.prevT) throw badLine(this.where, this.line, `t ${entry.t} is earlier than the previous line's ${this.prevT}`, text);
    this.prevSeq = entry.seq;
    this.prevT = entry.t;
    this.entries.push(entry);
  }
}

const torn = Symbol('torn');

/** Parse history text. A last line without newline that is not JSON is a crash's torn write: skipped and reported. */
export function parseJournal(text: string, where = 'history.jsonl'): JournalRead {
  const parser = new LineParser(where);
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    parser.complete(text.slice(start, nl));
    start = nl + 1;
  }
  const tornLastLine = parser.finish(text.slice(start));
  return tornLastLine === undefined ? { entries: parser.entries } : { entries: parser.entries, tornLastLine };
}

/**
 * Read a history.jsonl of any size (streamed in 1 MiB chunks, so a file larger than V8's longest string is fine).
 * Every malformed line other than a torn last one throws E_BAD_MESSAGE naming `file:line`.
 */
export function readJournal(path: string): JournalRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new EdgeproofError('E_BAD_FLAG', `cannot open the history journal: ${messageOf(e)}`, { where: path, fix: 'point at a run directory that holds history.jsonl', cause: e });
  }
  try {
    const parser = new LineParser(path);
    const rest = forEachLine(fd, (line) => parser.complete(line));
    const tornLastLine = parser.finish(rest);
    return tornLastLine === undefined ? { entries: parser.entries } : { entries: parser.entries, tornLastLine };
  } finally {
    closeSync(fd);
  }
}

/** Throw E_BAD_MESSAGE unless `history` is in seq order with non-decreasing t (what every checker assumes). */
export function assertOrdered(history: readonly JournalEntry[], where = 'history'): void {
  let prevSeq = 0;
  let prevT = -Infinity;
  for (let i = 0; i < history.length; i++) {
    const e = history[i]!;
    if (e.seq <= prevSeq || e.t < prevT) {
      throw new EdgeproofError('E_BAD_MESSAGE', `history entry ${i} (seq ${e.seq}, t ${e.t}) is out of order after seq ${prevSeq}, t ${prevT}`, {
        where,
        fix: 'pass the entries in the order the journal wrote them',
      });
    }
    prevSeq = e.seq;
    prevT = e.t;
  }
}
