/**
 * Evidence in words, the same in junit.xml, the terminal and report.html: where in history.jsonl, when, on which
 * node and object, and what it shows.
 */
import type { Evidence, Verdict } from '../sim/evidence/verdict.ts';
import { formatAt, oneLine } from './text.ts';

/** `history.jsonl:1234 t+92.417s node gate-1 · Pod default/nginx — stale at rv 12 (see lines 5, 6)` */
/** `timeZero`: epoch ms of the run's t = 0; without it the time is left out. */
export function evidenceLine(ev: Evidence, timeZero: number | undefined, historyFile = 'history.jsonl'): string {
  const parts = [`${historyFile}:${ev.line}`];
  if (ev.t !== undefined && timeZero !== undefined) parts.push(formatAt(ev.t - timeZero));
  const about = [ev.node !== undefined ? `node ${oneLine(ev.node)}` : undefined, ev.object !== undefined ? oneLine(ev.object) : undefined].filter((s): s is string => s !== undefined).join(' · ');
  if (about !== '') parts.push(about);
  let line = `${parts.join(' ')} — ${oneLine(ev.note)}`;
  const related = ev.related ?? [];
  if (related.length > 0) line += ` (see ${related.length === 1 ? 'line' : 'lines'} ${related.slice(0, 8).join(', ')}${related.length > 8 ? ', …' : ''})`;
  return line;
}

/** `12 of 3,400 cases violated, 5 skipped` */
export function countsLine(v: Pick<Verdict, 'checked' | 'violations' | 'skipped'>): string {
  const parts = [v.violations > 0 ? `${v.violations.toLocaleString('en-US')} of ${v.checked.toLocaleString('en-US')} cases violated` : `${v.checked.toLocaleString('en-US')} cases checked`];
  if (v.skipped > 0) parts.push(`${v.skipped.toLocaleString('en-US')} skipped`);
  return parts.join(', ');
}

/** The evidence block of a verdict: one line each, and how many violations are not shown. */
export function evidenceBlock(v: Verdict, timeZero: number | undefined): string[] {
  const lines = v.evidence.map((ev) => evidenceLine(ev, timeZero));
  const hidden = v.violations - v.evidence.length;
  if (v.verdict === 'violated' && hidden > 0) lines.push(`… and ${hidden.toLocaleString('en-US')} more violations (the heaviest are shown)`);
  return lines;
}
