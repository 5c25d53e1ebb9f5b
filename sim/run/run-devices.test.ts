import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { seededRandom } from '../core/random.ts';
import type { BarrierGateBehaviour, SmokeAlarmBehaviour, WeighbridgeBehaviour } from '../devices/behaviours.ts';
import { dataTypeOf } from '../devices/crd.ts';
import { deviceKinds, MODBUS_KINDS } from '../devices/kinds.ts';
import { ModbusConnection } from '../devices/modbus-client.ts';
import { decodeValue, type ParsedVisitor } from '../devices/modbus-codec.ts';
import { RegisterBank } from '../devices/registers.ts';
import { DeviceSimulatorRegistry } from '../devices/registry.ts';
import type { KubeClient } from '../kube/client.ts';
import type { DevicePlacement } from '../scenario/devices.ts';
import { RunDevices, registerValue } from './run-devices.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('registerValue: what a device holds, in the twin format', () => {
  it('equals what a Modbus read of the same visitor over a real socket decodes to, for every Modbus property', async () => {
    const reg = await DeviceSimulatorRegistry.start(
      MODBUS_KINDS.map((kind, i) => ({ name: `d${i}`, kind, node: 'n1' })),
      { clock: systemClock, random: seededRandom(3), behaviour: { gate: { vehicleIntervalMs: 0 }, weighbridge: { vehicleIntervalMs: 0, tickMs: 3_600_000 } } },
    );
    cleanup.push(() => reg.stop());
    (reg.modbus('d0').behaviour as BarrierGateBehaviour).setVehicleCount(70_001); // needs both words
    (reg.modbus('d1').behaviour as WeighbridgeBehaviour).placeVehicle(12_345.5, 4);
    (reg.modbus('d2').behaviour as SmokeAlarmBehaviour).trigger(60_000);
    let compared = 0;
    for (const d of reg.modbusList()) {
      const conn = new ModbusConnection(d.endpoint.ip, d.endpoint.port, 2_000);
      cleanup.push(() => conn.close());
      for (const prop of deviceKinds[d.kind].properties) {
        const v = prop.visitor;
        if (v === undefined) continue;
        const visitor: ParsedVisitor = { ...v, dataType: dataTypeOf(prop.type) as ParsedVisitor['dataType'] };
        const overTheWire = decodeValue(visitor, await conn.read(d.endpoint.slaveID, v.register, v.offset, v.limit));
        expect(registerValue(d.bank, prop), `${d.kind}.${prop.name}`).toBe(overTheWire);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(12);
    // and the values are the ones set, not merely equal to each other
    const gate = reg.modbus('d0');
    expect(registerValue(gate.bank, deviceKinds['barrier-gate'].properties.find((p) => p.name === 'vehicleCount')!)).toBe('70001');
    const wb = reg.modbus('d1');
    expect(registerValue(wb.bank, deviceKinds.weighbridge.properties.find((p) => p.name === 'axles')!)).toBe('4');
    expect(registerValue(reg.modbus('d2').bank, deviceKinds['smoke-alarm'].properties.find((p) => p.name === 'smoke')!)).toBe('true');
  });

  it('a property without a register (MQTT kinds) has no register value', () => {
    const camera = deviceKinds.camera.properties[0];
    expect(camera).toBeDefined();
    expect(registerValue(new RegisterBank({ coils: 1, discreteInputs: 1, holdingRegisters: 1, inputRegisters: 1 }), camera!)).toBeUndefined();
  });
});

describe('RunDevices.awaitMembership: devices are bound only when their nodes can take them', () => {
  const placement = (name: string, node: string): DevicePlacement => ({ name, node, kind: 'barrier-gate', protocol: 'modbus', collectCycleMs: 1_000, reportCycleMs: 5_000, group: 0 });
  const start = async (): Promise<RunDevices> => {
    const devices = await RunDevices.start({
      placements: [placement('a', 'n1'), placement('b', 'n1'), placement('c', 'n2'), placement('d', 'n3')],
      kube: {} as KubeClient, // not touched: nothing is created in the API here
      mqttUrl: 'mqtt://127.0.0.1:1',
      journal: { append: () => 0 },
      clock: systemClock,
      random: seededRandom(1),
    });
    if (devices === undefined) throw new Error('no devices');
    cleanup.push(() => devices.stop());
    return devices;
  };

  it('waits until every device of a connected node is a member of its twin', async () => {
    const devices = await start();
    const members = new Set<string>(['default/a']);
    setTimeout(() => members.add('default/b'), 300);
    setTimeout(() => members.add('default/c'), 600);
    const t0 = Date.now();
    const r = await devices.awaitMembership((_node, id) => members.has(id), (node) => node !== 'n3', 10_000);
    expect(r).toEqual({ missing: [], offline: ['d'] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
  });

  it('gives up after its timeout and names the devices still missing', async () => {
    const devices = await start();
    const r = await devices.awaitMembership((_node, id) => id === 'default/a', () => true, 600);
    expect(r).toEqual({ missing: ['b', 'c', 'd'], offline: [] });
  });
});
