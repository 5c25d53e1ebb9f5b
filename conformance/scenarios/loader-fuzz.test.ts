/**
 * fast-check fuzzing of the scenario loader: arbitrary text, YAML-ish token soup, and mutations of valid
 * scenarios (structural: delete/replace/rename/add/duplicate at any path; textual: splice characters anywhere).
 * The loader must either return a scenario — whose schedule then builds and which the JSON schema accepts —
 * or throw EdgeproofError with category 'input' naming `file:line:col`. Never any other exception.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { EdgeproofError } from '../../sim/core/errors.ts';
import { buildSchedule } from '../../sim/faults/schedule.ts';
import { base, parse } from './support.ts';

const schema = JSON.parse(readFileSync('scenarios/schema.json', 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: false }).compile(schema);

const corpus = [base, ...['scenarios/quickstart.yaml', 'scenarios/ci/churn-small.yaml', 'scenarios/ci/vehicle-tunnel.yaml', 'scenarios/ci/delete-offline.yaml'].map((f) => readFileSync(f, 'utf8'))];
const docs = corpus.map((t) => parseYaml(t) as unknown);

/** null means "absent" to the loader; the schema describes the canonical form without them. */
function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, stripNulls(x)]));
  }
  return v;
}

/** EDGEPROOF_FUZZ_SCALE=20 runs every property 20 times as often (a longer hunt, not for every CI run). */
const scale = Math.max(1, Number(process.env['EDGEPROOF_FUZZ_SCALE'] ?? '1') || 1);
const runs = (n: number): { numRuns: number } => ({ numRuns: n * scale });

let accepted = 0;
let rejected = 0;

/** The property: a scenario, or an input error with a position — nothing else. */
function loadsOrRejectsCleanly(text: string): void {
  let scenario;
  try {
    scenario = parse(text, 'f.yaml');
  } catch (e) {
    if (!(e instanceof EdgeproofError)) throw new Error(`not an EdgeproofError: ${String(e)}\n--- input ---\n${text}`, { cause: e });
    expect(e.category, e.oneLine()).toBe('input');
    expect(e.exitCode).toBe(2);
    expect(e.where, e.oneLine()).toMatch(/^f\.yaml:\d+:\d+$/);
    expect(e.fix, e.oneLine()).toBeTruthy();
    rejected++;
    return;
  }
  accepted++;
  const schedule = buildSchedule(scenario);
  expect(schedule.entries.every((x) => x.at >= 0 && x.at <= scenario.durationMs)).toBe(true);
  // what the loader accepts, the editor schema must not flag
  const doc = stripNulls(parseYaml(text) as unknown);
  expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function parentOf(root: Json, path: readonly (string | number)[]): { parent: Json; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node: Json = root;
  for (const k of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, Json>)[k] as Json;
  }
  return { parent: node, key: path[path.length - 1] as string | number };
}

const interesting: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  '', ' ', '0s', '-1s', '1ms', '30s', '5m', '1h', '2h', '30', 30, 0, -1, 1, 2, 3, 1000, 1e9, 2 ** 32, 0.5, null, true, false, [], {}, [[]], [{}],
  'all', 'gate', 'vehicle', 'server', 'share=50%', 'share=0%', 'count=1', 'count=999', 'province=p01', 'station=p01-s001', 'station=p01-s009',
  'nodes=[p01-s001-g01]', 'gate | vehicle', 'p01', 'v', 'city', 'tunnel', '100%', '50%', '0%', '101%', '50MB', '0MB', '120Mi', 'edgecore',
  'jittered:1s:60s', 'lte', '3g', 'no-coverage', 'fiber', 'DaemonSet', 'Deployment', 'cloudcore', 'etcd', 'blackhole', 'power-off', 'amd64', ['arm64'],
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', '1m..3m', '3m..1m', '..', 'registry.local/x:1', { select: 'all' }, { cell: 'city', for: '1s' },
);
const valueArb: fc.Arbitrary<Json> = fc.oneof(interesting, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, fc.string({ maxLength: 12 }));
const keyArb = fc.oneof(
  fc.constantFrom('name', 'select', 'for', 'at', 'count', 'stations', 'share', 'legs', 'cell', 'partition', 'heal', 'kind', 'image', 'within', 'sync.converge', 'bogus', '__proto__', 'constructor', '<<', ''),
  fc.string({ maxLength: 8 }),
);

const mutation = fc.record({
  doc: fc.nat({ max: docs.length - 1 }),
  pick: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'rename', 'add', 'duplicate', 'wrap'),
  value: valueArb,
  key: keyArb,
});

function mutate(m: { doc: number; pick: number; op: string; value: Json; key: string }): string {
  const root = structuredClone(docs[m.doc]) as Json;
  const all = paths(root);
  const path = all[m.pick % all.length] ?? [];
  const at = parentOf(root, path);
  if (at === undefined) return stringifyYaml(m.op === 'replace' ? m.value : root);
  const parent = at.parent as Record<string | number, Json> | Json[];
  const current = (parent as Record<string | number, Json>)[at.key] as Json;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(at.key), 1);
      else delete (parent as Record<string, Json>)[at.key];
      break;
    case 'replace':
      (parent as Record<string | number, Json>)[at.key] = m.value;
      break;
    case 'rename':
      if (!Array.isArray(parent) && typeof parent === 'object') {
        delete (parent as Record<string, Json>)[at.key];
        (parent as Record<string, Json>)[m.key] = current;
      }
      break;
    case 'add':
      if (Array.isArray(current)) current.push(m.value);
      else if (typeof current === 'object' && current !== null) (current as Record<string, Json>)[m.key] = m.value;
      else (parent as Record<string | number, Json>)[at.key] = [current, m.value];
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.push(structuredClone(current));
      else if (Array.isArray(current)) current.push(...structuredClone(current));
      break;
    case 'wrap':
      (parent as Record<string | number, Json>)[at.key] = [current];
      break;
  }
  return stringifyYaml(root);
}

const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'duration: 5m', 'fleet:', '  provinces:', '    - { name: p01, stations: 2 }', '  gateHardware: arm-gate-4c-1g', 'links:', '  stationUplink: lte',
        'timeline:', '  - at: 1s', '    heal: { select: all }', 'guarantees:', '  sync.converge:', '- ', ': ', '[', ']', '{', '}', ',', '&a ', '*a', '!!binary ',
        '!!set', '!!omap', '%YAML 1.1', '%TAG ! tag:x:', '---', '...', '"', "'", '\t', '\n', '  ', '#', '|', '>', '? ', '<<: *a', 'seed: 0x10', 'seed: 1e3',
        '~', 'null', '2001-12-14', '.inf', '.nan', '\ufeff', '\r\n', 'a: b: c', 'key: [1, {2: 3}]',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

function splice(text: string, at: number, del: number, ins: string): string {
  const i = at % (text.length + 1);
  return text.slice(0, i) + ins + text.slice(i + del);
}

describe('loader fuzzing: a scenario or an input error, never anything else', () => {
  it('arbitrary text', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 })), loadsOrRejectsCleanly), runs(400));
  });

  it('YAML-ish token soup', () => {
    fc.assert(fc.property(yamlish, loadsOrRejectsCleanly), runs(600));
  });

  it('structural mutations of valid scenarios', () => {
    fc.assert(fc.property(mutation, (m) => loadsOrRejectsCleanly(mutate(m))), runs(800));
  });

  it('textual mutations of valid scenarios (characters spliced anywhere)', () => {
    const edits = fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 8 }), ins: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(':', '-', ' ', '\n', '"', '{', '[', '%', '0', 's', '  - ', 'x: 1\n')) }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.nat({ max: corpus.length - 1 }), edits, (d, es) => {
        let text = corpus[d] ?? base;
        for (const e of es) text = splice(text, e.at, e.del, e.ins);
        loadsOrRejectsCleanly(text);
      }),
      runs(800),
    );
  });

  it('the fuzzers reach both outcomes (they are not all trivially rejected)', () => {
    expect(accepted).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(500);
  });
});
