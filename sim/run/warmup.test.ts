import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadHardwareProfiles } from '../edge/profile.ts';
import { buildSchedule } from '../faults/schedule.ts';
import { buildFleet } from '../fleet/topology.ts';
import { loadLinkProfiles } from '../network/link-profile.ts';
import { defaultHardwareProfileDir, parseScenario } from '../scenario/loader.ts';
import type { Scenario } from '../scenario/types.ts';
import { describeOutOfCoverage, warmupPlan, workloadReady, type WarmupWorkload } from './warmup.ts';

const profiles = { hardwareProfiles: loadHardwareProfiles(defaultHardwareProfileDir()), linkProfiles: loadLinkProfiles() };
const quickstartText = readFileSync('scenarios/quickstart.yaml', 'utf8');
const load = (text: string): Scenario => parseScenario('quickstart.yaml', text, profiles);

describe('warm-up plan', () => {
  it('quickstart (seed 42): waits for the 13 nodes in coverage, not the 3 vehicles whose route starts in the tunnel', () => {
    const scenario = load(quickstartText);
    const fleet = buildFleet(scenario, scenario.seed);
    const plan = warmupPlan(scenario, fleet);
    expect(plan.outOfCoverage.map((o) => [o.node, o.cell, o.profile])).toEqual([
      ['v-0001', 'tunnel', 'no-coverage'],
      ['v-0002', 'tunnel', 'no-coverage'],
      ['v-0004', 'tunnel', 'no-coverage'],
    ]);
    expect(plan.reachable).toHaveLength(13);
    expect(plan.reachable).toContain('v-0003');
    expect(plan.reachable.filter((n) => n.startsWith('p01-'))).toHaveLength(12);
    expect(plan.workloads.map((w) => [w.instance, w.reachableNodes])).toEqual([
      ['tolling', 12],
      ['nav', 1],
    ]);
  });

  it('says when each node out of coverage first reaches coverage, as the fault schedule moves it', () => {
    const scenario = load(quickstartText);
    const fleet = buildFleet(scenario, scenario.seed);
    const schedule = buildSchedule(scenario, scenario.seed, fleet);
    const plan = warmupPlan(scenario, fleet);
    for (const o of plan.outOfCoverage) {
      const firstCovered = schedule.entries.find((e) => e.action === 'move-vehicles' && e.targets.includes(o.node) && e.params['profile'] !== 'no-coverage');
      expect(firstCovered?.at, o.node).toBe(o.coveredAtMs);
    }
    expect(plan.outOfCoverage.map((o) => o.coveredAtMs)).toEqual([1000, 14_000, 11_000]);
    expect(describeOutOfCoverage(plan)).toBe(
      'warm-up: 3 node(s) start out of coverage and join when the timeline brings them into coverage: v-0001 (tunnel until t+1 s), v-0002 (tunnel until t+14 s), v-0004 (tunnel until t+11 s)',
    );
  });

  it('a workload whose every node starts out of coverage is not waited for', () => {
    // every vehicle starts at the tunnel (aligned phase, tunnel first)
    const text = quickstartText
      .replace('      count: 4\n', '      count: 4\n      phase: aligned\n')
      .replace('            - { cell: city, for: 40s }\n            - { cell: tunnel, for: 15s }', '            - { cell: tunnel, for: 15s }\n            - { cell: city, for: 40s }');
    expect(text).not.toBe(quickstartText);
    const scenario = load(text);
    const plan = warmupPlan(scenario, buildFleet(scenario, scenario.seed));
    expect(plan.outOfCoverage.map((o) => [o.node, o.coveredAtMs])).toEqual([
      ['v-0001', 15_000],
      ['v-0002', 15_000],
      ['v-0003', 15_000],
      ['v-0004', 15_000],
    ]);
    const nav = plan.workloads.find((w) => w.instance === 'nav');
    expect(nav?.reachableNodes).toBe(0);
    expect(nav !== undefined && workloadReady(nav, {})).toBe(true);
  });

  it('every node in coverage: nothing left out', () => {
    const text = quickstartText.replace('    tunnel: no-coverage', '    tunnel: 3g');
    const scenario = load(text);
    const plan = warmupPlan(scenario, buildFleet(scenario, scenario.seed));
    expect(plan.outOfCoverage).toEqual([]);
    expect(plan.reachable).toHaveLength(16);
    expect(describeOutOfCoverage(plan)).toBeUndefined();
  });
});

describe('workload readiness at warm-up', () => {
  const scenario = load(quickstartText);
  const plan = warmupPlan(scenario, buildFleet(scenario, scenario.seed));
  const tolling = plan.workloads.find((w) => w.instance === 'tolling') as WarmupWorkload;

  it('a DaemonSet is ready when it wants every reachable node it can run on and is ready on all it wants', () => {
    expect(workloadReady(tolling, { desiredNumberScheduled: 12, numberReady: 12 })).toBe(true);
    expect(workloadReady(tolling, { desiredNumberScheduled: 12, numberReady: 11 })).toBe(false);
    expect(workloadReady(tolling, {})).toBe(false);
  });

  it('a DaemonSet ready on the few nodes the controller counts so far (labels lag registration) is not ready', () => {
    expect(workloadReady(tolling, { desiredNumberScheduled: 1, numberReady: 1 })).toBe(false);
  });

  it('a Deployment is ready with its replicas ready', () => {
    const d: WarmupWorkload = { ...tolling, workload: { ...tolling.workload, kind: 'Deployment', replicas: 2 } };
    expect(workloadReady(d, { readyReplicas: 1 })).toBe(false);
    expect(workloadReady(d, { readyReplicas: 2 })).toBe(true);
  });
});
