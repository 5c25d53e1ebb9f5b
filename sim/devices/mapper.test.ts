import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { EdgeproofError } from '../core/errors.ts';
import { seededRandom } from '../core/random.ts';
import type { BarrierGateBehaviour, FloodAlarmBehaviour, SmokeAlarmBehaviour, WeighbridgeBehaviour } from './behaviours.ts';
import { deviceFor, deviceModelFor, withDesired, type DeviceBuildSpec, type DeviceObject } from './crd.ts';
import { MODBUS_KINDS, type ModbusDeviceKind } from './kinds.ts';
import { ModbusMapper, type ReportedTwin } from './mapper.ts';
import { DeviceSimulatorRegistry, type ModbusLayout } from './registry.ts';

const until = async <T>(probe: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

interface Rig {
  reg: DeviceSimulatorRegistry;
  mapper: ModbusMapper;
  reports: { id: string; twin: ReportedTwin; at: number }[];
  errors: EdgeproofError[];
  latest(id: string, property: string): string | undefined;
  device(name: string, kind: ModbusDeviceKind, extra?: Partial<DeviceBuildSpec>): DeviceObject;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    r.mapper.stop();
    await r.reg.stop();
  }
});

async function rig(devices: { name: string; kind: ModbusDeviceKind; node?: string }[], layout: ModbusLayout = 'gateway-per-node', reportOn?: 'report-cycle' | 'collect-cycle'): Promise<Rig> {
  const reg = await DeviceSimulatorRegistry.start(
    devices.map((d) => ({ ...d, node: d.node ?? 'gate-node-1' })),
    // no random arrivals or alarms: the tests drive every change
    { clock: systemClock, random: seededRandom(42), layout, behaviour: { gate: { vehicleIntervalMs: 0, travelMs: [50, 80] }, weighbridge: { vehicleIntervalMs: 0 }, smoke: { alarmIntervalMs: 0 }, flood: { alarmIntervalMs: 0 } } },
  );
  const reports: Rig['reports'] = [];
  const errors: EdgeproofError[] = [];
  const mapper = new ModbusMapper({ clock: systemClock, requestTimeoutMs: 500, ...(reportOn !== undefined ? { reportOn } : {}), onReport: (id, twins) => twins.forEach((twin) => reports.push({ id, twin, at: Date.now() })), onError: (e) => errors.push(e) });
  for (const k of MODBUS_KINDS) mapper.upsertModel(deviceModelFor(k));
  const r: Rig = {
    reg,
    mapper,
    reports,
    errors,
    latest: (id, property) => reports.filter((x) => x.id === id && x.twin.propertyName === property).at(-1)?.twin.reported.value,
    device: (name, kind, extra = {}) => deviceFor({ name, kind, nodeName: 'gate-node-1', endpoint: reg.endpoint(name), collectCycleMs: 50, reportCycleMs: 100, stateReportCycleMs: 0, ...extra }),
  };
  rigs.push(r);
  return r;
}

describe('Modbus mapper against the simulators over real sockets', () => {
  it.each<ModbusLayout>(['gateway-per-node', 'server-per-device'])('polls and decodes every register kind, scale and swap (%s)', async (layout) => {
    const r = await rig([{ name: 'gate-1', kind: 'barrier-gate' }, { name: 'wb-1', kind: 'weighbridge' }, { name: 'smoke-1', kind: 'smoke-alarm' }, { name: 'flood-1', kind: 'flood-alarm' }], layout);
    expect(r.reg.servers).toHaveLength(layout === 'gateway-per-node' ? 1 : 4);
    (r.reg.modbus('gate-1').behaviour as BarrierGateBehaviour).setVehicleCount(70_000);
    (r.reg.modbus('wb-1').behaviour as WeighbridgeBehaviour).placeVehicle(12_345.5, 3);
    (r.reg.modbus('smoke-1').behaviour as SmokeAlarmBehaviour).trigger(60_000);
    (r.reg.modbus('flood-1').behaviour as FloodAlarmBehaviour).setLevel(321);
    for (const [name, kind] of [['gate-1', 'barrier-gate'], ['wb-1', 'weighbridge'], ['smoke-1', 'smoke-alarm'], ['flood-1', 'flood-alarm']] as const) r.mapper.registerDevice(r.device(name, kind));
    // every property reports once its (phase-shifted) ticker has run
    const expected: [string, string][] = [
      ['gate-1', 'vehicleCount'], ['gate-1', 'state'], ['gate-1', 'open'], ['wb-1', 'weight'], ['wb-1', 'capacity'], ['wb-1', 'axles'],
      ['smoke-1', 'smoke'], ['smoke-1', 'obscuration'], ['flood-1', 'waterLevel'], ['flood-1', 'flood'],
    ];
    await until(() => (expected.every(([d, p]) => r.latest(`default/${d}`, p) !== undefined) ? true : undefined), 'first reports of every property');
    expect(r.latest('default/gate-1', 'vehicleCount')).toBe('70000'); // uint32 over two registers
    expect(r.latest('default/gate-1', 'state')).toBe('0');
    expect(r.latest('default/gate-1', 'open')).toBe('false');
    expect(r.latest('default/wb-1', 'weight')).toBe('12345.500000'); // float32 stored CDAB, isRegisterSwap
    expect(r.latest('default/wb-1', 'capacity')).toBe('60000'); // 6000 × scale 10
    expect(r.latest('default/wb-1', 'axles')).toBe('3');
    expect(r.latest('default/smoke-1', 'smoke')).toBe('true'); // discrete input
    expect(Number(r.latest('default/smoke-1', 'obscuration'))).toBeGreaterThan(250); // byte-swapped register, isSwap
    expect(r.latest('default/flood-1', 'waterLevel')).toBe('321');
    expect(r.latest('default/flood-1', 'flood')).toBe('true');
    expect(r.errors).toEqual([]);
    const report = r.reports.find((x) => x.id === 'default/gate-1' && x.twin.propertyName === 'open');
    expect(report?.twin).toMatchObject({ reported: { metadata: { type: 'boolean' } }, observedDesired: { value: 'false' } });
    // a value changed on the device shows up in the next reports
    (r.reg.modbus('gate-1').behaviour as BarrierGateBehaviour).passVehicle();
    await until(() => (r.latest('default/gate-1', 'vehicleCount') === '70001' ? true : undefined), 'the new count');
  });

  it.each(['report-cycle', 'collect-cycle'] as const)('reports on the %s: the latest reading per reportCycle, or every reading (mapper-framework)', async (reportOn) => {
    const r = await rig([{ name: 'gate-1', kind: 'barrier-gate' }], 'gateway-per-node', reportOn);
    r.mapper.registerDevice(r.device('gate-1', 'barrier-gate', { collectCycleMs: 50, reportCycleMs: 500 }));
    await new Promise((done) => setTimeout(done, 1_600));
    r.mapper.stop();
    const vehicleCount = r.reports.filter((x) => x.twin.propertyName === 'vehicleCount').length;
    const polls = r.mapper.status('default/gate-1')?.properties.find((p) => p.name === 'vehicleCount')?.polls ?? 0;
    expect(polls).toBeGreaterThan(5); // ~32 collect cycles in 1.6 s on an idle machine
    if (reportOn === 'report-cycle') expect(vehicleCount).toBeLessThanOrEqual(4); // 1.6 s / 500 ms
    else expect(vehicleCount).toBeGreaterThanOrEqual(polls - 1); // each answered poll, the last may be in flight
  });

  it('writes desired values at device start and again when an updated Device changes them', async () => {
    const r = await rig([{ name: 'gate-1', kind: 'barrier-gate' }]);
    const sim = r.reg.modbus('gate-1');
    const gate = r.device('gate-1', 'barrier-gate', { desired: { open: 'true' } });
    expect(sim.bank.readCoil(0)).toBe(false);
    r.mapper.registerDevice(gate);
    await until(() => (sim.bank.readCoil(0) ? true : undefined), 'the coil to be set');
    await until(() => (r.latest('default/gate-1', 'state') === '2' ? true : undefined), 'the gate to report open');
    expect(r.mapper.updateDevice(gate)).toBe(false); // same spec: nothing to do (dmicache CompareDeviceSpecHasChanged)
    expect(r.mapper.updateDevice(withDesired(gate, { open: 'false' }))).toBe(true);
    await until(() => (!sim.bank.readCoil(0) ? true : undefined), 'the coil to be cleared');
    await until(() => (r.latest('default/gate-1', 'state') === '0' ? true : undefined), 'the gate to report closed');
    // `open` written at start and after the update; the read-only properties never
    expect(r.mapper.stats.writes).toBe(2);
    expect(r.errors).toEqual([]);
  });

  it('isolates a device with an out-of-range offset: it turns unhealthy with a clear error, the others keep reporting', async () => {
    const r = await rig([{ name: 'gate-1', kind: 'barrier-gate' }, { name: 'gate-2', kind: 'barrier-gate' }, { name: 'wb-1', kind: 'weighbridge' }]);
    r.mapper.registerDevice(r.device('gate-1', 'barrier-gate'));
    r.mapper.registerDevice(r.device('gate-2', 'barrier-gate', { visitorOverrides: { vehicleCount: { offset: 100 } } }));
    r.mapper.registerDevice(r.device('wb-1', 'weighbridge'));
    const err = await until(() => r.errors.find((e) => e.where === 'gate-2'), 'the bad visitor error');
    expect(err.code).toBe('E_BAD_SCENARIO');
    expect(err.message).toMatch(/vehicleCount: InputRegister offset 100 limit 2 is outside the device .*exception 2/);
    expect(err.context).toMatchObject({ device: 'default/gate-2', property: 'vehicleCount', offset: 100, modbusException: 2 });
    expect(err.oneLine()).toMatch(/^edgeproof: gate-2: /);
    await until(() => (r.mapper.status('default/gate-2')?.state === 'unhealthy' ? true : undefined), 'gate-2 unhealthy');
    // the same device's good properties and the other devices go on
    const start = r.reports.length;
    (r.reg.modbus('gate-1').behaviour as BarrierGateBehaviour).setVehicleCount(5);
    await until(() => (r.latest('default/gate-1', 'vehicleCount') === '5' ? true : undefined), 'gate-1 keeps reporting');
    await until(() => (r.reports.slice(start).some((x) => x.id === 'default/wb-1') ? true : undefined), 'wb-1 keeps reporting');
    await until(() => (r.reports.slice(start).some((x) => x.id === 'default/gate-2' && x.twin.propertyName === 'state') ? true : undefined), 'gate-2 good properties');
    expect(r.reports.some((x) => x.id === 'default/gate-2' && x.twin.propertyName === 'vehicleCount')).toBe(false);
    expect(r.mapper.status('default/gate-1')?.state).toBe('ok');
    expect(r.mapper.status('default/wb-1')?.state).toBe('ok');
    // raised once, not on every poll
    expect(r.errors.filter((e) => e.where === 'gate-2')).toHaveLength(1);
    expect(r.errors.filter((e) => e.where !== 'gate-2')).toEqual([]);
  });

  it('isolates a statically bad visitor and a dead device the same way', async () => {
    const r = await rig([{ name: 'gate-1', kind: 'barrier-gate' }, { name: 'flood-1', kind: 'flood-alarm', node: 'gate-node-2' }, { name: 'wb-1', kind: 'weighbridge' }]);
    r.mapper.registerDevice(r.device('gate-1', 'barrier-gate', { visitorOverrides: { state: { register: 'Holding' as 'HoldingRegister' } } }));
    r.mapper.registerDevice(r.device('flood-1', 'flood-alarm'));
    r.mapper.registerDevice(r.device('wb-1', 'weighbridge'));
    const bad = await until(() => r.errors.find((e) => e.where === 'gate-1'), 'the static visitor error');
    expect(bad.message).toMatch(/state: register "Holding" is not one of/);
    await until(() => (r.latest('default/flood-1', 'waterLevel') !== undefined ? true : undefined), 'flood-1 reporting');
    // the flood sensor's gateway goes away (another node's): offline, the rest unaffected
    await r.reg.modbus('flood-1').server.close();
    const dead = await until(() => r.errors.find((e) => e.where === 'flood-1'), 'the dead device error', 8_000);
    expect(['E_COMPONENT_UNHEALTHY', 'E_TIMEOUT']).toContain(dead.code);
    await until(() => (r.mapper.status('default/flood-1')?.state === 'offline' ? true : undefined), 'flood-1 offline');
    const start = r.reports.length;
    await until(() => (r.reports.slice(start).some((x) => x.id === 'default/wb-1') ? true : undefined), 'wb-1 keeps reporting');
    expect(r.mapper.status('default/gate-1')?.state).toBe('unhealthy');
    expect(r.mapper.status('default/wb-1')?.state).toBe('ok');
  });
});
