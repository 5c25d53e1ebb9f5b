/**
 * edgecore's EventBus for simulated nodes: an MQTT client on the edge's broker that subscribes to the device
 * topics edgecore subscribes to (edge/pkg/eventbus/mqtt/client.go SubTopics, QoS 1) and hands every message to
 * the device twin, and that publishes what the twin publishes (results, documents, deltas; QoS 1, like
 * eventbus pubMQTT).
 *
 * A real edge has its own broker. Here many simulated nodes can share one Mosquitto, so one bus serves any
 * number of twins and routes each device topic to the twin whose node the device is a member of, and
 * `$hw/events/node/<node>/membership/get` to that node's twin. A message for a device no attached twin has is
 * counted as unrouted (on a real edge it would reach that edge's twin and be answered "not found").
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { EdgeproofError, messageOf } from '../core/errors.ts';

/** edgecore eventbus SubTopics (the device and membership ones; `$hw/events/upload/#` and `+/user/#` are for apps). */
export const EVENTBUS_TOPICS = ['$hw/events/device/+/+/state/update', '$hw/events/device/+/+/twin/+', '$hw/events/node/+/membership/get'] as const;

export interface BusTwin {
  readonly nodeName: string;
  hasDevice(id: string): boolean;
  handleBusMessage(topic: string, payload: string): void;
}

export interface MqttEventBusStats {
  received: number;
  routed: number;
  unrouted: number;
  published: number;
}

export class MqttEventBus {
  readonly stats: MqttEventBusStats = { received: 0, routed: 0, unrouted: 0, published: 0 };
  private readonly twins = new Set<BusTwin>();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.dispatch(topic, payload.toString('utf8')));
  }

  /** Connect to the broker and subscribe; resolves once the subscriptions are granted. */
  static async connect(url: string, options: { clientId?: string } = {}): Promise<MqttEventBus> {
    let client: MqttClient;
    try {
      client = await connectAsync(url, { clientId: options.clientId ?? `edgeproof-eventbus-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}`, reconnectPeriod: 1_000, connectTimeout: 10_000 });
    } catch (e) {
      throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `the edge eventbus cannot connect to ${url}: ${messageOf(e)}`, { where: 'mosquitto', fix: 'is the broker running?', cause: e });
    }
    // clean sessions lose subscriptions on reconnect: subscribe again every time (edgecore onSubConnect)
    client.on('connect', () => {
      client.subscribe([...EVENTBUS_TOPICS], { qos: 1 }, () => undefined);
    });
    await client.subscribeAsync([...EVENTBUS_TOPICS], { qos: 1 });
    return new MqttEventBus(client);
  }

  attach(twin: BusTwin): () => void {
    this.twins.add(twin);
    return () => this.twins.delete(twin);
  }

  /** Publish for a twin (QoS 1, not retained). */
  publish(topic: string, payload: string): void {
    this.stats.published++;
    this.client.publish(topic, payload, { qos: 1 }, () => undefined);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  async close(): Promise<void> {
    this.twins.clear();
    await this.client.endAsync(true).catch(() => undefined);
  }

  private dispatch(topic: string, payload: string): void {
    this.stats.received++;
    const parts = topic.split('/');
    let target: BusTwin | undefined;
    if (topic.startsWith('$hw/events/device/') && parts.length >= 6) {
      const id = `${parts[3] ?? ''}/${parts[4] ?? ''}`;
      for (const t of this.twins) {
        if (t.hasDevice(id)) {
          target = t;
          break;
        }
      }
    } else if (topic.startsWith('$hw/events/node/')) {
      const node = parts[3] ?? '';
      for (const t of this.twins) if (t.nodeName === node) target = t;
    }
    if (target === undefined) {
      this.stats.unrouted++;
      return;
    }
    this.stats.routed++;
    target.handleBusMessage(topic, payload);
  }
}
