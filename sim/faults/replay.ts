/**
 * Run directories and replay. A run writes, before its first fault, a verbatim copy of the scenario
 * (`scenario.yaml`) and the resolved schedule with its seed (`schedule.json`). `edgeproof replay <run-dir>`
 * loads that copy with that seed, regenerates the schedule and checks it equals the recorded one — same
 * actions, same targets, same order — before running it again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import { buildFleet, type Fleet } from '../fleet/topology.ts';
import { loadScenario, parseScenario, type LoadOptions } from '../scenario/loader.ts';
import type { Scenario } from '../scenario/types.ts';
import { buildSchedule, diffSchedules, parseScheduleJson, scheduleDigest, scheduleToJson, type Schedule } from './schedule.ts';

export const runFiles = { scenario: 'scenario.yaml', schedule: 'schedule.json' } as const;

/** Write scenario.yaml and schedule.json into a run directory (created if needed). */
export function writeRunInputs(runDir: string, scenario: Scenario, schedule: Schedule): { scenarioFile: string; scheduleFile: string; digest: string } {
  mkdirSync(runDir, { recursive: true });
  const scenarioFile = join(runDir, runFiles.scenario);
  const scheduleFile = join(runDir, runFiles.schedule);
  writeFileSync(scenarioFile, scenario.text);
  writeFileSync(scheduleFile, scheduleToJson(schedule));
  return { scenarioFile, scheduleFile, digest: scheduleDigest(schedule) };
}

/** Everything a run needs before it starts anything: scenario, the seed in force, the fleet, the schedule. */
export interface RunPlan {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly fleet: Fleet;
  readonly schedule: Schedule;
}

/**
 * Load a scenario file and resolve it for a seed (`--seed`, default the scenario's own): all input errors
 * (exit 2) surface here, before any component starts.
 */
export function planRun(file: string, opts: LoadOptions = {}): RunPlan {
  const scenario = loadScenario(file, opts);
  const seed = opts.seed ?? scenario.seed;
  const fleet = buildFleet(scenario, seed);
  return { scenario, seed, fleet, schedule: buildSchedule(scenario, seed, fleet) };
}

export interface ReplayPlan extends RunPlan {
  /** `schedule` is regenerated from the scenario copy and the recorded seed: what a replay runs. */
  readonly recorded: Schedule;
  /** The first difference between recorded and regenerated, or undefined when they are the same. */
  readonly difference: string | undefined;
}

function readRunFile(runDir: string, name: string): string {
  const file = join(runDir, name);
  if (!existsSync(runDir)) {
    throw new EdgeproofError('E_BAD_FLAG', `no run directory ${runDir}`, { where: 'edgeproof replay', fix: 'pass the directory a run wrote (runs/<scenario>-<time>, or the --out of `edgeproof run`)' });
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new EdgeproofError('E_BAD_FLAG', `${runDir} is not a replayable run directory: ${messageOf(e)}`, {
      where: 'edgeproof replay',
      fix: `a run directory holds ${runFiles.scenario} and ${runFiles.schedule}; runs cut short before their first fault have none`,
    });
  }
}

/** Load a run directory's scenario and seed and regenerate its schedule. */
export function planReplay(runDir: string, opts: Omit<LoadOptions, 'seed'> = {}): ReplayPlan {
  const recordedFile = join(runDir, runFiles.schedule);
  const recorded = parseScheduleJson(readRunFile(runDir, runFiles.schedule), recordedFile);
  const loaded = parseScenario(join(runDir, runFiles.scenario), readRunFile(runDir, runFiles.scenario), { ...opts, seed: recorded.seed });
  // a scenario without `name:` is named after its file, which in a run directory is scenario.yaml
  const scenario = { ...loaded, name: recorded.scenario };
  const fleet = buildFleet(scenario, recorded.seed);
  const schedule = buildSchedule(scenario, recorded.seed, fleet);
  return { scenario, seed: recorded.seed, fleet, schedule, recorded, difference: diffSchedules(recorded, schedule) };
}

/** planReplay, refusing when the regenerated schedule differs from the recorded one. */
export function replayPlanOrThrow(runDir: string, opts: Omit<LoadOptions, 'seed'> = {}): ReplayPlan {
  const plan = planReplay(runDir, opts);
  if (plan.difference !== undefined) {
    throw new EdgeproofError('E_BAD_SCENARIO', `the recorded schedule cannot be reproduced: ${plan.difference}`, {
      where: join(runDir, runFiles.schedule),
      fix: 'replay with the edgeproof version and fixtures (fixtures/hardware, fixtures/links) that recorded the run',
    });
  }
  return plan;
}
