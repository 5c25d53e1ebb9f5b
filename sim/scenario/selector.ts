/**
 * The selector language: which nodes (or links) a timeline entry, a device group or a workload applies to.
 *
 *   selector    := alternative ( "|" alternative )*          union of alternatives
 *   alternative := term+                                     every term must hold (AND), whitespace-separated
 *   term        := "all"                                     every node
 *                | gate | server | vehicle                   role shorthand (plural forms too): role=gate
 *                | KEY "=" VALUES | KEY "!=" VALUES          label match / mismatch
 *                | "share=" N "%" | "count=" N               seeded random subset of what the other terms match
 *   KEY         := role | region | province | station | gate | group | route | hardware | arch | link
 *                | node | nodes | "label:" LABEL-KEY
 *   VALUES      := value ( "," value )* | "[" value ( "," value )* "]"     any of them; "*" is a wildcard
 *
 * Examples: `province=p01`, `station=p01-s003`, `role=gate`, `vehicle share=30%`, `nodes=[p01-s001-g01,
 * p01-s001-g02]`, `province=p01,p02 gate=g01`, `station=p01-s00*`, `region!=east`, `gate | vehicle count=5`,
 * `label:edgeproof.io/class=gate-controller`.
 *
 * Every key is a node label (fleetLabel in sim/fleet/topology.ts), so a selector without sampling or
 * wildcards is also a Kubernetes node selector (toPlacement). `!=` also matches nodes without the label, as
 * Kubernetes' NotIn does. Link actions (partition, heal, degrade, restore) select links: a link is a candidate
 * when any node behind it matches, and share/count then pick among links — one station uplink takes all its
 * gates with it. Sampling draws from the entry's own seeded stream, so the same seed picks the same subset.
 */
import type { Random } from '../core/random.ts';
import { fleetLabel, type Fleet, type FleetNode } from '../fleet/topology.ts';
import { suggestion } from './reader.ts';

export type Sample = { readonly kind: 'share'; readonly percent: number } | { readonly kind: 'count'; readonly n: number };

export interface SelectorTerm {
  /** The key as written (`province`, `label:foo`). */
  readonly name: string;
  /** The node label it matches. */
  readonly label: string;
  readonly negate: boolean;
  readonly values: readonly string[];
  /** Character offset in the selector text (for messages). */
  readonly pos: number;
}

export interface SelectorAlternative {
  readonly terms: readonly SelectorTerm[];
  readonly sample: Sample | undefined;
}

export interface Selector {
  readonly text: string;
  readonly alternatives: readonly SelectorAlternative[];
  /** file:line:col of the selector in its scenario ('' when built in code). */
  readonly where: string;
}

export class SelectorError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
    this.name = 'SelectorError';
  }
}

/** Selector keys → node labels. */
export const selectorKeys: Readonly<Record<string, string>> = {
  role: fleetLabel.role,
  region: fleetLabel.region,
  province: fleetLabel.province,
  station: fleetLabel.station,
  gate: fleetLabel.gate,
  group: fleetLabel.group,
  route: fleetLabel.route,
  hardware: fleetLabel.hardware,
  arch: fleetLabel.arch,
  link: fleetLabel.link,
  node: fleetLabel.hostname,
  nodes: fleetLabel.hostname,
};

const roleWords: Readonly<Record<string, string>> = { gate: 'gate', gates: 'gate', server: 'server', servers: 'server', vehicle: 'vehicle', vehicles: 'vehicle' };
/** Own properties only: `constructor` or `__proto__` in a selector must not find Object.prototype's. */
const own = (table: Readonly<Record<string, string>>, key: string): string | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);
const valueChar = /[A-Za-z0-9._/*-]/;
const labelKeyChar = /[A-Za-z0-9._/-]/;
const knownKeyList = `${Object.keys(selectorKeys).join(', ')}, label:<key>, share, count`;

/** Parse selector text. Throws SelectorError with the offending character offset. */
export function parseSelector(text: string, where = ''): Selector {
  let i = 0;
  const n = text.length;
  const alternatives: SelectorAlternative[] = [];
  let terms: SelectorTerm[] = [];
  let sample: Sample | undefined;
  let sawAll = false;
  let altStart = 0;

  const skipSpace = (): void => {
    while (i < n && /\s/.test(text[i] ?? '')) i++;
  };
  const word = (re: RegExp): string => {
    const start = i;
    while (i < n && re.test(text[i] ?? '')) i++;
    return text.slice(start, i);
  };
  const endAlternative = (): void => {
    if (terms.length === 0 && sample === undefined && !sawAll) {
      throw new SelectorError(alternatives.length === 0 && i >= n ? 'empty selector: write `all`, a role (gate, vehicle) or KEY=VALUE terms' : 'empty alternative around "|"', altStart);
    }
    alternatives.push({ terms, sample });
    terms = [];
    sample = undefined;
    sawAll = false;
  };
  const values = (): string[] => {
    const out: string[] = [];
    const bracket = text[i] === '[';
    if (bracket) i++;
    for (;;) {
      if (bracket) skipSpace();
      const start = i;
      const v = word(valueChar);
      if (v === '') throw new SelectorError(i >= n ? 'a value is missing at the end' : `unexpected "${text[i] ?? ''}" where a value should be`, start);
      out.push(v);
      if (bracket) skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (bracket) {
      if (text[i] !== ']') throw new SelectorError(i >= n ? 'the list is missing its closing "]"' : `unexpected "${text[i] ?? ''}" in a list: separate values with ","`, i);
      i++;
    }
    return out;
  };

  skipSpace();
  altStart = i;
  while (i < n) {
    if (text[i] === '|') {
      endAlternative();
      i++;
      skipSpace();
      altStart = i;
      continue;
    }
    const pos = i;
    const key = word(/[A-Za-z]/);
    if (key === '') throw new SelectorError(`unexpected "${text[i] ?? ''}": a term starts with a key such as province=, station=, role= or share=`, pos);
    let labelKey: string | undefined;
    if (key === 'label' && text[i] === ':') {
      i++;
      labelKey = word(labelKeyChar);
      if (labelKey === '') throw new SelectorError('label: needs a label key, e.g. label:edgeproof.io/class=vehicle', i);
    }
    const op = text.startsWith('!=', i) ? '!=' : text[i] === '=' ? '=' : undefined;
    if (op === undefined) {
      if (labelKey !== undefined) throw new SelectorError(`label:${labelKey} needs "=" or "!=" and a value`, i);
      if (key === 'all') {
        if (terms.length > 0) throw new SelectorError('`all` cannot be combined with other terms (only with share= or count=)', pos);
        sawAll = true;
      } else if (own(roleWords, key) !== undefined) {
        if (sawAll) throw new SelectorError('`all` cannot be combined with other terms (only with share= or count=)', pos);
        terms.push({ name: 'role', label: fleetLabel.role, negate: false, values: [own(roleWords, key) ?? key], pos });
      } else {
        throw new SelectorError(`unknown word "${key}"; ${suggestion(key, ['all', ...Object.keys(roleWords)])}use all, gate, server, vehicle or KEY=VALUE (keys: ${knownKeyList})`, pos);
      }
    } else {
      i += op.length;
      if (key === 'share' || key === 'count') {
        if (op === '!=') throw new SelectorError(`${key} takes "=", not "!="`, pos);
        if (sample !== undefined) throw new SelectorError('only one share= or count= per alternative', pos);
        const vpos = i;
        const raw = word(/[0-9.%]/);
        if (key === 'share') {
          const m = /^(\d+(?:\.\d+)?)%$/.exec(raw);
          const pct = m === null ? NaN : Number(m[1]);
          if (!(pct > 0 && pct <= 100)) throw new SelectorError(`share= needs a percentage above 0% and at most 100% (e.g. share=50%), got "${raw}"`, vpos);
          sample = { kind: 'share', percent: pct };
        } else {
          if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1_000_000) throw new SelectorError(`count= needs a whole number of at least 1 (e.g. count=10), got "${raw}"`, vpos);
          sample = { kind: 'count', n: Number(raw) };
        }
      } else {
        const label = labelKey ?? own(selectorKeys, key);
        if (label === undefined) throw new SelectorError(`unknown key "${key}"; ${suggestion(key, [...Object.keys(selectorKeys), 'share', 'count'])}(keys: ${knownKeyList})`, pos);
        if (sawAll) throw new SelectorError('`all` cannot be combined with other terms (only with share= or count=)', pos);
        const name = labelKey !== undefined ? `label:${labelKey}` : key;
        terms.push({ name, label, negate: op === '!=', values: values(), pos });
      }
    }
    const after = i;
    skipSpace();
    if (i < n && i === after && text[i] !== '|') throw new SelectorError(`unexpected "${text[i] ?? ''}": separate terms with spaces`, i);
  }
  endAlternative();
  return { text, alternatives, where };
}

const globCache = new Map<string, RegExp>();
function glob(v: string): RegExp {
  let re = globCache.get(v);
  if (re === undefined) {
    re = new RegExp(`^${v.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(v, re);
  }
  return re;
}
const isGlob = (v: string): boolean => v.includes('*');

function termMatches(term: SelectorTerm, labels: Readonly<Record<string, string>>): boolean {
  const actual = Object.hasOwn(labels, term.label) ? labels[term.label] : undefined;
  const hit = actual !== undefined && term.values.some((v) => (isGlob(v) ? glob(v).test(actual) : v === actual));
  return term.negate ? !hit : hit;
}

/** Whether a node satisfies every term of an alternative (sampling aside). */
export function alternativeMatches(alt: SelectorAlternative, node: Pick<FleetNode, 'labels'>): boolean {
  return alt.terms.every((t) => termMatches(t, node.labels));
}

/** k of items (sorted input), chosen with `random`, returned sorted. */
function sampleOf(items: readonly string[], sample: Sample | undefined, random: Random): string[] {
  if (sample === undefined) return [...items];
  const k = sample.kind === 'count' ? Math.min(sample.n, items.length) : Math.max(1, Math.round((items.length * sample.percent) / 100));
  if (k >= items.length) return [...items];
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = random.int(i, pool.length - 1);
    const a = pool[i] as string;
    pool[i] = pool[j] as string;
    pool[j] = a;
  }
  return pool.slice(0, k).sort();
}

export type SelectUnit = 'node' | 'link';

/** Candidates of one alternative before sampling, sorted. */
export function candidatesOf(alt: SelectorAlternative, fleet: Fleet, unit: SelectUnit): string[] {
  if (unit === 'node') return fleet.nodes.filter((n) => alternativeMatches(alt, n)).map((n) => n.name);
  return fleet.links
    .filter((l) =>
      l.nodes.some((name) => {
        const node = fleet.nodeByName.get(name);
        return node !== undefined && alternativeMatches(alt, node);
      }),
    )
    .map((l) => l.id);
}

/**
 * What a selector picks: sorted node names (unit 'node') or link ids (unit 'link'). Each alternative samples
 * from its own stream `random.fork('alt<i>')`.
 */
export function select(selector: Selector, fleet: Fleet, unit: SelectUnit, random: Random): string[] {
  const out = new Set<string>();
  selector.alternatives.forEach((alt, i) => {
    for (const x of sampleOf(candidatesOf(alt, fleet, unit), alt.sample, random.fork(`alt${i}`))) out.add(x);
  });
  return [...out].sort();
}

const describeValues = (values: Iterable<string>, max = 6): string => {
  const all = [...values].sort();
  if (all.length === 0) return 'none';
  return all.length <= max ? all.join(', ') : `${all.slice(0, max - 2).join(', ')}, …, ${all[all.length - 1] ?? ''} (${all.length} in all)`;
};

/**
 * Check a selector against a fleet: every value names something the fleet has (a typo is caught at load
 * time, not by an empty run), a wildcard matches something, and every alternative selects at least one.
 * Returns the problem, or undefined when the selector is fine.
 */
export function checkSelector(selector: Selector, fleet: Fleet, unit: SelectUnit): { message: string; pos: number; fix: string } | undefined {
  for (const alt of selector.alternatives) {
    for (const term of alt.terms) {
      const known = fleet.labelValues.get(term.label);
      for (const v of term.values) {
        const exists = known !== undefined && (isGlob(v) ? [...known].some((k) => glob(v).test(k)) : known.has(v));
        if (!exists) {
          const what = term.name === 'nodes' || term.name === 'node' ? 'node' : term.name;
          const msg = isGlob(v) ? `${term.name}=${v} matches no ${what} of this fleet` : `unknown ${what} "${v}"${suggestion(v, known ?? []) === '' ? '' : `; ${suggestion(v, known ?? []).trimEnd()}`}`;
          return {
            message: `${msg} (this fleet has: ${describeValues(known ?? [])})`,
            pos: term.pos,
            fix: `use a ${what} the fleet has, a list (${term.name}=a,b) or a wildcard (${term.name}=${(v.split('*')[0] ?? v).slice(0, 4)}*)`,
          };
        }
      }
    }
    const candidates = candidatesOf(alt, fleet, unit);
    const first = alt.terms[0];
    const pos = first?.pos ?? 0;
    if (candidates.length === 0) {
      return { message: `selects no ${unit}: no ${unit} satisfies all of its terms together`, pos, fix: 'every term of an alternative must hold for the same node: drop or loosen one, or join alternatives with |' };
    }
    if (alt.sample?.kind === 'count' && alt.sample.n > candidates.length) {
      return { message: `count=${alt.sample.n} but only ${candidates.length} ${unit}${candidates.length === 1 ? '' : 's'} match`, pos, fix: `lower count= to at most ${candidates.length}, use share=, or widen the selector` };
    }
  }
  return undefined;
}

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn';
  readonly values: readonly string[];
}

/** A selector as Kubernetes pod placement: exact-label terms in nodeSelector, the rest as nodeAffinity terms. */
export interface Placement {
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** ORed nodeSelectorTerms of ANDed requirements; empty when nodeSelector says it all. */
  readonly affinityTerms: readonly (readonly NodeSelectorRequirement[])[];
}

/** Why a selector cannot place pods (sampling or wildcards), or undefined. */
export function placementProblem(selector: Selector): { message: string; pos: number } | undefined {
  for (const alt of selector.alternatives) {
    if (alt.sample !== undefined) return { message: 'share= and count= cannot place pods: Kubernetes selects nodes by labels', pos: 0 };
    for (const t of alt.terms) {
      if (t.values.some(isGlob)) return { message: `wildcards cannot place pods: Kubernetes matches exact label values (list them: ${t.name}=a,b)`, pos: t.pos };
    }
  }
  return undefined;
}

/** Translate a placeable selector (see placementProblem) to nodeSelector / nodeAffinity. */
export function toPlacement(selector: Selector): Placement {
  // an alternative without terms (`all`) selects every node: no constraint at all (an empty
  // nodeSelectorTerm would match no node in Kubernetes)
  if (selector.alternatives.some((alt) => alt.terms.length === 0)) return { nodeSelector: {}, affinityTerms: [] };
  const [only, ...more] = selector.alternatives;
  if (only !== undefined && more.length === 0) {
    const keys = new Set<string>();
    const simple = only.terms.every((t) => {
      const ok = !t.negate && t.values.length === 1 && !keys.has(t.label);
      keys.add(t.label);
      return ok;
    });
    if (simple) return { nodeSelector: Object.fromEntries(only.terms.map((t) => [t.label, t.values[0] ?? ''])), affinityTerms: [] };
  }
  return {
    nodeSelector: {},
    affinityTerms: selector.alternatives.map((alt) => alt.terms.map((t) => ({ key: t.label, operator: t.negate ? 'NotIn' : 'In', values: [...new Set(t.values)].sort() }))),
  };
}
