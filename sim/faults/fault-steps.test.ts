import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advanceModel, describeStep, faultCommands, initialFaultModel, SequencePlan, stepAllowed, type FaultStep, type StepRunner } from './fault-steps.ts';
import { planReplay } from './replay.ts';
import { writeRunInputs } from './replay.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The fault-step vocabulary without a stack: whatever sequence fast-check generates, every step is a valid
 * timeline entry, stays inside its span, and the scenario written at the end regenerates — through the same
 * path `edgeproof replay` takes — exactly the schedule the steps ran.
 */
class PlanRunner implements StepRunner {
  constructor(readonly plan: SequencePlan) {}
  apply(step: FaultStep, version: number): Promise<void> {
    this.plan.add(step, version);
    return Promise.resolve();
  }
}

describe('fault steps as scenario timeline entries', () => {
  it('any generated sequence (closed by heal-all) is a scenario whose replay regenerates the schedule that ran', async () => {
    await fc.assert(
      fc.asyncProperty(faultCommands({ maxCommands: 8 }), async (cmds) => {
        const dir = mkdtempSync(join(tmpdir(), 'edgeproof-steps-'));
        const plan = new SequencePlan({ names: { province: 'f07' }, file: join(dir, 'scenario.yaml') });
        const real = new PlanRunner(plan);
        await fc.asyncModelRun(() => ({ model: initialFaultModel(), real }), cmds);
        if (plan.openStations.size > 0) plan.add({ kind: 'heal-all' }, 0);
        const { scenario, schedule } = plan.final();
        writeRunInputs(dir, scenario, schedule);
        const replay = planReplay(dir);
        expect(replay.difference).toBeUndefined();
        expect(replay.schedule.entries.length).toBe(schedule.entries.length);
        // the fleet the steps name is the one the replay builds
        expect(replay.fleet.nodes.map((n) => n.name)).toEqual(plan.topology.nodes.map((n) => n.name));
      }),
      { numRuns: 40 },
    );
  });

  it('the model refuses what cannot happen: heal of an uncut station, update of a deleted workload', () => {
    const m = initialFaultModel();
    expect(stepAllowed({ kind: 'heal', station: 0 }, m)).toBe(false);
    advanceModel({ kind: 'partition', station: 0 }, m);
    expect(stepAllowed({ kind: 'partition', station: 0 }, m)).toBe(false);
    expect(stepAllowed({ kind: 'heal', station: 0 }, m)).toBe(true);
    advanceModel({ kind: 'delete', workload: 'tolling' }, m);
    expect(stepAllowed({ kind: 'rollout', workload: 'tolling' }, m)).toBe(false);
    expect(stepAllowed({ kind: 'apply', workload: 'tolling' }, m)).toBe(true);
    // the last workload can go too (its gates' retained copies are not sync.converge's business)
    expect(stepAllowed({ kind: 'delete', workload: 'lane-config' }, m)).toBe(true);
    expect(advanceModel({ kind: 'rollout', workload: 'lane-config' }, m)).toBe(1);
    expect(advanceModel({ kind: 'rollout', workload: 'lane-config' }, m)).toBe(2);
    expect(describeStep({ kind: 'churn', gate: 2, mode: 'power-off', offlineS: 6 })).toBe('churn(gate 3, power-off, 6s)');
  });

  it('steps become the timeline entries a scenario author would write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-steps-'));
    const plan = new SequencePlan({ names: { province: 'f03' }, file: join(dir, 'scenario.yaml') });
    const a = plan.add({ kind: 'partition', station: 1 }, 0);
    const b = plan.add({ kind: 'kill-cloudcore', forS: 5 }, 0);
    const c = plan.add({ kind: 'churn', gate: 0, mode: 'disconnect', offlineS: 4 }, 0);
    expect(a.entries.map((e) => [e.at, e.action, e.targets])).toEqual([[0, 'partition', ['uplink-f03-s002']]]);
    expect(b.entries.map((e) => [e.at, e.action, e.targets])).toEqual([
      [7000, 'kill-component', ['cloudcore']],
      [12000, 'start-component', ['cloudcore']],
    ]);
    expect(c.entries.map((e) => [e.at, e.action, e.targets])).toEqual([
      [18000, 'node-offline', ['f03-s001-g01']],
      [22000, 'node-online', ['f03-s001-g01']],
    ]);
    expect(plan.openStations).toEqual(new Set([1]));
    expect(plan.scenario.text).toContain('id: s01, partition: { select: "station=f03-s002" }');
  });
});
