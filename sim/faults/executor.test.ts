import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { runSchedule, type ActionRecord } from './executor.ts';
import { advanceSettled, recordingTargets, type RecordingOptions } from './recording-targets.ts';
import { scheduleFormat, type Schedule, type ScheduleEntry } from './schedule.ts';

const fakeTargets = (clock: ManualClock, opts: RecordingOptions = {}): ReturnType<typeof recordingTargets> => recordingTargets(clock, opts);
const advance = advanceSettled;

const reconnect = { kind: 'edgecore', heartbeatMs: 15_000 } as const;
const entries: ScheduleEntry[] = [
  { seq: 0, at: 0, action: 'mark', targets: [], params: { label: 'start' }, source: 'timeline[0]' },
  { seq: 1, at: 1000, action: 'partition', targets: ['uplink-p01-s001'], params: { mode: 'blackhole' }, source: 'timeline[1]' },
  { seq: 2, at: 1000, action: 'degrade', targets: ['uplink-p01-s002'], params: { profile: '3g' }, source: 'timeline[2]' },
  { seq: 3, at: 2000, action: 'kill-component', targets: ['cloudcore'], params: {}, source: 'timeline[3]' },
  { seq: 4, at: 3000, action: 'node-offline', targets: ['v-0001', 'v-0002'], params: { mode: 'power-off', reconnect }, source: 'timeline[4]' },
  { seq: 5, at: 4000, action: 'start-component', targets: ['cloudcore'], params: {}, source: 'timeline[3]' },
  { seq: 6, at: 5000, action: 'heal', targets: ['uplink-p01-s001'], params: {}, source: 'timeline[1]' },
  { seq: 7, at: 5000, action: 'restore', targets: ['uplink-p01-s002'], params: { profile: 'toll-uplink-3mbit-lossy' }, source: 'timeline[2]' },
  { seq: 8, at: 6000, action: 'move-vehicles', targets: ['v-0003'], params: { cell: 'tunnel', profile: 'no-coverage' }, source: 'routes' },
  { seq: 9, at: 7000, action: 'rollout', targets: ['nav'], params: { workload: 'nav', image: { name: 'nav:2', sizeBytes: 1, arch: ['arm64'] } }, source: 'timeline[5]' },
];
const schedule: Schedule = { format: scheduleFormat, scenario: 't', seed: 1, durationMs: 10_000, entries };

describe('timeline executor', () => {
  it('applies each entry at its time, in order, through the matching target method, and records it', async () => {
    const clock = new ManualClock(1_000_000);
    const { targets, calls } = fakeTargets(clock);
    const journal: ActionRecord[] = [];
    const done = runSchedule(schedule, { clock, targets, onAction: (r) => journal.push(r) });
    await advance(clock, 10_000);
    const report = await done;
    expect(report).toMatchObject({ completed: true, cancelled: false, notRun: 0, errors: 0, startTime: 1_000_000 });
    expect(calls.map((c) => [c.t - 1_000_000, c.method])).toEqual([
      [0, 'mark'],
      [1000, 'partition'],
      [1000, 'setLinkProfile'],
      [2000, 'killComponent'],
      [3000, 'nodesOffline'],
      [4000, 'startComponent'],
      [5000, 'heal'],
      [5000, 'setLinkProfile'],
      [6000, 'moveVehicles'],
      [7000, 'rolloutUpdate'],
    ]);
    // the last argument says which entry a call comes from: the halves of one fault share its source
    expect(calls[2]?.args).toEqual([['uplink-p01-s002'], '3g', 'degrade', { seq: 2, at: 1000, source: 'timeline[2]' }]);
    expect(calls[7]?.args).toEqual([['uplink-p01-s002'], 'toll-uplink-3mbit-lossy', 'restore', { seq: 7, at: 5000, source: 'timeline[2]' }]);
    expect(calls[4]?.args).toEqual([['v-0001', 'v-0002'], { mode: 'power-off', reconnect }, { seq: 4, at: 3000, source: 'timeline[4]' }]);
    expect(calls[9]?.args).toEqual(['nav', ['nav'], { name: 'nav:2', sizeBytes: 1, arch: ['arm64'] }, { seq: 9, at: 7000, source: 'timeline[5]' }]);
    expect(journal.map((r) => [r.seq, r.at, r.startedAt, r.outcome])).toEqual(entries.map((e) => [e.seq, e.at, e.at, 'ok']));
    expect(report.records).toEqual(journal);
  });

  it('a failing action is recorded with its error and the run goes on', async () => {
    const clock = new ManualClock();
    const { targets, calls } = fakeTargets(clock, { failOn: (m) => m === 'killComponent' });
    const done = runSchedule(schedule, { clock, targets });
    await advance(clock, 10_000);
    const report = await done;
    expect(report.errors).toBe(1);
    expect(report.completed).toBe(true);
    const failed = report.records.find((r) => r.action === 'kill-component');
    expect(failed?.outcome).toBe('error');
    expect(failed?.error?.code).toBe('E_COMPONENT_UNHEALTHY');
    expect(failed?.error?.message).toContain('killComponent failed');
    expect(calls).toHaveLength(entries.length);
  });

  it('an action that overruns makes the next ones late, and the records say by how much', async () => {
    const clock = new ManualClock();
    const { targets } = fakeTargets(clock, { durationMs: (m) => (m === 'killComponent' ? 2500 : 0) });
    const done = runSchedule(schedule, { clock, targets });
    await advance(clock, 12_000);
    const report = await done;
    const byseq = new Map(report.records.map((r) => [r.seq, r]));
    expect(byseq.get(3)).toMatchObject({ startedAt: 2000, endedAt: 4500, lateMs: 0 });
    expect(byseq.get(4)).toMatchObject({ at: 3000, startedAt: 4500, lateMs: 1500 });
    expect(byseq.get(5)).toMatchObject({ at: 4000, startedAt: 4500, lateMs: 500 });
    expect(byseq.get(6)).toMatchObject({ startedAt: 5000, lateMs: 0 });
  });

  it('cancelled while waiting: stops at once, the record holds what ran, the rest is counted', async () => {
    const clock = new ManualClock();
    const { targets, calls } = fakeTargets(clock);
    const ctl = new AbortController();
    const journal: ActionRecord[] = [];
    const done = runSchedule(schedule, { clock, targets, signal: ctl.signal, onAction: (r) => journal.push(r) });
    await advance(clock, 3500);
    ctl.abort();
    const report = await done;
    expect(report).toMatchObject({ cancelled: true, completed: false, notRun: 5 });
    expect(journal.map((r) => r.action)).toEqual(['mark', 'partition', 'degrade', 'kill-component', 'node-offline']);
    await advance(clock, 10_000);
    expect(calls).toHaveLength(5); // nothing runs after the cancel
    expect(clock.pendingTimers()).toBe(0);
  });

  it('cancelled during a long action: that entry is recorded as interrupted', async () => {
    const clock = new ManualClock();
    const { targets } = fakeTargets(clock, { durationMs: (m) => (m === 'nodesOffline' ? 60_000 : 0) });
    const ctl = new AbortController();
    const done = runSchedule(schedule, { clock, targets, signal: ctl.signal });
    await advance(clock, 4000);
    ctl.abort();
    const report = await done;
    expect(report.records.at(-1)).toMatchObject({ action: 'node-offline', outcome: 'interrupted' });
    expect(report).toMatchObject({ cancelled: true, notRun: 5 });
  });

  it('an already aborted signal runs nothing; a journal hook that throws does not stop the run', async () => {
    const clock = new ManualClock();
    const { targets, calls } = fakeTargets(clock);
    const ctl = new AbortController();
    ctl.abort();
    expect(await runSchedule(schedule, { clock, targets, signal: ctl.signal })).toMatchObject({ cancelled: true, notRun: entries.length, records: [] });
    expect(calls).toHaveLength(0);
    const done = runSchedule(schedule, { clock, targets, onAction: () => { throw new Error('disk full'); } });
    await advance(clock, 10_000);
    const report = await done;
    expect(report.completed).toBe(true);
    expect(report.hookErrors).toHaveLength(entries.length);
    expect(report.hookErrors[0]).toBe('disk full');
  });

  it('model: for any schedule and any failures, every entry is applied once, in order, never early', async () => {
    const entryArb = fc.record({
      at: fc.integer({ min: 0, max: 20_000 }),
      action: fc.constantFrom('partition', 'heal', 'kill-component', 'mark', 'stop-edges'),
      fail: fc.boolean(),
      takes: fc.integer({ min: 0, max: 3000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { maxLength: 12 }), async (raw) => {
        const sorted = raw.map((e, i) => ({ ...e, i })).sort((a, b) => a.at - b.at || a.i - b.i);
        const list: ScheduleEntry[] = sorted.map((e, seq) => {
          const base = { seq, at: e.at, targets: [`t${seq}`], source: `e${seq}` };
          switch (e.action) {
            case 'partition':
              return { ...base, action: 'partition', params: { mode: 'blackhole' } };
            case 'heal':
              return { ...base, action: 'heal', params: {} };
            case 'kill-component':
              return { ...base, action: 'kill-component', targets: ['cloudcore'], params: {} };
            case 'mark':
              return { ...base, action: 'mark', targets: [], params: { label: `m${seq}` } };
            default:
              return { ...base, action: 'stop-edges', params: {} };
          }
        });
        const clock = new ManualClock();
        const failing = new Set(sorted.filter((e) => e.fail).map((e) => sorted.indexOf(e)));
        let n = 0;
        const order: number[] = [];
        const slow = async (): Promise<void> => {
          const k = n++;
          order.push(k);
          const takes = sorted[k]?.takes ?? 0;
          if (takes > 0) await clock.sleep(takes);
          if (failing.has(k)) throw new Error(`boom ${k}`);
        };
        const targets = { ...fakeTargets(clock).targets, partition: slow, heal: slow, killComponent: slow, stopEdges: slow, mark: slow };
        const done = runSchedule(list, { clock, targets });
        await advance(clock, 60_000, 500);
        const report = await done;
        expect(order).toEqual(list.map((_, k) => k));
        expect(report.records.map((r) => r.seq)).toEqual(list.map((e) => e.seq));
        expect(report.records.every((r) => r.startedAt >= r.at && r.endedAt >= r.startedAt)).toBe(true);
        expect(report.errors).toBe(failing.size);
        expect(report.records.filter((r) => r.outcome === 'error').map((r) => r.seq)).toEqual([...failing].sort((a, b) => a - b));
      }),
      { numRuns: 60 },
    );
  });
});
