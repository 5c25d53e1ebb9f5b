/**
 * The shipped scenarios and the editor schema: every file loads, starts with the schema reference, validates
 * against scenarios/schema.json, has the size and length its README row promises; the schema and the loader
 * agree on every key, action, guarantee and bound (so the editor never flags a valid file and knows every
 * field the loader does).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildSchedule, summarizeSchedule } from '../../sim/faults/schedule.ts';
import { buildFleet, summarizeFleet } from '../../sim/fleet/topology.ts';
import { guaranteeIds, guaranteeSpecs } from '../../sim/scenario/guarantees.ts';
import { componentTargets, deviceProtocols, schemaComment, timelineActionKeys, topLevelKeys } from '../../sim/scenario/loader.ts';
import { parse, profiles } from './support.ts';

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; enum?: unknown[]; $ref?: string; definitions?: Record<string, SchemaNode>; oneOf?: SchemaNode[] };
const schema = JSON.parse(readFileSync('scenarios/schema.json', 'utf8')) as SchemaNode;
const validate = new Ajv({ allErrors: true }).compile(schema as Record<string, unknown>);
const def = (ref: string | undefined): SchemaNode => schema.definitions?.[(ref ?? '').replace('#/definitions/', '')] ?? {};
const keys = (n: SchemaNode | undefined): string[] => Object.keys(n?.properties ?? {}).sort();

const files = [...readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => join('scenarios', f)), ...readdirSync('scenarios/ci').filter((f) => f.endsWith('.yaml')).map((f) => join('scenarios/ci', f))];

describe('shipped scenarios', () => {
  it('are all there', () => {
    for (const f of ['scenarios/quickstart.yaml', 'scenarios/toll-province.yaml', 'scenarios/vehicles-rush-hour.yaml', 'scenarios/partition-storm.yaml']) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('scenarios/ci/')).length).toBeGreaterThanOrEqual(4);
  });

  for (const file of files) {
    it(`${file}: loads, starts with the schema reference, validates against the schema, builds a schedule`, () => {
      const text = readFileSync(file, 'utf8');
      const first = text.split('\n')[0];
      expect(first).toBe(file.startsWith('scenarios/ci/') ? schemaComment.replace('./schema.json', '../schema.json') : schemaComment);
      expect(validate(parseYaml(text)), JSON.stringify(validate.errors)).toBe(true);
      const scenario = parse(text, file);
      const fleet = buildFleet(scenario, scenario.seed);
      const schedule = buildSchedule(scenario, scenario.seed, fleet);
      expect(schedule.entries.length).toBeGreaterThan(0);
      expect(Object.keys(scenario.guarantees).length).toBeGreaterThan(0);
      process.stdout.write(`${file}: ${summarizeFleet(fleet).nodes} nodes, ${scenario.durationMs / 1000}s, ${schedule.entries.length} actions ${JSON.stringify(summarizeSchedule(schedule))}\n`);
    });
  }

  it('sizes and lengths as promised', () => {
    const load = (f: string): ReturnType<typeof parse> => parse(readFileSync(f, 'utf8'), f);
    const nodes = (f: string): number => {
      const s = load(f);
      return buildFleet(s, s.seed).nodes.length;
    };
    expect(load('scenarios/quickstart.yaml').durationMs).toBeLessThanOrEqual(150_000); // under 3 minutes with start-up
    expect(nodes('scenarios/quickstart.yaml')).toBeLessThanOrEqual(50);
    expect(nodes('scenarios/toll-province.yaml')).toBe(3000);
    expect(nodes('scenarios/partition-storm.yaml')).toBe(10_000);
    expect(nodes('scenarios/vehicles-rush-hour.yaml')).toBeGreaterThanOrEqual(2000);
    for (const f of files.filter((x) => x.startsWith('scenarios/ci/'))) {
      expect(load(f).durationMs, f).toBeLessThanOrEqual(100_000);
      expect(nodes(f), f).toBeLessThanOrEqual(12);
    }
    const storm = load('scenarios/partition-storm.yaml');
    const s = buildSchedule(storm);
    const first = s.entries.find((e) => e.action === 'partition');
    const fleet = buildFleet(storm, storm.seed);
    const cut = new Set((first?.targets ?? []).flatMap((l) => fleet.linkById.get(l)?.nodes ?? []));
    expect(cut.size / fleet.nodes.length).toBeGreaterThan(0.4); // half the fleet drops
    expect(cut.size / fleet.nodes.length).toBeLessThan(0.6);
    const rush = buildSchedule(load('scenarios/vehicles-rush-hour.yaml'));
    expect(rush.entries.some((e) => e.action === 'rollout')).toBe(true);
    expect(rush.entries.filter((e) => e.action === 'node-offline').flatMap((e) => e.targets).length).toBeGreaterThan(1000);
  });
});

describe('the schema and the loader agree', () => {
  it('top-level keys', () => expect(keys(schema)).toEqual([...topLevelKeys].sort()));

  it('timeline actions, each as one of the entry alternatives', () => {
    const entry = schema.properties?.['timeline']?.items;
    expect(keys(entry)).toEqual(['at', 'id', 'repeat', ...timelineActionKeys].sort());
    expect(entry?.oneOf?.length).toBe(timelineActionKeys.length);
  });

  it('guarantee ids and their bounds', () => {
    const g = schema.properties?.['guarantees'];
    expect(keys(g)).toEqual([...guaranteeIds].sort());
    for (const id of guaranteeIds) expect(keys(g?.properties?.[id]), id).toEqual(Object.keys(guaranteeSpecs[id].bounds).sort());
  });

  it('components and device kinds', () => {
    expect(def('#/definitions/component').enum).toEqual([...componentTargets]);
    const device = schema.properties?.['devices']?.items;
    expect(device?.properties?.['kind']?.enum).toEqual(Object.keys(deviceProtocols));
  });

  it('the schema compiles strictly and rejects what is structurally wrong', () => {
    expect(validate({ duration: '5m', fleet: {}, bogus: 1 })).toBe(false);
    expect(validate({ duration: 5, fleet: {} })).toBe(false);
    expect(validate({ duration: '-5s', fleet: {} })).toBe(false);
    expect(validate({ duration: '0s', fleet: {} })).toBe(false);
    expect(validate({ duration: '5m', fleet: {}, timeline: [{ at: '1s', heal: { select: 'all' }, mark: { label: 'x' } }] })).toBe(false);
    expect(validate({ duration: '5m', fleet: {}, guarantees: { 'sync.convergence': {} } })).toBe(false);
    expect(validate({ duration: '5m', fleet: {}, guarantees: { 'sync.monotonic': null, 'sync.converge': { within: '60s' } } })).toBe(true);
  });

  it('profile names in the fixtures are what the shipped scenarios use', () => {
    const { linkProfiles, hardwareProfiles } = profiles();
    for (const n of ['toll-uplink-3mbit-lossy', 'lte', '3g', 'no-coverage']) expect(linkProfiles.has(n), n).toBe(true);
    for (const n of ['arm-gate-4c-1g', 'x86-ipc-8c-16g', 'vehicle-computer-arm-8c-8g']) expect(hardwareProfiles.has(n), n).toBe(true);
  });
});
