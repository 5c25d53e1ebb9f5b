/**
 * The units scenario files are written in: durations (`30s`, `5m`, `1h30m`, `500ms`), duration ranges
 * (`1m..3m`), percentages (`50%`) and sizes (`50MB`, `120Mi`). Parsed strictly: every parser returns either a
 * value or the reason it refused, and the loader turns the reason into a `file:line:col` error.
 */

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** Longest duration a scenario may name: 30 days. */
export const maxDurationMs = 30 * 24 * 3600 * 1000;

const unitMs = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type DurationUnit = keyof typeof unitMs;
const unitOrder: readonly DurationUnit[] = ['h', 'm', 's', 'ms'];

/**
 * `30s`, `5m`, `90s`, `1h`, `1h30m`, `1m30s`, `500ms`, `0s`. Whole numbers only, units from largest to smallest,
 * each at most once. A bare number is refused (the unit is not guessable).
 */
export function parseDuration(raw: unknown): Parsed<number> {
  if (typeof raw === 'number') return no(`expected a duration with a unit such as "30s", got the bare number ${String(raw)}`);
  if (typeof raw !== 'string') return no(`expected a duration such as "30s", "5m" or "1h", got ${describeValue(raw)}`);
  const text = raw;
  if (text.startsWith('-')) return no(`"${text}" is negative: durations count forward from the start of the scenario`);
  if (text === '') return no('expected a duration such as "30s", got an empty string');
  let rest = text;
  let total = 0;
  let lastUnit = -1;
  while (rest !== '') {
    const m = /^(\d+)(ms|h|m|s)/.exec(rest);
    if (m === null) {
      if (/^\d+\.\d+/.test(rest)) return no(`"${text}" has a fraction: use whole numbers of a smaller unit (e.g. 90s instead of 1.5m)`);
      if (/^\d+$/.test(rest)) return no(`"${text}" ends without a unit: add ms, s, m or h`);
      return no(`"${text}" is not a duration: write a whole number with a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m`);
    }
    const unit = m[2] as DurationUnit;
    const order = unitOrder.indexOf(unit);
    if (order <= lastUnit) return no(`"${text}" repeats a unit or has them out of order: write them largest first, each once (e.g. 1h30m)`);
    lastUnit = order;
    total += Number(m[1]) * unitMs[unit];
    if (total > maxDurationMs) return no(`"${text}" is longer than the 30 days a scenario may span`);
    rest = rest.slice(m[0].length);
  }
  return ok(total);
}

/** `1m..3m` (inclusive range) or a single duration (min = max). */
export function parseDurationRange(raw: unknown): Parsed<{ readonly minMs: number; readonly maxMs: number }> {
  if (typeof raw === 'string' && raw.includes('..')) {
    const [a, b, ...extra] = raw.split('..');
    if (extra.length > 0) return no(`"${raw}" has more than one "..": write a range as MIN..MAX, e.g. 1m..3m`);
    const lo = parseDuration(a);
    if (!lo.ok) return no(`range start: ${lo.reason}`);
    const hi = parseDuration(b);
    if (!hi.ok) return no(`range end: ${hi.reason}`);
    if (hi.value < lo.value) return no(`"${raw}" ends before it starts: write MIN..MAX`);
    return ok({ minMs: lo.value, maxMs: hi.value });
  }
  const d = parseDuration(raw);
  return d.ok ? ok({ minMs: d.value, maxMs: d.value }) : d;
}

/** Human form of a millisecond count, the inverse of parseDuration: 90000 → `1m30s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of unitOrder) {
    const n = Math.floor(rest / unitMs[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * unitMs[unit];
    }
  }
  return out;
}

/** `50%`, `12.5%`, `100%` → 50, 12.5, 100. Must be in (0, 100]. */
export function parsePercent(raw: unknown): Parsed<number> {
  if (typeof raw === 'number') return no(`expected a percentage such as "50%", got the bare number ${String(raw)}: add "%"`);
  if (typeof raw !== 'string') return no(`expected a percentage such as "50%", got ${describeValue(raw)}`);
  const m = /^(\d+(?:\.\d+)?)%$/.exec(raw);
  if (m === null) return no(`"${raw}" is not a percentage: write a number followed by %, e.g. 50%`);
  const n = Number(m[1]);
  if (!(n > 0) || n > 100) return no(`${raw} is out of range: a share must be more than 0% and at most 100%`);
  return ok(n);
}

const sizeUnits: Readonly<Record<string, number>> = {
  '': 1,
  B: 1,
  k: 1e3,
  K: 1e3,
  kB: 1e3,
  KB: 1e3,
  M: 1e6,
  MB: 1e6,
  G: 1e9,
  GB: 1e9,
  T: 1e12,
  TB: 1e12,
  Ki: 2 ** 10,
  KiB: 2 ** 10,
  Mi: 2 ** 20,
  MiB: 2 ** 20,
  Gi: 2 ** 30,
  GiB: 2 ** 30,
  Ti: 2 ** 40,
  TiB: 2 ** 40,
};

/** Sizes of images and memory budgets: `50MB`, `120Mi`, `1.5GB`, `4Gi`, or a plain number of bytes. > 0. */
export function parseSize(raw: unknown): Parsed<number> {
  if (typeof raw === 'number') {
    return Number.isInteger(raw) && raw > 0 && raw <= Number.MAX_SAFE_INTEGER ? ok(raw) : no(`expected a positive size in bytes or with a unit (e.g. 50MB, 120Mi), got ${String(raw)}`);
  }
  if (typeof raw !== 'string') return no(`expected a size such as "50MB" or "120Mi", got ${describeValue(raw)}`);
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(raw);
  const unit = m?.[2] ?? '';
  const mult = m === null || !Object.hasOwn(sizeUnits, unit) ? undefined : sizeUnits[unit];
  if (m === null || mult === undefined) return no(`"${raw}" is not a size: write a number with B, kB, MB, GB, Ki, Mi or Gi, e.g. 50MB or 120Mi`);
  const n = Math.round(Number(m[1]) * mult);
  if (!(n > 0) || !Number.isSafeInteger(n)) return no(`"${raw}" must be more than zero bytes and less than 8 PB`);
  return ok(n);
}

/** Kubernetes quantity text for a byte count: exact Gi/Mi/Ki where it divides, else plain bytes. */
export function formatBytesQuantity(bytes: number): string {
  for (const [unit, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** A short description of any value for error messages ("a list", "the number 3", "the text \"x\""). */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
      return `the number ${String(v)}`;
    case 'boolean':
      return `the boolean ${String(v)}`;
    case 'object':
      return v instanceof Map || v instanceof Set ? 'a collection' : 'a mapping';
    default:
      return `a ${typeof v}`;
  }
}
