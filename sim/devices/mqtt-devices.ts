/**
 * MQTT-native devices: they publish straight onto edgecore's device topics on the edge's broker (the real
 * Mosquitto here), the way KubeEdge documents for devices without a mapper:
 *   $hw/events/device/<namespace>/<name>/twin/update    {"event_id","timestamp","twin":{<p>:{"actual":{"value":…}}}}
 *   $hw/events/device/<namespace>/<name>/state/update   {"event_id","timestamp","state":"online"}
 * (topics: edge/pkg/devicetwin/dtcommon/common.go; payloads: edge/pkg/devicetwin/dttype). Values keep to the
 * characters edgecore's twin accepts (dtcommon.ValidateTwinValue: [a-zA-Z0-9-_.,:/@#]{1,512}), so plates are
 * written "GD-B12345", not with a province character.
 */
import { TimerScope, type Clock } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import { exponentialMs } from './behaviours.ts';

/** Publish one MQTT message (QoS 1). The registry binds this to a real mqtt client. */
export type Publish = (topic: string, payload: string) => void;

export function deviceTopic(namespace: string, name: string, suffix: string): string {
  return `$hw/events/device/${namespace}/${name}/${suffix}`;
}

interface TwinField {
  readonly value: string;
  readonly type: string;
}

/** A DeviceTwinUpdate with actual values only, as a device reports them. */
export function twinUpdatePayload(eventId: string, timestamp: number, fields: Readonly<Record<string, TwinField>>): string {
  const twin: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(fields)) twin[name] = { actual: { value: f.value, metadata: { timestamp } }, metadata: { type: f.type } };
  return JSON.stringify({ event_id: eventId, timestamp, twin });
}

export interface MqttDeviceOptions {
  readonly namespace: string;
  readonly name: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly publish: Publish;
}

abstract class MqttDevice {
  readonly namespace: string;
  readonly name: string;
  published = 0;
  private readonly scope: TimerScope;
  private seq = 0;

  constructor(protected readonly opts: MqttDeviceOptions) {
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.scope = new TimerScope(opts.clock);
  }

  get id(): string {
    return `${this.namespace}/${this.name}`;
  }

  start(): void {
    if (!this.scope.start()) return;
    this.sendState('online');
    this.onStart();
  }

  stop(): void {
    this.scope.stop();
  }

  protected abstract onStart(): void;

  protected after(ms: number, fn: () => void): void {
    this.scope.after(ms, fn);
  }

  protected sendTwin(fields: Readonly<Record<string, TwinField>>): void {
    const now = this.opts.clock.now();
    this.published++;
    this.opts.publish(deviceTopic(this.namespace, this.name, 'twin/update'), twinUpdatePayload(this.eventId(), now, fields));
  }

  sendState(state: 'online' | 'offline'): void {
    this.published++;
    this.opts.publish(deviceTopic(this.namespace, this.name, 'state/update'), JSON.stringify({ event_id: this.eventId(), timestamp: this.opts.clock.now(), state }));
  }

  private eventId(): string {
    return `${this.name}-${++this.seq}`;
  }
}

const provinces = ['BJ', 'SH', 'GD', 'ZJ', 'JS', 'SD', 'HN', 'SC', 'HB', 'FJ'] as const;
const plateChars = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

export interface CameraOptions extends MqttDeviceOptions {
  /** Mean time between plate reads (Poisson), ms. 0: only on demand. */
  readonly readIntervalMs?: number;
}

/** A lane camera: every vehicle it sees becomes a plate read with a confidence. */
export class CameraSimulator extends MqttDevice {
  reads = 0;
  lastPlate: string | undefined;
  private readonly intervalMs: number;

  constructor(opts: CameraOptions) {
    super(opts);
    this.intervalMs = opts.readIntervalMs ?? 8_000;
  }

  protected onStart(): void {
    if (this.intervalMs > 0) this.scheduleRead();
  }

  /** A seeded plate like "GD-B7K2Q9". */
  randomPlate(): string {
    const r = this.opts.random;
    let tail = '';
    for (let i = 0; i < 5; i++) tail += plateChars[r.int(0, plateChars.length - 1)] ?? 'A';
    return `${provinces[r.int(0, provinces.length - 1)] ?? 'GD'}-${plateChars[r.int(0, 23)] ?? 'A'}${tail}`;
  }

  /** Read a plate now (a given one, or a random one) and publish it. */
  read(plate: string = this.randomPlate(), confidence?: number): { plate: string; confidence: string } {
    this.reads++;
    this.lastPlate = plate;
    const conf = (confidence ?? 0.8 + this.opts.random.next() * 0.2).toFixed(2);
    this.sendTwin({ plate: { value: plate, type: 'string' }, confidence: { value: conf, type: 'float' }, reads: { value: String(this.reads), type: 'int' } });
    return { plate, confidence: conf };
  }

  private scheduleRead(): void {
    this.after(exponentialMs(this.opts.random, this.intervalMs), () => {
      this.read();
      this.scheduleRead();
    });
  }
}

export interface MqttAlarmOptions extends MqttDeviceOptions {
  /** Mean time between alarm episodes, ms. 0: only on demand. */
  readonly alarmIntervalMs?: number;
  /** Heartbeat period: battery level and alarm state, ms. */
  readonly heartbeatMs?: number;
}

/** A wireless alarm: publishes alarm events as they happen and a periodic heartbeat with its battery level. */
export class MqttAlarmSimulator extends MqttDevice {
  alarm = false;
  battery = 100;
  private readonly alarmIntervalMs: number;
  private readonly heartbeatMs: number;

  constructor(opts: MqttAlarmOptions) {
    super(opts);
    this.alarmIntervalMs = opts.alarmIntervalMs ?? 3_600_000;
    this.heartbeatMs = opts.heartbeatMs ?? 60_000;
    this.battery = opts.random.int(60, 100);
  }

  protected onStart(): void {
    this.publishNow();
    const beat = (): void => {
      if (this.opts.random.next() < 0.05) this.battery = Math.max(0, this.battery - 1);
      this.publishNow();
      this.after(this.heartbeatMs, beat);
    };
    this.after(this.heartbeatMs, beat);
    if (this.alarmIntervalMs > 0) this.scheduleEpisode();
  }

  raise(): void {
    this.alarm = true;
    this.publishNow();
  }

  clear(): void {
    this.alarm = false;
    this.publishNow();
  }

  private publishNow(): void {
    this.sendTwin({ alarm: { value: String(this.alarm), type: 'boolean' }, battery: { value: String(this.battery), type: 'int' } });
  }

  private scheduleEpisode(): void {
    this.after(exponentialMs(this.opts.random, this.alarmIntervalMs), () => {
      this.raise();
      this.after(this.opts.random.int(30_000, 300_000), () => this.clear());
      this.scheduleEpisode();
    });
  }
}
