/**
 * `result.json`: what a run ended with — the single file CI, dashboards and `edgeproof report` read. Its JSON
 * Schema is reports/schema/result.schema.json (a test keeps the two in step).
 *
 * Writing is atomic (a temporary file in the same directory, fsync, rename), so a crash during the write leaves
 * either the previous result.json or the new one, never a torn one. Everything here is synchronous on purpose:
 * `writePartialResult` must work from a SIGINT handler or an 'exit' hook, where the event loop may not turn again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EdgeproofError, ExitCode, exitCodeForCategory, isEdgeproofError, messageOf, type ErrorCategory } from '../sim/core/errors.ts';
import type { GuaranteeId, Verdict } from '../sim/evidence/verdict.ts';
import type { ExecutionReport } from '../sim/faults/executor.ts';
import { scheduleDigest, type Schedule } from '../sim/faults/schedule.ts';

export const RESULT_FORMAT = 'edgeproof.result/v1';

/** The conventional exit status of a process stopped by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/**
 * - `passed`: the run completed and no guarantee was violated (held or not-checked only).
 * - `failed`: the run completed and at least one guarantee was violated.
 * - `partial`: the run was cut short after it started (Ctrl-C, a component died, an error mid-run); `partial`
 *   says why. Its verdicts, if any, judge the history up to the cut.
 * - `error`: the run could not be carried out (bad input, a component missing or failing to start); `error` says
 *   what. Verdicts are not-checked.
 */
export type RunStatus = 'passed' | 'failed' | 'partial' | 'error';
export const RUN_STATUSES: readonly RunStatus[] = ['passed', 'failed', 'partial', 'error'];

export type PartialReason = 'interrupted' | 'component-died' | 'error';

export interface PartialInfo {
  readonly reason: PartialReason;
  /** One sentence for people: what happened and when ("Ctrl-C at 1m32s, 12 of 40 faults ran"). */
  readonly note: string;
  /** For `component-died`: which one (cloudcore, kube-apiserver, …). */
  readonly component?: string;
  /** When the run was cut, ms from its start. */
  readonly atMs?: number;
}

export interface RunError {
  /** An EdgeproofError code (E_COMPONENT_START, …), or E_INTERNAL for anything else. */
  readonly code: string;
  readonly category: ErrorCategory;
  readonly message: string;
  readonly where?: string;
  readonly fix?: string;
  readonly logFile?: string;
}

export interface ScenarioRef {
  readonly name: string;
  /** The scenario file as given to `edgeproof run`. */
  readonly file: string;
  /** `sha256:<hex>` of the scenario text. */
  readonly digest: string;
}

export interface ComponentVersion {
  readonly name: string;
  readonly version: string;
}

export interface FaultSummary {
  /** Entries in the schedule. */
  readonly planned: number;
  /** Entries that started (ok, error or interrupted). */
  readonly ran: number;
  /** Entries whose action failed. */
  readonly errors: number;
  /** Entries that never started (the run was cut short). */
  readonly notRun: number;
  /** `sha256:<hex>` of the schedule (scheduleDigest): equal digests, same faults. */
  readonly scheduleDigest?: string;
}

/** File names inside the run directory, present only for files that were written. */
export interface RunFiles {
  readonly history?: string;
  readonly junit?: string;
  /** Prometheus text exposition of the end-of-run figures. */
  readonly metrics?: string;
  /** Every metric sample over time. */
  readonly metricsCsv?: string;
  /** clusterloader2 PerfData of the latency figures. */
  readonly perfdata?: string;
  readonly report?: string;
  readonly schedule?: string;
  readonly scenario?: string;
}

/** What was read of history.jsonl when the reports were made. */
export interface HistoryInfo {
  readonly entries: number;
  readonly lastSeq: number;
  /** ms from the first to the last line. */
  readonly spanMs: number;
  /** A crash cut the last line short; it was skipped. */
  readonly tornLastLine?: boolean;
  /** Lines that were not journal entries and were skipped (only a damaged file has any). */
  readonly skippedLines?: number;
}

export interface RunResult {
  readonly format: typeof RESULT_FORMAT;
  readonly status: RunStatus;
  /** The process exit code this result means (exitCodeOf). */
  readonly exitCode: number;
  readonly scenario: ScenarioRef;
  readonly seed: number;
  /** ISO 8601 UTC. */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  /** local, testcontainers, kubeconfig, … */
  readonly backend: string;
  readonly components: readonly ComponentVersion[];
  /** One per guarantee the scenario asserts, in GUARANTEE_IDS order. */
  readonly verdicts: readonly Verdict[];
  readonly faults: FaultSummary;
  /** Named figures (Prometheus-style names: `cloudcore_rss_bytes_max`, `edge_reconnect_ms_p99`, …). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly error?: RunError;
  readonly partial?: PartialInfo;
  readonly files: RunFiles;
  readonly history?: HistoryInfo;
  /** The command that replays this run. */
  readonly replay?: string;
  readonly edgeproofVersion?: string;
  /** Things that went wrong while reporting (a report file that could not be written, …). */
  readonly warnings?: readonly string[];
}

// ─────────────────────────────────────────── status and exit code ───────────────────────────────────────────

/** The status a run has: partial and error first (they say the verdicts are incomplete), then the verdicts. */
export function statusOf(verdicts: readonly Pick<Verdict, 'verdict'>[], how: { readonly partial?: PartialInfo | undefined; readonly error?: unknown } = {}): RunStatus {
  if (how.partial !== undefined) return 'partial';
  if (how.error !== undefined) return 'error';
  return verdicts.some((v) => v.verdict === 'violated') ? 'failed' : 'passed';
}

/**
 * The process exit code of a result (README §5):
 * - passed → 0; failed → 1;
 * - error → by the error's category: input 2, environment 3, internal 4;
 * - partial → by what cut it short: interrupted 130 (128 + SIGINT), component-died 3 (environment), error by its
 *   category (4 when none is recorded). A violation seen before the cut is in the verdicts and junit.xml, but the
 *   exit code reports the cut: a cut-short run is never a clean pass or fail.
 */
export function exitCodeOf(result: Pick<RunResult, 'status' | 'error' | 'partial'>): number {
  switch (result.status) {
    case 'passed':
      return ExitCode.ok;
    case 'failed':
      return ExitCode.violated;
    case 'error':
      return result.error !== undefined ? exitCodeForCategory(result.error.category) : ExitCode.internal;
    case 'partial':
      switch (result.partial?.reason) {
        case 'interrupted':
          return EXIT_INTERRUPTED;
        case 'component-died':
          return ExitCode.environment;
        case 'error':
        case undefined:
          return result.error !== undefined ? exitCodeForCategory(result.error.category) : ExitCode.internal;
      }
  }
}

// ─────────────────────────────────────────── building ───────────────────────────────────────────

/** `sha256:<hex>` of a scenario's text. */
export function scenarioDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** The ScenarioRef of a loaded scenario (anything with name, file and text). */
export function scenarioRef(s: { readonly name: string; readonly file: string; readonly text: string }): ScenarioRef {
  return { name: s.name, file: s.file, digest: scenarioDigest(s.text) };
}

/** A RunError from anything thrown. */
export function runErrorOf(e: unknown): RunError {
  if (isEdgeproofError(e)) {
    return {
      code: e.code,
      category: e.category,
      message: e.message,
      ...(e.where !== undefined ? { where: e.where } : {}),
      ...(e.fix !== undefined ? { fix: e.fix } : {}),
      ...(e.logFile !== undefined ? { logFile: e.logFile } : {}),
    };
  }
  if (isRunError(e)) return e;
  return { code: 'E_INTERNAL', category: 'internal', message: messageOf(e) };
}

function isRunError(e: unknown): e is RunError {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as Record<string, unknown>;
  return typeof r['code'] === 'string' && typeof r['message'] === 'string' && typeof r['category'] === 'string' && !(e instanceof Error);
}

/** The fault counts of a schedule and (if it ran) its execution report. */
export function faultSummary(schedule?: Schedule, execution?: ExecutionReport): FaultSummary {
  const ran = execution?.records.length ?? 0;
  const planned = schedule?.entries.length ?? (execution !== undefined ? execution.records.length + execution.notRun : 0);
  return {
    planned,
    ran,
    errors: execution?.errors ?? 0,
    notRun: execution !== undefined ? execution.notRun : planned - ran,
    ...(schedule !== undefined ? { scheduleDigest: `sha256:${scheduleDigest(schedule)}` } : {}),
  };
}

/** Verdicts for guarantees that were never judged (the run stopped before the checkers ran). */
export function unjudgedVerdicts(ids: readonly GuaranteeId[], why: string): Verdict[] {
  return ids.map((id) => ({ id, verdict: 'not-checked', summary: `not judged: ${why}`, checked: 0, violations: 0, skipped: 0, evidence: [] }));
}

/** What is known of a run from its start: enough for a partial result at any moment. */
export interface RunIdentity {
  readonly scenario: ScenarioRef;
  readonly seed: number;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly backend: string;
  readonly components: readonly ComponentVersion[];
  /** The guarantees the scenario asserts (unjudged ones are listed as not-checked in a partial/error result). */
  readonly guarantees?: readonly GuaranteeId[];
  /** The run directory as the user named it (for the replay command). */
  readonly runDir?: string;
  readonly edgeproofVersion?: string;
}

/** How the run ended. Everything is optional: a run cut short knows little. */
export interface RunOutcome {
  /** Epoch ms; default now. */
  readonly endedAt?: number;
  readonly verdicts?: readonly Verdict[];
  readonly schedule?: Schedule;
  readonly execution?: ExecutionReport;
  /** Overrides the counts derived from schedule/execution. */
  readonly faults?: FaultSummary;
  readonly metrics?: Readonly<Record<string, number>>;
  /** What went wrong (an EdgeproofError, a RunError, anything thrown). */
  readonly error?: unknown;
  readonly partial?: PartialInfo;
  readonly files?: RunFiles;
  readonly history?: HistoryInfo;
  readonly warnings?: readonly string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Keep finite figures with valid names; the others become warnings (a report must not carry NaN). */
function cleanMetrics(metrics: Readonly<Record<string, number>> | undefined, warnings: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!METRIC_NAME.test(k)) warnings.push(`metric "${k}" dropped: not a Prometheus metric name`);
    else if (typeof v !== 'number' || !Number.isFinite(v)) warnings.push(`metric "${k}" dropped: ${String(v)} is not a finite number`);
    else out[k] = v;
  }
  return out;
}

/** The result of a run from what is known about it. Status and exit code are derived, never given. */
export function buildRunResult(run: RunIdentity, outcome: RunOutcome = {}): RunResult {
  const endedAt = outcome.endedAt ?? Date.now();
  const error = outcome.error !== undefined ? runErrorOf(outcome.error) : undefined;
  const partial = outcome.partial;
  const warnings = [...(outcome.warnings ?? [])];
  let verdicts: readonly Verdict[] = outcome.verdicts ?? [];
  if (run.guarantees !== undefined && (partial !== undefined || error !== undefined)) {
    // a run cut short: every asserted guarantee is listed, the ones never judged as not-checked
    const why = partial !== undefined ? `the run was cut short (${partial.reason})` : 'the run failed before the guarantees could be judged';
    const given = new Map(verdicts.map((v) => [v.id, v]));
    const listed = run.guarantees.map((id) => given.get(id) ?? unjudgedVerdicts([id], why)[0]!);
    verdicts = [...listed, ...verdicts.filter((v) => !run.guarantees?.includes(v.id))];
  }
  const status = statusOf(verdicts, { partial, error });
  const base = { status, ...(error !== undefined ? { error } : {}), ...(partial !== undefined ? { partial } : {}) };
  const metrics = cleanMetrics(outcome.metrics, warnings);
  const startedMs = Number.isFinite(run.startedAt) ? run.startedAt : endedAt;
  return {
    format: RESULT_FORMAT,
    status,
    exitCode: exitCodeOf(base),
    scenario: run.scenario,
    seed: run.seed,
    startedAt: new Date(startedMs).toISOString(),
    endedAt: new Date(Math.max(startedMs, endedAt)).toISOString(),
    durationMs: Math.max(0, endedAt - startedMs),
    backend: run.backend,
    components: run.components,
    verdicts,
    faults: outcome.faults ?? faultSummary(outcome.schedule, outcome.execution),
    metrics,
    ...(error !== undefined ? { error } : {}),
    ...(partial !== undefined ? { partial } : {}),
    files: outcome.files ?? {},
    ...(outcome.history !== undefined ? { history: outcome.history } : {}),
    ...(run.runDir !== undefined ? { replay: replayCommand(run.runDir) } : {}),
    ...(run.edgeproofVersion !== undefined ? { edgeproofVersion: run.edgeproofVersion } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** `edgeproof replay <run-dir>`, quoted for a POSIX shell when needed. */
export function replayCommand(runDir: string): string {
  const quoted = /^[A-Za-z0-9_./:@%+=,-]+$/.test(runDir) ? runDir : `'${runDir.replace(/'/g, `'\\''`)}'`;
  return `edgeproof replay ${quoted}`;
}

// ─────────────────────────────────────────── writing and reading ───────────────────────────────────────────

export const RESULT_FILE = 'result.json';

/**
 * Write a file atomically: write a temporary sibling, fsync it, rename it over `path`, fsync the directory.
 * Readers see the old content or the new one, never a mix, also if the process dies half-way.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing more to clean up
    }
    throw new EdgeproofError('E_INTERNAL', `cannot write ${basename(path)}: ${messageOf(e)}`, {
      where: path,
      fix: 'check that the run directory exists, is writable and the disk is not full',
      cause: e,
    });
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // directory fsync is best effort (not supported on every platform); the rename itself is atomic
  }
}

/** JSON text of a result: two-space indented, newline-terminated. */
export function resultToJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Write `<runDir>/result.json` atomically; returns its path. Throws EdgeproofError (E_INTERNAL) if it cannot. */
export function writeRunResult(runDir: string, result: RunResult): string {
  const path = join(runDir, RESULT_FILE);
  writeFileAtomic(path, resultToJson(result));
  return path;
}

/**
 * Write a partial result.json now, synchronously — for a SIGINT handler, an 'exit' hook, or the catch of a
 * component that died. Guarantees without a verdict are listed as not-checked. Returns the result and its path;
 * throws EdgeproofError if the file cannot be written (a signal handler should catch and print it).
 */
export function writePartialResult(
  runDir: string,
  run: RunIdentity,
  partial: PartialInfo,
  outcome: Omit<RunOutcome, 'partial'> = {},
): { readonly result: RunResult; readonly path: string } {
  const result = buildRunResult(run, { ...outcome, partial });
  return { result, path: writeRunResult(runDir, result) };
}

/** Read a result.json (for `edgeproof report` / `replay`). Bad input (exit 2) if it is not one. */
export function readRunResult(path: string): RunResult {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (e) {
    throw new EdgeproofError('E_BAD_FLAG', `cannot read the run result: ${messageOf(e)}`, { where: path, fix: 'point at a run directory written by `edgeproof run`', cause: e });
  }
  const r = raw as Partial<Record<keyof RunResult, unknown>> | null;
  if (typeof r !== 'object' || r === null || r.format !== RESULT_FORMAT || !RUN_STATUSES.includes(r.status as RunStatus) || !Array.isArray(r.verdicts)) {
    throw new EdgeproofError('E_BAD_FLAG', `not an edgeproof result (expected "format": "${RESULT_FORMAT}")`, { where: path, fix: 'point at a run directory written by `edgeproof run`' });
  }
  return raw as RunResult;
}
