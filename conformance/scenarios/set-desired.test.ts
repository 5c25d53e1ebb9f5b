/**
 * The `set-desired` timeline action: what an operator's `kubectl patch device` does, scheduled. It expands to
 * the Devices of one kind on the selected nodes; mistakes (a kind not placed, a read-only or unknown property,
 * a value of the wrong type, nodes without such devices) are bad input naming the place and the fix.
 */
import { describe, expect, it } from 'vitest';
import { buildSchedule } from '../../sim/faults/schedule.ts';
import { devicePlacements } from '../../sim/scenario/devices.ts';
import { buildFleet } from '../../sim/fleet/topology.ts';
import { base, failure, insertAfter, parse } from './support.ts';

/** `base` with devices on gates (two barrier gates on each p01 gate, a weighbridge on p02) and one set-desired entry. */
const withDevices = (action: string): string =>
  insertAfter(
    32,
    `  - at: 2m\n    set-desired: ${action}`,
    insertAfter(24, 'devices:\n  - { kind: barrier-gate, count: 2, select: "province=p01" }\n  - { kind: weighbridge, select: "province=p02" }', base),
  );

describe('set-desired in a scenario', () => {
  it('expands to every Device of that kind on the selected nodes, with the property and value', () => {
    const s = parse(withDevices('{ select: "station=p01-s001", device: barrier-gate, property: open, value: "true" }'));
    const fleet = buildFleet(s, s.seed);
    const schedule = buildSchedule(s, s.seed, fleet);
    const entry = schedule.entries.find((e) => e.action === 'set-desired');
    expect(entry).toBeDefined();
    const expected = devicePlacements(s, fleet).filter((d) => d.kind === 'barrier-gate' && d.node.startsWith('p01-s001-')).map((d) => d.name);
    expect(expected).toHaveLength(6); // 3 gates × 2 barrier gates
    expect(entry?.targets).toEqual(expected);
    expect(entry?.at).toBe(120_000);
    expect(entry?.action === 'set-desired' ? entry.params : undefined).toEqual({ property: 'open', value: 'true' });
  });

  it('takes a YAML boolean as its text form', () => {
    const s = parse(withDevices('{ select: "station=p01-s001", device: barrier-gate, property: open, value: false }'));
    const a = s.timeline.find((e) => e.action.kind === 'set-desired')?.action;
    expect(a?.kind === 'set-desired' ? a.value : undefined).toBe('false');
  });

  const cases: { name: string; action: string; says: string[]; fix?: string }[] = [
    { name: 'a kind the devices section does not place', action: '{ select: all, device: smoke-alarm, property: silence, value: "true" }', says: ['set-desired.device', 'smoke-alarm'], fix: 'barrier-gate, weighbridge' },
    { name: 'a read-only property', action: '{ select: all, device: barrier-gate, property: state, value: "2" }', says: ['set-desired.property', 'writable property of barrier-gate', '"state"'], fix: 'open' },
    { name: 'a kind without writable properties', action: '{ select: all, device: weighbridge, property: weight, value: "1" }', says: ['set-desired.property', 'weighbridge'] },
    { name: 'a value of the wrong type', action: '{ select: all, device: barrier-gate, property: open, value: "yes" }', says: ['set-desired.value', 'is a boolean', '"yes"'], fix: '"true"' },
    { name: 'a missing value', action: '{ select: all, device: barrier-gate, property: open }', says: ['"value"'] },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} at its place in the file`, () => {
      const e = failure(withDevices(c.action));
      expect(e.code).toBe('E_BAD_SCENARIO');
      expect(e.where).toMatch(/^s\.yaml:3\d:\d+$/);
      for (const s of c.says) expect(e.message).toContain(s);
      if (c.fix !== undefined) expect(e.fix).toContain(c.fix);
    });
  }

  it('rejects, when the schedule is built, nodes that carry no device of that kind', () => {
    const s = parse(withDevices('{ select: "province=p02", device: barrier-gate, property: open, value: "true" }'));
    expect(() => buildSchedule(s)).toThrow(/no barrier-gate device on the 4 selected node\(s\)/);
  });
});
