/**
 * Device management of one simulated edge node: the device twin, the DMI hand-off of Device/DeviceModel
 * objects to a Modbus mapper, and the eventbus link to the MQTT broker, wired the way edgecore wires them.
 *
 * What EdgeNode routes here (see README.md in this folder):
 *  - every cloud message with route.group "twin" (membership updates, confirms of edge_updated/state reports);
 *  - every cloud message for `<ns>/device/<name>` and `<ns>/devicemodel/<name>` (group "resource", source
 *    "devicecontroller", insert/update/delete) AFTER metamanager stored it and acknowledged it — edgecore's
 *    metamanager stores, answers "OK", then forwards to the twin's DMI worker (metamanager/process.go);
 *  - connect/disconnect of the hub (edgehub's node/connection lifecycle event).
 * What comes out: edge→cloud messages through `send` (HubClient.send), MQTT publications through the bus.
 */
import type { Clock } from '../core/clock.ts';
import { messageOf, type EdgeproofError } from '../core/errors.ts';
import { parseResource, type IdSource, type Message, type MessageFactory } from '../protocol/message.ts';
import { parseDevice } from './crd.ts';
import { ModbusMapper, type MapperDeviceState } from './mapper.ts';
import type { MqttEventBus } from './mqtt-bus.ts';
import { DeviceTwin, type TwinEvent } from './twin.ts';
import type { TwinStore } from './twin-store.ts';

export type DeviceEvent =
  | TwinEvent
  | { readonly op: 'mapper-error'; readonly device: string; readonly code: string; readonly message: string }
  | { readonly op: 'desired-written'; readonly device: string; readonly property: string; readonly value: string; readonly error?: string }
  /** A sampled poll of the device by the mapper (`reqId` unique per node) and, when it answered, its answer. */
  | { readonly op: 'poll' | 'poll-answer'; readonly device: string; readonly reqId: string; readonly property: string }
  /** The mapper read a value different from the last one it reported for this property. */
  | { readonly op: 'read'; readonly device: string; readonly property: string; readonly value: string }
  | { readonly op: 'dmi'; readonly kind: 'device' | 'devicemodel'; readonly operation: string; readonly id: string; readonly error?: string };

export interface EdgeDevicesOptions {
  readonly nodeName: string;
  readonly clock: Clock;
  readonly messages: MessageFactory;
  readonly store: TwinStore;
  /** HubClient.send: false when not connected. */
  readonly send: (message: Message) => boolean;
  /** The eventbus on the node's MQTT broker (MQTT device ingestion and the twin's publications). */
  readonly bus?: MqttEventBus;
  readonly ids?: IdSource;
  readonly offline?: 'buffer-latest' | 'drop';
  readonly confirmIdleMs?: number;
  /** See DeviceTwinOptions.persistDelayMs (0: write through, like edgecore). */
  readonly persistDelayMs?: number;
  /** Modbus request timeout (5 s). */
  readonly requestTimeoutMs?: number;
  /** See ModbusMapperOptions.reportOn. */
  readonly reportOn?: 'report-cycle' | 'collect-cycle';
  /**
   * Also write desired values when the twin publishes a delta (the old mappers-go Modbus mapper listened to
   * twin/update/delta). Off by default: with v1.23 a desired value reaches the mapper inside the updated
   * Device, which restarts the device and writes it.
   */
  readonly writeOnDelta?: boolean;
  readonly onEvent?: (event: DeviceEvent) => void;
  /**
   * Defect (tests only): keep the Device the cloud sends but strip its desired values before the mapper sees
   * it, as an agent that loses desired values would. The twin and the store are unaffected.
   */
  readonly dropDesired?: boolean;
  /** At most one poll per device per this many ms becomes a `poll` event (default 5 s; 0: none). */
  readonly pollSampleMs?: number;
}

/** Restored state for a restart: the `meta` rows of type "devicemodel" and "device" (their JSON values). */
export interface RestoredDeviceObjects {
  readonly models: readonly unknown[];
  readonly devices: readonly unknown[];
}

export class EdgeDevices {
  readonly twin: DeviceTwin;
  readonly mapper: ModbusMapper;
  private detach: (() => void) | undefined;
  /** Last value read per `<device>#<property>`: `read` events are emitted on change only (a poll a second
   * per property would swamp the journal). */
  private readonly lastRead = new Map<string, string>();
  /** When each device's last sampled poll went out. */
  private readonly lastPollSample = new Map<string, number>();
  private pollSeq = 0;
  /** Makes poll ids unique across restarts of the node (a new EdgeDevices each time). */
  private readonly epoch: number;

  constructor(private readonly opts: EdgeDevicesOptions) {
    this.epoch = opts.clock.now();
    // a non-member's reports are refused every report cycle: one `rejected` event per device and code says it
    const rejected = new Set<string>();
    const emit = (e: DeviceEvent): void => {
      if (e.op === 'rejected') {
        const key = `${e.device}\u0000${e.code}`;
        if (rejected.has(key)) return;
        rejected.add(key);
      }
      opts.onEvent?.(e);
    };
    const bus = opts.bus;
    this.twin = new DeviceTwin({
      nodeName: opts.nodeName,
      clock: opts.clock,
      messages: opts.messages,
      store: opts.store,
      send: opts.send,
      ...(bus !== undefined ? { publish: (topic: string, payload: string) => bus.publish(topic, payload) } : {}),
      ...(opts.ids !== undefined ? { ids: opts.ids } : {}),
      ...(opts.offline !== undefined ? { offline: opts.offline } : {}),
      ...(opts.confirmIdleMs !== undefined ? { confirmIdleMs: opts.confirmIdleMs } : {}),
      ...(opts.persistDelayMs !== undefined ? { persistDelayMs: opts.persistDelayMs } : {}),
      onDelta: (id, delta) => {
        if (opts.writeOnDelta === true) void this.mapper.applyDesired(id, delta);
      },
      onEvent: emit,
    });
    this.mapper = new ModbusMapper({
      clock: opts.clock,
      name: opts.nodeName,
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
      ...(opts.reportOn !== undefined ? { reportOn: opts.reportOn } : {}),
      onReport: (id, twins) => {
        for (const t of twins) {
          const key = `${id}#${t.propertyName}`;
          if (this.lastRead.get(key) === t.reported.value) continue;
          this.lastRead.set(key, t.reported.value);
          emit({ op: 'read', device: id, property: t.propertyName, value: t.reported.value });
        }
        this.twin.reportFromMapper(id, twins);
      },
      onState: (id, state: MapperDeviceState) => this.twin.reportStateFromMapper(id, state),
      onError: (e: EdgeproofError) => emit({ op: 'mapper-error', device: String(e.context['device'] ?? e.where ?? ''), code: e.code, message: e.message }),
      onPoll: (device, property) => this.samplePoll(device, property),
      onWrite: (device, property, value, error) => emit({ op: 'desired-written', device, property, value, ...(error !== undefined ? { error: error.message } : {}) }),
    });
  }

  /** Load the twin from its store and restart the mapper's devices from the stored objects (works offline). */
  start(restored: RestoredDeviceObjects = { models: [], devices: [] }): void {
    this.twin.start();
    if (this.opts.bus !== undefined && this.detach === undefined) this.detach = this.opts.bus.attach(this.twin);
    for (const m of restored.models) this.dmi('devicemodel', 'insert', m);
    for (const d of restored.devices) this.dmi('device', 'insert', d);
  }

  /** Returns true when the message was for device management (twin group, or a device/devicemodel object). */
  handleCloudMessage(message: Message): boolean {
    if (message.route.group === 'twin') return this.twin.handleCloudMessage(message);
    const parsed = parseResource(message.route.resource);
    if (parsed.kind !== 'object' || (parsed.type !== 'device' && parsed.type !== 'devicemodel')) return false;
    this.dmi(parsed.type, message.route.operation, message.content);
    return true;
  }

  setConnected(connected: boolean): void {
    this.twin.setConnected(connected);
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
    this.mapper.stop();
    this.twin.stop();
  }

  private samplePoll(device: string, property: string): ((answered: boolean) => void) | undefined {
    const every = this.opts.pollSampleMs ?? 5_000;
    const emit = this.opts.onEvent;
    if (every <= 0 || emit === undefined) return undefined;
    const now = this.opts.clock.now();
    const last = this.lastPollSample.get(device);
    if (last !== undefined && now - last < every) return undefined;
    this.lastPollSample.set(device, now);
    const reqId = `poll-${this.epoch}-${++this.pollSeq}`;
    emit({ op: 'poll', device, reqId, property });
    return (answered) => {
      if (answered) emit({ op: 'poll-answer', device, reqId, property });
    };
  }

  /** The DMI worker (dtmanager/dmiworker.go dealMetaDeviceOperation) in front of the Modbus mapper. */
  private dmi(kind: 'device' | 'devicemodel', operation: string, content: unknown): void {
    let id = '';
    try {
      if (kind === 'devicemodel') {
        const meta = (content as { metadata?: { namespace?: string; name?: string } } | null)?.metadata;
        id = `${meta?.namespace ?? 'default'}/${meta?.name ?? ''}`;
        if (operation === 'delete') this.mapper.removeModel(meta?.namespace ?? 'default', meta?.name ?? '');
        else this.mapper.upsertModel(content);
      } else {
        const device = parseDevice(content);
        id = device.id;
        if (device.protocolName !== 'modbus') return; // MQTT devices have no mapper: they publish to the bus
        const given = this.opts.dropDesired === true ? withoutDesired(content) : content;
        if (operation === 'delete') {
          this.mapper.removeDevice(device.namespace, device.name);
          for (const key of [...this.lastRead.keys()]) if (key.startsWith(`${id}#`)) this.lastRead.delete(key);
        } else if (operation === 'insert') this.mapper.registerDevice(given);
        else this.mapper.updateDevice(given);
      }
      this.opts.onEvent?.({ op: 'dmi', kind, operation, id });
    } catch (e) {
      this.opts.onEvent?.({ op: 'dmi', kind, operation, id, error: messageOf(e) });
    }
  }
}

/** The Device with every property's `desired` removed (the dropDesired defect). */
function withoutDesired(content: unknown): unknown {
  if (typeof content !== 'object' || content === null) return content;
  const obj = content as { spec?: { properties?: unknown } };
  const props = obj.spec?.properties;
  if (!Array.isArray(props)) return content;
  return {
    ...obj,
    spec: {
      ...obj.spec,
      properties: props.map((p: unknown) => {
        if (typeof p !== 'object' || p === null) return p;
        const { desired: _dropped, ...rest } = p as Record<string, unknown>;
        return rest;
      }),
    },
  };
}
