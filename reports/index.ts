/**
 * reports — what a run leaves behind for people and machines (README §5):
 * result.json (run-result.ts, schema in reports/schema/), junit.xml (junit.ts), metrics.prom / metrics.csv /
 * perfdata.json (metrics.ts), report.html (html.ts), and the terminal table and progress line (table.ts).
 *
 * `writeRunReports` writes them all into a run directory — result.json last, so a result.json that names a file
 * means the file is complete. Each builder is isolated: one that fails becomes a warning in result.json, never a
 * missing result. Everything is synchronous (usable from a signal handler) and every file is written atomically.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../sim/core/errors.ts';
import type { JournalEntry } from '../sim/evidence/journal.ts';
import type { ActionRecord, ExecutionReport } from '../sim/faults/executor.ts';
import { runFiles } from '../sim/faults/replay.ts';
import { parseScheduleJson, type Schedule } from '../sim/faults/schedule.ts';
import { analyzeHistory, historyFigures, readHistoryLenient, type HistoryStats } from './history-stats.ts';
import { buildHtmlReport } from './html.ts';
import { buildJUnit } from './junit.ts';
import { metricsCsv, perfData, prometheusText } from './metrics.ts';
import { RESULT_FILE, replayCommand, writeFileAtomic, writeRunResult, type HistoryInfo, type RunFiles, type RunResult } from './run-result.ts';

export * from './run-result.ts';
export { buildJUnit, type JUnitOptions } from './junit.ts';
export { prometheusText, metricsCsv, perfData, promName, promLabelValue, csvField, perfMetricName, CSV_HEADER } from './metrics.ts';
export { buildHtmlReport, type HtmlReportInput } from './html.ts';
export { formatVerdictTable, formatRunSummary, formatProgress, useColor, VERDICT_MARK, type ProgressState, type TableOptions } from './table.ts';
export { analyzeHistory, historyFigures, readHistoryLenient, memorySeries, type HistoryStats, type LatencySummary, type Point, type FaultWindow, type LenientRead } from './history-stats.ts';
export { evidenceLine, evidenceBlock, countsLine } from './evidence-text.ts';
export { faultBarsFromSchedule, faultBarsFromWindows, describeEntry, type FaultBar, type FaultBars } from './fault-bars.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Temporary files of atomic writes (`.<name>.<pid>.<hex>.tmp`) that a process killed mid-write left behind. */
function removeStaleTemporaries(runDir: string): void {
  try {
    for (const name of readdirSync(runDir)) {
      const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
      if (m !== null && !alive(Number(m[1]))) rmSync(join(runDir, name), { force: true });
    }
  } catch {
    // best effort: leftovers are hidden and harmless
  }
}

/** The file names of a run directory. */
export const RUN_FILES = {
  result: RESULT_FILE,
  history: 'history.jsonl',
  junit: 'junit.xml',
  metrics: 'metrics.prom',
  metricsCsv: 'metrics.csv',
  perfdata: 'perfdata.json',
  report: 'report.html',
  schedule: runFiles.schedule,
  scenario: runFiles.scenario,
} as const;

export interface RunReportsInput {
  /** The result so far (buildRunResult / writePartialResult); files, history info and history figures are added. */
  readonly result: RunResult;
  /** The history; default: <runDir>/history.jsonl read leniently (a torn last line and damaged lines are skipped). */
  readonly history?: readonly JournalEntry[];
  /** The fault schedule; default: <runDir>/schedule.json if it is there. */
  readonly schedule?: Schedule;
  /** The executor's report: actual times and outcomes of the faults, and the run's t = 0 (startTime). */
  readonly execution?: ExecutionReport;
  /** The records alone, when there is no full report (e.g. collected through onAction before a crash). */
  readonly records?: readonly ActionRecord[];
  /** Epoch ms of the run's t = 0; default execution.startTime, else the history's run-start line. */
  readonly timeZero?: number;
  /** The run directory as the user named it, for the replay command (default: runDir). */
  readonly runDirLabel?: string;
}

/** Absolute paths of what was written (only files that exist). */
export interface RunReportPaths {
  readonly result: string;
  readonly junit?: string;
  readonly metrics?: string;
  readonly metricsCsv?: string;
  readonly perfdata?: string;
  readonly report?: string;
  readonly history?: string;
}

export interface RunReports {
  /** The result as written to result.json. */
  readonly result: RunResult;
  readonly paths: RunReportPaths;
  readonly stats?: HistoryStats;
}

/**
 * Write junit.xml, metrics.prom, metrics.csv, perfdata.json, report.html and, last, result.json into `runDir`.
 * Robust to a partial run: no history, a torn history, no schedule — whatever is missing is left out and said so.
 * Throws only if result.json itself cannot be written.
 */
export function writeRunReports(runDir: string, input: RunReportsInput): RunReports {
  mkdirSync(runDir, { recursive: true });
  removeStaleTemporaries(runDir);
  const warnings = [...(input.result.warnings ?? [])];
  const label = input.runDirLabel ?? runDir;

  // history
  const historyPath = join(runDir, RUN_FILES.history);
  const haveHistoryFile = existsSync(historyPath);
  let history: readonly JournalEntry[] | undefined = input.history;
  let historyInfo: HistoryInfo | undefined;
  if (history === undefined && haveHistoryFile) {
    try {
      const read = readHistoryLenient(historyPath);
      history = read.entries;
      historyInfo = { entries: 0, lastSeq: 0, spanMs: 0, ...(read.tornLastLine ? { tornLastLine: true } : {}), ...(read.skippedLines > 0 ? { skippedLines: read.skippedLines } : {}) };
      if (read.skippedLines > 0) warnings.push(`history.jsonl: ${read.skippedLines} damaged lines skipped (first: ${read.firstProblem ?? '?'})`);
    } catch (e) {
      warnings.push(`history.jsonl could not be read: ${messageOf(e)}`);
    }
  }

  // schedule
  let schedule = input.schedule;
  const schedulePath = join(runDir, RUN_FILES.schedule);
  if (schedule === undefined && existsSync(schedulePath)) {
    try {
      schedule = parseScheduleJson(readFileSync(schedulePath, 'utf8'), schedulePath);
    } catch (e) {
      warnings.push(`schedule.json could not be read: ${messageOf(e)}`);
    }
  }
  const records = input.records ?? input.execution?.records;

  // stats and figures
  let stats: HistoryStats | undefined;
  if (history !== undefined) {
    try {
      const timeZero = input.timeZero ?? input.execution?.startTime;
      stats = analyzeHistory(history, timeZero !== undefined ? { timeZero } : {});
      historyInfo = { ...historyInfo, entries: stats.entries, lastSeq: stats.lastSeq, spanMs: stats.firstT !== undefined && stats.lastT !== undefined ? stats.lastT - stats.firstT : 0 };
    } catch (e) {
      warnings.push(`the history could not be analyzed: ${messageOf(e)}`);
    }
  }
  const figures: Record<string, number> = {};
  if (stats !== undefined) {
    for (const [k, v] of Object.entries(historyFigures(stats))) if (Number.isFinite(v)) figures[k] = v;
  }
  Object.assign(figures, input.result.metrics);
  const sortedFigures = Object.fromEntries(Object.entries(figures).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  const files: { -readonly [K in keyof RunFiles]: RunFiles[K] } = {};
  if (haveHistoryFile) files.history = RUN_FILES.history;
  if (existsSync(schedulePath)) files.schedule = RUN_FILES.schedule;
  if (existsSync(join(runDir, RUN_FILES.scenario))) files.scenario = RUN_FILES.scenario;

  const base: RunResult = {
    ...input.result,
    metrics: sortedFigures,
    ...(historyInfo !== undefined ? { history: historyInfo } : {}),
    ...(input.result.replay === undefined ? { replay: replayCommand(label) } : {}),
    files,
  };
  const paths: { -readonly [K in keyof RunReportPaths]: RunReportPaths[K] } = { result: join(runDir, RUN_FILES.result) };
  if (haveHistoryFile) paths.history = historyPath;

  const attempt = (key: 'junit' | 'metrics' | 'metricsCsv' | 'perfdata' | 'report', build: () => string): void => {
    const name = RUN_FILES[key];
    const path = join(runDir, name);
    try {
      writeFileAtomic(path, build());
      files[key] = name;
      paths[key] = path;
    } catch (e) {
      warnings.push(`${name} not written: ${messageOf(e)}`);
    }
  };
  const tz = stats?.timeZero ?? input.timeZero;
  attempt('junit', () => buildJUnit(base, { runDir: label, ...(tz !== undefined ? { timeZero: tz } : {}) }));
  attempt('metrics', () => prometheusText(base, stats));
  attempt('metricsCsv', () => metricsCsv(base, stats));
  attempt('perfdata', () => `${JSON.stringify(perfData(base, stats, records), null, 2)}\n`);
  files.report = RUN_FILES.report; // so the page links itself and result.json; removed again if it fails
  attempt('report', () =>
    buildHtmlReport({
      result: { ...base, files: { ...files }, ...(warnings.length > 0 ? { warnings: [...warnings] } : {}) },
      ...(stats !== undefined ? { stats } : {}),
      ...(schedule !== undefined ? { schedule } : {}),
      ...(records !== undefined ? { records } : {}),
      ...(input.execution !== undefined ? { executionStartTime: input.execution.startTime } : {}),
      runDir: label,
    }),
  );
  if (paths.report === undefined) delete files.report;

  const { warnings: _drop, ...rest } = base;
  const result: RunResult = { ...rest, files: { ...files }, ...(warnings.length > 0 ? { warnings } : {}) };
  writeRunResult(runDir, result);
  return { result, paths, ...(stats !== undefined ? { stats } : {}) };
}
