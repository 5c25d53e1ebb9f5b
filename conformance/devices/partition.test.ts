import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../sim/core/clock.ts';
import { seededRandom } from '../../sim/core/random.ts';
import type { BarrierGateBehaviour, WeighbridgeBehaviour } from '../../sim/devices/behaviours.ts';
import { deviceAddedMessages } from '../../sim/devices/cloud-messages.ts';
import { deviceFor, deviceModelFor } from '../../sim/devices/crd.ts';
import { EdgeDevices } from '../../sim/devices/edge-devices.ts';
import { DeviceSimulatorRegistry } from '../../sim/devices/registry.ts';
import { MemoryTwinStore } from '../../sim/devices/twin-store.ts';
import { MessageFactory } from '../../sim/protocol/message.ts';
import { eventually } from '../support/wait.ts';
import { FakeDeviceCloud } from './support.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function edgeWithDevices() {
  const reg = await DeviceSimulatorRegistry.start(
    [
      { name: 'gate-1', kind: 'barrier-gate', node: 'gate-node-1' },
      { name: 'wb-1', kind: 'weighbridge', node: 'gate-node-1' },
    ],
    // frozen behaviours: only the test changes values
    { clock: systemClock, random: seededRandom(21), behaviour: { gate: { vehicleIntervalMs: 0 }, weighbridge: { vehicleIntervalMs: 0, tickMs: 3_600_000 } } },
  );
  cleanup.push(() => reg.stop());
  const cloud = new FakeDeviceCloud(systemClock);
  const edge = new EdgeDevices({ nodeName: 'gate-node-1', clock: systemClock, messages: new MessageFactory({ clock: systemClock }), store: new MemoryTwinStore(), send: cloud.send, requestTimeoutMs: 1_000 });
  cleanup.push(() => edge.stop());
  cloud.attach(edge);
  edge.start();
  cloud.setLink(true);
  for (const [name, kind] of [['gate-1', 'barrier-gate'], ['wb-1', 'weighbridge']] as const) {
    cloud.deliver(...deviceAddedMessages(cloud.opts, deviceFor({ name, kind, nodeName: 'gate-node-1', endpoint: reg.endpoint(name), collectCycleMs: 100, reportCycleMs: 200, stateReportCycleMs: 500 }), deviceModelFor(kind)));
  }
  await eventually(() => (cloud.status.reported('default/gate-1', 'vehicleCount') === '0' && cloud.status.reported('default/wb-1', 'weight') !== undefined ? true : undefined), {
    timeoutMs: 5_000,
    what: 'first reports in the cloud',
  });
  return { reg, cloud, edge, gate: reg.modbus('gate-1').behaviour as BarrierGateBehaviour, wb: reg.modbus('wb-1').behaviour as WeighbridgeBehaviour };
}

describe('devices during a partition of the node\'s uplink', () => {
  it('the mapper keeps polling and serving the devices, reports wait, and the cloud converges as soon as the link heals', async () => {
    const { reg, cloud, edge, gate, wb } = await edgeWithDevices();
    cloud.setLink(false);
    const polls = edge.mapper.stats.polls;
    const served = reg.stats().accesses;
    const heard = cloud.received.length;

    gate.setVehicleCount(4_242);
    wb.placeVehicle(30_000, 5);
    await sleep(1_200);

    // autonomy.keep-running: devices answered all along (≈ 1.2 s / 100 ms × 8 properties polls)
    expect(edge.mapper.stats.polls - polls).toBeGreaterThan(40);
    expect(reg.stats().accesses - served).toBeGreaterThan(40);
    expect(edge.mapper.status('default/gate-1')?.state).toBe('ok');
    expect(edge.mapper.status('default/wb-1')?.state).toBe('ok');
    // nothing crossed the cut link, and the cloud still has the old values
    expect(cloud.received.length).toBe(heard);
    expect(cloud.status.reported('default/gate-1', 'vehicleCount')).toBe('0');
    expect(edge.twin.pending).toBeGreaterThan(0);
    // the edge itself knows the new values (autonomy: the local twin follows the devices)
    expect(edge.twin.device('default/gate-1')?.twins.get('vehicleCount')?.actual?.value).toBe('4242');

    cloud.setLink(true);
    // twin.converge: the flush on reconnect carries the newest value of every property at once
    expect(cloud.status.reported('default/gate-1', 'vehicleCount')).toBe('4242');
    expect(cloud.status.reported('default/wb-1', 'weight')).toBe('30000.000000');
    expect(cloud.status.reported('default/wb-1', 'axles')).toBe('5');
    expect(edge.twin.pending).toBe(0);
    const detail = cloud.received.slice(heard).find((m) => m.route.resource === 'membership/detail');
    expect(detail?.route.operation).toBe('get');
    // and keeps following afterwards
    gate.passVehicle();
    await eventually(() => (cloud.status.reported('default/gate-1', 'vehicleCount') === '4243' ? true : undefined), { timeoutMs: 3_000, what: 'the next change after the heal' });
    // every report was confirmed; what stays unconfirmed is the membership/detail request of each connect,
    // which CloudCore v1.23.1 never answers (its upstream controller ignores membership/detail)
    await eventually(() => (edge.twin.unconfirmedMessages().every((m) => m.route.resource === 'membership/detail') ? true : undefined), { timeoutMs: 3_000, what: 'the reports to be confirmed' });
    expect(edge.twin.unconfirmed).toBe(2);
  });

  it('the convergence check fails for an edge whose mapper died in the partition', async () => {
    const { cloud, edge, gate } = await edgeWithDevices();
    cloud.setLink(false);
    edge.mapper.stop(); // a broken edge: devices no longer served
    gate.setVehicleCount(777);
    await sleep(500);
    cloud.setLink(true);
    await sleep(1_000);
    expect(cloud.status.reported('default/gate-1', 'vehicleCount')).not.toBe('777');
  });
});
