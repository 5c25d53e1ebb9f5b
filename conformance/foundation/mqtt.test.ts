import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMosquitto, type StartedMqttBroker } from '../../sim/components/mosquitto.ts';
import { startLocalToxiproxy, type StartedToxiproxy } from '../../sim/components/toxiproxy.ts';
import { silentProgress } from '../../sim/core/progress.ts';
import { eventually } from '../support/wait.ts';

describe('MQTT through a Toxiproxy link to the real Mosquitto', () => {
  let broker: StartedMqttBroker;
  let toxiproxy: StartedToxiproxy;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-mqtt-'));
    broker = await startLocalMosquitto(dir, silentProgress);
    toxiproxy = await startLocalToxiproxy(dir, silentProgress);
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await toxiproxy?.stop();
    await broker?.stop();
  });

  it('a device publishing through its link reaches a subscriber on the broker, and not while the link is cut', async () => {
    const proxy = await toxiproxy.client.createProxy({ name: 'gate-uplink', listen: '127.0.0.1:0', upstream: `127.0.0.1:${broker.port}` });
    const proxyPort = Number(proxy.listen.split(':').pop());
    const subscriber = await connectAsync(broker.url, { clientId: 'cloud-side', reconnectPeriod: 0 });
    clients.push(subscriber);
    const received: string[] = [];
    subscriber.on('message', (_topic, payload) => received.push(payload.toString()));
    await subscriber.subscribeAsync('$hw/events/device/default/gate-1/twin/update', { qos: 1 });

    const device = await connectAsync(`mqtt://127.0.0.1:${proxyPort}`, { clientId: 'gate-1', reconnectPeriod: 0 });
    clients.push(device);
    await device.publishAsync('$hw/events/device/default/gate-1/twin/update', 'open', { qos: 0 });
    await eventually(() => (received.includes('open') ? true : undefined), { timeoutMs: 5000, what: 'the message through the link' });

    // cut the device's link: what it publishes now must not arrive
    await proxy.addToxic({ name: 'cut', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
    void device.publishAsync('$hw/events/device/default/gate-1/twin/update', 'closed', { qos: 0 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    expect(received).not.toContain('closed');

    await (await proxy.getToxic('cut')).remove();
    // the cut connection is gone after the heal (Toxiproxy closes it); the device reconnects and is heard again
    const reconnected = await connectAsync(`mqtt://127.0.0.1:${proxyPort}`, { clientId: 'gate-1', reconnectPeriod: 0 });
    clients.push(reconnected);
    await reconnected.publishAsync('$hw/events/device/default/gate-1/twin/update', 'open-again', { qos: 1 });
    await eventually(() => (received.includes('open-again') ? true : undefined), { timeoutMs: 10_000, what: 'the message after healing' });
    expect(received).not.toContain('closed');
    await proxy.remove();
  });
});
