/**
 * What `edgeproof run` prints: a progress line while it runs and the verdict table at the end. Plain text, aligned,
 * ✓ ✗ – marks; colour only when asked for (useColor decides from the stream and NO_COLOR / FORCE_COLOR).
 */
import type { Verdict, VerdictValue } from '../sim/evidence/verdict.ts';
import { evidenceLine } from './evidence-text.ts';
import type { RunResult, RunStatus } from './run-result.ts';
import { formatClock, formatCount, formatDuration, oneLine, truncate } from './text.ts';

export interface TableOptions {
  /** ANSI colours (default false). */
  readonly color?: boolean;
  /** Total width to fit summaries in (default 120; pass the terminal's columns when printing to one). */
  readonly width?: number;
  /** Evidence lines shown under each violated guarantee (default 3). */
  readonly evidence?: number;
  /** Epoch ms of t = 0, for evidence times (default: the result's startedAt). */
  readonly timeZero?: number;
}

/** Colour for `stream`: FORCE_COLOR (≠ 0) forces it, NO_COLOR or a dumb terminal turns it off, else a TTY has it. */
export function useColor(stream: { readonly isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

const ansi = { red: '31', green: '32', yellow: '33', grey: '90', bold: '1' } as const;
type Paint = (code: keyof typeof ansi, s: string) => string;
const painter = (color: boolean): Paint => (color ? (code, s) => `\u001b[${ansi[code]}m${s}\u001b[0m` : (_code, s) => s);

export const VERDICT_MARK: Readonly<Record<VerdictValue, string>> = { held: '✓', violated: '✗', 'not-checked': '–' };
const VERDICT_WORD: Readonly<Record<VerdictValue, string>> = { held: 'held', violated: 'VIOLATED', 'not-checked': 'not checked' };
const VERDICT_COLOR: Readonly<Record<VerdictValue, keyof typeof ansi>> = { held: 'green', violated: 'red', 'not-checked': 'grey' };

/** The verdict table: one line per guarantee (mark, id, verdict, checked, violations, summary), evidence under violations. */
export function formatVerdictTable(verdicts: readonly Verdict[], options: TableOptions = {}): string {
  const paint = painter(options.color ?? false);
  const width = Math.max(60, options.width ?? 120);
  const maxEvidence = options.evidence ?? 3;
  const idW = Math.max(9, ...verdicts.map((v) => v.id.length));
  const verdictW = 11;
  const num = (n: number): string => formatCount(n);
  const checkedW = Math.max(7, ...verdicts.map((v) => num(v.checked).length));
  const violW = Math.max(8, ...verdicts.map((v) => num(v.violations).length));
  const fixed = 2 + idW + 2 + verdictW + 2 + checkedW + 2 + violW + 2;
  const summaryW = Math.max(10, width - fixed);
  const lines = [paint('bold', `  ${'guarantee'.padEnd(idW)}  ${'verdict'.padEnd(verdictW)}  ${'checked'.padStart(checkedW)}  ${'violated'.padStart(violW)}  summary`)];
  for (const v of verdicts) {
    const c = VERDICT_COLOR[v.verdict];
    const row = `${paint(c, VERDICT_MARK[v.verdict])} ${v.id.padEnd(idW)}  ${paint(c, VERDICT_WORD[v.verdict].padEnd(verdictW))}  ${num(v.checked).padStart(checkedW)}  ${num(v.violations).padStart(violW)}  ${truncate(oneLine(v.summary), summaryW)}`;
    lines.push(row);
    if (v.verdict === 'violated' && maxEvidence > 0) {
      const tz = options.timeZero;
      for (const ev of v.evidence.slice(0, maxEvidence)) lines.push(paint('grey', `    ${truncate(evidenceLine(ev, tz), width - 4)}`));
      const more = v.violations - Math.min(maxEvidence, v.evidence.length);
      if (more > 0) lines.push(paint('grey', `    … ${formatCount(more)} more in result.json / report.html`));
    }
  }
  return lines.join('\n');
}

const STATUS_COLOR: Readonly<Record<RunStatus, keyof typeof ansi>> = { passed: 'green', failed: 'red', partial: 'yellow', error: 'red' };

/** The closing lines of a run: status, counts, exit code, files, replay. */
export function formatRunSummary(result: RunResult, options: TableOptions & { readonly runDir?: string } = {}): string {
  const paint = painter(options.color ?? false);
  const tz = options.timeZero ?? Date.parse(result.startedAt);
  const table = result.verdicts.length > 0 ? formatVerdictTable(result.verdicts, { ...options, timeZero: Number.isFinite(tz) ? tz : 0 }) : undefined;
  const count = (k: VerdictValue): number => result.verdicts.filter((v) => v.verdict === k).length;
  const lines: string[] = [];
  lines.push(
    `${result.scenario.name} · seed ${result.seed} · ${result.backend} · ${formatDuration(result.durationMs)} · faults ${result.faults.ran}/${result.faults.planned}${result.faults.errors > 0 ? ` (${result.faults.errors} failed)` : ''}`,
  );
  if (table !== undefined) lines.push('', table, '');
  const head = paint(STATUS_COLOR[result.status], paint('bold', result.status.toUpperCase()));
  let tail = `${count('held')} held, ${count('violated')} violated, ${count('not-checked')} not checked`;
  if (result.status === 'partial' && result.partial !== undefined) tail = `cut short (${result.partial.reason}): ${oneLine(result.partial.note)} — ${tail}`;
  if (result.status === 'error' && result.error !== undefined) tail = `${result.error.message}${result.error.fix !== undefined ? ` — fix: ${result.error.fix}` : ''} [${result.error.code}]`;
  lines.push(`${head}: ${tail} (exit ${result.exitCode})`);
  const dir = options.runDir;
  if (dir !== undefined) {
    const f = result.files;
    const shown = [f.report, 'result.json', f.junit].filter((x): x is string => x !== undefined);
    lines.push(`  files:  ${dir}/{${shown.join(',')}}`);
  }
  if (result.replay !== undefined && (result.status === 'failed' || result.status === 'partial')) lines.push(`  replay: ${result.replay}`);
  return lines.join('\n');
}

export interface ProgressState {
  /** ms since the run started. */
  readonly elapsedMs: number;
  /** The scenario's duration. */
  readonly durationMs: number;
  /** What the run is doing ("starting components", "faults", "settling", "judging"). */
  readonly phase?: string;
  readonly faultsRan?: number;
  readonly faultsPlanned?: number;
  readonly faultErrors?: number;
  readonly nodes?: number;
  readonly connected?: number;
  readonly ready?: number;
  /** Journal lines so far. */
  readonly historyLines?: number;
}

/**
 * One progress line, e.g. `[1m30s/5m] ██████░░░░░░ 30% faults · faults 12/40 · connected 9,800/10,000 · Ready
 * 9,750`. No carriage return or newline: a TTY caller rewrites the line (`\r` + line + clear-to-end), others
 * print it every few seconds.
 */
export function formatProgress(p: ProgressState, options: { readonly width?: number; readonly color?: boolean } = {}): string {
  const paint = painter(options.color ?? false);
  const width = Math.max(40, options.width ?? 100);
  const frac = p.durationMs > 0 && Number.isFinite(p.elapsedMs) ? Math.min(1, Math.max(0, p.elapsedMs / p.durationMs)) : 0;
  const barW = 12;
  const full = Math.round(frac * barW);
  const bar = `${'█'.repeat(full)}${'░'.repeat(barW - full)}`;
  const parts = [`[${formatClock(p.elapsedMs)} / ${formatClock(p.durationMs)}] ${bar} ${String(Math.round(frac * 100)).padStart(3)}%${p.phase !== undefined ? ` ${p.phase}` : ''}`];
  if (p.faultsPlanned !== undefined) {
    let f = `faults ${formatCount(p.faultsRan ?? 0)}/${formatCount(p.faultsPlanned)}`;
    if ((p.faultErrors ?? 0) > 0) f += ` ${paint('red', `(${formatCount(p.faultErrors ?? 0)} failed)`)}`;
    parts.push(f);
  }
  if (p.connected !== undefined) parts.push(`connected ${formatCount(p.connected)}${p.nodes !== undefined ? `/${formatCount(p.nodes)}` : ''}`);
  if (p.ready !== undefined) parts.push(`Ready ${formatCount(p.ready)}`);
  if (p.historyLines !== undefined) parts.push(`history ${formatCount(p.historyLines)} lines`);
  // drop trailing parts until it fits (colour codes do not take columns)
  const visible = (s: string): number => [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;
  while (parts.length > 1 && visible(parts.join(' · ')) > width) parts.pop();
  const line = parts.join(' · ');
  return visible(line) > width ? truncate(line.replace(/\u001b\[[0-9;]*m/g, ''), width) : line;
}
