import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMosquitto, type StartedMqttBroker } from '../../sim/components/mosquitto.ts';
import { systemClock } from '../../sim/core/clock.ts';
import { silentProgress } from '../../sim/core/progress.ts';
import { seededRandom } from '../../sim/core/random.ts';
import { deviceAddedMessages } from '../../sim/devices/cloud-messages.ts';
import { deviceFor, deviceModelFor } from '../../sim/devices/crd.ts';
import { EdgeDevices } from '../../sim/devices/edge-devices.ts';
import type { CameraSimulator, MqttAlarmSimulator } from '../../sim/devices/mqtt-devices.ts';
import { MqttEventBus } from '../../sim/devices/mqtt-bus.ts';
import { DeviceSimulatorRegistry } from '../../sim/devices/registry.ts';
import { MemoryTwinStore } from '../../sim/devices/twin-store.ts';
import { MessageFactory } from '../../sim/protocol/message.ts';
import { eventually } from '../support/wait.ts';
import { FakeDeviceCloud } from './support.ts';

/**
 * mosquitto_sub for the first `count` messages on `topic` (an external MQTT client). stdbuf makes its output
 * line-buffered, so "SUBACK" is seen when it happens, not when the process exits.
 */
function subscribeOnce(broker: StartedMqttBroker, topic: string, count = 1): { ready: Promise<void>; messages: Promise<string[]> } {
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', broker.host, '-p', String(broker.port), '-t', topic, '-C', String(count), '-W', '20', '-q', '1', '-d']);
  let out = '';
  let log = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      log += d.toString();
      if (log.includes('SUBACK')) resolve();
    });
  });
  const messages = new Promise<string[]>((resolve) => child.on('close', () => resolve(out.split('\n').filter((l) => l.startsWith('{')))));
  return { ready, messages };
}

describe('MQTT devices through the real Mosquitto reach the device twin and the cloud', () => {
  let broker: StartedMqttBroker;
  let bus: MqttEventBus;
  let reg: DeviceSimulatorRegistry;
  let edge: EdgeDevices;
  const cloud = new FakeDeviceCloud(systemClock);

  beforeAll(async () => {
    broker = await startLocalMosquitto(mkdtempSync(join(tmpdir(), 'edgeproof-devices-mqtt-')), silentProgress);
    bus = await MqttEventBus.connect(broker.url);
    reg = await DeviceSimulatorRegistry.start(
      [
        { name: 'camera-1', kind: 'camera', node: 'gate-node-1' },
        { name: 'camera-9', kind: 'camera', node: 'gate-node-9' }, // bound to a node this edge is not
        { name: 'alarm-1', kind: 'mqtt-alarm', node: 'gate-node-1' },
      ],
      { clock: systemClock, random: seededRandom(5), mqttUrl: broker.url, cameraReadIntervalMs: 0, mqttAlarmIntervalMs: 0, autoStart: false },
    );
    edge = new EdgeDevices({ nodeName: 'gate-node-1', clock: systemClock, messages: new MessageFactory({ clock: systemClock }), store: new MemoryTwinStore(), send: cloud.send, bus });
    cloud.attach(edge);
    edge.start();
    cloud.setLink(true);
    cloud.deliver(...deviceAddedMessages(cloud.opts, deviceFor({ name: 'camera-1', kind: 'camera', nodeName: 'gate-node-1' }), deviceModelFor('camera')));
    cloud.deliver(...deviceAddedMessages(cloud.opts, deviceFor({ name: 'alarm-1', kind: 'mqtt-alarm', nodeName: 'gate-node-1' }), deviceModelFor('mqtt-alarm')));
  });

  afterAll(async () => {
    edge?.stop();
    await reg?.stop();
    await bus?.close();
    await broker?.stop();
  });

  it('a camera\'s plate read becomes twin/edge_updated with the plate, and the twin\'s result is visible to mosquitto_sub', async () => {
    const result = subscribeOnce(broker, '$hw/events/device/default/camera-1/twin/update/result');
    await result.ready;
    const camera = reg.mqtt('camera-1').device as CameraSimulator;
    camera.start();
    const read = camera.read('GD-B12345', 0.97);
    expect(read).toEqual({ plate: 'GD-B12345', confidence: '0.97' });
    await eventually(() => (cloud.status.reported('default/camera-1', 'plate') === 'GD-B12345' ? true : undefined), { timeoutMs: 10_000, what: 'the plate in the cloud view' });
    const msg = cloud.received.find((m) => m.route.resource === 'device/default/camera-1/twin/edge_updated');
    expect(msg?.route).toMatchObject({ source: 'twin', group: 'resource', operation: 'update' });
    const twin = (msg?.content as { twin: Record<string, unknown> }).twin;
    expect(twin['plate']).toMatchObject({ actual: { value: 'GD-B12345' }, metadata: { type: 'string' }, actual_version: { cloud: 0, edge: 1 } });
    expect(twin['confidence']).toMatchObject({ actual: { value: '0.97' }, metadata: { type: 'float' } });
    const [payload] = await result.messages;
    expect(JSON.parse(payload ?? '{}')).toMatchObject({ twin: { plate: { actual: { value: 'GD-B12345' } } } });
    // a random read follows edgecore's value rules and arrives too
    const next = camera.read();
    expect(next.plate).toMatch(/^[A-Z]{2}-[A-Z0-9]{6}$/);
    await eventually(() => (cloud.status.reported('default/camera-1', 'plate') === next.plate ? true : undefined), { timeoutMs: 10_000, what: 'the second plate' });
    expect(cloud.status.reported('default/camera-1', 'reads')).toBe('2');
  });

  it('an MQTT alarm\'s events and state reach the cloud view', async () => {
    const alarm = reg.mqtt('alarm-1').device as MqttAlarmSimulator;
    alarm.start(); // publishes state "online" and a first heartbeat
    await eventually(() => (cloud.status.states.get('default/alarm-1')?.state === 'online' ? true : undefined), { timeoutMs: 10_000, what: 'alarm-1 online' });
    expect(cloud.status.states.get('default/alarm-1')?.lastOnlineTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    alarm.raise();
    await eventually(() => (cloud.status.reported('default/alarm-1', 'alarm') === 'true' ? true : undefined), { timeoutMs: 10_000, what: 'alarm=true' });
    alarm.clear();
    await eventually(() => (cloud.status.reported('default/alarm-1', 'alarm') === 'false' ? true : undefined), { timeoutMs: 10_000, what: 'alarm=false' });
  });

  it('a device that is not a member of this node is not ingested', async () => {
    const stranger = reg.mqtt('camera-9').device as CameraSimulator;
    const before = bus.stats.unrouted;
    stranger.start();
    stranger.read('ZJ-A00001');
    await eventually(() => (bus.stats.unrouted >= before + 2 ? true : undefined), { timeoutMs: 10_000, what: 'the stranger\'s messages to arrive unrouted' });
    expect(cloud.received.some((m) => m.route.resource.includes('camera-9'))).toBe(false);
    expect(edge.twin.hasDevice('default/camera-9')).toBe(false);
  });
});
