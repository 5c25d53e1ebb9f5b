import { describe, expect, it } from 'vitest';
import { simulatorKind } from './devices.ts';

describe('simulatorKind', () => {
  it("maps the scenario's kinds onto the simulators' (alarm is the MQTT alarm)", () => {
    expect(simulatorKind('alarm')).toBe('mqtt-alarm');
    expect(simulatorKind('barrier-gate')).toBe('barrier-gate');
    expect(simulatorKind('camera')).toBe('camera');
  });
});
