/**
 * A Modbus mapper that behaves like KubeEdge's (mapper-framework + the mappers-go Modbus driver), driven by the
 * same objects edgecore's DMI hands a real mapper: DeviceModels and Devices (Register/Update/RemoveDevice).
 *
 * Per device: parse the protocol endpoint (ip, port, slaveID); per property: parse its visitor, write the
 * desired value unless the model says ReadOnly (setVisitor at device start), then poll the register every
 * collectCycle and report the latest good reading every reportCycle (or, as mapper-framework does, every reading:
 * `reportOn: 'collect-cycle'`) through `onReport` — the payload of DMI
 * ReportDeviceStatus (propertyName, reported{value, metadata{timestamp,type}}, observedDesired). Device state
 * (ok/unhealthy/offline) goes out every stateReport.reportCycle through `onState` (ReportDeviceStates).
 *
 * Failures stay with their device: a bad visitor (static, or an offset the device rejects with exception 0x02)
 * marks that property failed and the device "unhealthy", raises one EdgeproofError whose `where` is the
 * device name, and nothing else on the node notices. A device that does not answer is "offline".
 * An UpdateDevice with a changed spec restarts the device (stop, then start: desired values are written again),
 * as mapper-framework's UpdateDev does; `applyDesired` writes individual values (the old mappers' delta path).
 */
import type { Clock, Timer } from '../core/clock.ts';
import { hash32 } from '../core/random.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import { parseDevice, parseDeviceModel, type ParsedDevice, type ParsedModel, type ParsedProperty } from './crd.ts';
import { ModbusConnection, ModbusRequestError } from './modbus-client.ts';
import { decodeValue, encodeDesired, parseEndpoint, parseVisitor, type ParsedVisitor, type ProtocolEndpoint } from './modbus-codec.ts';

/** One twin of a DMI ReportDeviceStatus request. */
export interface ReportedTwin {
  readonly propertyName: string;
  readonly reported: { readonly value: string; readonly metadata: { readonly timestamp: string; readonly type: string } };
  readonly observedDesired: { readonly value: string; readonly metadata: Readonly<Record<string, string>> };
}

/** States edgecore accepts from a mapper (dtcommon DeviceStatus*). */
export type MapperDeviceState = 'ok' | 'unhealthy' | 'offline' | 'unknown';

export interface PropertyStatus {
  readonly name: string;
  readonly value: string | undefined;
  readonly readAt: number | undefined;
  readonly error: EdgeproofError | undefined;
  readonly polls: number;
  readonly failures: number;
}

export interface MapperDeviceStatus {
  readonly id: string;
  readonly state: MapperDeviceState;
  readonly endpoint: string | undefined;
  /** The device-level error (endpoint, missing model), if any. */
  readonly error: EdgeproofError | undefined;
  readonly properties: readonly PropertyStatus[];
}

export interface MapperStats {
  polls: number;
  pollFailures: number;
  skippedPolls: number;
  writes: number;
  writeFailures: number;
  reports: number;
}

export interface ModbusMapperOptions {
  readonly clock: Clock;
  /** Who runs the mapper (a node name), for messages. */
  readonly name?: string;
  /** Per-request timeout (mappers-go: 5 s). */
  readonly requestTimeoutMs?: number;
  /** mapper-framework defaults: 1 s. */
  readonly defaultCollectCycleMs?: number;
  readonly defaultReportCycleMs?: number;
  /**
   * When a property's reading goes to the twin. 'report-cycle' (default): the latest good reading every
   * reportCycle. 'collect-cycle': every reading as it is taken, what mapper-framework's TwinData.Run does (one
   * read and one ReportDeviceStatus per property per collectCycle; its reportCycle only paces the push/database
   * handlers) — collectCycle/reportCycle times more twin traffic towards the cloud.
   */
  readonly reportOn?: 'report-cycle' | 'collect-cycle';
  readonly onReport: (deviceId: string, twins: readonly ReportedTwin[]) => void;
  readonly onState?: (deviceId: string, state: MapperDeviceState) => void;
  /** A new problem on a device (raised once per distinct problem, not on every poll). */
  readonly onError?: (error: EdgeproofError) => void;
  /** Every desired-value write, done or failed. */
  readonly onWrite?: (deviceId: string, property: string, value: string, error: EdgeproofError | undefined) => void;
  /**
   * A poll goes out; return a function to be told how it ended (true: the device answered), or undefined not to
   * be told. Lets the evidence journal sample request/answer pairs without an event per poll.
   */
  readonly onPoll?: (deviceId: string, property: string) => ((answered: boolean) => void) | undefined;
}

interface PropRuntime {
  readonly spec: ParsedProperty;
  readonly accessMode: string;
  readonly type: string;
  readonly visitor: ParsedVisitor | undefined;
  desired: string;
  value: string | undefined;
  readAt: number | undefined;
  error: EdgeproofError | undefined;
  errorKind: string | undefined;
  inFlight: boolean;
  polls: number;
  failures: number;
}

interface DeviceRuntime {
  readonly raw: unknown;
  parsed: ParsedDevice;
  generation: number;
  endpoint: ProtocolEndpoint | undefined;
  connection: ModbusConnection | undefined;
  props: Map<string, PropRuntime>;
  timers: Set<Timer>;
  error: EdgeproofError | undefined;
  errorKind: string | undefined;
}

const specKey = (d: ParsedDevice): string =>
  JSON.stringify({ ...d, properties: [...d.properties].sort((a, b) => a.name.localeCompare(b.name)) });

export class ModbusMapper {
  readonly stats: MapperStats = { polls: 0, pollFailures: 0, skippedPolls: 0, writes: 0, writeFailures: 0, reports: 0 };
  private readonly models = new Map<string, ParsedModel>();
  private readonly devices = new Map<string, DeviceRuntime>();
  private readonly connections = new Map<string, { conn: ModbusConnection; users: number }>();
  private generation = 0;
  private stopped = false;

  constructor(private readonly opts: ModbusMapperOptions) {}

  // --- DMI: models -----------------------------------------------------------------------------------------

  upsertModel(model: unknown): void {
    const parsed = parseDeviceModel(model);
    this.models.set(parsed.id, parsed);
    // devices that waited for this model start now
    for (const d of this.devices.values()) {
      if (`${d.parsed.namespace}/${d.parsed.modelName}` === parsed.id && d.errorKind === 'model-missing') this.restart(d, d.raw);
    }
  }

  removeModel(namespace: string, name: string): void {
    this.models.delete(`${namespace}/${name}`);
  }

  // --- DMI: devices ----------------------------------------------------------------------------------------

  /** RegisterDevice: start polling (and write desired values). Returns the device id. */
  registerDevice(device: unknown): string {
    const parsed = parseDevice(device);
    const existing = this.devices.get(parsed.id);
    if (existing !== undefined) {
      this.updateDevice(device);
      return parsed.id;
    }
    const rt: DeviceRuntime = { raw: device, parsed, generation: 0, endpoint: undefined, connection: undefined, props: new Map(), timers: new Set(), error: undefined, errorKind: undefined };
    this.devices.set(parsed.id, rt);
    this.restart(rt, device);
    return parsed.id;
  }

  /**
   * UpdateDevice: restart the device if its spec changed (edgecore's DMI skips unchanged specs,
   * dmicache CompareDeviceSpecHasChanged). Returns whether it restarted.
   */
  updateDevice(device: unknown): boolean {
    const parsed = parseDevice(device, this.modelFor(device));
    const rt = this.devices.get(parsed.id);
    if (rt === undefined) {
      this.registerDevice(device);
      return true;
    }
    if (specKey(parsed) === specKey(rt.parsed) && rt.errorKind !== 'model-missing') return false;
    this.restart(rt, device);
    return true;
  }

  removeDevice(namespace: string, name: string): void {
    const rt = this.devices.get(`${namespace}/${name}`);
    if (rt === undefined) return;
    this.halt(rt);
    this.devices.delete(rt.parsed.id);
  }

  has(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  /**
   * Write desired values now (a twin delta). Values of read-only or unknown properties are refused with an
   * error; the rest are written in order. Resolves when all writes are done (failures reported, not thrown).
   */
  async applyDesired(deviceId: string, values: Readonly<Record<string, string>>): Promise<void> {
    const rt = this.devices.get(deviceId);
    if (rt === undefined) return;
    const generation = rt.generation;
    for (const [name, value] of Object.entries(values)) {
      const prop = rt.props.get(name);
      if (prop === undefined || rt.generation !== generation) continue;
      prop.desired = value;
      await this.writeDesired(rt, prop);
    }
  }

  status(deviceId: string): MapperDeviceStatus | undefined {
    const rt = this.devices.get(deviceId);
    if (rt === undefined) return undefined;
    return {
      id: rt.parsed.id,
      state: this.stateOf(rt),
      endpoint: rt.endpoint !== undefined ? `${rt.endpoint.ip}:${rt.endpoint.port}/${rt.endpoint.slaveID}` : undefined,
      error: rt.error,
      properties: [...rt.props.values()].map((p) => ({ name: p.spec.name, value: p.value, readAt: p.readAt, error: p.error, polls: p.polls, failures: p.failures })),
    };
  }

  deviceIds(): string[] {
    return [...this.devices.keys()];
  }

  /** Stop every device and close every connection. */
  stop(): void {
    this.stopped = true;
    for (const rt of this.devices.values()) this.halt(rt);
    for (const { conn } of this.connections.values()) conn.close();
    this.connections.clear();
  }

  // --- device lifecycle ------------------------------------------------------------------------------------

  private modelFor(device: unknown): ParsedModel | undefined {
    const bare = parseDevice(device);
    return this.models.get(`${bare.namespace}/${bare.modelName}`);
  }

  private restart(rt: DeviceRuntime, raw: unknown): void {
    this.halt(rt);
    if (this.stopped) return;
    const model = this.modelFor(raw);
    const parsed = parseDevice(raw, model);
    Object.assign(rt, { raw, parsed, error: undefined, errorKind: undefined, props: new Map<string, PropRuntime>() });
    rt.generation = ++this.generation;
    const where = parsed.name;
    if (model === undefined) {
      this.deviceError(rt, 'model-missing', new EdgeproofError('E_BAD_SCENARIO', `device model ${parsed.modelName} is not on this node (yet)`, {
        where,
        fix: `create DeviceModel ${parsed.namespace}/${parsed.modelName}; the device starts when it arrives`,
        context: { namespace: parsed.namespace, device: parsed.id },
      }));
      return;
    }
    try {
      rt.endpoint = parseEndpoint(parsed.protocolConfig, where);
    } catch (e) {
      this.deviceError(rt, 'endpoint', asEdgeproof(e, where));
      return;
    }
    rt.connection = this.acquire(rt.endpoint);
    for (const spec of parsed.properties) {
      const m = model.properties.find((p) => p.name === spec.name);
      const type = m?.type ?? '';
      let visitor: ParsedVisitor | undefined;
      let error: EdgeproofError | undefined;
      try {
        visitor = parseVisitor(spec.visitorConfig, type, where, spec.name);
      } catch (e) {
        error = withContext(asEdgeproof(e, where), parsed, spec.name);
      }
      const prop: PropRuntime = { spec, accessMode: m?.accessMode ?? 'ReadWrite', type: type.toLowerCase(), visitor, desired: spec.desired, value: undefined, readAt: undefined, error: undefined, errorKind: undefined, inFlight: false, polls: 0, failures: 0 };
      rt.props.set(spec.name, prop);
      if (error !== undefined) this.propError(rt, prop, 'visitor', error);
    }
    void this.startDevice(rt, rt.generation);
  }

  private async startDevice(rt: DeviceRuntime, generation: number): Promise<void> {
    // setVisitor: desired values first, one property after the other, then the tickers
    for (const prop of rt.props.values()) {
      if (rt.generation !== generation) return;
      await this.writeDesired(rt, prop);
    }
    if (rt.generation !== generation) return;
    for (const prop of rt.props.values()) {
      if (prop.visitor === undefined || !prop.spec.reportToCloud) continue;
      const collect = prop.spec.collectCycleMs > 0 ? prop.spec.collectCycleMs : (this.opts.defaultCollectCycleMs ?? 1_000);
      const report = prop.spec.reportCycleMs > 0 ? prop.spec.reportCycleMs : (this.opts.defaultReportCycleMs ?? 1_000);
      this.every(rt, generation, collect, `${rt.parsed.id}/${prop.spec.name}/collect`, () => this.poll(rt, prop, generation));
      if (this.opts.reportOn !== 'collect-cycle') this.every(rt, generation, report, `${rt.parsed.id}/${prop.spec.name}/report`, () => this.report(rt, prop));
    }
    if (rt.parsed.stateReport.reportToCloud) {
      const cycle = rt.parsed.stateReport.reportCycleMs > 0 ? rt.parsed.stateReport.reportCycleMs : (this.opts.defaultReportCycleMs ?? 1_000);
      this.every(rt, generation, cycle, `${rt.parsed.id}/state`, () => this.opts.onState?.(rt.parsed.id, this.stateOf(rt)));
    }
  }

  private halt(rt: DeviceRuntime): void {
    rt.generation = ++this.generation;
    for (const t of rt.timers) t.cancel();
    rt.timers.clear();
    if (rt.endpoint !== undefined) this.release(rt.endpoint);
    rt.endpoint = undefined;
    rt.connection = undefined;
  }

  /**
   * A ticker like Go's time.NewTicker(ms), whose first tick comes after a stable phase in (0, ms] derived from
   * `key`: real devices start at different moments, so their tickers are spread over the cycle; without the
   * phase every simulated ticker of a run would fire in the same millisecond.
   */
  private every(rt: DeviceRuntime, generation: number, ms: number, key: string, fn: () => void): void {
    const arm = (delay: number): void => {
      const timer = this.opts.clock.setTimeout(() => {
        rt.timers.delete(timer);
        if (rt.generation !== generation) return;
        arm(ms);
        fn();
      }, delay);
      rt.timers.add(timer);
    };
    arm(1 + (hash32(key) % ms));
  }

  // --- reads, writes, reports ------------------------------------------------------------------------------

  private poll(rt: DeviceRuntime, prop: PropRuntime, generation: number): void {
    const v = prop.visitor;
    const conn = rt.connection;
    const ep = rt.endpoint;
    if (v === undefined || conn === undefined || ep === undefined) return;
    if (prop.inFlight) {
      this.stats.skippedPolls++;
      return;
    }
    prop.inFlight = true;
    prop.polls++;
    this.stats.polls++;
    const done = this.opts.onPoll?.(rt.parsed.id, prop.spec.name);
    conn
      .read(ep.slaveID, v.register, v.offset, v.limit)
      .then((bytes) => {
        done?.(true);
        if (rt.generation !== generation) return;
        prop.value = decodeValue(v, bytes);
        prop.readAt = this.opts.clock.now();
        prop.error = undefined;
        prop.errorKind = undefined;
        if (this.opts.reportOn === 'collect-cycle') this.report(rt, prop);
      })
      .catch((e: unknown) => {
        done?.(false);
        if (rt.generation !== generation) return;
        prop.failures++;
        this.stats.pollFailures++;
        const [kind, err] = this.readError(rt, prop, v, e);
        this.propError(rt, prop, kind, err);
      })
      .finally(() => {
        prop.inFlight = false;
      });
  }

  private report(rt: DeviceRuntime, prop: PropRuntime): void {
    if (prop.value === undefined || prop.error !== undefined || prop.readAt === undefined) return;
    this.stats.reports++;
    this.opts.onReport(rt.parsed.id, [
      {
        propertyName: prop.spec.name,
        reported: { value: prop.value, metadata: { timestamp: String(prop.readAt), type: prop.spec.desiredMetadata['type'] ?? prop.type } },
        observedDesired: { value: prop.desired, metadata: { ...prop.spec.desiredMetadata } },
      },
    ]);
  }

  private async writeDesired(rt: DeviceRuntime, prop: PropRuntime): Promise<void> {
    const v = prop.visitor;
    const conn = rt.connection;
    const ep = rt.endpoint;
    // mapper-framework setVisitor: ReadOnly properties and empty desired values are not written
    if (v === undefined || conn === undefined || ep === undefined || prop.accessMode === 'ReadOnly' || prop.desired === '') return;
    const where = rt.parsed.name;
    const value = prop.desired;
    this.stats.writes++;
    try {
      const plan = encodeDesired(v, value, where, prop.spec.name);
      if (plan.kind === 'coil') await conn.writeCoil(ep.slaveID, v.offset, plan.value);
      else await conn.writeRegisters(ep.slaveID, v.offset, plan.words);
      this.opts.onWrite?.(rt.parsed.id, prop.spec.name, value, undefined);
    } catch (e) {
      this.stats.writeFailures++;
      const [kind, err] = e instanceof ModbusRequestError ? this.readError(rt, prop, v, e, 'write') : ['write', withContext(asEdgeproof(e, where), rt.parsed, prop.spec.name)];
      this.propError(rt, prop, kind, err);
      this.opts.onWrite?.(rt.parsed.id, prop.spec.name, value, err);
    }
  }

  private readError(rt: DeviceRuntime, prop: PropRuntime, v: ParsedVisitor, e: unknown, op: 'read' | 'write' = 'read'): [string, EdgeproofError] {
    const where = rt.parsed.name;
    const endpoint = rt.endpoint !== undefined ? `${rt.endpoint.ip}:${rt.endpoint.port} unit ${rt.endpoint.slaveID}` : 'no endpoint';
    const context = { namespace: rt.parsed.namespace, device: rt.parsed.id, property: prop.spec.name, register: v.register, offset: v.offset, limit: v.limit, endpoint };
    if (!(e instanceof ModbusRequestError)) return ['decode', new EdgeproofError('E_PROTOCOL', `property ${prop.spec.name}: ${messageOf(e)}`, { where, context, cause: e })];
    switch (e.failure) {
      case 'illegal-address':
        return [
          'illegal-address',
          new EdgeproofError('E_BAD_SCENARIO', `property ${prop.spec.name}: ${v.register} offset ${v.offset} limit ${v.limit} is outside the device (it answered the ${op} with Modbus exception 2, illegal data address)`, {
            where,
            fix: `correct visitors.configData offset/limit of ${prop.spec.name} in Device ${rt.parsed.id}`,
            context: { ...context, modbusException: 2 },
            cause: e,
          }),
        ];
      case 'exception':
        return ['exception', new EdgeproofError('E_PROTOCOL', `property ${prop.spec.name}: the device answered the ${op} with Modbus exception ${e.modbusCode ?? '?'}`, { where, context: { ...context, modbusException: e.modbusCode ?? -1 }, cause: e })];
      case 'timeout':
        return ['offline', new EdgeproofError('E_TIMEOUT', `property ${prop.spec.name}: no answer from ${endpoint} within ${this.opts.requestTimeoutMs ?? 5_000} ms`, { where, fix: 'is the device (simulator) running and its link up?', context, cause: e })];
      case 'unreachable':
        return ['offline', new EdgeproofError('E_COMPONENT_UNHEALTHY', `property ${prop.spec.name}: cannot reach ${endpoint}: ${e.message}`, { where, fix: 'is the device (simulator) running?', context, cause: e })];
    }
  }

  private propError(rt: DeviceRuntime, prop: PropRuntime, kind: string, error: EdgeproofError): void {
    const repeat = prop.errorKind === kind && prop.error?.message === error.message;
    prop.error = error;
    prop.errorKind = kind;
    if (!repeat) this.opts.onError?.(error);
  }

  private deviceError(rt: DeviceRuntime, kind: string, error: EdgeproofError): void {
    rt.error = error;
    rt.errorKind = kind;
    this.opts.onError?.(error);
  }

  private stateOf(rt: DeviceRuntime): MapperDeviceState {
    if (rt.error !== undefined) return 'unhealthy';
    let any = false;
    let unhealthy = false;
    for (const p of rt.props.values()) {
      if (p.errorKind === 'offline') return 'offline';
      if (p.error !== undefined) unhealthy = true;
      if (p.value !== undefined) any = true;
    }
    if (unhealthy) return 'unhealthy';
    return any ? 'ok' : 'unknown';
  }

  // --- connections -----------------------------------------------------------------------------------------

  private acquire(ep: ProtocolEndpoint): ModbusConnection {
    const key = `${ep.ip}:${ep.port}`;
    let entry = this.connections.get(key);
    if (entry === undefined) {
      entry = { conn: new ModbusConnection(ep.ip, ep.port, this.opts.requestTimeoutMs ?? 5_000), users: 0 };
      this.connections.set(key, entry);
    }
    entry.users++;
    return entry.conn;
  }

  private release(ep: ProtocolEndpoint): void {
    const key = `${ep.ip}:${ep.port}`;
    const entry = this.connections.get(key);
    if (entry === undefined) return;
    entry.users--;
    if (entry.users <= 0) {
      entry.conn.close();
      this.connections.delete(key);
    }
  }

  /** Open device connections (one per ip:port). */
  get connectionCount(): number {
    return this.connections.size;
  }
}

function asEdgeproof(e: unknown, where: string): EdgeproofError {
  return e instanceof EdgeproofError ? e : new EdgeproofError('E_INTERNAL', messageOf(e), { where, cause: e });
}

function withContext(e: EdgeproofError, d: ParsedDevice, property: string): EdgeproofError {
  return new EdgeproofError(e.code, e.message, {
    where: d.name,
    ...(e.fix !== undefined ? { fix: e.fix } : {}),
    context: { ...e.context, namespace: d.namespace, device: d.id, property },
    cause: e,
  });
}
