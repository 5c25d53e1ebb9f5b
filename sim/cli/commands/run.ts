import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildRunResult, formatRunSummary, scenarioRef, useColor, writePartialResult, writeRunReports, type RunIdentity } from '../../../reports/index.ts';
import { parseBackend, type BackendChoice } from '../../components/stack.ts';
import { EdgeproofError } from '../../core/errors.ts';
import { stderrProgress } from '../../core/progress.ts';
import { replayPlanOrThrow } from '../../faults/replay.ts';
import { runScenario } from '../../run/run.ts';
import { assertedGuarantees } from '../../run/bounds.ts';
import { loadScenario } from '../../scenario/loader.ts';
import type { Scenario } from '../../scenario/types.ts';
import { parseFlags } from '../args.ts';

const runFlags = {
  seed: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
} as const;

function seedFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 32 - 1) {
    throw new EdgeproofError('E_BAD_FLAG', `"${value}" is not a seed`, { where: '--seed', fix: 'pass a whole number from 0 to 4294967295' });
  }
  return Number(value);
}

function defaultRunDir(scenario: Scenario): string {
  return join('runs', `${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
}

/** `edgeproof run <scenario.yaml> [--seed N] [--out DIR] [--backend B]` */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('run', argv, runFlags, 1);
  const file = positionals[0];
  if (file === undefined) throw new EdgeproofError('E_BAD_FLAG', 'no scenario file given', { where: 'edgeproof run', fix: 'edgeproof run scenarios/quickstart.yaml' });
  const seed = seedFlag(values.seed);
  // bad input stops here, before anything starts
  const scenario = loadScenario(file, seed !== undefined ? { seed } : {});
  const backend = values.backend !== undefined ? parseBackend(values.backend) : undefined;
  return execute(scenario, seed ?? scenario.seed, values.out ?? defaultRunDir(scenario), backend);
}

/** `edgeproof replay <run-dir> [--out DIR] [--backend B]`: the recorded scenario and seed, the same fault schedule. */
export async function replayCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('replay', argv, { out: { type: 'string' }, backend: { type: 'string' } }, 1);
  const runDir = positionals[0];
  if (runDir === undefined) throw new EdgeproofError('E_BAD_FLAG', 'no run directory given', { where: 'edgeproof replay', fix: 'edgeproof replay runs/<scenario>-<time>' });
  const plan = replayPlanOrThrow(runDir);
  process.stderr.write(`[edgeproof] replay: ${plan.scenario.name}, seed ${plan.seed}: the regenerated fault schedule equals the recorded one (${plan.schedule.entries.length} actions)\n`);
  const backend = values.backend !== undefined ? parseBackend(values.backend) : undefined;
  return execute(plan.scenario, plan.seed, values.out ?? `${runDir.replace(/\/$/, '')}-replay-${new Date().toISOString().replace(/[:.]/g, '-')}`, backend);
}

async function execute(scenario: Scenario, seed: number, outDirAsGiven: string, backend: BackendChoice | undefined): Promise<number> {
  const startedAt = Date.now();
  // files are written at the absolute path; the user's spelling is what the replay command and summary show
  const outDir = resolve(outDirAsGiven);
  const identity: RunIdentity = {
    scenario: scenarioRef(scenario),
    seed,
    startedAt,
    backend: backend?.kind ?? scenario.cloud.backend,
    components: [],
    guarantees: assertedGuarantees(scenario),
    runDir: outDirAsGiven,
  };
  mkdirSync(outDir, { recursive: true });
  // from the first second there is a result.json that says the run is not finished: a run killed outright
  // (SIGKILL, power loss) still leaves a readable, honest result
  writePartialResult(outDir, identity, { reason: 'interrupted', note: 'the run was still in progress when this was written' });
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\n[edgeproof] ${signal}: stopping the timeline, judging what was recorded (again to quit at once)\n`);
      abort.abort();
      return;
    }
    writePartialResult(outDir, identity, { reason: 'interrupted', note: `stopped by ${signal} twice; not judged` });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await runScenario({ scenario, seed, outDir, ...(backend !== undefined ? { backend } : {}), progress: stderrProgress, signal: abort.signal });
    const result = buildRunResult(
      { ...identity, backend: outcome.backend, components: outcome.components },
      {
        endedAt: outcome.endedAt,
        verdicts: outcome.verdicts,
        schedule: outcome.schedule,
        ...(outcome.execution !== undefined ? { execution: outcome.execution } : {}),
        metrics: outcome.figures,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(outcome.partialReason !== undefined
          ? { partial: { reason: outcome.partialReason, note: outcome.partialReason === 'interrupted' ? 'stopped by a signal before the deadline' : outcome.partialReason === 'component-died' ? 'a component died during the run' : (outcome.error?.message ?? 'the run failed') } }
          : {}),
      },
    );
    const reports = writeRunReports(outDir, { result, ...(outcome.execution !== undefined ? { execution: outcome.execution } : {}), schedule: outcome.schedule, runDirLabel: outDirAsGiven });
    const color = useColor(process.stdout);
    process.stdout.write(`\n${formatRunSummary(reports.result, { color, runDir: outDirAsGiven })}\n`);
    if (outcome.error !== undefined) process.stderr.write(`${outcome.error.oneLine()}\n`);
    return reports.result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
