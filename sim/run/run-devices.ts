/**
 * The devices of a run: the scenario's `devices:` section made real. Simulators start on loopback (Modbus TCP
 * servers, MQTT publishers on the run's Mosquitto), their DeviceModels and Devices are created in the real API
 * bound to their gate nodes and pointing at their simulators, and the edge nodes share one eventbus on the
 * broker. The device side of the history (`register-value`) is sampled here, from the simulators' own
 * register banks: what the device holds, independent of what any mapper read.
 */
import type { Clock, Timer } from '../core/clock.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import type { Random } from '../core/random.ts';
import { deviceFor, deviceModelFor, dataTypeOf } from '../devices/crd.ts';
import { deviceKinds, isModbusKind, type PropertySpec } from '../devices/kinds.ts';
import { decodeValue, type ParsedVisitor } from '../devices/modbus-codec.ts';
import { MqttEventBus } from '../devices/mqtt-bus.ts';
import type { RegisterBank } from '../devices/registers.ts';
import { DeviceSimulatorRegistry, type SimulatedModbusDevice } from '../devices/registry.ts';
import type { EdgeNodeDeviceOptions } from '../edge/edge-node.ts';
import type { JournalSink } from '../evidence/journal.ts';
import { mapLimit } from '../network/network.ts';
import { KubeApiError, type KubeClient } from '../kube/client.ts';
import { simulatorKind, type DevicePlacement } from '../scenario/devices.ts';

export const DEVICES_API_PATH = '/apis/devices.kubeedge.io/v1beta1';

export interface RunDevicesOptions {
  readonly placements: readonly DevicePlacement[];
  readonly kube: KubeClient;
  readonly mqttUrl: string;
  readonly journal: JournalSink;
  readonly clock: Clock;
  readonly random: Random;
  /** How often the simulators' registers are sampled for the history (ms). */
  readonly sampleMs?: number;
}

/** A started set of run devices. */
export class RunDevices {
  private sampler: Timer | undefined;
  private stopped = false;
  /** Last journalled value per `<ns>/<name>#<property>`. */
  private readonly last = new Map<string, string>();
  /** Devices whose register was written by a client since the last sample (the cause of a change). */
  private readonly written = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];

  private constructor(
    readonly simulators: DeviceSimulatorRegistry,
    readonly bus: MqttEventBus | undefined,
    private readonly opts: RunDevicesOptions,
  ) {}

  /** Start simulators and the eventbus; nothing is created in the API yet (see createObjects). */
  static async start(opts: RunDevicesOptions): Promise<RunDevices | undefined> {
    if (opts.placements.length === 0) return undefined;
    const simulators = await DeviceSimulatorRegistry.start(
      opts.placements.map((p) => ({ name: p.name, kind: simulatorKind(p.kind), node: p.node })),
      { clock: opts.clock, random: opts.random, mqttUrl: opts.mqttUrl },
    );
    let bus: MqttEventBus | undefined;
    try {
      if (opts.placements.some((p) => !isModbusKind(simulatorKind(p.kind)))) bus = await MqttEventBus.connect(opts.mqttUrl, { clientId: `edgeproof-eventbus-${opts.random.int(0, 0xffffff).toString(16)}` });
    } catch (e) {
      await simulators.stop();
      throw e;
    }
    return new RunDevices(simulators, bus, opts);
  }

  /** What every edge node of the run gets for its device management. */
  get edgeOptions(): EdgeNodeDeviceOptions {
    return this.bus !== undefined ? { bus: this.bus } : {};
  }

  /** Create the DeviceModels (one per kind) and Devices in the API, then start sampling the registers. */
  async createObjects(): Promise<void> {
    const { placements } = this.opts;
    const kinds = [...new Set(placements.map((p) => simulatorKind(p.kind)))].sort();
    for (const kind of kinds) await this.createIfAbsent(`${DEVICES_API_PATH}/namespaces/default/devicemodels`, deviceModelFor(kind), `device model ${kind}`);
    // 16 creates in flight: a province has ~10,000 Devices, one at a time would take minutes
    await mapLimit(placements, 16, async (p) => {
      const kind = simulatorKind(p.kind);
      const device = deviceFor({
        name: p.name,
        kind,
        nodeName: p.node,
        ...(isModbusKind(kind) ? { endpoint: this.simulators.endpoint(p.name) } : {}),
        collectCycleMs: p.collectCycleMs,
        reportCycleMs: p.reportCycleMs,
        labels: { 'edgeproof.io/node': p.node },
      });
      await this.createIfAbsent(`${DEVICES_API_PATH}/namespaces/default/devices`, device, `device ${p.name}`);
    });
    for (const d of this.simulators.modbusList()) this.unsubscribe.push(d.bank.onWrite(() => this.written.add(d.id)));
    const tick = (): void => {
      this.sample();
      this.sampler = this.opts.clock.setTimeout(tick, this.opts.sampleMs ?? 500);
    };
    tick();
  }

  /**
   * Wait until every Device whose node `isConnected` is a member of that node's twin (`isMember`), at most
   * `timeoutMs`. Returns the devices still missing, split by whether their node was connected: KubeEdge
   * 1.23.1 never delivers the membership of a Device created while its node is offline (README "Facts").
   */
  async awaitMembership(
    isMember: (node: string, deviceId: string) => boolean,
    isConnected: (node: string) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ missing: string[]; offline: string[] }> {
    const offline = this.opts.placements.filter((p) => !isConnected(p.node)).map((p) => p.name);
    const expected = this.opts.placements.filter((p) => isConnected(p.node));
    const missing = (): string[] => expected.filter((p) => !isMember(p.node, `default/${p.name}`)).map((p) => p.name);
    const until = this.opts.clock.now() + timeoutMs;
    while (missing().length > 0 && this.opts.clock.now() < until && signal?.aborted !== true) {
      await new Promise<void>((resolve) => this.opts.clock.setTimeout(resolve, 250));
    }
    return { missing: missing(), offline };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sampler?.cancel();
    this.sampler = undefined;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.bus?.close();
    await this.simulators.stop();
  }

  private async createIfAbsent(path: string, body: Parameters<KubeClient['create']>[1], what: string): Promise<void> {
    try {
      await this.opts.kube.create(path, body);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 409) return;
      throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `could not create ${what}: ${messageOf(e)}`, { where: path, fix: 'are the KubeEdge device CRDs installed (edgeproof doctor)?', cause: e });
    }
  }

  /** Journal every Modbus property whose register value changed since the last sample. */
  private sample(): void {
    if (this.stopped) return;
    for (const d of this.simulators.modbusList()) {
      const cause = this.written.delete(d.id) ? 'write' : 'sensor';
      for (const prop of deviceKinds[d.kind].properties) {
        const value = registerValue(d.bank, prop);
        if (value === undefined) continue;
        const key = `${d.id}#${prop.name}`;
        if (this.last.get(key) === value) continue;
        this.last.set(key, value);
        this.opts.journal.append({ source: 'device', op: 'register-value', node: d.node, namespace: d.namespace, name: d.name, property: prop.name, value, cause });
      }
    }
  }

  /** The simulated Modbus device named so (tests, faults). */
  modbus(name: string): SimulatedModbusDevice {
    return this.simulators.modbus(name);
  }
}

/**
 * A property's value as the register bank holds it, in the twin's text format: the bytes a Modbus read of the
 * visitor's range returns, decoded as the mapper decodes them.
 */
export function registerValue(bank: RegisterBank, prop: PropertySpec): string | undefined {
  const v = prop.visitor;
  if (v === undefined) return undefined;
  const visitor: ParsedVisitor = { ...v, dataType: dataTypeOf(prop.type) as ParsedVisitor['dataType'] };
  let bytes: Uint8Array;
  switch (v.register) {
    case 'CoilRegister':
    case 'DiscreteInputRegister': {
      bytes = new Uint8Array(Math.ceil(v.limit / 8));
      for (let i = 0; i < v.limit; i++) {
        const on = v.register === 'CoilRegister' ? bank.readCoil(v.offset + i) : bank.readDiscreteInput(v.offset + i);
        if (on) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
      }
      break;
    }
    case 'HoldingRegister':
    case 'InputRegister': {
      const words = v.register === 'HoldingRegister' ? bank.readHolding(v.offset, v.limit) : bank.readInput(v.offset, v.limit);
      bytes = new Uint8Array(words.length * 2);
      words.forEach((w, i) => {
        bytes[2 * i] = (w >> 8) & 0xff;
        bytes[2 * i + 1] = w & 0xff;
      });
      break;
    }
  }
  try {
    return decodeValue(visitor, bytes);
  } catch {
    return undefined;
  }
}

