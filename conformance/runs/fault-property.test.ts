import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentProgress, stderrProgress } from '../../sim/core/progress.ts';
import type { EdgeDefects } from '../../sim/edge/edge-node.ts';
import { describeStep, faultCommands, initialFaultModel, type FaultCommandSequence } from '../../sim/faults/fault-steps.ts';
import { planReplay } from '../../sim/faults/replay.ts';
import { runScenario } from '../../sim/run/run.ts';
import { FaultBench, type SessionOutcome } from '../../sim/run/fault-session.ts';

/**
 * Property-based fault schedules against the real stack (issue 7 item 5): fast-check generates short command
 * sequences — partition/heal a station, roll out / delete / re-create a workload, restart an edge (offline when
 * its station is cut), kill CloudCore for a while, churn a gate — and runs them on real CloudCore and the real
 * control plane with simulated edges. After each sequence every fault is healed, the system gets its
 * convergence bound, and every guarantee the sequence's scenario asserts must hold (or have nothing to judge).
 *
 * One stack serves every sequence (each gets a fleet and workloads of its own, see sim/run/fault-session.ts), a
 * sequence is 2–4 steps of a few seconds each, and shrinking is capped: the file costs a few minutes.
 *
 * A failure names the fast-check seed and path, the shrunk sequence, and the run directory of its last failing
 * run: scenario.yaml + schedule.json that `edgeproof replay <dir>` runs again on a fresh stack, and the env vars
 * that make this test run exactly that counterexample again.
 *
 * Env: EDGEPROOF_FC_SEED, EDGEPROOF_FC_PATH, EDGEPROOF_FC_REPLAY_PATH (replay a reported counterexample),
 * EDGEPROOF_FC_RUNS (sequences per run, default 3), EDGEPROOF_FC_VERBOSE=1 (progress of each step on stderr).
 */

const testFile = 'conformance/runs/fault-property.test.ts';

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new Error(`${name}=${v} is not a whole number`);
  return Number(v);
}

/** The error a failing sequence throws: its verdicts, and where its replayable run directory is. */
class SequenceFailure extends Error {
  constructor(readonly outcome: SessionOutcome) {
    const bad = outcome.verdicts.filter((v) => v.verdict === 'violated');
    const lines = [
      `${bad.length} guarantee(s) violated${outcome.actionErrors.length > 0 ? `, ${outcome.actionErrors.length} action(s) failed` : ''} after ${outcome.steps.map(describeStep).join(' → ')} (deadline: ${outcome.deadline})`,
      ...bad.map((v) => `  ✗ ${v.id}: ${v.summary}${v.evidence[0] !== undefined ? ` — ${v.evidence[0].node ?? ''} ${v.evidence[0].object ?? ''}: ${v.evidence[0].note}` : ''}`),
      ...outcome.actionErrors.map((e) => `  ✗ action failed: ${e}`),
      `  run directory: ${outcome.runDir}`,
      `  replay it on a fresh stack: npx edgeproof replay ${outcome.runDir}`,
    ];
    super(lines.join('\n'));
    this.name = 'SequenceFailure';
  }
}

interface PropertyOptions {
  readonly defects?: (node: string) => EdgeDefects | undefined;
  readonly label: string;
}

/**
 * The property: any short sequence, healed, converges with every asserted guarantee held.
 *
 * Each evaluation costs a fleet start and real waits, so two things are skipped (fc.pre: fast-check counts a
 * skip as neither pass nor failure): sequences of fewer than 2 commands, which exercise nothing a longer one
 * does not; and, once a failure is found, shrink candidates beyond `shrinkRuns` — shrinking then stops with the
 * smallest failing sequence found so far, which is what gets reported.
 */
function faultProperty(bench: FaultBench, opts: PropertyOptions, replayPath: string | undefined, shrinkRuns: number): fc.IAsyncPropertyWithHooks<[FaultCommandSequence]> {
  let failures = 0;
  let shrinkRunsDone = 0;
  return fc.asyncProperty(faultCommands({ maxCommands: 4, ...(replayPath !== undefined ? { replayPath } : {}) }), async (commands) => {
    fc.pre([...commands].length >= 2);
    if (failures > 0) {
      fc.pre(shrinkRunsDone < shrinkRuns);
      shrinkRunsDone++;
    }
    try {
      const session = await bench.session({
        ...(opts.defects !== undefined ? { defects: opts.defects } : {}),
        comment: [`${opts.label}; the failure message of ${testFile} names the fast-check seed and path.`, 'Replay: npx edgeproof replay <this directory>'],
      });
      try {
        await fc.asyncModelRun(() => ({ model: initialFaultModel(), real: session }), commands);
        const outcome = await session.finish();
        if (outcome.verdicts.some((v) => v.verdict === 'violated') || outcome.actionErrors.length > 0) throw new SequenceFailure(outcome);
      } finally {
        await session.close();
      }
    } catch (e) {
      failures++;
      throw e;
    }
  });
}

/** fast-check's replayPath of a commands counterexample (it prints it as a comment in the value). */
function replayPathOf(counterexample: unknown): string | undefined {
  return /replayPath="([^"]*)"/.exec(fc.stringify(counterexample))?.[1];
}

/** Everything a reader needs to reproduce a failure, in one message. */
function failureReport(details: fc.RunDetails<[FaultCommandSequence]>): string {
  const replayPath = replayPathOf(details.counterexample);
  const failure = details.errorInstance instanceof SequenceFailure ? details.errorInstance : undefined;
  const env = `EDGEPROOF_FC_SEED=${details.seed} EDGEPROOF_FC_PATH=${JSON.stringify(details.counterexamplePath ?? '')}${replayPath !== undefined ? ` EDGEPROOF_FC_REPLAY_PATH=${JSON.stringify(replayPath)}` : ''}`;
  return [
    `fault-schedule property failed — fast-check seed ${details.seed}, path ${JSON.stringify(details.counterexamplePath)}, after ${details.numRuns} sequence(s) and ${details.numShrinks} shrink(s)`,
    `counterexample: ${fc.stringify(details.counterexample)}`,
    failure !== undefined ? failure.message : `error: ${String(details.errorInstance)}`,
    `rerun exactly this counterexample: ${env} npx vitest run ${testFile} -t "healthy edges"`,
    ...(failure !== undefined ? [`replay the failing sequence alone: npx edgeproof replay ${failure.outcome.runDir}`] : []),
  ].join('\n');
}

function params(seed: number | undefined, numRuns: number): fc.Parameters<[FaultCommandSequence]> {
  const path = process.env['EDGEPROOF_FC_PATH'];
  // replaying a path: fast-check starts at the counterexample and would go on generating after it; one is enough
  if (path !== undefined && path !== '') return { ...(seed !== undefined ? { seed } : {}), numRuns: 1, path };
  return { ...(seed !== undefined ? { seed } : {}), numRuns };
}

describe('property-based fault schedules on real CloudCore', () => {
  let bench: FaultBench;
  const progress = process.env['EDGEPROOF_FC_VERBOSE'] === '1' ? stderrProgress : silentProgress;

  beforeAll(async () => {
    bench = await FaultBench.start({ outDir: join('runs', `fault-property-${new Date().toISOString().replace(/[:.]/g, '-')}`), progress });
  }, 300_000);
  afterAll(async () => {
    await bench?.stop();
  });

  it('healthy edges: after any short fault sequence, healed, every asserted guarantee holds', async () => {
    const replayPath = process.env['EDGEPROOF_FC_REPLAY_PATH'];
    const details = await fc.check(faultProperty(bench, { label: 'healthy edges' }, replayPath === '' ? undefined : replayPath, 3), params(envInt('EDGEPROOF_FC_SEED'), envInt('EDGEPROOF_FC_RUNS') ?? 3));
    if (details.failed) throw new Error(failureReport(details));
    expect(details.numRuns).toBeGreaterThan(0);
    // the seed of a passing run too: a later failure elsewhere can be compared with what passed here
    process.stderr.write(`[fault-property] ${details.numRuns} healthy sequence(s) passed (fast-check seed ${details.seed}, run directories under ${bench.outDir})\n`);
  }, 15 * 60_000);

  it('an edge that forgets deletes after reconnecting: fast-check finds a counterexample, shrinks it, names seed, path and a replayable run', async () => {
    // seed 23: the second sequence is kill-cloudcore → partition(station 1) → delete(tolling) — every gate lost
    // the cloud, so this defect drops the deletes it is sent later; it shrinks to partition(station 1) →
    // delete(tolling), the delete made while station 1 is cut and re-sent after the heal
    const details = await fc.check(
      faultProperty(bench, { label: 'edges with defect forgetDeletesAfterReconnect (test only)', defects: () => ({ forgetDeletesAfterReconnect: true }) }, undefined, 3),
      { seed: 23, numRuns: 2 },
    );
    expect(details.failed, 'the defect went unnoticed').toBe(true);
    const report = failureReport(details);
    expect(report).toContain('fast-check seed 23');
    expect(details.numShrinks, report).toBeGreaterThan(0);
    expect(details.counterexamplePath).toMatch(/^\d+(:\d+)*$/);
    expect(report).toContain(`EDGEPROOF_FC_SEED=23 EDGEPROOF_FC_PATH="${details.counterexamplePath ?? ''}"`);
    expect(details.errorInstance).toBeInstanceOf(SequenceFailure);
    const failure = details.errorInstance as SequenceFailure;
    const violated = failure.outcome.verdicts.filter((v) => v.verdict === 'violated').map((v) => v.id);
    expect(violated.some((id) => id === 'sync.no-lost-delete' || id === 'sync.converge'), report).toBe(true);
    // the run directory replays: its scenario regenerates exactly the schedule that ran
    expect(existsSync(join(failure.outcome.runDir, 'scenario.yaml'))).toBe(true);
    const replay = planReplay(failure.outcome.runDir);
    expect(replay.difference).toBeUndefined();
    expect(replay.schedule.entries.length).toBe(failure.outcome.schedule.entries.length);
    expect(report).toContain(`npx edgeproof replay ${failure.outcome.runDir}`);
    // and replaying it — what `edgeproof replay` does (replayPlanOrThrow + runScenario: a fresh stack, warm-up,
    // the recorded schedule), with the same test-only defect — fails the same way
    const again = await runScenario({
      scenario: replay.scenario,
      seed: replay.seed,
      outDir: `${failure.outcome.runDir}-replay`,
      backend: { kind: 'local' },
      progress: silentProgress,
      defects: () => ({ forgetDeletesAfterReconnect: true }),
    });
    expect(again.status, again.verdicts.map((v) => `${v.id}: ${v.verdict} — ${v.summary}`).join('\n')).toBe('failed');
    expect(again.verdicts.filter((v) => v.verdict === 'violated').map((v) => v.id)).toEqual(expect.arrayContaining(violated));
    process.stderr.write(`\n[fault-property] the defect run's report, as a real failure would print it:\n${report}\n\n`);
  }, 20 * 60_000);
});
