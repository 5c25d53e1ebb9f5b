/**
 * Starts and stops the device simulators of a run. Modbus devices are hosted on real loopback Modbus TCP
 * servers in one of two layouts:
 *   - 'gateway-per-node' (default): one server per gate node, its devices behind it as unit ids 1, 2, … — the
 *     way a station's field bus (RS-485 slaves) is exposed through one Modbus TCP gateway. 100 nodes with
 *     1,000 devices is 100 listening sockets and, with the bench's mapper, 100 client connections.
 *   - 'server-per-device': one server per device, unit id 1 — a device with its own Ethernet port. 1,000
 *     devices is 1,000 listening sockets plus 1,000 client connections (3,000 file descriptors in one process).
 * Both are real ServerTCP instances any Modbus client can use. measure.ts compares them.
 * MQTT devices publish to the real broker over one connection per node (a station's camera gateway), or one
 * per device.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import type { Clock } from '../core/clock.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import type { Random } from '../core/random.ts';
import { createModbusDevice, type AnyBehaviour, type BehaviourOptions } from './behaviours.ts';
import type { ModbusEndpoint } from './crd.ts';
import { isModbusKind, type DeviceKind, type ModbusDeviceKind, type MqttDeviceKind } from './kinds.ts';
import { ModbusServer } from './modbus-server.ts';
import { CameraSimulator, MqttAlarmSimulator, type Publish } from './mqtt-devices.ts';
import type { RegisterBank } from './registers.ts';

export interface SimDeviceSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly kind: DeviceKind;
  /** The gate node the device belongs to. */
  readonly node: string;
}

export type ModbusLayout = 'gateway-per-node' | 'server-per-device';

export interface SimulatorRegistryOptions {
  readonly clock: Clock;
  /** The run's Random; each device draws from `random.fork(<namespace>/<name>)`. */
  readonly random: Random;
  readonly layout?: ModbusLayout;
  readonly host?: string;
  readonly behaviour?: BehaviourOptions;
  /** Camera mean read interval, ms (0: on demand only). */
  readonly cameraReadIntervalMs?: number;
  /** MQTT alarm mean episode interval, ms (0: on demand only). */
  readonly mqttAlarmIntervalMs?: number;
  /** Broker URL; required when there are MQTT devices. */
  readonly mqttUrl?: string;
  readonly mqttConnections?: 'per-node' | 'per-device';
  /** Start the behaviours at once (default true). */
  readonly autoStart?: boolean;
}

export interface SimulatedModbusDevice {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly kind: ModbusDeviceKind;
  readonly node: string;
  readonly bank: RegisterBank;
  readonly behaviour: AnyBehaviour;
  readonly server: ModbusServer;
  readonly endpoint: ModbusEndpoint;
}

export interface SimulatedMqttDevice {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly kind: MqttDeviceKind;
  readonly node: string;
  readonly device: CameraSimulator | MqttAlarmSimulator;
}

export class DeviceSimulatorRegistry {
  private readonly modbusDevices = new Map<string, SimulatedModbusDevice>();
  private readonly mqttDevices = new Map<string, SimulatedMqttDevice>();
  private readonly serverList: ModbusServer[] = [];
  private readonly clients: MqttClient[] = [];
  private stopped = false;

  private constructor(private readonly opts: SimulatorRegistryOptions) {}

  static async start(specs: readonly SimDeviceSpec[], opts: SimulatorRegistryOptions): Promise<DeviceSimulatorRegistry> {
    const reg = new DeviceSimulatorRegistry(opts);
    try {
      await reg.add(specs);
    } catch (e) {
      await reg.stop();
      throw e;
    }
    return reg;
  }

  /** Add more devices to a running registry. */
  async add(specs: readonly SimDeviceSpec[]): Promise<void> {
    const seen = new Set<string>();
    for (const s of specs) {
      const id = `${s.namespace ?? 'default'}/${s.name}`;
      if (seen.has(id) || this.modbusDevices.has(id) || this.mqttDevices.has(id)) {
        throw new EdgeproofError('E_BAD_SCENARIO', `device ${id} is listed twice`, { where: id, fix: 'give every device a unique name in its namespace' });
      }
      seen.add(id);
    }
    const layout = this.opts.layout ?? 'gateway-per-node';
    const modbus = specs.filter((s): s is SimDeviceSpec & { kind: ModbusDeviceKind } => isModbusKind(s.kind));
    const groups = new Map<string, (SimDeviceSpec & { kind: ModbusDeviceKind })[]>();
    for (const s of modbus) {
      const key = layout === 'gateway-per-node' ? s.node : `${s.namespace ?? 'default'}/${s.name}`;
      const list = groups.get(key) ?? [];
      list.push(s);
      groups.set(key, list);
    }
    const gateways = new Map<string, { server: ModbusServer; next: number }>();
    for (const [key, list] of groups) {
      for (const s of list) {
        let gw = gateways.get(key);
        if (gw === undefined || gw.next > 247) {
          gw = { server: await ModbusServer.start({ ...(this.opts.host !== undefined ? { host: this.opts.host } : {}), name: `modbus-simulator ${key}` }), next: 1 };
          gateways.set(key, gw);
          this.serverList.push(gw.server);
        }
        this.addModbus(s, gw.server, gw.next++);
      }
    }
    const mqtt = specs.filter((s): s is SimDeviceSpec & { kind: MqttDeviceKind } => !isModbusKind(s.kind));
    if (mqtt.length > 0) await this.addMqtt(mqtt);
  }

  private addModbus(s: SimDeviceSpec & { kind: ModbusDeviceKind }, server: ModbusServer, unit: number): void {
    const namespace = s.namespace ?? 'default';
    const id = `${namespace}/${s.name}`;
    const { bank, behaviour } = createModbusDevice(s.kind, this.opts.clock, this.opts.random.fork(id), this.opts.behaviour ?? {});
    server.addUnit(unit, bank);
    const device: SimulatedModbusDevice = { id, name: s.name, namespace, kind: s.kind, node: s.node, bank, behaviour, server, endpoint: { ip: server.host, port: server.port, slaveID: unit } };
    this.modbusDevices.set(id, device);
    if (this.opts.autoStart !== false) behaviour.start();
  }

  private async addMqtt(specs: readonly (SimDeviceSpec & { kind: MqttDeviceKind })[]): Promise<void> {
    const url = this.opts.mqttUrl;
    if (url === undefined) {
      throw new EdgeproofError('E_BAD_SCENARIO', `${specs.length} MQTT device(s) but no broker`, { where: 'devices', fix: 'start Mosquitto and pass its URL as mqttUrl' });
    }
    const perDevice = this.opts.mqttConnections === 'per-device';
    const byConnection = new Map<string, Publish>();
    const publisherFor = async (s: SimDeviceSpec): Promise<Publish> => {
      const key = perDevice ? `${s.namespace ?? 'default'}/${s.name}` : s.node;
      const known = byConnection.get(key);
      if (known !== undefined) return known;
      let client: MqttClient;
      try {
        client = await connectAsync(url, { clientId: `edgeproof-dev-${key.replace(/[^A-Za-z0-9_-]/g, '_')}-${this.opts.random.int(0, 0xffffff).toString(16)}`, reconnectPeriod: 1_000, connectTimeout: 10_000 });
      } catch (e) {
        throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `MQTT devices cannot connect to ${url}: ${messageOf(e)}`, { where: 'mosquitto', fix: 'is the broker running?', cause: e });
      }
      this.clients.push(client);
      const publish: Publish = (topic, payload) => {
        client.publish(topic, payload, { qos: 1 }, () => undefined);
      };
      byConnection.set(key, publish);
      return publish;
    };
    for (const s of specs) {
      const namespace = s.namespace ?? 'default';
      const id = `${namespace}/${s.name}`;
      const common = { namespace, name: s.name, clock: this.opts.clock, random: this.opts.random.fork(id), publish: await publisherFor(s) };
      const device =
        s.kind === 'camera'
          ? new CameraSimulator({ ...common, ...(this.opts.cameraReadIntervalMs !== undefined ? { readIntervalMs: this.opts.cameraReadIntervalMs } : {}) })
          : new MqttAlarmSimulator({ ...common, ...(this.opts.mqttAlarmIntervalMs !== undefined ? { alarmIntervalMs: this.opts.mqttAlarmIntervalMs } : {}) });
      this.mqttDevices.set(id, { id, name: s.name, namespace, kind: s.kind, node: s.node, device });
      if (this.opts.autoStart !== false) device.start();
    }
  }

  modbus(name: string, namespace = 'default'): SimulatedModbusDevice {
    const d = this.modbusDevices.get(`${namespace}/${name}`);
    if (d === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `no simulated Modbus device ${namespace}/${name}`, { where: 'devices' });
    return d;
  }

  mqtt(name: string, namespace = 'default'): SimulatedMqttDevice {
    const d = this.mqttDevices.get(`${namespace}/${name}`);
    if (d === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `no simulated MQTT device ${namespace}/${name}`, { where: 'devices' });
    return d;
  }

  /** The Modbus endpoint to put in the Device's protocol configData. */
  endpoint(name: string, namespace = 'default'): ModbusEndpoint {
    return this.modbus(name, namespace).endpoint;
  }

  modbusList(): SimulatedModbusDevice[] {
    return [...this.modbusDevices.values()];
  }

  mqttList(): SimulatedMqttDevice[] {
    return [...this.mqttDevices.values()];
  }

  get servers(): readonly ModbusServer[] {
    return this.serverList;
  }

  stats(): { servers: number; accesses: number; exceptions: number; connections: number; mqttPublished: number } {
    let accesses = 0;
    let exceptions = 0;
    let connections = 0;
    for (const s of this.serverList) {
      accesses += s.stats.accesses;
      exceptions += s.stats.exceptions;
      connections += s.connections;
    }
    let mqttPublished = 0;
    for (const d of this.mqttDevices.values()) mqttPublished += d.device.published;
    return { servers: this.serverList.length, accesses, exceptions, connections, mqttPublished };
  }

  /** Stop every behaviour, close every server and MQTT connection. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const d of this.modbusDevices.values()) d.behaviour.stop();
    for (const d of this.mqttDevices.values()) d.device.stop();
    await Promise.all(this.serverList.map((s) => s.close()));
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
