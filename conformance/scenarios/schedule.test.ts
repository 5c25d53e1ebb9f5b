/**
 * Fault schedules: a pure, deterministic function of scenario and seed; per-entry random streams; structure
 * (sorted, resolved, every effect undone inside the run); and replay — two runs of the same scenario and seed
 * yield identical fault schedules, and `replay <run-dir>` regenerates exactly what was recorded.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../sim/core/clock.ts';
import { EdgeproofError } from '../../sim/core/errors.ts';
import { runSchedule, type ActionRecord } from '../../sim/faults/executor.ts';
import { advanceSettled, recordingTargets } from '../../sim/faults/recording-targets.ts';
import { planReplay, replayPlanOrThrow, runFiles, writeRunInputs } from '../../sim/faults/replay.ts';
import { buildSchedule, diffSchedules, parseScheduleJson, scheduleDigest, scheduleToJson, type Schedule, type ScheduleEntry } from '../../sim/faults/schedule.ts';
import { buildFleet, cellAt } from '../../sim/fleet/topology.ts';
import { base, insertAfter, parse } from './support.ts';

const busy = `duration: 10m
fleet:
  provinces:
    - { name: p01, stations: 10, gatesPerStation: 4 }
    - { name: p02, stations: 10, gatesPerStation: 4 }
  gateHardware: { arm-gate-4c-1g: 50%, x86-ipc-8c-16g: 50% }
  vehicles:
    - group: v
      count: 30
      hardware: vehicle-computer-arm-8c-8g
      routes:
        - { name: a, share: 50%, legs: [{ cell: city, for: 50s }, { cell: tunnel, for: 20s }] }
        - { name: b, share: 50%, legs: [{ cell: rural, for: 40s }, { cell: city, for: 30s }] }
links:
  stationUplink: toll-uplink-3mbit-lossy
  cells: { city: lte, rural: 3g, tunnel: no-coverage }
workloads:
  - { name: nav, kind: DaemonSet, select: vehicle, copies: 2, image: { name: nav:1, size: 10MB, arch: [arm64] } }
timeline:
  - { at: 10s, partition: { select: "all share=30%", for: 1m } }
  - { at: 20s, degrade: { select: "vehicle share=50%", profile: 3g, for: 2m } }
  - { at: 30s, churn: { select: "gate share=25%", over: 20s, offline: 30s..90s, reconnect: "jittered:1s:30s" } }
  - { at: 40s, restart-edges: { select: "gate count=3", offline: 1m, restartAfter: 15s, downtime: 5s } }
  - { at: 50s, kill: { component: cloudcore, for: 30s } }
  - { at: 1m, rollout: { workload: nav, image: nav:2 } }
  - { at: 2m, id: storm, repeat: { every: 1m, times: 3 }, partition: { select: "province=p02 share=50%", for: 30s } }
  - { at: 9m, heal: { select: all } }
guarantees: { sync.converge: {} }
`;

const strip = (s: Schedule): unknown[] => s.entries.map(({ at, action, targets, params }) => ({ at, action, targets, params }));

describe('fault schedules', () => {
  it('are a pure function of scenario and seed (twice → deep-equal; through schedule.json → equal; same digest)', () => {
    const scenario = parse(busy);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = buildSchedule(scenario, seed);
        const b = buildSchedule(parse(busy), seed);
        expect(b).toEqual(a);
        expect(parseScheduleJson(scheduleToJson(a), 'schedule.json')).toEqual(a);
        expect(scheduleDigest(b)).toBe(scheduleDigest(a));
        expect(diffSchedules(a, b)).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it('different seeds usually pick different targets for random selectors', () => {
    const scenario = parse(busy);
    const distinct = new Set(Array.from({ length: 20 }, (_, seed) => JSON.stringify(buildSchedule(scenario, seed).entries.filter((e) => e.source !== 'routes').map((e) => e.targets))));
    expect(distinct.size).toBeGreaterThanOrEqual(18);
    expect(diffSchedules(buildSchedule(scenario, 1), buildSchedule(scenario, 2))).toBeDefined();
  });

  it('are resolved and well formed: sorted by time, targets sorted and unique, everything inside the run', () => {
    const scenario = parse(busy);
    const fleet = buildFleet(scenario, 7);
    const s = buildSchedule(scenario, 7, fleet);
    s.entries.forEach((e, i) => {
      expect(e.seq).toBe(i);
      if (i > 0) expect(e.at).toBeGreaterThanOrEqual(s.entries[i - 1]?.at ?? 0);
      expect(e.at).toBeLessThanOrEqual(scenario.durationMs);
      expect([...e.targets].sort()).toEqual(e.targets);
      expect(new Set(e.targets).size).toBe(e.targets.length);
      const isLink = ['partition', 'heal', 'degrade', 'restore'].includes(e.action);
      const isNode = ['node-offline', 'node-online', 'stop-edges', 'start-edges', 'move-vehicles'].includes(e.action);
      for (const t of e.targets) {
        if (isLink) expect(fleet.linkById.has(t), t).toBe(true);
        if (isNode) expect(fleet.nodeByName.has(t), t).toBe(true);
      }
    });
    // every partition with `for` is healed, same links, exactly `for` later
    const first = s.entries.find((e) => e.action === 'partition' && e.source === 'timeline[0]');
    const heal = s.entries.find((e) => e.action === 'heal' && e.source === 'timeline[0]');
    expect(heal?.at).toBe((first?.at ?? 0) + 60_000);
    expect(heal?.targets).toEqual(first?.targets);
    // repetitions draw their own targets and are named /1, /2, /3
    const storms = s.entries.filter((e) => e.action === 'partition' && e.source.startsWith('storm/'));
    expect(storms.map((e) => [e.source, e.at])).toEqual([
      ['storm/1', 120_000],
      ['storm/2', 180_000],
      ['storm/3', 240_000],
    ]);
    // churn: each node drops once within [at, at+over) and returns once, 30–90 s later
    const churnOff = s.entries.filter((e) => e.action === 'node-offline' && e.source === 'timeline[2]');
    const churnOn = s.entries.filter((e) => e.action === 'node-online' && e.source === 'timeline[2]');
    const offAt = new Map(churnOff.flatMap((e) => e.targets.map((t) => [t, e.at] as const)));
    expect(offAt.size).toBe(20); // 25 % of 80 gates
    for (const e of churnOff) expect(e.at >= 30_000 && e.at < 50_000).toBe(true);
    for (const e of churnOn) for (const t of e.targets) expect(e.at - (offAt.get(t) ?? -1)).toSatisfy((d: number) => d >= 30_000 && d <= 90_000);
    expect(churnOn.flatMap((e) => e.targets).sort()).toEqual([...offAt.keys()].sort());
    // an offline restart: cut, stop, start (offline), reconnect — in that order
    const restart = s.entries.filter((e) => e.source === 'timeline[3]').map((e) => [e.action, e.at]);
    expect(restart).toEqual([
      ['node-offline', 40_000],
      ['stop-edges', 55_000],
      ['start-edges', 60_000],
      ['node-online', 100_000],
    ]);
    // rollout targets every copy of the workload
    expect(s.entries.find((e) => e.action === 'rollout')?.targets).toEqual(['nav-01', 'nav-02']);
    // a degraded link is restored to its scenario profile at that moment: a vehicle's is its current cell's
    const restores = s.entries.filter((x) => x.action === 'restore');
    expect(restores.length).toBeGreaterThan(0);
    for (const e of restores) {
      for (const id of e.targets) {
        const link = fleet.linkById.get(id);
        const v = link?.vehicle === undefined ? undefined : fleet.vehicleByName.get(link.vehicle);
        const expected = v === undefined ? link?.profile : cellAt(v.route, e.at).profile;
        expect(e.action === 'restore' ? e.params.profile : undefined, id).toBe(expected);
      }
    }
  });

  it('adding, removing or reordering other entries does not change an entry’s targets', () => {
    const withExtra = insertAfter(25, '  - at: 5s\n    partition: { select: "all share=50%", for: 10s }');
    const a = buildSchedule(parse(base), 9);
    const b = buildSchedule(parse(withExtra), 9);
    const key = (e: ScheduleEntry): string => JSON.stringify([e.at, e.action, e.targets, e.params]);
    const inB = new Set(b.entries.map(key));
    for (const e of a.entries) expect(inB.has(key(e)), key(e)).toBe(true);
    const swapped = parse(busy.replace(/( {2}- \{ at: 10s.*\n)( {2}- \{ at: 20s.*\n)/, '$2$1'));
    expect(new Set(buildSchedule(swapped, 3).entries.map(key))).toEqual(new Set(buildSchedule(parse(busy), 3).entries.map(key)));
  });

  it('vehicles drive: every cell change is a move, grouped by instant and cell', () => {
    const scenario = parse(busy);
    const fleet = buildFleet(scenario, 4);
    const moves = buildSchedule(scenario, 4, fleet).entries.filter((e) => e.action === 'move-vehicles');
    const perVehicle = new Map<string, number>();
    for (const m of moves) for (const v of m.targets) perVehicle.set(v, (perVehicle.get(v) ?? 0) + 1);
    // 70 s routes over 10 minutes: 2 changes per lap, about 17 per vehicle
    for (const v of fleet.vehicles) expect(perVehicle.get(v.name) ?? 0).toBeGreaterThanOrEqual(16);
    const keys = moves.map((m) => `${m.at}/${m.action === 'move-vehicles' ? m.params.cell : ''}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('replay', () => {
  /** One run: load, build, write the run directory, execute on a manual clock against a recording fake. */
  async function run(file: string, text: string, seed: number | undefined, runDir: string): Promise<{ schedule: Schedule; journal: ActionRecord[] }> {
    const scenario = parse(text, file, seed === undefined ? {} : { seed });
    const s = seed ?? scenario.seed;
    const schedule = buildSchedule(scenario, s, buildFleet(scenario, s));
    writeRunInputs(runDir, scenario, schedule);
    const clock = new ManualClock(1_700_000_000_000);
    const { targets } = recordingTargets(clock);
    const journal: ActionRecord[] = [];
    const done = runSchedule(schedule, { clock, targets, onAction: (r) => journal.push(r) });
    await advanceSettled(clock, scenario.durationMs + 1000, 1000);
    await done;
    return { schedule, journal };
  }

  it('two runs of the same scenario and seed yield identical fault schedules and journals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-replay-'));
    const text = readFileSync('scenarios/quickstart.yaml', 'utf8');
    const a = await run('scenarios/quickstart.yaml', text, 1234, join(dir, 'a'));
    const b = await run('scenarios/quickstart.yaml', text, 1234, join(dir, 'b'));
    expect(b.schedule).toEqual(a.schedule);
    const facts = (j: ActionRecord[]): unknown[] => j.map((r) => [r.seq, r.at, r.action, r.targets, r.params, r.outcome]);
    expect(facts(b.journal)).toEqual(facts(a.journal));
    expect(a.journal).toHaveLength(a.schedule.entries.length);
    expect(readFileSync(join(dir, 'a', runFiles.schedule), 'utf8')).toBe(readFileSync(join(dir, 'b', runFiles.schedule), 'utf8'));
  });

  it('replay <run-dir> regenerates the recorded schedule from scenario.yaml and the recorded seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-replay-'));
    const { schedule } = await run('s.yaml', busy, 77, dir); // a --seed override is what gets recorded
    const plan = planReplay(dir);
    expect(plan.seed).toBe(77);
    expect(plan.difference).toBeUndefined();
    expect(plan.schedule).toEqual(schedule);
    expect(strip(replayPlanOrThrow(dir).schedule)).toEqual(strip(schedule));
  });

  it('refuses a run directory whose schedule cannot be reproduced, and says where they part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-replay-'));
    await run('s.yaml', busy, 5, dir);
    const file = join(dir, runFiles.schedule);
    const recorded = parseScheduleJson(readFileSync(file, 'utf8'), file);
    const i = recorded.entries.findIndex((e) => e.action === 'partition');
    const tampered: Schedule = { ...recorded, entries: recorded.entries.map((e, k) => (k === i ? { ...e, targets: [...e.targets.slice(1)] } : e)) };
    writeFileSync(file, scheduleToJson(tampered));
    expect(planReplay(dir).difference).toContain(`entry ${i}:`);
    const e = (() => {
      try {
        replayPlanOrThrow(dir);
      } catch (err) {
        return err as EdgeproofError;
      }
      throw new Error('expected a refusal');
    })();
    expect(e).toBeInstanceOf(EdgeproofError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('cannot be reproduced');
  });

  it('a directory that is not a run is bad input', () => {
    const missing = (() => {
      try {
        planReplay('/nonexistent/run');
      } catch (err) {
        return err as EdgeproofError;
      }
      throw new Error('expected an error');
    })();
    expect(missing.code).toBe('E_BAD_FLAG');
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-replay-'));
    writeFileSync(join(dir, runFiles.schedule), '{"format":"something else"}');
    writeFileSync(join(dir, runFiles.scenario), base);
    expect(() => planReplay(dir)).toThrow(/not an edgeproof schedule/);
  });
});
