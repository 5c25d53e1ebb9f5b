import { describe, expect, it } from 'vitest';
import { parse } from '../../conformance/scenarios/support.ts';
import { buildFleet } from '../fleet/topology.ts';
import { defaultBounds } from '../evidence/bounds.ts';
import { devicePlacements } from './devices.ts';

const text = `# yaml-language-server: $schema=./schema.json
duration: 10m
cloud:
  backend: kubeconfig:/tmp/kc
  cloudcore: { nodeLimit: 500, keepaliveInterval: 1m, nodeUpdateFrequency: 20s, writeTimeout: 30s, tokenRefresh: 24h, deviceStatusWorkers: 4 }
  controlPlane: { nodeMonitorGracePeriod: 40s, defaultUnreachableToleration: 5m }
fleet:
  gatesPerStation: 2
  serversPerStation: 1
  provinces:
    - { count: 2, region: east, stations: 2 }
    - { count: 1, region: west, stations: 1, gatesPerStation: 3, uplink: fiber, labels: { example.com/tier: gold } }
    - { name: hq, stations: 1, serversPerStation: 0 }
  gateHardware: arm-gate-4c-1g
  serverHardware: x86-ipc-8c-16g
  edge: { heartbeat: 10s, reconnect: edgecore, slimStatus: false, deviceReports: collect-cycle }
links:
  stationUplink: toll-uplink-3mbit-lossy
devices:
  - { kind: barrier-gate }
  - { kind: camera, count: 2, collectCycle: 500ms, reportCycle: 10s, select: "gate=g01" }
  - { kind: flood-alarm, select: "server" }
guarantees:
  sync.monotonic:
  storm.recover: {}
  status.fresh: { slack: 45s }
`;

describe('scenario loader: what a valid file becomes', () => {
  const s = parse(text, 'dir/my-scenario.yaml');

  it('names, seed and units', () => {
    expect(s.name).toBe('my-scenario'); // from the file name
    expect(s.seed).toBe(1);
    expect(s.durationMs).toBe(600_000);
    expect(s.text).toBe(text);
  });

  it('cloud settings in the units the components take', () => {
    expect(s.cloud).toEqual({
      backend: 'kubeconfig:/tmp/kc',
      cloudcore: { nodeLimit: 500, keepaliveIntervalSeconds: 60, nodeUpdateFrequencySeconds: 20, writeTimeoutSeconds: 30, tokenRefreshHours: 24, deviceStatusWorkers: 4 },
      controlPlane: { nodeMonitorGracePeriodSeconds: 40, defaultUnreachableTolerationSeconds: 300 },
    });
  });

  it('provinces: generated names, defaults and overrides; edge settings', () => {
    expect(s.fleet.provinces.map((p) => [p.name, p.region, p.stations, p.gatesPerStation, p.serversPerStation, p.uplink])).toEqual([
      ['p01', 'east', 2, 2, 1, 'toll-uplink-3mbit-lossy'],
      ['p02', 'east', 2, 2, 1, 'toll-uplink-3mbit-lossy'],
      ['p03', 'west', 1, 3, 1, 'fiber'],
      ['hq', 'default', 1, 2, 0, 'toll-uplink-3mbit-lossy'],
    ]);
    expect(s.fleet.edge).toEqual({ heartbeatMs: 10_000, reconnect: { kind: 'edgecore', heartbeatMs: 10_000 }, nodeStatusPeriodMs: 10_000, slimStatus: false, deviceReports: 'collect-cycle' });
    const fleet = buildFleet(s, s.seed);
    expect(fleet.nodeByName.get('p03-s001-g03')?.labels['example.com/tier']).toBe('gold');
    expect(fleet.linkById.get('uplink-p03-s001')?.profile).toBe('fiber');
  });

  it('guarantees with their defaults filled in (null counts as {})', () => {
    expect(s.guarantees).toEqual({ 'sync.monotonic': {}, 'storm.recover': { withinMs: 120_000, cloudMemoryBytes: 4 * 2 ** 30 }, 'status.fresh': { slackMs: 45_000 } });
  });

  it('defaults: bounds agree with the checkers’ own (sim/evidence/bounds.ts), edge settings', () => {
    const all = parse(`duration: 1m
fleet: { provinces: [{ name: p01, stations: 1, gatesPerStation: 1 }], gateHardware: arm-gate-4c-1g }
links: { stationUplink: lan }
guarantees: { sync.converge: , sync.no-lost-delete: , autonomy.keep-running: , autonomy.restart-offline: , autonomy.no-eviction: , twin.converge: , status.fresh: , storm.recover: , app.hot-update: }
`);
    // and the edge's: mappers report on the report cycle unless asked to report every reading
    expect(all.fleet.edge).toEqual({ heartbeatMs: 15_000, reconnect: { kind: 'edgecore', heartbeatMs: 15_000 }, nodeStatusPeriodMs: 10_000, slimStatus: true, deviceReports: 'report-cycle' });
    expect(all.guarantees['sync.converge']?.lagMs).toBe(defaultBounds.sync.lagMs);
    expect(all.guarantees['sync.no-lost-delete']?.lagMs).toBe(defaultBounds.sync.lagMs);
    expect(all.guarantees['twin.converge']?.lagMs).toBe(defaultBounds.twin.lagMs);
    expect(all.guarantees['autonomy.keep-running']?.deviceAnswerMs).toBe(defaultBounds.autonomy.deviceAnswerMs);
    expect(all.guarantees['autonomy.no-eviction']?.toleranceMs).toBe(defaultBounds.autonomy.evictionToleranceMs);
    expect(all.guarantees['autonomy.restart-offline']?.withinMs).toBe(defaultBounds.autonomy.restoreMs);
    expect(all.guarantees['storm.recover']?.withinMs).toBe(defaultBounds.storm.recoverMs);
  });

  it('devices: typed groups and their placement on the fleet', () => {
    expect(s.devices.map((d) => [d.kind, d.protocol, d.count, d.collectCycleMs, d.reportCycleMs, d.selector.text])).toEqual([
      ['barrier-gate', 'modbus', 1, 1000, 1000, 'gate'],
      ['camera', 'mqtt', 2, 500, 10_000, 'gate=g01'],
      ['flood-alarm', 'modbus', 1, 1000, 1000, 'server'],
    ]);
    const placed = devicePlacements(s, buildFleet(s, s.seed));
    const gates = 2 * 2 * 2 + 3 + 2;
    const firstGates = 4 + 1 + 1;
    expect(placed.filter((d) => d.kind === 'barrier-gate')).toHaveLength(gates);
    expect(placed.filter((d) => d.kind === 'camera')).toHaveLength(2 * firstGates);
    expect(placed.filter((d) => d.kind === 'flood-alarm')).toHaveLength(5);
    expect(placed.find((d) => d.name === 'p01-s001-g01-camera-2')).toMatchObject({ node: 'p01-s001-g01', protocol: 'mqtt' });
    expect(new Set(placed.map((d) => d.name)).size).toBe(placed.length);
  });
});
