/**
 * Typed reading of a YAML document with positions: every check that fails throws the one error type with
 * `file:line:col`, the path inside the document, what was expected and how to fix it (YamlInput.error).
 * `null` (a key with nothing after the colon) counts as absent everywhere.
 */
import type { EdgeproofError } from '../core/errors.ts';
import type { YamlInput } from '../core/yaml-input.ts';
import { describeValue, parseDuration, parsePercent, parseSize, type Parsed } from './units.ts';

export type Path = readonly (string | number)[];
export type Mapping = Readonly<Record<string, unknown>>;

export function isMapping(v: unknown): v is Mapping {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The value under `key`, or undefined when absent or null. */
export function field(obj: Mapping, key: string): unknown {
  const v = Object.hasOwn(obj, key) ? obj[key] : undefined;
  return v === null ? undefined : v;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** `did you mean "x"? ` when a known word is close to the typo, else ''. */
export function suggestion(word: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.min(3, Math.floor(word.length / 3))) ? `did you mean "${best}"? ` : '';
}

export const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export class Reader {
  constructor(readonly input: YamlInput) {}

  get file(): string {
    return this.input.file;
  }

  where(path: Path): string {
    return this.input.where(path);
  }

  error(path: Path, message: string, fix: string, atKey = false): EdgeproofError {
    return this.input.error(path, message, fix, atKey);
  }

  fail(path: Path, message: string, fix: string, atKey = false): never {
    throw this.error(path, message, fix, atKey);
  }

  /** A mapping with only known keys (unknown → error at the key, with the known ones and a suggestion). */
  mapping(path: Path, v: unknown, keys: readonly string[], example: string, required: readonly string[] = []): Mapping {
    if (!isMapping(v)) this.fail(path, `expected a mapping (key: value lines), got ${describeValue(v)}`, `write it as a mapping, e.g. ${example}`);
    for (const key of Object.keys(v)) {
      if (!keys.includes(key)) {
        this.fail([...path, key], `unknown key "${key}"`, `${suggestion(key, keys)}remove it or fix its spelling; known keys here: ${keys.join(', ')}`, true);
      }
    }
    for (const key of required) {
      if (field(v, key) === undefined) this.fail(path, `"${key}" is missing`, `add ${key}: …, e.g. ${example}`);
    }
    return v;
  }

  /** An optional mapping: absent → {}. */
  optMapping(path: Path, v: unknown, keys: readonly string[], example: string): Mapping {
    return v === undefined || v === null ? {} : this.mapping(path, v, keys, example);
  }

  list(path: Path, v: unknown, example: string, opts: { min?: number; max?: number } = {}): readonly unknown[] {
    if (v === undefined || v === null) {
      if ((opts.min ?? 0) > 0) this.fail(path, 'a list is missing', `add it, e.g. ${example}`);
      return [];
    }
    if (!Array.isArray(v)) this.fail(path, `expected a list ("- item" lines), got ${describeValue(v)}`, `write it as a list, e.g. ${example}`);
    if (opts.min !== undefined && v.length < opts.min) this.fail(path, `expected at least ${opts.min} item${opts.min === 1 ? '' : 's'}, got ${v.length}`, `add items, e.g. ${example}`);
    if (opts.max !== undefined && v.length > opts.max) this.fail(path, `expected at most ${opts.max} items, got ${v.length}`, 'shorten the list');
    return v;
  }

  string(path: Path, v: unknown, what: string, example: string, pattern?: RegExp, maxLength = 253): string {
    if (typeof v !== 'string' || v === '') this.fail(path, `expected ${what}, got ${describeValue(v)}`, `write e.g. ${example}`);
    if (v.length > maxLength) this.fail(path, `${what} is ${v.length} characters long; at most ${maxLength} are allowed`, `shorten it, e.g. ${example}`);
    if (pattern !== undefined && !pattern.test(v)) this.fail(path, `${JSON.stringify(v)} is not ${what}`, `write e.g. ${example}`);
    return v;
  }

  name(path: Path, v: unknown, what: string, example: string, maxLength = 63): string {
    return this.string(path, v, `${what} (lower-case letters, digits and "-", starting and ending with a letter or digit)`, example, dnsLabel, maxLength);
  }

  int(path: Path, v: unknown, min: number, max: number, example: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, `expected a whole number, got ${describeValue(v)}`, `write e.g. ${example}`);
    if (v < min || v > max) this.fail(path, `${v} is out of range: must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}`, `write e.g. ${example}`);
    return v;
  }

  bool(path: Path, v: unknown, example: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${describeValue(v)}`, `write e.g. ${example}`);
    return v;
  }

  oneOf<T extends string>(path: Path, v: unknown, values: readonly T[], what: string): T {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(path, `expected ${what} (one of ${values.join(', ')}), got ${describeValue(v)}`, `${typeof v === 'string' ? suggestion(v, values) : ''}use one of ${values.join(', ')}`);
    }
    return v as T;
  }

  parsed<T>(path: Path, result: Parsed<T>, fix: string): T {
    if (!result.ok) this.fail(path, result.reason, fix);
    return result.value;
  }

  /** A duration; `positive` refuses 0s. */
  duration(path: Path, v: unknown, example: string, positive = true): number {
    const ms = this.parsed(path, parseDuration(v), `write a duration such as ${example}`);
    if (positive && ms === 0) this.fail(path, 'a zero duration makes no sense here', `use a positive duration such as ${example}`);
    return ms;
  }

  /** A duration that must be a whole number of `unitMs` (CloudCore takes seconds or hours). */
  wholeDuration(path: Path, v: unknown, example: string, unitMs: number, unitName: string): number {
    const ms = this.duration(path, v, example);
    if (ms % unitMs !== 0) this.fail(path, `must be a whole number of ${unitName}`, `round it, e.g. ${example}`);
    return ms / unitMs;
  }

  percent(path: Path, v: unknown): number {
    return this.parsed(path, parsePercent(v), 'write a share such as 50%');
  }

  size(path: Path, v: unknown, example: string): number {
    return this.parsed(path, parseSize(v), `write a size such as ${example}`);
  }
}
