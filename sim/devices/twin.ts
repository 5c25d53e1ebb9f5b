/**
 * The edge-side device twin, a port of edgecore's devicetwin module (kubeedge v1.23.1
 * edge/pkg/devicetwin: process.go classifyMsg, dtmanager/{membership,twin,device,communicate}.go,
 * dttype/{types,types_helper}.go) for one node:
 *
 * Cloud → edge (CloudHub strips `node/<node>/` from the resource before sending):
 *   group "twin", source "devicecontroller", resource "membership", op "update",
 *     content MembershipUpdate {event_id, timestamp, added_devices:[{id:"<ns>/<name>", name, description}],
 *     removed_devices} — cloud/pkg/devicecontroller/controller/downstream.go deviceAdded/deviceDeleted.
 *   group "twin", resource "twin", op "response", content "OK", parent_msg_id = the edge message it confirms —
 *     controller/upstream.go after patching DeviceStatus (the edge treats any parent id as a confirm).
 *   "membership/detail" (MemDetailResult) and "device/<id>/twin/cloud_updated" (TwinCloudSync) are handled as
 *     edgecore does, though CloudCore v1.23.1 never sends them (its upstream ignores membership/detail and no
 *     code path emits cloud_updated: desired values now travel inside the Device object to the mapper).
 * Edge → cloud (source "twin", group "resource", op "update"):
 *   "device/<ns>/<name>/twin/edge_updated", content DeviceTwinResult {event_id, timestamp, twin:{<p>:MsgTwin}}
 *     with versions — what CloudCore turns into DeviceStatus.status.twins[].reported/observedDesired;
 *   "device/<ns>/<name>/state/update", content the JSON *string* {event_id, timestamp, device:{name, state,
 *     lastOnlineTime}} — DeviceStatus.status.state/lastOnlineTime;
 *   "membership/detail", op "get", content the JSON string GetDetailNode, on every reconnect.
 * Edge-local MQTT (eventbus): twin/update/result, twin/update/document, twin/update/delta, twin/get/result,
 * state/update/result, membership/updated, membership/get/result, all QoS 1.
 *
 * Versions follow dealVersion: an edge update bumps `edge`; a cloud sync must carry versions not older than
 * the edge's. Values are checked like edgecore (twin keys/values against its character set, typed values
 * against the twin's type) and a rejected update changes nothing.
 *
 * Offline: edgecore drops messages for the cloud while disconnected (communicate.go dealSendToCloud) and
 * relies on the mapper reporting again after the link returns. `offline: 'drop'` reproduces that;
 * the default `'buffer-latest'` keeps, per device and property, the newest value and version produced while
 * disconnected and sends them in one edge_updated per device on reconnect (so a plate read during a partition
 * is not lost). Sent messages wait in a confirm map; after `confirmIdleMs` (60 s) without any twin activity
 * the unconfirmed ones are sent again (communicate.go checkConfirm).
 */
import type { Clock, Timer } from '../core/clock.ts';
import { randomIds, type IdSource, type JsonObject, type JsonValue, type Message, type MessageFactory } from '../protocol/message.ts';
import type { ReportedTwin } from './mapper.ts';
import type { DeviceRow, DeviceTwinRow, TwinStore } from './twin-store.ts';

// ---------------------------------------------------------------------------------------------------------
// dttype shapes

export interface TwinVersion {
  cloud: number;
  edge: number;
}

export interface TwinValue {
  value?: string;
  metadata?: { timestamp?: number };
}

/** dttype.MsgTwin. */
export interface MsgTwin {
  expected?: TwinValue;
  actual?: TwinValue;
  optional?: boolean;
  metadata?: { type?: string };
  expected_version?: TwinVersion;
  actual_version?: TwinVersion;
}

export interface TwinDeviceView {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly state: string;
  readonly lastOnline: string;
  readonly twins: ReadonlyMap<string, Readonly<MsgTwin>>;
}

export type TwinEvent =
  | { readonly op: 'member-added' | 'member-removed'; readonly device: string }
  | { readonly op: 'report-sent'; readonly device: string; readonly properties: readonly string[]; readonly msgId: string }
  | { readonly op: 'report-buffered' | 'report-dropped'; readonly device: string; readonly properties: readonly string[] }
  | { readonly op: 'state-sent' | 'state-buffered' | 'state-dropped'; readonly device: string; readonly state: string }
  | { readonly op: 'flushed'; readonly devices: number; readonly messages: number }
  | { readonly op: 'rejected'; readonly device: string; readonly code: number; readonly reason: string }
  | { readonly op: 'confirmed'; readonly msgId: string }
  | { readonly op: 'resent'; readonly messages: number };

export interface DeviceTwinStats {
  sent: number;
  buffered: number;
  dropped: number;
  flushed: number;
  confirmed: number;
  resent: number;
  rejected: number;
  published: number;
  confirmOverflow: number;
}

export interface DeviceTwinOptions {
  readonly nodeName: string;
  readonly clock: Clock;
  /** Builds the edge→cloud messages (fresh msg_id and timestamp each). */
  readonly messages: MessageFactory;
  readonly store: TwinStore;
  /** Hand a message to EdgeHub; false when not connected (HubClient.send). */
  readonly send: (message: Message) => boolean;
  /** Publish on the edge's MQTT broker (eventbus). Without it nothing is published. */
  readonly publish?: (topic: string, payload: string) => void;
  /** Ids for event_id fields (uuid.New() in edgecore). */
  readonly ids?: IdSource;
  readonly offline?: 'buffer-latest' | 'drop';
  /** checkConfirm: resend unconfirmed messages after this long without twin activity (60 s). 0 disables. */
  readonly confirmIdleMs?: number;
  /**
   * Write twin rows behind by up to this long, coalescing the updates of a property in between (0: write
   * through on every update, as edgecore does). A store on disk at thousands of reports per second needs it;
   * a crash loses at most this window of twin values (devices and memberships are always written through).
   */
  readonly persistDelayMs?: number;
  /**
   * Bound on unconfirmed messages kept for resending, oldest dropped first (default 256). edgecore's map is
   * unbounded; here thousands of twins share one process, and a CloudCore that drops reports under load (its
   * devicecontroller channel overflows at ~1,000 devices) would otherwise grow every twin by ~1 KiB a report.
   */
  readonly maxUnconfirmed?: number;
  /** A twin's expected value differs from its actual value (the twin/update/delta publication). */
  readonly onDelta?: (deviceId: string, delta: Readonly<Record<string, string>>) => void;
  readonly onEvent?: (event: TwinEvent) => void;
}

interface TwinDevice {
  id: string;
  name: string;
  description: string;
  state: string;
  lastOnline: string;
  twins: Map<string, MsgTwin>;
}

const RestDeal = 0;
const SyncDeal = 1;
type DealType = typeof RestDeal | typeof SyncDeal;

const twinKeyPattern = /^[a-zA-Z0-9-_.,:/@#]{1,128}$/;
const twinValuePattern = /^[a-zA-Z0-9-_.,:/@#]{1,512}$/;
const deviceStates = new Set(['online', 'offline', 'ok', 'unknown', 'unhealthy']);

class TwinError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** dtcommon.ValidateValue. */
export function validateTwinValue(valueType: string, value: string): string | undefined {
  switch (valueType) {
    case '':
    case 'string':
    case 'deleted':
      return undefined;
    case 'int':
    case 'integer':
      return /^[+-]?\d+$/.test(value) && Math.abs(Number(value)) <= 2 ** 63 ? undefined : 'the value is not int or integer';
    case 'float':
      return /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i.test(value) ? undefined : 'the value is not float';
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : 'the bool value must be true or false';
    default:
      return 'the value type is not allowed';
  }
}

/** Go's json.Marshal of a MsgTwin: field order of the struct, empty pointers omitted. */
function marshalTwin(t: MsgTwin, withVersions = true): JsonObject {
  const out: JsonObject = {};
  const value = (v: TwinValue): JsonObject => {
    const o: JsonObject = {};
    if (v.value !== undefined) o['value'] = v.value;
    if (v.metadata !== undefined) o['metadata'] = v.metadata.timestamp !== undefined && v.metadata.timestamp !== 0 ? { timestamp: v.metadata.timestamp } : {};
    return o;
  };
  if (t.expected !== undefined) out['expected'] = value(t.expected);
  if (t.actual !== undefined) out['actual'] = value(t.actual);
  if (t.optional !== undefined) out['optional'] = t.optional;
  if (t.metadata !== undefined) out['metadata'] = t.metadata.type !== undefined && t.metadata.type !== '' ? { type: t.metadata.type } : {};
  if (withVersions && t.expected_version !== undefined) out['expected_version'] = { cloud: t.expected_version.cloud, edge: t.expected_version.edge };
  if (withVersions && t.actual_version !== undefined) out['actual_version'] = { cloud: t.actual_version.cloud, edge: t.actual_version.edge };
  return out;
}

/** Go marshals maps with sorted keys. */
function twinMap(twins: ReadonlyMap<string, MsgTwin | null>, withVersions = true): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of [...twins.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v === null ? null : marshalTwin(v, withVersions);
  return out;
}

// Hand-written copies: structuredClone was the single largest cost of a report at fleet scale.
const cloneValue = (v: TwinValue): TwinValue => ({
  ...(v.value !== undefined ? { value: v.value } : {}),
  ...(v.metadata !== undefined ? { metadata: v.metadata.timestamp !== undefined ? { timestamp: v.metadata.timestamp } : {} } : {}),
});
const cloneVersion = (v: TwinVersion): TwinVersion => ({ cloud: v.cloud, edge: v.edge });
const cloneMeta = (m: { type?: string }): { type?: string } => (m.type !== undefined ? { type: m.type } : {});

function cloneTwin(t: MsgTwin): MsgTwin {
  const c: MsgTwin = {};
  if (t.expected !== undefined) c.expected = cloneValue(t.expected);
  if (t.actual !== undefined) c.actual = cloneValue(t.actual);
  if (t.optional !== undefined) c.optional = t.optional;
  if (t.metadata !== undefined) c.metadata = cloneMeta(t.metadata);
  if (t.expected_version !== undefined) c.expected_version = cloneVersion(t.expected_version);
  if (t.actual_version !== undefined) c.actual_version = cloneVersion(t.actual_version);
  return c;
}

function noVersions(t: MsgTwin): MsgTwin {
  const c = cloneTwin(t);
  delete c.expected_version;
  delete c.actual_version;
  return c;
}

/** Fields of `from` that are set replace those of `into` (a newer report of a property over an older one). */
function mergeTwin(into: MsgTwin | undefined, from: MsgTwin): MsgTwin {
  const c = into === undefined ? {} : cloneTwin(into);
  const f = cloneTwin(from);
  if (f.expected !== undefined) c.expected = f.expected;
  if (f.actual !== undefined) c.actual = f.actual;
  if (f.optional !== undefined) c.optional = f.optional;
  if (f.metadata !== undefined) c.metadata = f.metadata;
  if (f.expected_version !== undefined) c.expected_version = f.expected_version;
  if (f.actual_version !== undefined) c.actual_version = f.actual_version;
  return c;
}

/** dttype.DeviceTwinToMsgTwin: how a row reads back (an empty value means "absent"). */
export function rowToMsgTwin(row: DeviceTwinRow): MsgTwin {
  const t: MsgTwin = { optional: row.optional, metadata: { type: row.attrType } };
  const meta = (text: string): { timestamp?: number } | undefined => {
    if (text === '') return undefined;
    try {
      const m = JSON.parse(text) as { timestamp?: unknown };
      return typeof m.timestamp === 'number' ? { timestamp: m.timestamp } : {};
    } catch {
      return {};
    }
  };
  const version = (text: string): TwinVersion | undefined => {
    if (text === '') return undefined;
    try {
      const v = JSON.parse(text) as { cloud?: unknown; edge?: unknown };
      return { cloud: typeof v.cloud === 'number' ? v.cloud : 0, edge: typeof v.edge === 'number' ? v.edge : 0 };
    } catch {
      return { cloud: 0, edge: 0 };
    }
  };
  if (row.expected !== '') {
    const m = meta(row.expectedMeta);
    t.expected = { value: row.expected, ...(m !== undefined ? { metadata: m } : {}) };
  }
  if (row.actual !== '') {
    const m = meta(row.actualMeta);
    t.actual = { value: row.actual, ...(m !== undefined ? { metadata: m } : {}) };
  }
  const ev = version(row.expectedVersion);
  if (ev !== undefined) t.expected_version = ev;
  const av = version(row.actualVersion);
  if (av !== undefined) t.actual_version = av;
  return t;
}

function twinToRow(deviceId: string, name: string, t: MsgTwin, metadataColumn: string): DeviceTwinRow {
  const metaText = (v: TwinValue | undefined): string => (v?.metadata !== undefined ? JSON.stringify(v.metadata.timestamp !== undefined ? { timestamp: v.metadata.timestamp } : {}) : '');
  const ver = (v: TwinVersion | undefined): string => (v !== undefined ? JSON.stringify({ cloud: v.cloud, edge: v.edge }) : '');
  return {
    deviceId,
    name,
    description: '',
    expected: t.expected?.value ?? '',
    actual: t.actual?.value ?? '',
    expectedMeta: metaText(t.expected),
    actualMeta: metaText(t.actual),
    expectedVersion: ver(t.expected_version),
    actualVersion: ver(t.actual_version),
    optional: t.optional ?? true,
    attrType: t.metadata?.type ?? 'string',
    metadata: metadataColumn,
  };
}

/** RFC 3339 without fractional seconds, as Go's time.RFC3339 formats. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's encoding/json: keys match struct tags case-insensitively. */
function field(o: Obj, key: string): unknown {
  if (key in o) return o[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(o)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** A string field ('' when absent or not a string). */
function text(o: Obj, key: string): string {
  const v = field(o, key);
  return typeof v === 'string' ? v : '';
}

function toTwinValue(v: unknown): TwinValue | undefined {
  if (!isObj(v)) return undefined;
  const out: TwinValue = {};
  const value = field(v, 'value');
  if (typeof value === 'string') out.value = value;
  const meta = field(v, 'metadata');
  if (isObj(meta)) {
    const ts = field(meta, 'timestamp');
    out.metadata = typeof ts === 'number' ? { timestamp: ts } : {};
  }
  return out;
}

function toVersion(v: unknown): TwinVersion | undefined {
  if (!isObj(v)) return undefined;
  const cloud = field(v, 'cloud');
  const edge = field(v, 'edge');
  return { cloud: typeof cloud === 'number' ? cloud : 0, edge: typeof edge === 'number' ? edge : 0 };
}

/** A JSON twin entry as json.Unmarshal into *MsgTwin reads it (null stays null). */
function toMsgTwin(v: unknown): MsgTwin | null {
  if (!isObj(v)) return null;
  const t: MsgTwin = {};
  const expected = toTwinValue(field(v, 'expected'));
  if (expected !== undefined) t.expected = expected;
  const actual = toTwinValue(field(v, 'actual'));
  if (actual !== undefined) t.actual = actual;
  const optional = field(v, 'optional');
  if (typeof optional === 'boolean') t.optional = optional;
  const meta = field(v, 'metadata');
  if (isObj(meta)) {
    const type = field(meta, 'type');
    t.metadata = typeof type === 'string' ? { type } : {};
  }
  const ev = toVersion(field(v, 'expected_version'));
  if (ev !== undefined) t.expected_version = ev;
  const av = toVersion(field(v, 'actual_version'));
  if (av !== undefined) t.actual_version = av;
  return t;
}

/** Message content as Go's GetContentData sees it: bytes of a string, or the marshalled object. */
function contentObject(content: JsonValue): Obj | undefined {
  if (typeof content === 'string') {
    try {
      const parsed: unknown = JSON.parse(content);
      return isObj(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return isObj(content) ? content : undefined;
}

interface DealResult {
  twins: Map<string, MsgTwin>;
  changedRows: Map<string, string>;
  result: Map<string, MsgTwin>;
  sync: Map<string, MsgTwin>;
  document: Map<string, { last: MsgTwin | null; current: MsgTwin | null }>;
}

export class DeviceTwin {
  readonly nodeName: string;
  readonly stats: DeviceTwinStats = { sent: 0, buffered: 0, dropped: 0, flushed: 0, confirmed: 0, resent: 0, rejected: 0, published: 0, confirmOverflow: 0 };
  private readonly devicesById = new Map<string, TwinDevice>();
  private readonly ids: IdSource;
  private connected = false;
  private readonly confirm = new Map<string, Message>();
  private readonly pendingTwins = new Map<string, Map<string, MsgTwin>>();
  private readonly pendingStates = new Map<string, string>();
  private lastActivity = 0;
  private confirmTimer: Timer | undefined;
  private started = false;
  private readonly dirty = new Map<string, Map<string, DeviceTwinRow>>();
  private persistTimer: Timer | undefined;

  constructor(private readonly opts: DeviceTwinOptions) {
    this.nodeName = opts.nodeName;
    this.ids = opts.ids ?? randomIds;
  }

  /**
   * Load every device and twin from the store (edgecore SyncSqlite). Works offline. A start after a stop is a
   * new edge process: what only lived in memory (buffered reports, unconfirmed messages) is gone.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.devicesById.clear();
    this.pendingTwins.clear();
    this.pendingStates.clear();
    this.confirm.clear();
    this.connected = false;
    for (const stored of this.opts.store.listDevices()) {
      const twins = new Map<string, MsgTwin>();
      for (const row of stored.twins) twins.set(row.name, rowToMsgTwin(row));
      const d = stored.device;
      this.devicesById.set(d.id, { id: d.id, name: d.name, description: d.description, state: d.state, lastOnline: d.lastOnline, twins });
    }
    this.lastActivity = this.opts.clock.now();
    this.armConfirmCheck();
  }

  /** Stop timers and write any rows still held back (persistDelayMs). */
  stop(): void {
    this.started = false;
    this.confirmTimer?.cancel();
    this.confirmTimer = undefined;
    this.flushStore();
  }

  /** Write the twin rows held back by persistDelayMs now. */
  flushStore(): void {
    this.persistTimer?.cancel();
    this.persistTimer = undefined;
    if (this.dirty.size === 0) return;
    const write = (): void => {
      for (const [deviceId, rows] of this.dirty) this.opts.store.putTwins(deviceId, [...rows.values()]);
    };
    if (this.opts.store.batch !== undefined) this.opts.store.batch(write);
    else write();
    this.dirty.clear();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  hasDevice(id: string): boolean {
    return this.devicesById.has(id);
  }

  device(id: string): TwinDeviceView | undefined {
    const d = this.devicesById.get(id);
    return d === undefined ? undefined : { ...d, twins: new Map([...d.twins].map(([k, v]) => [k, cloneTwin(v)])) };
  }

  deviceIds(): string[] {
    return [...this.devicesById.keys()].sort();
  }

  /** Messages sent and not yet confirmed by the cloud. */
  get unconfirmed(): number {
    return this.confirm.size;
  }

  /** The unconfirmed messages themselves, oldest first. */
  unconfirmedMessages(): Message[] {
    return [...this.confirm.values()];
  }

  /** Properties waiting for the link (buffer-latest). */
  get pending(): number {
    let n = this.pendingStates.size;
    for (const m of this.pendingTwins.values()) n += m.size;
    return n;
  }

  // --- inputs ----------------------------------------------------------------------------------------------

  /**
   * A message from the cloud for the twin module (route.group "twin"). Returns false when it is not one the
   * twin handles (edgecore's classifyMsg would drop it too).
   */
  handleCloudMessage(message: Message): boolean {
    this.touch();
    if (message.header.parentMsgId !== '') {
      // distributeMsg: any message with a parent id confirms the message it answers
      if (this.confirm.delete(message.header.parentMsgId)) {
        this.stats.confirmed++;
        this.opts.onEvent?.({ op: 'confirmed', msgId: message.header.parentMsgId });
      }
      return true;
    }
    const source = message.route.source;
    if (source !== 'devicecontroller' && source !== 'edgemgr') return false;
    const resource = message.route.resource;
    const content = contentObject(message.content);
    if (resource.includes('membership/detail')) {
      if (content !== undefined) this.membershipDetail(content);
      return true;
    }
    if (resource.includes('membership')) {
      if (content !== undefined) this.membershipUpdate(content);
      return true;
    }
    if (resource.includes('twin/cloud_updated')) {
      // edgecore takes resources[1] as the device id, which is only the namespace of a `<ns>/<name>` id;
      // the id is read here from between "device/" and "/twin/cloud_updated"
      const m = /^device\/(.+)\/twin\/cloud_updated$/.exec(resource);
      if (m?.[1] !== undefined && content !== undefined) this.twinUpdate(m[1], content, SyncDeal, true);
      return true;
    }
    return false;
  }

  /** EdgeHub's node/connection lifecycle events (cloud_connected / cloud_disconnected). */
  setConnected(connected: boolean): void {
    this.touch();
    if (connected && !this.connected) {
      this.connected = true;
      this.detailRequest();
      this.flush();
    } else if (!connected) {
      this.connected = false;
    }
  }

  /**
   * DMI ReportDeviceStatus from a mapper: each twin becomes the `$hw/events/device/<id>/twin/update` event
   * edgecore's DMI server builds (expected = observedDesired, actual = reported; no metadata), handled like an
   * MQTT twin update (dmiserver/server.go handleDeviceTwin).
   */
  reportFromMapper(deviceId: string, twins: readonly ReportedTwin[]): void {
    for (const t of twins) {
      const payload = JSON.stringify({ event_id: '', timestamp: this.opts.clock.now(), twin: { [t.propertyName]: { expected: { value: t.observedDesired.value }, actual: { value: t.reported.value } } } });
      this.handleBusMessage(`$hw/events/device/${deviceId}/twin/update`, payload);
    }
  }

  /** DMI ReportDeviceStates (dmiserver CreateMessageStateUpdate: {"event_id","timestamp","State"}). */
  reportStateFromMapper(deviceId: string, state: string): void {
    this.handleBusMessage(`$hw/events/device/${deviceId}/state/update`, JSON.stringify({ event_id: '', timestamp: this.opts.clock.now(), State: state }));
  }

  /** A message the eventbus received from the broker (classifyMsg for source "bus"). */
  handleBusMessage(topic: string, payload: string): void {
    this.touch();
    const parts = topic.split('/');
    if (topic.startsWith('$hw/events/device/') && parts.length >= 6) {
      const id = `${parts[3] ?? ''}/${parts[4] ?? ''}`;
      const suffix = `/${parts.slice(5).join('/')}`;
      let body: unknown;
      try {
        body = JSON.parse(payload);
      } catch {
        body = undefined;
      }
      switch (suffix) {
        case '/twin/update':
          if (!isObj(body)) this.updateResultError('', '', 400, 'Unmarshal update request body failed, please check the request');
          else this.twinUpdate(id, body, RestDeal, false);
          return;
        case '/twin/cloud_updated':
          if (isObj(body)) this.twinUpdate(id, body, SyncDeal, true);
          return;
        case '/twin/get':
          this.twinGet(id, isObj(body) ? body : undefined);
          return;
        case '/state/update':
          if (isObj(body)) this.stateUpdate(id, body);
          return;
        default:
          return;
      }
    }
    if (topic === `$hw/events/node/${this.nodeName}/membership/get`) {
      let body: unknown;
      try {
        body = JSON.parse(payload);
      } catch {
        body = undefined;
      }
      this.membershipGet(isObj(body) ? body : {});
    }
  }

  // --- membership ------------------------------------------------------------------------------------------

  private membershipUpdate(content: Obj): void {
    const added = field(content, 'added_devices');
    const removed = field(content, 'removed_devices');
    if (Array.isArray(added) && added.length > 0) this.addDevices(added.filter(isObj));
    if (Array.isArray(removed) && removed.length > 0) this.removeDevices(removed.filter(isObj).map((d) => text(d, 'id')));
  }

  private membershipDetail(content: Obj): void {
    const devices = field(content, 'devices');
    const list = Array.isArray(devices) ? devices.filter(isObj) : [];
    this.addDevices(list);
    const keep = new Set(list.map((d) => text(d, 'id')));
    this.removeDevices([...this.devicesById.keys()].filter((id) => !keep.has(id)));
  }

  private addDevices(devices: readonly Obj[]): void {
    for (const d of devices) {
      const id = text(d, 'id');
      if (id === '') continue;
      const twin = field(d, 'twin');
      const twins: Record<string, MsgTwin | null> | undefined = isObj(twin) ? Object.fromEntries(Object.entries(twin).map(([k, v]) => [k, toMsgTwin(v)])) : undefined;
      if (this.devicesById.has(id)) {
        // an existing member: only its twin is synced (a device without twins earns edgecore's "twin does not exist")
        this.dealDeviceTwin(id, '', twins, SyncDeal);
        continue;
      }
      const row: DeviceRow = { id, name: text(d, 'name'), description: text(d, 'description'), state: text(d, 'state'), lastOnline: '' };
      this.opts.store.putDevice(row);
      this.devicesById.set(id, { id, name: row.name, description: row.description, state: row.state, lastOnline: '', twins: new Map() });
      if (twins !== undefined) this.dealDeviceTwin(id, '', twins, SyncDeal);
      this.opts.onEvent?.({ op: 'member-added', device: id });
      this.publish(`$hw/events/node/${this.nodeName}/membership/updated`, JSON.stringify({ ...this.base(), added_devices: [deviceJson(d)], removed_devices: null }));
    }
  }

  private removeDevices(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this.devicesById.has(id)) continue;
      this.dirty.delete(id);
      this.opts.store.deleteDevice(id);
      this.devicesById.delete(id);
      this.pendingTwins.delete(id);
      this.pendingStates.delete(id);
      this.opts.onEvent?.({ op: 'member-removed', device: id });
      this.publish(`$hw/events/node/${this.nodeName}/membership/updated`, JSON.stringify({ ...this.base(), added_devices: null, removed_devices: [{ id }] }));
    }
  }

  private membershipGet(body: Obj): void {
    const devices = [...this.devicesById.values()].map((d) => {
      const o: JsonObject = {};
      if (d.id !== '') o['id'] = d.id;
      if (d.name !== '') o['name'] = d.name;
      if (d.description !== '') o['description'] = d.description;
      if (d.state !== '') o['state'] = d.state;
      if (d.lastOnline !== '') o['last_online'] = d.lastOnline;
      return o;
    });
    this.publish(`$hw/events/node/${this.nodeName}/membership/get/result`, JSON.stringify({ event_id: text(body, 'event_id'), timestamp: this.opts.clock.now(), devices }));
  }

  private detailRequest(): void {
    const content = JSON.stringify({ event_type: 'group_membership_event', event_id: this.ids(), group_id: this.nodeName, operation: 'detail', timestamp: this.opts.clock.now() });
    const m = this.opts.messages.newMessage('', { source: 'twin', group: 'resource', resource: 'membership/detail', operation: 'get' }, content);
    if (this.opts.send(m)) this.remember(m);
  }

  // --- twin ------------------------------------------------------------------------------------------------

  /** Updated()/dealTwinSync: unmarshal + validate the request, then DealDeviceTwin. */
  private twinUpdate(deviceId: string, body: Obj, dealType: DealType, fromCloud: boolean): void {
    const eventId = text(body, 'event_id');
    const twin = field(body, 'twin');
    if (!isObj(twin)) {
      if (!fromCloud) this.updateResultError('', '', 400, 'Update twin error, key:twin does not exist');
      return;
    }
    const msgTwins: Record<string, MsgTwin | null> = {};
    for (const [key, value] of Object.entries(twin)) {
      if (!twinKeyPattern.test(key)) {
        if (!fromCloud) this.updateResultError('', '', 400, 'The key of twin must only include upper or lowercase letters, number, english, and special letter - _ . , : / @ # and the length of key should be less than 128 bytes');
        return;
      }
      const t = toMsgTwin(value);
      for (const v of [t?.expected?.value, t?.actual?.value]) {
        if (v !== undefined && v !== '' && !twinValuePattern.test(v)) {
          if (!fromCloud) this.updateResultError('', '', 400, 'The value of twin must only include upper or lowercase letters, number, english, and special letter - _ . , : / @ # and the length of value should be less than 512 bytes');
          this.reject(deviceId, 400, `value ${JSON.stringify(v)} of ${key} has characters edgecore refuses`);
          return;
        }
      }
      msgTwins[key] = t;
    }
    this.dealDeviceTwin(deviceId, eventId, msgTwins, dealType);
  }

  private dealDeviceTwin(deviceId: string, eventId: string, msgTwins: Record<string, MsgTwin | null> | undefined, dealType: DealType): void {
    const device = this.devicesById.get(deviceId);
    if (device === undefined) {
      this.updateResultError(deviceId, eventId, 404, 'update rejected due to the device is not existed');
      this.reject(deviceId, 404, 'not a member of this node');
      return;
    }
    if (msgTwins === undefined) {
      this.updateResultError(deviceId, eventId, 400, 'Update twin error, key:twin does not exist');
      return;
    }
    const now = this.opts.clock.now();
    let deal: DealResult;
    try {
      deal = this.dealMsgTwin(device, msgTwins, dealType, now);
    } catch (e) {
      if (e instanceof TwinError && dealType === RestDeal) {
        this.updateResultError(deviceId, eventId, e.code, e.message);
        this.reject(deviceId, e.code, e.message);
        return;
      }
      throw e;
    }
    // commit and persist (DeviceTwinTrans)
    device.twins = deal.twins;
    if (deal.changedRows.size > 0) {
      this.persist(
        deviceId,
        [...deal.changedRows].flatMap(([name, metaColumn]) => {
          const t = deal.twins.get(name);
          return t === undefined ? [] : [twinToRow(deviceId, name, t, metaColumn)];
        }),
      );
    }
    if (dealType === RestDeal) {
      this.publish(`$hw/events/device/${deviceId}/twin/update/result`, JSON.stringify({ event_id: eventId, timestamp: now, twin: twinMap(deal.result, false) }));
    }
    if (deal.document.size > 0 && this.opts.publish !== undefined) {
      const doc: JsonObject = {};
      for (const [k, v] of [...deal.document].sort(([a], [b]) => (a < b ? -1 : 1))) doc[k] = { last: v.last === null ? null : marshalTwin(v.last), current: v.current === null ? null : marshalTwin(v.current) };
      this.publish(`$hw/events/device/${deviceId}/twin/update/document`, JSON.stringify({ event_id: eventId, timestamp: now, twin: doc }));
    }
    this.delta(device);
    if (deal.sync.size > 0) this.sendTwinSync(deviceId, deal.sync);
  }

  /** DealMsgTwin on a copy of the device's twins; throws TwinError for a rejected rest update. */
  private dealMsgTwin(device: TwinDevice, msgTwins: Record<string, MsgTwin | null>, dealType: DealType, now: number): DealResult {
    const deal: DealResult = { twins: new Map(device.twins), changedRows: new Map(), result: new Map(), sync: new Map(), document: new Map() };
    for (const key of Object.keys(msgTwins).sort()) {
      const msg = msgTwins[key] ?? null;
      if (msg === null) continue; // twin deletion (a null entry) is not simulated
      const twin = deal.twins.get(key);
      // compare works on a copy: a rejected update must leave the device's twins untouched
      if (twin !== undefined) this.dealTwinCompare(deal, key, cloneTwin(twin), msg, dealType, now);
      else this.dealTwinAdd(deal, key, msg, dealType, now);
    }
    return deal;
  }

  private dealTwinCompare(deal: DealResult, key: string, twin: MsgTwin, msg: MsgTwin, dealType: DealType, now: number): void {
    const last = noVersions(twin);
    const sync: MsgTwin = {};
    const type = twin.metadata?.type ?? 'string';
    let isChange = false;
    let syncAllowed = true;
    const syncCurrent = (which: 'expected' | 'actual'): void => {
      if (which === 'expected') {
        if (twin.expected !== undefined) sync.expected = cloneValue(twin.expected);
        if (twin.expected_version !== undefined) sync.expected_version = cloneVersion(twin.expected_version);
      } else {
        if (twin.actual !== undefined) sync.actual = cloneValue(twin.actual);
        if (twin.actual_version !== undefined) sync.actual_version = cloneVersion(twin.actual_version);
      }
      sync.optional = twin.optional ?? true;
      sync.metadata = cloneMeta(twin.metadata ?? {});
    };
    for (const which of ['expected', 'actual'] as const) {
      const incoming = msg[which];
      if (incoming === undefined || (which === 'actual' && !syncAllowed)) continue;
      const value = incoming.value ?? '';
      // isTwinValueDiff validates against the twin's type when the twin has that side (actual: always)
      if (which === 'actual' || twin.expected !== undefined) {
        const invalid = validateTwinValue(type, value);
        if (invalid !== undefined) {
          if (dealType === RestDeal) throw new TwinError(400, invalid);
          continue;
        }
      }
      const versionKey = which === 'expected' ? 'expected_version' : 'actual_version';
      const version = cloneVersion(twin[versionKey] ?? { cloud: 0, edge: 0 });
      const refused = dealVersion(version, dealType === RestDeal ? undefined : msg[versionKey], dealType);
      if (refused !== undefined) {
        if (dealType === RestDeal) throw new TwinError(400, refused);
        syncCurrent(which);
        syncAllowed = false;
        continue;
      }
      twin[which] = { value, metadata: { timestamp: now } };
      twin[versionKey] = version;
      if (dealType === RestDeal) {
        sync[which] = { value, metadata: { timestamp: now } };
        sync[versionKey] = cloneVersion(version);
        sync.optional = twin.optional ?? true;
        sync.metadata = cloneMeta(twin.metadata ?? {});
      }
      isChange = true;
    }
    if (syncAllowed) {
      if (msg.optional !== undefined && msg.optional !== twin.optional && twin.optional === true) {
        twin.optional = msg.optional;
        sync.optional = msg.optional;
        isChange = true;
      }
      if (msg.metadata !== undefined && JSON.stringify(msg.metadata) !== JSON.stringify(twin.metadata ?? {})) isChange = true;
    }
    if (isChange) {
      deal.twins.set(key, twin);
      deal.changedRows.set(key, metadataColumn(msg.metadata ?? twin.metadata));
      deal.document.set(key, { last, current: noVersions(twin) });
      if (dealType === RestDeal) {
        deal.result.set(key, noVersions(sync));
        deal.sync.set(key, sync);
      } else if (!syncAllowed) deal.sync.set(key, sync);
    } else if (dealType !== RestDeal && !syncAllowed) deal.sync.set(key, sync);
  }

  private dealTwinAdd(deal: DealResult, key: string, msg: MsgTwin, dealType: DealType, now: number): void {
    const valueType = msg.metadata?.type ?? 'string';
    const row: { expected: string; expectedMeta: string; expectedVersion: string; actual: string; actualMeta: string; actualVersion: string } = {
      expected: '',
      expectedMeta: '',
      expectedVersion: '',
      actual: '',
      actualMeta: '',
      actualVersion: '',
    };
    for (const which of ['expected', 'actual'] as const) {
      const incoming = msg[which];
      if (incoming === undefined) continue;
      const versionKey = which === 'expected' ? 'expected_version' : 'actual_version';
      const version: TwinVersion = { cloud: 0, edge: 0 };
      const refused = dealVersion(version, dealType === RestDeal ? undefined : msg[versionKey], dealType);
      if (refused !== undefined) {
        if (dealType === RestDeal) throw new TwinError(400, refused);
        return; // a sync add without versions is refused silently
      }
      const value = incoming.value ?? '';
      const invalid = validateTwinValue(valueType, value);
      if (invalid !== undefined) {
        if (dealType === RestDeal) throw new TwinError(400, invalid);
        return;
      }
      row[which] = value;
      row[which === 'expected' ? 'expectedMeta' : 'actualMeta'] = JSON.stringify({ timestamp: now });
      row[which === 'expected' ? 'expectedVersion' : 'actualVersion'] = JSON.stringify(version);
    }
    const twin = rowToMsgTwin({
      deviceId: '',
      name: key,
      description: '',
      ...row,
      optional: msg.optional ?? true,
      attrType: valueType,
      metadata: '',
    });
    deal.twins.set(key, twin);
    deal.changedRows.set(key, metadataColumn(msg.metadata));
    deal.document.set(key, { last: null, current: noVersions(twin) });
    if (dealType === RestDeal) {
      deal.sync.set(key, cloneTwin(twin));
      deal.result.set(key, noVersions(twin));
    }
  }

  private delta(device: TwinDevice): void {
    const delta: Record<string, string> = {};
    const twins = new Map<string, MsgTwin>();
    for (const [k, t] of device.twins) {
      const expected = t.expected?.value ?? '';
      if (expected === '' || t.metadata?.type === 'deleted') continue;
      if (expected !== (t.actual?.value ?? '')) delta[k] = expected;
      twins.set(k, t);
    }
    if (Object.keys(delta).length === 0) return;
    this.publish(`$hw/events/device/${device.id}/twin/update/delta`, JSON.stringify({ ...this.base(), twin: twinMap(twins, false), delta: Object.fromEntries(Object.entries(delta).sort(([a], [b]) => (a < b ? -1 : 1))) }));
    this.opts.onDelta?.(device.id, delta);
  }

  private twinGet(deviceId: string, body: Obj | undefined): void {
    const eventId = body !== undefined ? text(body, 'event_id') : '';
    const device = this.devicesById.get(deviceId);
    const payload =
      body === undefined
        ? { event_id: '', timestamp: this.opts.clock.now(), code: 400, reason: 'Unmarshal twin info failed' }
        : device === undefined
          ? { event_id: eventId, timestamp: this.opts.clock.now(), code: 404, reason: `Device ${deviceId} not found while getting twin` }
          : { event_id: eventId, timestamp: this.opts.clock.now(), twin: twinMap(device.twins, false) };
    this.publish(`$hw/events/device/${deviceId}/twin/get/result`, JSON.stringify(payload));
  }

  // --- device state ----------------------------------------------------------------------------------------

  private stateUpdate(deviceId: string, body: Obj): void {
    const device = this.devicesById.get(deviceId);
    if (device === undefined) return;
    const given = text(body, 'state');
    const state = given.toLowerCase();
    if (!deviceStates.has(state)) return;
    const lastOnline = state === 'online' || state === 'ok' ? rfc3339(this.opts.clock.now()) : '';
    device.state = given;
    device.lastOnline = lastOnline;
    this.opts.store.putDevice({ id: device.id, name: device.name, description: device.description, state: given, lastOnline });
    const cloudDevice: JsonObject = {};
    if (device.name !== '') cloudDevice['name'] = device.name;
    if (given !== '') cloudDevice['state'] = given;
    if (lastOnline !== '') cloudDevice['lastOnlineTime'] = lastOnline;
    const payload = JSON.stringify({ ...this.base(), device: cloudDevice });
    this.publish(`$hw/events/device/${deviceId}/state/update/result`, payload);
    this.sendState(deviceId, given, payload);
  }

  // --- to the cloud ----------------------------------------------------------------------------------------

  private sendTwinSync(deviceId: string, sync: ReadonlyMap<string, MsgTwin>): void {
    const properties = [...sync.keys()].sort();
    if (this.connected) {
      const m = this.twinMessage(deviceId, sync);
      if (this.opts.send(m)) {
        this.remember(m);
        this.stats.sent++;
        this.opts.onEvent?.({ op: 'report-sent', device: deviceId, properties, msgId: m.header.msgId });
        return;
      }
    }
    if ((this.opts.offline ?? 'buffer-latest') === 'drop') {
      this.stats.dropped++;
      this.opts.onEvent?.({ op: 'report-dropped', device: deviceId, properties });
      return;
    }
    const pending = this.pendingTwins.get(deviceId) ?? new Map<string, MsgTwin>();
    for (const [k, t] of sync) pending.set(k, mergeTwin(pending.get(k), t));
    this.pendingTwins.set(deviceId, pending);
    this.stats.buffered++;
    this.opts.onEvent?.({ op: 'report-buffered', device: deviceId, properties });
  }

  private sendState(deviceId: string, state: string, payload: string): void {
    if (this.connected) {
      const m = this.stateMessage(deviceId, payload);
      if (this.opts.send(m)) {
        this.remember(m);
        this.stats.sent++;
        this.opts.onEvent?.({ op: 'state-sent', device: deviceId, state });
        return;
      }
    }
    if ((this.opts.offline ?? 'buffer-latest') === 'drop') {
      this.stats.dropped++;
      this.opts.onEvent?.({ op: 'state-dropped', device: deviceId, state });
      return;
    }
    this.pendingStates.set(deviceId, payload);
    this.stats.buffered++;
    this.opts.onEvent?.({ op: 'state-buffered', device: deviceId, state });
  }

  private twinMessage(deviceId: string, sync: ReadonlyMap<string, MsgTwin>): Message {
    return this.opts.messages.newMessage('', { source: 'twin', group: 'resource', resource: `device/${deviceId}/twin/edge_updated`, operation: 'update' }, { ...this.base(), twin: twinMap(sync) });
  }

  private stateMessage(deviceId: string, payload: string): Message {
    return this.opts.messages.newMessage('', { source: 'twin', group: 'resource', resource: `device/${deviceId}/state/update`, operation: 'update' }, payload);
  }

  /** Send what waited for the link: one edge_updated per device with the newest value of each property. */
  private flush(): void {
    let messages = 0;
    const devices = new Set<string>();
    for (const [deviceId, pending] of [...this.pendingTwins].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!this.devicesById.has(deviceId)) continue;
      const m = this.twinMessage(deviceId, pending);
      if (!this.opts.send(m)) return; // lost the link again: keep the rest
      this.remember(m);
      this.pendingTwins.delete(deviceId);
      devices.add(deviceId);
      messages++;
      this.opts.onEvent?.({ op: 'report-sent', device: deviceId, properties: [...pending.keys()].sort(), msgId: m.header.msgId });
    }
    for (const [deviceId, payload] of [...this.pendingStates].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const m = this.stateMessage(deviceId, payload);
      if (!this.opts.send(m)) return;
      this.remember(m);
      this.pendingStates.delete(deviceId);
      devices.add(deviceId);
      messages++;
    }
    if (messages > 0) {
      this.stats.flushed += messages;
      this.stats.sent += messages;
      this.opts.onEvent?.({ op: 'flushed', devices: devices.size, messages });
    }
  }

  private remember(m: Message): void {
    this.confirm.set(m.header.msgId, m);
    const max = this.opts.maxUnconfirmed ?? 256;
    while (this.confirm.size > max) {
      const oldest = this.confirm.keys().next().value;
      if (oldest === undefined) break;
      this.confirm.delete(oldest);
      this.stats.confirmOverflow++;
    }
  }

  private touch(): void {
    this.lastActivity = this.opts.clock.now();
  }

  /** checkConfirm: runs when the twin has been idle for confirmIdleMs. */
  private armConfirmCheck(): void {
    const idle = this.opts.confirmIdleMs ?? 60_000;
    if (idle <= 0 || !this.started) return;
    const wait = Math.max(1, this.lastActivity + idle - this.opts.clock.now());
    this.confirmTimer = this.opts.clock.setTimeout(() => {
      if (!this.started) return;
      if (this.opts.clock.now() - this.lastActivity >= idle) {
        this.touch();
        if (this.connected && this.confirm.size > 0) {
          let n = 0;
          for (const m of this.confirm.values()) if (this.opts.send(m)) n++;
          this.stats.resent += n;
          this.opts.onEvent?.({ op: 'resent', messages: n });
        }
      }
      this.armConfirmCheck();
    }, wait);
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  private persist(deviceId: string, rows: readonly DeviceTwinRow[]): void {
    const delay = this.opts.persistDelayMs ?? 0;
    if (delay <= 0) {
      this.opts.store.putTwins(deviceId, rows);
      return;
    }
    const held = this.dirty.get(deviceId) ?? new Map<string, DeviceTwinRow>();
    for (const r of rows) held.set(r.name, r);
    this.dirty.set(deviceId, held);
    this.persistTimer ??= this.opts.clock.setTimeout(() => {
      this.persistTimer = undefined;
      this.flushStore();
    }, delay);
  }

  private base(): { event_id: string; timestamp: number } {
    return { event_id: this.ids(), timestamp: this.opts.clock.now() };
  }

  private publish(topic: string, payload: string): void {
    if (this.opts.publish === undefined) return;
    this.stats.published++;
    this.opts.publish(topic, payload);
  }

  private updateResultError(deviceId: string, eventId: string, code: number, reason: string): void {
    this.publish(`$hw/events/device/${deviceId}/twin/update/result`, JSON.stringify({ event_id: eventId, timestamp: this.opts.clock.now(), code, reason }));
  }

  private reject(deviceId: string, code: number, reason: string): void {
    this.stats.rejected++;
    this.opts.onEvent?.({ op: 'rejected', device: deviceId, code, reason });
  }
}

/** dealVersion; returns the refusal reason, or undefined when accepted (the version is updated in place). */
function dealVersion(version: TwinVersion, req: TwinVersion | undefined, dealType: DealType): string | undefined {
  if (dealType === RestDeal) {
    version.edge += 1;
    return undefined;
  }
  if (req === undefined) return 'version not allowed be nil while syncing';
  if (version.cloud > req.cloud) return 'version not allowed';
  if (version.edge > req.edge) return 'not allowed to sync due to version conflict';
  version.cloud = req.cloud;
  version.edge = req.edge;
  return undefined;
}

/** The device_twin.metadata column: the twin metadata without its type, as JSON (or '' without metadata). */
function metadataColumn(meta: MsgTwin['metadata']): string {
  if (meta === undefined) return '';
  const { type: _type, ...rest } = meta;
  return JSON.stringify(rest);
}

function deviceJson(d: Obj): JsonObject {
  const o: JsonObject = {};
  for (const key of ['id', 'name', 'description', 'state']) {
    const v = field(d, key);
    if (typeof v === 'string' && v !== '') o[key] = v;
  }
  return o;
}
