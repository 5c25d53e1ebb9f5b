import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadHardwareProfiles } from '../edge/profile.ts';
import { defaultHardwareProfileDir } from '../scenario/loader.ts';
import type { FleetSpec, LinksSpec, ProvinceSpec, Share, VehicleGroupSpec } from '../scenario/types.ts';
import { apportion, buildFleet, cellAt, fleetLabel, routeSegments, summarizeFleet, type TopologyInput, type VehicleRoute } from './topology.ts';

const hardwareProfiles = loadHardwareProfiles(defaultHardwareProfileDir());

const province = (name: string, stations: number, gates: number, extra: Partial<ProvinceSpec> = {}): ProvinceSpec => ({
  name,
  region: 'east',
  stations,
  gatesPerStation: gates,
  serversPerStation: 0,
  uplink: 'toll-uplink-3mbit-lossy',
  labels: {},
  where: 't.yaml:1:1',
  ...extra,
});

const vehicles = (count: number, extra: Partial<VehicleGroupSpec> = {}): VehicleGroupSpec => ({
  group: 'v',
  count,
  region: 'east',
  hardware: [{ name: 'vehicle-computer-arm-8c-8g', percent: 100 }],
  routes: [{ name: 'ring', percent: 100, loop: true, legs: [{ cell: 'city', forMs: 60_000 }, { cell: 'tunnel', forMs: 20_000 }, { cell: 'rural', forMs: 40_000 }], where: '' }],
  phase: 'spread',
  labels: {},
  where: 't.yaml:1:1',
  ...extra,
});

const links: LinksSpec = { stationUplink: 'toll-uplink-3mbit-lossy', cells: new Map([['city', 'lte'], ['tunnel', 'no-coverage'], ['rural', '3g']]) };
const mix: Share[] = [{ name: 'arm-gate-4c-1g', percent: 70 }, { name: 'x86-ipc-8c-16g', percent: 30 }];

function input(provinces: ProvinceSpec[], groups: VehicleGroupSpec[] = [], gateHardware = mix): TopologyInput {
  const fleet: FleetSpec = {
    provinces,
    gateHardware,
    serverHardware: [{ name: 'x86-ipc-8c-16g', percent: 100 }],
    vehicles: groups,
    edge: { heartbeatMs: 15_000, reconnect: { kind: 'edgecore', heartbeatMs: 15_000 }, nodeStatusPeriodMs: 10_000, slimStatus: true, deviceReports: 'report-cycle' },
  };
  return { fleet, links, hardwareProfiles };
}

describe('fleet topology', () => {
  it('names, labels and links of a small fleet', () => {
    const f = buildFleet(input([province('p01', 2, 3, { serversPerStation: 1 })], [vehicles(2)]), 1);
    expect(f.nodes.map((n) => n.name)).toEqual(['p01-s001-g01', 'p01-s001-g02', 'p01-s001-g03', 'p01-s001-srv1', 'p01-s002-g01', 'p01-s002-g02', 'p01-s002-g03', 'p01-s002-srv1', 'v-0001', 'v-0002']);
    expect(f.links.map((l) => l.id)).toEqual(['cellular-v-0001', 'cellular-v-0002', 'uplink-p01-s001', 'uplink-p01-s002']);
    expect(f.linkById.get('uplink-p01-s001')).toMatchObject({ kind: 'station-uplink', profile: 'toll-uplink-3mbit-lossy', nodes: ['p01-s001-g01', 'p01-s001-g02', 'p01-s001-g03', 'p01-s001-srv1'], station: 'p01-s001' });
    const gate = f.nodeByName.get('p01-s002-g03');
    expect(gate).toMatchObject({ role: 'gate', province: 'p01', station: 'p01-s002', region: 'east', link: 'uplink-p01-s002' });
    expect(gate?.labels).toMatchObject({
      [fleetLabel.role]: 'gate',
      [fleetLabel.province]: 'p01',
      [fleetLabel.station]: 'p01-s002',
      [fleetLabel.gate]: 'g03',
      [fleetLabel.region]: 'east',
      [fleetLabel.topologyZone]: 'p01',
      [fleetLabel.topologyRegion]: 'east',
      [fleetLabel.hostname]: 'p01-s002-g03',
      [fleetLabel.link]: 'uplink-p01-s002',
      [fleetLabel.arch]: gate?.arch,
      [fleetLabel.hardware]: gate?.hardware,
    });
    expect(f.nodeByName.get('p01-s001-srv1')).toMatchObject({ role: 'server', hardware: 'x86-ipc-8c-16g', arch: 'amd64' });
    const car = f.nodeByName.get('v-0002');
    expect(car).toMatchObject({ role: 'vehicle', group: 'v', link: 'cellular-v-0002', hardware: 'vehicle-computer-arm-8c-8g', arch: 'arm64', province: undefined });
    expect(car?.labels['edgeproof.io/class']).toBe('vehicle'); // the hardware profile's own labels come along
    expect(f.stations.map((s) => [s.name, s.gates.length, s.servers.length])).toEqual([
      ['p01-s001', 3, 1],
      ['p01-s002', 3, 1],
    ]);
  });

  it('a vehicle link starts with the profile of the cell its route puts it in at t = 0', () => {
    const f = buildFleet(input([], [vehicles(50)]), 9);
    for (const v of f.vehicles) expect(f.linkById.get(v.link)?.profile).toBe(cellAt(v.route, 0).profile);
  });

  it('hardware mixes are exact and seeded: counts fixed, order shuffled by the seed', () => {
    const a = buildFleet(input([province('p01', 10, 10)]), 1);
    const b = buildFleet(input([province('p01', 10, 10)]), 2);
    expect(summarizeFleet(a).byHardware).toEqual({ 'arm-gate-4c-1g': 70, 'x86-ipc-8c-16g': 30 });
    expect(summarizeFleet(b).byHardware).toEqual({ 'arm-gate-4c-1g': 70, 'x86-ipc-8c-16g': 30 });
    expect(a.nodes.map((n) => n.hardware)).not.toEqual(b.nodes.map((n) => n.hardware));
  });

  it('apportion: counts add up and each is within one of its exact share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 6 }), (total, weights) => {
        const sum = weights.reduce((x, y) => x + y, 0);
        const shares = weights.map((w, i) => ({ name: `h${i}`, percent: (100 * w) / sum }));
        const counts = apportion(total, shares);
        expect(counts.reduce((x, y) => x + y, 0)).toBe(total);
        counts.forEach((c, i) => expect(Math.abs(c - (total * (shares[i]?.percent ?? 0)) / 100)).toBeLessThan(1 + 1e-9));
      }),
    );
  });

  it('is a pure function of input and seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 30 }), (seed, stations, cars) => {
        const i = input([province('p01', stations, 4), province('p02', 2, 2, { region: 'west' })], cars > 0 ? [vehicles(cars)] : []);
        expect(buildFleet(i, seed)).toEqual(buildFleet(i, seed));
      }),
      { numRuns: 50 },
    );
  });

  it('routes: segments tile time, cellAt agrees with them, a loop repeats with its period', () => {
    const route = (phaseMs: number, loop: boolean): VehicleRoute => ({
      name: 'r',
      loop,
      periodMs: 120_000,
      phaseMs,
      legs: [
        { cell: 'city', profile: 'lte', startMs: 0, forMs: 60_000 },
        { cell: 'tunnel', profile: 'no-coverage', startMs: 60_000, forMs: 20_000 },
        { cell: 'city', profile: 'lte', startMs: 80_000, forMs: 40_000 },
      ],
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 119 }), fc.boolean(), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), (phaseS, loop, from, span) => {
        const r = route(phaseS * 1000, loop);
        const segs = routeSegments(r, from, from + span);
        expect(segs[0]?.fromMs).toBe(from);
        for (let i = 1; i < segs.length; i++) {
          expect(segs[i]?.fromMs).toBe(segs[i - 1]?.toMs);
          expect(segs[i]?.cell).not.toBe(segs[i - 1]?.cell); // same-cell legs merged
        }
        expect(segs[segs.length - 1]?.toMs).toBeGreaterThanOrEqual(from + span);
        for (const s of segs) {
          expect(cellAt(r, s.fromMs).cell).toBe(s.cell);
          if (Number.isFinite(s.toMs)) expect(cellAt(r, s.toMs - 1).cell).toBe(s.cell);
        }
        if (loop) expect(cellAt(r, from)).toMatchObject({ cell: cellAt(r, from + r.periodMs).cell });
        else expect(cellAt(r, 10_000_000)).toMatchObject({ cell: 'city', untilMs: Infinity });
      }),
    );
  });

  it('aligned vehicles move together, spread ones start at seeded whole-second phases', () => {
    const aligned = buildFleet(input([], [vehicles(20, { phase: 'aligned' })]), 3);
    expect(new Set(aligned.vehicles.map((v) => v.route.phaseMs))).toEqual(new Set([0]));
    const spread = buildFleet(input([], [vehicles(200)]), 3);
    const phases = spread.vehicles.map((v) => v.route.phaseMs);
    expect(phases.every((p) => p % 1000 === 0 && p >= 0 && p < 120_000)).toBe(true);
    expect(new Set(phases).size).toBeGreaterThan(50);
  });

  it('10,000 nodes are built fast (no per-node YAML): printed, and far under a second', () => {
    const i = input(
      Array.from({ length: 9 }, (_, k) => province(`p${String(k + 1).padStart(2, '0')}`, 100, 10)),
      [vehicles(1000)],
    );
    buildFleet(i, 1); // warm up
    const t0 = performance.now();
    const f = buildFleet(i, 2);
    const ms = performance.now() - t0;
    expect(f.nodes.length).toBe(10_000);
    expect(f.links.length).toBe(1900);
    process.stdout.write(`buildFleet: 10,000 nodes in ${ms.toFixed(0)} ms\n`);
    expect(ms).toBeLessThan(3000); // generous: catches accidental quadratic work, not a benchmark
  });
});
