import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeproofError } from '../core/errors.ts';
import { YamlInput } from '../core/yaml-input.ts';

/**
 * A link profile (fixtures/links/*.yaml): what one edge link is like. Bandwidth, latency and coverage become
 * Toxiproxy toxics on the link's proxy (uplink.ts); packet loss needs the kernel (kernel-link.ts), because
 * Toxiproxy works on TCP streams and cannot drop packets.
 */
export interface LinkProfile {
  readonly name: string;
  readonly description: string;
  /** Kilobits per second (1 kbit = 1000 bit), per direction; undefined = not limited. */
  readonly bandwidthKbps: { readonly down: number | undefined; readonly up: number | undefined };
  /** One-way delay added in each direction, so the round trip grows by about twice this. */
  readonly latencyMs: number;
  /** Each chunk's delay is latencyMs ± jitterMs (uniform). */
  readonly jitterMs: number;
  /** Share of packets dropped, per direction, in percent (0–100, two decimals are honoured). */
  readonly lossPercent: number;
  /** false = no coverage: a black-holed link (a partition). */
  readonly coverage: boolean;
  /** The file it came from, for messages. */
  readonly source: string;
}

const knownKeys = ['name', 'description', 'bandwidthKbps', 'latencyMs', 'jitterMs', 'lossPercent', 'coverage'] as const;
const knownBandwidthKeys = ['down', 'up'] as const;

/** The shipped profiles: `<repo>/fixtures/links`. */
export function defaultLinkProfileDir(): string {
  return fileURLToPath(new URL('../../fixtures/links/', import.meta.url));
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseLinkProfile(input: YamlInput): LinkProfile {
  const v = input.value;
  if (!isMapping(v)) {
    throw input.error([], 'a link profile must be a mapping', 'start the file with `name: <profile>` and the fields of fixtures/links/lte.yaml');
  }
  for (const key of Object.keys(v)) {
    if (!(knownKeys as readonly string[]).includes(key)) {
      throw input.error([key], `unknown key "${key}"`, `remove it or fix its spelling; known keys: ${knownKeys.join(', ')}`, true);
    }
  }
  const name = v['name'];
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name)) {
    throw input.error(['name'], `expected a lower-case name (letters, digits, "-", "."), got ${JSON.stringify(name)}`, 'set name: my-link');
  }
  const description = v['description'] ?? '';
  if (typeof description !== 'string') throw input.error(['description'], `expected text, got ${JSON.stringify(description)}`, 'quote it: description: "…"');

  const number = (path: readonly (string | number)[], raw: unknown, opts: { min: number; max?: number; fallback?: number; unit: string; example: string }): number => {
    if (raw === undefined && opts.fallback !== undefined) return opts.fallback;
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      throw input.error(path, `expected a number (${opts.unit}), got ${JSON.stringify(raw)}`, `write a plain number, e.g. ${opts.example}`);
    }
    if (raw < opts.min || (opts.max !== undefined && raw > opts.max)) {
      const range = opts.max !== undefined ? `between ${opts.min} and ${opts.max}` : `at least ${opts.min}`;
      throw input.error(path, `${raw} is out of range: must be ${range} ${opts.unit}`, `use a value ${range}, e.g. ${opts.example}`);
    }
    return raw;
  };

  let down: number | undefined;
  let up: number | undefined;
  const bw = v['bandwidthKbps'];
  if (bw !== undefined && bw !== null) {
    if (!isMapping(bw)) throw input.error(['bandwidthKbps'], `expected a mapping with down/up in kbit/s, got ${JSON.stringify(bw)}`, 'bandwidthKbps: { down: 3000, up: 3000 }');
    for (const key of Object.keys(bw)) {
      if (!(knownBandwidthKeys as readonly string[]).includes(key)) {
        throw input.error(['bandwidthKbps', key], `unknown key "${key}"`, 'bandwidthKbps has only down and up (kbit/s)', true);
      }
    }
    // at least 8 kbit/s: Toxiproxy's smallest rate is 1 KB/s
    if (bw['down'] !== undefined) down = number(['bandwidthKbps', 'down'], bw['down'], { min: 8, unit: 'kbit/s', example: 'down: 3000' });
    if (bw['up'] !== undefined) up = number(['bandwidthKbps', 'up'], bw['up'], { min: 8, unit: 'kbit/s', example: 'up: 3000' });
  }
  const latencyMs = number(['latencyMs'], v['latencyMs'], { min: 0, max: 600_000, fallback: 0, unit: 'ms', example: 'latencyMs: 40' });
  const jitterMs = number(['jitterMs'], v['jitterMs'], { min: 0, max: 600_000, fallback: 0, unit: 'ms', example: 'jitterMs: 10' });
  const lossPercent = number(['lossPercent'], v['lossPercent'], { min: 0, max: 100, fallback: 0, unit: '%', example: 'lossPercent: 1.5' });
  const coverage = v['coverage'] ?? true;
  if (typeof coverage !== 'boolean') {
    throw input.error(['coverage'], `expected true or false, got ${JSON.stringify(coverage)}`, 'coverage: false makes the link a partition (no coverage)');
  }
  return { name, description, bandwidthKbps: { down, up }, latencyMs, jitterMs, lossPercent, coverage, source: input.file };
}

export function parseLinkProfileText(file: string, text: string): LinkProfile {
  return parseLinkProfile(YamlInput.parse(file, text, 'E_BAD_PROFILE'));
}

export function loadLinkProfile(file: string): LinkProfile {
  return parseLinkProfile(YamlInput.load(file, 'E_BAD_PROFILE'));
}

/** Every profile in a directory, by name. Two files with one name are an error. */
export function loadLinkProfiles(dir: string = defaultLinkProfileDir()): ReadonlyMap<string, LinkProfile> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  } catch (e) {
    throw new EdgeproofError('E_BAD_PROFILE', `cannot read link profile directory: ${e instanceof Error ? e.message : String(e)}`, { where: dir, fix: 'check the path' });
  }
  const out = new Map<string, LinkProfile>();
  for (const f of files) {
    const p = loadLinkProfile(join(dir, f));
    const earlier = out.get(p.name);
    if (earlier !== undefined) {
      throw new EdgeproofError('E_BAD_PROFILE', `link profile name "${p.name}" is also used by ${basename(earlier.source)}`, {
        where: `${p.source}:1:1`,
        fix: 'give every link profile its own name',
      });
    }
    out.set(p.name, p);
  }
  return out;
}

/** A profile by name from a directory of profiles, with the known names in the error. */
export function linkProfile(name: string, dir: string = defaultLinkProfileDir()): LinkProfile {
  const all = loadLinkProfiles(dir);
  const p = all.get(name);
  if (p === undefined) {
    throw new EdgeproofError('E_BAD_PROFILE', `unknown link profile "${name}"`, { where: dir, fix: `use one of ${[...all.keys()].join(', ')}` });
  }
  return p;
}

/** Toxiproxy's bandwidth toxic takes KB/s (1000 bytes): 3000 kbit/s → 375. Never below 1. */
export function kbpsToToxiproxyRate(kbps: number): number {
  return Math.max(1, Math.round(kbps / 8));
}
