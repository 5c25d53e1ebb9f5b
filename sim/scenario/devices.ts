/**
 * Where the scenario's devices are: per node, per kind, with names. Consumed by the device simulators
 * (sim/devices); here only placement and naming, as a pure function of the scenario and the fleet.
 */
import { seededRandom } from '../core/random.ts';
import { deviceKinds, isModbusKind, type DeviceKind as SimulatorKind } from '../devices/kinds.ts';
import type { Fleet } from '../fleet/topology.ts';
import { select } from './selector.ts';
import type { DeviceGroupSpec, DeviceKind, DeviceProtocol, Scenario } from './types.ts';

/** The simulator kind behind a scenario kind: the scenario's `alarm` is the MQTT alarm, the others keep their name. */
export function simulatorKind(kind: DeviceKind): SimulatorKind {
  return kind === 'alarm' ? 'mqtt-alarm' : kind;
}

export interface DevicePlacement {
  /** `<node>-<kind>-<n>`: unique, a valid Kubernetes object name. */
  readonly name: string;
  readonly node: string;
  readonly kind: DeviceKind;
  readonly protocol: DeviceProtocol;
  readonly collectCycleMs: number;
  readonly reportCycleMs: number;
  /** Index of the `devices:` entry it comes from. */
  readonly group: number;
}

/** Every device of the scenario, sorted by name. Several entries of one kind on a node number on. */
export function devicePlacements(scenario: Pick<Scenario, 'devices'>, fleet: Fleet): DevicePlacement[] {
  const root = seededRandom(fleet.seed).fork('devices');
  const counters = new Map<string, number>();
  const out: DevicePlacement[] = [];
  scenario.devices.forEach((g: DeviceGroupSpec, group) => {
    for (const node of select(g.selector, fleet, 'node', root.fork(`${group}`))) {
      for (let k = 0; k < g.count; k++) {
        const key = `${node}\u0000${g.kind}`;
        const n = (counters.get(key) ?? 0) + 1;
        counters.set(key, n);
        out.push({ name: `${node}-${g.kind}-${n}`, node, kind: g.kind, protocol: g.protocol, collectCycleMs: g.collectCycleMs, reportCycleMs: g.reportCycleMs, group });
      }
    }
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The steady load a scenario's Modbus devices put on the edges' mappers and, through them, on the cloud. */
export interface DeviceLoad {
  /** Register reads per second (every polled property once per collect cycle). */
  readonly readsPerSecond: number;
  /** Twin reports per second towards CloudCore (per report cycle, or per reading with `collect-cycle`). */
  readonly reportsPerSecond: number;
}

/** Nominal: what the cycles ask for, before anything saturates. MQTT devices publish on events and are not counted. */
export function deviceLoad(placements: readonly DevicePlacement[], reportOn: 'report-cycle' | 'collect-cycle'): DeviceLoad {
  let reads = 0;
  let reports = 0;
  for (const p of placements) {
    const kind = simulatorKind(p.kind);
    if (!isModbusKind(kind)) continue;
    const polled = deviceKinds[kind].properties.filter((prop) => prop.visitor !== undefined).length;
    reads += polled / (p.collectCycleMs / 1000);
    reports += polled / ((reportOn === 'collect-cycle' ? p.collectCycleMs : p.reportCycleMs) / 1000);
  }
  return { readsPerSecond: reads, reportsPerSecond: reports };
}
