import { describe, expect, it } from 'vitest';
import { deviceLoad, simulatorKind, type DevicePlacement } from './devices.ts';

describe('simulatorKind', () => {
  it("maps the scenario's kinds onto the simulators' (alarm is the MQTT alarm)", () => {
    expect(simulatorKind('alarm')).toBe('mqtt-alarm');
    expect(simulatorKind('barrier-gate')).toBe('barrier-gate');
    expect(simulatorKind('camera')).toBe('camera');
  });
});

describe('deviceLoad: what the cycles ask of the mappers and of CloudCore', () => {
  const at = (name: string, kind: DevicePlacement['kind'], collectCycleMs: number, reportCycleMs: number): DevicePlacement => ({
    name,
    node: 'n1',
    kind,
    protocol: kind === 'camera' || kind === 'alarm' ? 'mqtt' : 'modbus',
    collectCycleMs,
    reportCycleMs,
    group: 0,
  });
  // a barrier gate polls 4 registers; a camera publishes on events and is not polled
  const placements = [at('g1', 'barrier-gate', 1_000, 5_000), at('g2', 'barrier-gate', 500, 2_000), at('c1', 'camera', 500, 10_000)];

  it('reads every polled property once per collect cycle; reports per report cycle', () => {
    expect(deviceLoad(placements, 'report-cycle')).toEqual({ readsPerSecond: 4 + 8, reportsPerSecond: 0.8 + 2 });
  });

  it('reports every reading with mapper-framework cadence', () => {
    expect(deviceLoad(placements, 'collect-cycle')).toEqual({ readsPerSecond: 12, reportsPerSecond: 12 });
  });
});
