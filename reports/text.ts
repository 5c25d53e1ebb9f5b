/**
 * Text helpers shared by the report builders: XML/HTML escaping and the human formats of times, sizes and counts.
 * Every formatter returns a plain string for any number it is given (never "NaN" or "undefined" on a page).
 */

/**
 * Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline/return, U+FFFE/U+FFFF, lone
 * surrogates). They are replaced by U+FFFD so a hostile node name or error message cannot break the document.
 */
const xmlInvalid = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text content of an XML or HTML element. */
export function escapeText(s: string): string {
  return s.replace(xmlInvalid, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value (to go between double quotes). Newlines and tabs are kept as character references. */
export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

const finite = (n: number): number => (Number.isFinite(n) ? n : 0);

/** Milliseconds as a short duration: `850 ms`, `4.2 s`, `1m 32s`, `2h 05m`. */
export function formatDuration(ms: number): string {
  const v = finite(ms);
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 1 : 0)} s`;
  const s = Math.round(a / 1000);
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${sign}${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A time on a run's axis (ms from its start): `0s`, `45s`, `1m30s`, `1h05m`. Compact, for chart ticks. */
export function formatClock(ms: number): string {
  const s = Math.round(finite(ms) / 1000);
  const sign = s < 0 ? '-' : '';
  const a = Math.abs(s);
  if (a < 60) return `${sign}${a}s`;
  if (a < 3600) return `${sign}${Math.floor(a / 60)}m${a % 60 === 0 ? '' : `${String(a % 60).padStart(2, '0')}s`}`;
  const m = Math.floor((a % 3600) / 60);
  return `${sign}${Math.floor(a / 3600)}h${m === 0 ? '' : String(m).padStart(2, '0')}m`;
}

/** Bytes with binary units: `512 B`, `12.0 KiB`, `1.50 GiB`. */
export function formatBytes(bytes: number): string {
  const v = finite(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let x = Math.abs(v);
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  const digits = u === 0 ? 0 : x < 10 ? 2 : x < 100 ? 1 : 0;
  return `${v < 0 ? '-' : ''}${x.toFixed(digits)} ${units[u] ?? 'B'}`;
}

/** A count with thousands separators: `10,000`. Non-integers keep up to 3 significant decimals. */
export function formatCount(n: number): string {
  const v = finite(n);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) < 1 ? 3 : Math.abs(v) < 100 ? 2 : 1 });
}

/** A figure by the unit its name implies (`…_bytes`, `…_ms`, `…_seconds`), else a plain count. */
export function formatFigure(name: string, value: number): string {
  if (/bytes_per_second/.test(name)) return `${formatBytes(value)}/s`;
  if (/bytes/.test(name)) return formatBytes(value);
  if (/_cores($|_)/.test(name)) return `${finite(value).toFixed(2)} cores`;
  if (/_ms($|_)/.test(name)) return formatDuration(value);
  if (/_seconds($|_)/.test(name)) return formatDuration(value * 1000);
  return formatCount(value);
}

/** Shorten to `max` characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** The one-line form of a possibly multi-line string. */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** A moment of the run for evidence: `t+92.417s` (ms from t = 0, millisecond precision). */
export function formatAt(ms: number): string {
  const v = finite(ms);
  return `t${v < 0 ? '-' : '+'}${(Math.abs(v) / 1000).toFixed(3)}s`;
}
