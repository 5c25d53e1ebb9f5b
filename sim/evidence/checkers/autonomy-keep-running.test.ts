import { describe, expect, it } from 'vitest';
import { device, edge, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkAutonomyKeepRunning } from './autonomy-keep-running.ts';

describe('autonomy.keep-running', () => {
  it('holds when pods keep running and device requests are answered during the partition', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.pod('n1', 'a', 'running'));
    h.add(0, edge.pod('n1', 'b', 'running'));
    h.add(10, fault.partition('f1', ['n1']));
    h.add(20, device.request('n1', 'gate', 'r1'));
    h.add(120, device.answer('n1', 'gate', 'r1')); // exactly at the bound (100 ms)
    h.add(200, fault.heal('f1'));
    h.add(300, edge.pod('n1', 'a', 'stopped')); // after the heal: not this guarantee's business
    expect(checkAutonomyKeepRunning(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 3, violations: 0 });
  });

  it('is violated by a pod that stops during the partition, naming the pod-state line and the partition', () => {
    const h = new HistoryBuilder();
    const started = h.add(0, edge.pod('n1', 'a', 'running'));
    const cut = h.add(10, fault.partition('f1', ['n1', 'n2']));
    const stop = h.add(50, edge.pod('n1', 'a', 'failed'));
    h.add(60, edge.pod('n1', 'a', 'running'));
    h.add(70, edge.pod('n1', 'a', 'stopped')); // same pod, same window: one case, first line is the evidence
    const v = checkAutonomyKeepRunning(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 1, violations: 1 });
    expect(v.evidence).toEqual([{ line: stop, related: [cut, started], node: 'n1', object: 'Pod default/a', t: 50, note: expect.stringMatching(/went failed at t=50 while the node was partitioned \(since t=10\)/) as unknown }]);
  });

  it('is violated by a device request left unanswered past the bound, and a late answer does not help', () => {
    const h = new HistoryBuilder();
    const cut = h.add(10, fault.partition('f1', ['n1']));
    const req = h.add(20, device.request('n1', 'gate', 'r1'));
    h.add(121, device.answer('n1', 'gate', 'r1'));
    const v = checkAutonomyKeepRunning(h.entries, testBounds);
    expect(v.verdict).toBe('violated');
    expect(v.evidence).toEqual([{ line: req, related: [cut], node: 'n1', object: 'Device gate', t: 120, note: expect.stringMatching(/no answer within 100 ms/) as unknown }]);
  });

  it('does not count the pods of a killed edge as stopped, and skips requests the history ends before judging', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.pod('n1', 'a', 'running'));
    h.add(10, fault.partition('f1', ['n1']));
    h.add(20, fault.kill(['n1']));
    h.add(25, edge.pod('n1', 'a', 'stopped')); // ignored: the process is dead
    h.add(30, edge.start('n1'));
    h.add(40, edge.pod('n1', 'a', 'running'));
    h.add(50, device.request('n1', 'gate', 'r9'));
    const v = checkAutonomyKeepRunning(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'held', checked: 1, skipped: 1 });
    expect(v.summary).toMatch(/1 device request\(s\) not judgeable/);
  });

  it('a node in two overlapping partitions stays partitioned until both heal', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.pod('n1', 'a', 'running'));
    h.add(10, fault.partition('station', ['n1', 'n2']));
    h.add(20, fault.partition('gate', ['n1']));
    h.add(30, fault.heal('station'));
    h.add(40, edge.pod('n1', 'a', 'stopped'));
    expect(checkAutonomyKeepRunning(h.entries, testBounds).verdict).toBe('violated');
  });

  it('is not-checked without partitions, or when partitioned nodes had nothing running', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.pod('n1', 'a', 'running'));
    expect(checkAutonomyKeepRunning(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no node was partitioned' });
    h.add(10, fault.partition('f1', ['n2']));
    expect(checkAutonomyKeepRunning(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'partitioned nodes ran no pods and had no device requests' });
  });
});
