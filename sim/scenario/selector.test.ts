import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.ts';
import { buildFleet, type Fleet, type FleetNode } from '../fleet/topology.ts';
import { parse } from '../../conformance/scenarios/support.ts';
import { checkSelector, parseSelector, placementProblem, select, SelectorError, toPlacement, type Placement, type Selector } from './selector.ts';

const scenario = parse(`duration: 5m
fleet:
  provinces:
    - { name: p01, region: east, stations: 4, gatesPerStation: 3, serversPerStation: 1 }
    - { name: p02, region: west, stations: 2, gatesPerStation: 2 }
  gateHardware: { arm-gate-4c-1g: 50%, x86-ipc-8c-16g: 50% }
  serverHardware: x86-ipc-8c-16g
  vehicles:
    - { group: car, count: 6, hardware: vehicle-computer-arm-8c-8g, routes: [{ name: ring, legs: [{ cell: city, for: 1m }] }] }
    - { group: bus, count: 3, region: west, hardware: vehicle-computer-arm-8c-8g, routes: [{ name: line, legs: [{ cell: city, for: 1m }] }] }
links:
  stationUplink: toll-uplink-3mbit-lossy
  cells: { city: lte }
`);
const fleet: Fleet = buildFleet(scenario, 1);

const sel = (text: string): Selector => parseSelector(text, 'x.yaml:1:1');
const nodes = (text: string, seed = 1): string[] => select(sel(text), fleet, 'node', seededRandom(seed));
const links = (text: string, seed = 1): string[] => select(sel(text), fleet, 'link', seededRandom(seed));
const err = (text: string): SelectorError => {
  try {
    parseSelector(text);
  } catch (e) {
    if (e instanceof SelectorError) return e;
    throw e;
  }
  throw new Error(`accepted: ${text}`);
};

describe('selector language', () => {
  it('picks by role, province, station, gate, group, lists, wildcards, negation', () => {
    expect(nodes('vehicle')).toEqual(['bus-0001', 'bus-0002', 'bus-0003', 'car-0001', 'car-0002', 'car-0003', 'car-0004', 'car-0005', 'car-0006']);
    expect(nodes('station=p01-s003')).toEqual(['p01-s003-g01', 'p01-s003-g02', 'p01-s003-g03', 'p01-s003-srv1']);
    expect(nodes('station=p01-s003 gate')).toEqual(['p01-s003-g01', 'p01-s003-g02', 'p01-s003-g03']);
    expect(nodes('province=p02 gate=g01')).toEqual(['p02-s001-g01', 'p02-s002-g01']);
    expect(nodes('nodes=[p01-s001-g01, p02-s002-g02]')).toEqual(['p01-s001-g01', 'p02-s002-g02']);
    expect(nodes('node=p01-s001-g01,p01-s001-g02')).toEqual(['p01-s001-g01', 'p01-s001-g02']);
    expect(nodes('station=p01-s00* gate=g03')).toEqual(['p01-s001-g03', 'p01-s002-g03', 'p01-s003-g03', 'p01-s004-g03']);
    expect(nodes('region=west role!=vehicle')).toEqual(['p02-s001-g01', 'p02-s001-g02', 'p02-s002-g01', 'p02-s002-g02']);
    expect(nodes('group=bus | station=p02-s001')).toEqual(['bus-0001', 'bus-0002', 'bus-0003', 'p02-s001-g01', 'p02-s001-g02']);
    expect(nodes('server')).toEqual(['p01-s001-srv1', 'p01-s002-srv1', 'p01-s003-srv1', 'p01-s004-srv1']);
    expect(nodes('label:edgeproof.io/class=vehicle')).toHaveLength(9);
    expect(nodes('all')).toHaveLength(fleet.nodes.length);
    expect(nodes('arch=amd64').every((n) => fleet.nodeByName.get(n)?.arch === 'amd64')).toBe(true);
  });

  it('link actions select links: a station uplink takes all of its nodes', () => {
    expect(links('nodes=[p01-s001-g01]')).toEqual(['uplink-p01-s001']);
    expect(links('gate=g02 province=p02')).toEqual(['uplink-p02-s001', 'uplink-p02-s002']);
    expect(links('group=bus')).toEqual(['cellular-bus-0001', 'cellular-bus-0002', 'cellular-bus-0003']);
    expect(links('all')).toHaveLength(fleet.links.length);
    expect(links('gate share=50%')).toHaveLength(3); // of the 6 station uplinks, not of the 16 gates
  });

  it('share and count: seeded, sized max(1, round(n·share)), sorted, subsets of the candidates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 100 }), (seed, pct) => {
        const picked = nodes(`gate share=${pct}%`, seed);
        const all = nodes('gate');
        expect(picked).toHaveLength(Math.max(1, Math.round((all.length * pct) / 100)));
        expect(picked).toEqual([...picked].sort());
        expect(picked.every((n) => all.includes(n))).toBe(true);
        expect(nodes(`gate share=${pct}%`, seed)).toEqual(picked);
      }),
    );
    expect(nodes('vehicle count=4')).toHaveLength(4);
    const seen = new Set(Array.from({ length: 30 }, (_, s) => nodes('gate share=25%', s).join()));
    expect(seen.size).toBeGreaterThan(20);
  });

  it('syntax errors carry the offending character offset', () => {
    expect(err('province==p01').pos).toBe(9);
    expect(err('province=p01,').message).toContain('value is missing');
    expect(err('nodes=[a,b').message).toContain('closing "]"');
    expect(err('gate share=0%').pos).toBe(11);
    expect(err('gate share=50% count=3').message).toContain('only one share= or count=');
    expect(err('all province=p01').message).toContain('`all` cannot be combined');
    expect(err('provence=p01').message).toContain('did you mean "province"?');
    expect(err('gates |').message).toContain('empty alternative');
    expect(err('').message).toContain('empty selector');
    expect(err('constructor').message).toContain('unknown word');
    expect(err('constructor=x').message).toContain('unknown key');
    expect(err('province=p01;gate').message).toContain('separate terms with spaces');
  });

  it('checks against the fleet: unknown values, empty selections, counts too high', () => {
    expect(checkSelector(sel('station=p01-s009'), fleet, 'node')?.message).toContain('unknown station "p01-s009"');
    expect(checkSelector(sel('province=p01 region=west'), fleet, 'node')?.message).toContain('selects no node');
    expect(checkSelector(sel('group=bus count=4'), fleet, 'node')?.message).toContain('count=4 but only 3 nodes match');
    expect(checkSelector(sel('station=p03-*'), fleet, 'node')?.message).toContain('matches no station');
    expect(checkSelector(sel('route=ring | route=line'), fleet, 'node')).toBeUndefined();
  });

  it('placement: a placeable selector means the same to Kubernetes as to the fleet', () => {
    const k8sMatches = (p: Placement, n: FleetNode): boolean => {
      const has = (k: string): string | undefined => (Object.hasOwn(n.labels, k) ? n.labels[k] : undefined);
      if (!Object.entries(p.nodeSelector).every(([k, v]) => has(k) === v)) return false;
      if (p.affinityTerms.length === 0) return true;
      return p.affinityTerms.some((reqs) => reqs.every((r) => (r.operator === 'In' ? r.values.includes(has(r.key) ?? '\u0000') : !r.values.includes(has(r.key) ?? '\u0000'))));
    };
    const keys = ['province', 'region', 'station', 'gate', 'role', 'group', 'hardware', 'arch'] as const;
    const labelOf: Record<(typeof keys)[number], string> = {
      province: 'edgeproof.io/province',
      region: 'edgeproof.io/region',
      station: 'edgeproof.io/station',
      gate: 'edgeproof.io/gate',
      role: 'edgeproof.io/role',
      group: 'edgeproof.io/vehicle-group',
      hardware: 'edgeproof.io/hardware',
      arch: 'kubernetes.io/arch',
    };
    const term = fc.constantFrom(...keys).chain((k) =>
      fc.record({
        k: fc.constant(k),
        neg: fc.boolean(),
        vs: fc.uniqueArray(fc.constantFrom(...[...(fleet.labelValues.get(labelOf[k]) ?? [])]), { minLength: 1, maxLength: 3 }),
      }),
    );
    const selectorText = fc.array(fc.array(term, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((alts) => alts.map((ts) => ts.map((t) => `${t.k}${t.neg ? '!=' : '='}${t.vs.join(',')}`).join(' ')).join(' | '));
    fc.assert(
      fc.property(selectorText, (text) => {
        const s = sel(text);
        expect(placementProblem(s)).toBeUndefined();
        const p = toPlacement(s);
        const viaK8s = fleet.nodes.filter((n) => k8sMatches(p, n)).map((n) => n.name);
        expect(viaK8s).toEqual(select(s, fleet, 'node', seededRandom(0)));
      }),
      { numRuns: 300 },
    );
    expect(toPlacement(sel('province=p01 gate'))).toEqual({ nodeSelector: { 'edgeproof.io/province': 'p01', 'edgeproof.io/role': 'gate' }, affinityTerms: [] });
    expect(toPlacement(sel('all'))).toEqual({ nodeSelector: {}, affinityTerms: [] });
    expect(placementProblem(sel('gate share=10%'))?.message).toContain('cannot place pods');
    expect(placementProblem(sel('station=p01-*'))?.message).toContain('wildcards');
  });
});
