/**
 * The soak: one or more scenarios run for seeds from..from+N−1 against the real stack, one after another, to
 * show the healthy build raises no alarm over many seeds (issue 7, "Done when"). A bench, not a CI step: each
 * seed is a full `edgeproof run` (runScenario starts its own stack, so a seed costs a stack start plus the
 * scenario's duration), written to its own run directory so any seed that fails can be replayed.
 *
 * The summary (`soak-<time>.json`) is rewritten after every seed: a soak stopped half way still says how far it
 * got and what it saw.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildRunResult, scenarioRef, writeRunReports } from '../../reports/index.ts';
import type { BackendChoice } from '../components/stack.ts';
import { messageOf } from '../core/errors.ts';
import type { Progress } from '../core/progress.ts';
import { assertedGuarantees } from '../run/bounds.ts';
import { runScenario, type RunStatus } from '../run/run.ts';
import type { Scenario } from '../scenario/types.ts';

export interface SoakOptions {
  /** Loaded scenarios (bad input is reported before anything starts). */
  readonly scenarios: readonly { readonly file: string; readonly scenario: Scenario }[];
  readonly fromSeed: number;
  readonly seeds: number;
  readonly backend: BackendChoice;
  /** The summary and one run directory per (scenario, seed) go under here. */
  readonly outDir: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  /** Called after every seed (the CLI prints a table row). */
  readonly onSeed?: (row: SoakRow) => void;
}

export interface SoakRow {
  readonly scenario: string;
  readonly seed: number;
  readonly status: RunStatus;
  /** Guarantee ids the run violated. */
  readonly violated: readonly string[];
  /** Asserted guarantee ids that could not be judged (nothing to judge, or the run ended too soon). */
  readonly notChecked: readonly string[];
  /** Wall time of the whole seed, stack start and stop included. */
  readonly durationMs: number;
  /** The timeline's share of it: warm-up, faults and the convergence deadline. */
  readonly warmupSeconds?: number;
  readonly runDir: string;
  readonly replay: string;
  readonly error?: string;
}

export interface SoakSummary {
  readonly format: 'edgeproof.soak/v1';
  readonly startedAt: string;
  readonly endedAt: string;
  readonly backend: string;
  readonly scenarios: readonly string[];
  readonly fromSeed: number;
  /** Seeds asked for per scenario, and how many ran (fewer when interrupted). */
  readonly seedsRequested: number;
  readonly runs: number;
  readonly passed: number;
  readonly notPassed: number;
  readonly meanSecondsPerSeed: number;
  readonly rows: readonly SoakRow[];
  readonly complete: boolean;
}

const stamp = (): string => new Date().toISOString().replace(/[:.]/g, '-');

/** Run the soak; never throws for a failing seed (the row says what happened). */
export async function runSoak(opts: SoakOptions): Promise<{ summary: SoakSummary; file: string }> {
  const startedAt = new Date().toISOString();
  const root = resolve(opts.outDir);
  mkdirSync(root, { recursive: true });
  const file = join(root, `soak-${stamp()}.json`);
  const rows: SoakRow[] = [];
  const summarize = (complete: boolean): SoakSummary => {
    const passed = rows.filter((r) => r.status === 'passed').length;
    return {
      format: 'edgeproof.soak/v1',
      startedAt,
      endedAt: new Date().toISOString(),
      backend: opts.backend.kind,
      scenarios: opts.scenarios.map((s) => s.file),
      fromSeed: opts.fromSeed,
      seedsRequested: opts.seeds,
      runs: rows.length,
      passed,
      notPassed: rows.length - passed,
      meanSecondsPerSeed: rows.length === 0 ? 0 : Math.round(rows.reduce((a, r) => a + r.durationMs, 0) / rows.length / 100) / 10,
      rows,
      complete,
    };
  };
  const write = (complete: boolean): SoakSummary => {
    const s = summarize(complete);
    writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`);
    return s;
  };
  write(false);
  for (const { scenario } of opts.scenarios) {
    for (let seed = opts.fromSeed; seed < opts.fromSeed + opts.seeds; seed++) {
      if (opts.signal?.aborted === true) return { summary: write(false), file };
      const runDir = join(root, `soak-${scenario.name}-seed${seed}-${stamp()}`);
      const t0 = Date.now();
      opts.progress.step('soak', `${scenario.name} seed ${seed} (${seed - opts.fromSeed + 1}/${opts.seeds}) → ${runDir}`);
      let row: SoakRow;
      try {
        const o = await runScenario({ scenario, seed, outDir: runDir, backend: opts.backend, progress: opts.progress, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) });
        // the same reports `edgeproof run` writes, so a failing seed's directory is read and replayed like any run
        const result = buildRunResult(
          { scenario: scenarioRef(scenario), seed, startedAt: o.startedAt, backend: o.backend, components: o.components, guarantees: assertedGuarantees(scenario), runDir },
          {
            endedAt: o.endedAt,
            verdicts: o.verdicts,
            schedule: o.schedule,
            ...(o.execution !== undefined ? { execution: o.execution } : {}),
            metrics: o.figures,
            ...(o.error !== undefined ? { error: o.error } : {}),
            ...(o.partialReason !== undefined ? { partial: { reason: o.partialReason, note: o.error?.message ?? o.partialReason } } : {}),
          },
        );
        writeRunReports(runDir, { result, ...(o.execution !== undefined ? { execution: o.execution } : {}), schedule: o.schedule, runDirLabel: runDir });
        const warm = o.figures['warmup_seconds'];
        row = {
          scenario: scenario.name,
          seed,
          status: o.status,
          violated: o.verdicts.filter((v) => v.verdict === 'violated').map((v) => v.id),
          notChecked: o.verdicts.filter((v) => v.verdict === 'not-checked').map((v) => v.id),
          durationMs: Date.now() - t0,
          ...(warm !== undefined ? { warmupSeconds: Math.round(warm) } : {}),
          runDir,
          replay: `npx edgeproof replay ${runDir}`,
          ...(o.error !== undefined ? { error: o.error.oneLine() } : {}),
        };
      } catch (e) {
        row = { scenario: scenario.name, seed, status: 'error', violated: [], notChecked: [], durationMs: Date.now() - t0, runDir, replay: `npx edgeproof replay ${runDir}`, error: messageOf(e) };
      }
      rows.push(row);
      write(false);
      opts.onSeed?.(row);
    }
  }
  return { summary: write(opts.signal?.aborted !== true), file };
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** The table the CLI prints: one row per seed, then the totals. */
export function formatSoakHeader(): string {
  return `${pad('scenario', 22)} ${pad('seed', 5)} ${pad('status', 8)} ${pad('time', 7)} violated / not checked`;
}

export function formatSoakRow(r: SoakRow): string {
  const notes = [r.violated.length > 0 ? `violated: ${r.violated.join(', ')}` : '', r.notChecked.length > 0 ? `not checked: ${r.notChecked.join(', ')}` : '', r.error ?? ''].filter((x) => x !== '');
  return `${pad(r.scenario, 22)} ${pad(String(r.seed), 5)} ${pad(r.status, 8)} ${pad(`${Math.round(r.durationMs / 1000)}s`, 7)} ${notes.join(' · ') || '—'}${r.status !== 'passed' ? `\n    replay: ${r.replay}` : ''}`;
}

export function formatSoakSummary(s: SoakSummary, file: string): string {
  const head = `${s.complete ? '' : 'INCOMPLETE: '}${s.passed}/${s.runs} seed runs passed (${s.seedsRequested} seed(s) × ${s.scenarios.length} scenario(s) asked), ${s.meanSecondsPerSeed} s per seed`;
  return `${head}\n  summary: ${file}`;
}
