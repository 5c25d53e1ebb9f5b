import modbusSerial from 'modbus-serial';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../sim/core/clock.ts';
import { seededRandom } from '../../sim/core/random.ts';
import type { BarrierGateBehaviour, WeighbridgeBehaviour } from '../../sim/devices/behaviours.ts';
import { deviceAddedMessages, deviceMessage } from '../../sim/devices/cloud-messages.ts';
import { deviceFor, deviceModelFor, withDesired } from '../../sim/devices/crd.ts';
import { EdgeDevices, type DeviceEvent } from '../../sim/devices/edge-devices.ts';
import { DeviceSimulatorRegistry } from '../../sim/devices/registry.ts';
import { MemoryTwinStore } from '../../sim/devices/twin-store.ts';
import { MessageFactory } from '../../sim/protocol/message.ts';
import { eventually } from '../support/wait.ts';
import { FakeDeviceCloud, mbpoll, requireMbpoll } from './support.ts';

const ModbusRTU = modbusSerial.default;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

beforeAll(() => {
  requireMbpoll();
});

async function station() {
  const reg = await DeviceSimulatorRegistry.start(
    [
      { name: 'gate-1', kind: 'barrier-gate', node: 'gate-node-1' },
      { name: 'gate-2', kind: 'barrier-gate', node: 'gate-node-1' },
      { name: 'wb-1', kind: 'weighbridge', node: 'gate-node-1' },
    ],
    { clock: systemClock, random: seededRandom(11), behaviour: { gate: { vehicleIntervalMs: 0, travelMs: [100, 200] }, weighbridge: { vehicleIntervalMs: 0 } } },
  );
  cleanup.push(() => reg.stop());
  const cloud = new FakeDeviceCloud(systemClock);
  const events: DeviceEvent[] = [];
  const edge = new EdgeDevices({ nodeName: 'gate-node-1', clock: systemClock, messages: new MessageFactory({ clock: systemClock }), store: new MemoryTwinStore(), send: cloud.send, requestTimeoutMs: 1_000, onEvent: (e) => events.push(e) });
  cleanup.push(() => edge.stop());
  cloud.attach(edge);
  edge.start();
  cloud.setLink(true);
  const make = (name: string, kind: 'barrier-gate' | 'weighbridge') => deviceFor({ name, kind, nodeName: 'gate-node-1', endpoint: reg.endpoint(name), collectCycleMs: 100, reportCycleMs: 200 });
  const devices = { gate1: make('gate-1', 'barrier-gate'), gate2: make('gate-2', 'barrier-gate'), wb1: make('wb-1', 'weighbridge') };
  // what devicecontroller sends when the Devices are created (the model with the first device that uses it)
  cloud.deliver(...deviceAddedMessages(cloud.opts, devices.gate1, deviceModelFor('barrier-gate')));
  cloud.deliver(...deviceAddedMessages(cloud.opts, devices.gate2, undefined));
  cloud.deliver(...deviceAddedMessages(cloud.opts, devices.wb1, deviceModelFor('weighbridge')));
  return { reg, cloud, edge, events, devices };
}

describe('real Modbus clients see what the edge wrote to the simulated devices', () => {
  it('desired open on a gate Device flips that gate\'s coil, as mbpoll and a separate modbus-serial client read it', async () => {
    const { reg, cloud, devices } = await station();
    const port = reg.endpoint('gate-1').port;
    expect(reg.endpoint('gate-2').port).toBe(port); // one station gateway, the gates are units 1 and 2
    expect(reg.endpoint('gate-1').slaveID).toBe(1);
    expect(reg.endpoint('gate-2').slaveID).toBe(2);
    // the mapper wrote the initial desired value (false); both coils read 0 from outside
    await eventually(() => (cloud.status.reported('default/gate-1', 'open') === 'false' ? true : undefined), { timeoutMs: 5_000, what: 'gate-1 reporting open=false' });
    expect((await mbpoll(port, ['-a', '1', '-t', '0', '-r', '1'])).values).toEqual(['0']);
    expect((await mbpoll(port, ['-a', '2', '-t', '0', '-r', '1'])).values).toEqual(['0']);

    // the user sets spec.properties[open].desired.value = "true" on gate-1: devicecontroller sends the Device update
    cloud.deliver(deviceMessage(cloud.opts, 'update', withDesired(devices.gate1, { open: 'true' }), '2'));
    await eventually(async () => ((await mbpoll(port, ['-a', '1', '-t', '0', '-r', '1'])).values[0] === '1' ? true : undefined), { timeoutMs: 5_000, what: 'mbpoll to read coil 1 of gate-1 as 1' });

    const client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port });
    cleanup.push(() => new Promise<void>((r) => client.close(() => r())));
    client.setID(1);
    expect((await client.readCoils(0, 1)).data[0]).toBe(true);
    client.setID(2);
    expect((await client.readCoils(0, 1)).data[0]).toBe(false); // only that gate
    expect((await mbpoll(port, ['-a', '2', '-t', '0', '-r', '1'])).values).toEqual(['0']);

    // the gate moved: its state register (holding 0) goes to 2 = open, and the cloud hears it
    await eventually(async () => ((await mbpoll(port, ['-a', '1', '-t', '4', '-r', '1'])).values[0] === '2' ? true : undefined), { timeoutMs: 5_000, what: 'gate-1 state register = 2' });
    await eventually(() => (cloud.status.reported('default/gate-1', 'state') === '2' ? true : undefined), { timeoutMs: 5_000, what: 'state=2 reported' });
    expect(cloud.status.twins.get('default/gate-1')?.get('open')?.observedDesired?.value).toBe('true');
  });

  it('values changed on a simulator are what mbpoll reads and what the edge reports; bad addresses are refused', async () => {
    const { reg, cloud } = await station();
    const port = reg.endpoint('gate-1').port;
    (reg.modbus('gate-1').behaviour as BarrierGateBehaviour).setVehicleCount(70_000);
    (reg.modbus('wb-1').behaviour as WeighbridgeBehaviour).placeVehicle(12_345.5, 3);
    // vehicle count: input registers 1–2 as a big-endian 32-bit integer (-B)
    expect((await mbpoll(port, ['-a', '1', '-t', '3:int', '-B', '-r', '1'])).values).toEqual(['70000']);
    // weight: input registers 1–2 as a float, low word first (mbpoll's default order)
    expect((await mbpoll(port, ['-a', '3', '-t', '3:float', '-r', '1'])).values).toEqual(['12345.5']);
    await eventually(() => (cloud.status.reported('default/gate-1', 'vehicleCount') === '70000' ? true : undefined), { timeoutMs: 5_000, what: 'vehicleCount reported' });
    await eventually(() => (cloud.status.reported('default/wb-1', 'weight') === '12345.500000' ? true : undefined), { timeoutMs: 5_000, what: 'weight reported' });
    const outside = await mbpoll(port, ['-a', '1', '-t', '3', '-r', '9']);
    expect(outside.code).not.toBe(0);
    expect(outside.output).toMatch(/Illegal data address/);
    const nobody = await mbpoll(port, ['-a', '9', '-t', '0', '-r', '1']);
    expect(nobody.output).toMatch(/Target device failed to respond/);
  });
});
