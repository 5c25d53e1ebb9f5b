import { describe, expect, it } from 'vitest';
import { edge, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkAutonomyRestartOffline } from './autonomy-restart-offline.ts';

/** n1 runs a and b, is cut off at 10, killed at 20, restarts at 30 (restore bound 500 ms → due 530). */
function offlineRestart(): { h: HistoryBuilder; kill: number; start: number } {
  const h = new HistoryBuilder();
  h.add(0, edge.connect('n1'));
  h.add(0, edge.pod('n1', 'a', 'running'));
  h.add(0, edge.pod('n1', 'b', 'running'));
  h.add(10, fault.partition('f1', ['n1']));
  const kill = h.add(20, fault.kill(['n1']));
  const start = h.add(30, edge.start('n1'));
  return { h, kill, start };
}

describe('autonomy.restart-offline', () => {
  it('holds when the pods run again from local state before the node reconnects', () => {
    const { h } = offlineRestart();
    h.add(200, edge.pod('n1', 'a', 'running'));
    h.add(530, edge.pod('n1', 'b', 'running')); // exactly at the bound
    h.add(600, fault.heal('f1'));
    h.add(700, edge.connect('n1'));
    expect(checkAutonomyRestartOffline(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 2, violations: 0 });
  });

  it('is violated per pod not back within the bound while still offline, naming the start and the kill', () => {
    const { h, kill, start } = offlineRestart();
    h.add(200, edge.pod('n1', 'a', 'running'));
    h.add(531, edge.pod('n1', 'b', 'running')); // 1 ms late
    const v = checkAutonomyRestartOffline(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 2, violations: 1 });
    expect(v.evidence).toEqual([{ line: start, related: [kill], node: 'n1', object: 'Pod default/b', t: 530, note: expect.stringMatching(/restarted offline at t=30/) as unknown }]);
  });

  it('skips a restart when the node reconnects before the bound (local and cloud restore look alike)', () => {
    const { h } = offlineRestart();
    h.add(100, fault.heal('f1'));
    h.add(110, edge.connect('n1'));
    h.add(120, edge.pod('n1', 'a', 'running'));
    h.add(2000, edge.pod('n1', 'b', 'running'));
    const v = checkAutonomyRestartOffline(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'not-checked', skipped: 2 });
  });

  it('a restart while online is not an offline restart', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.pod('n1', 'a', 'running'));
    h.add(20, fault.kill(['n1']));
    h.add(30, edge.start('n1'));
    h.add(5000, edge.connect('n1'));
    expect(checkAutonomyRestartOffline(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no edge restarted while partitioned' });
  });

  it('is not-checked when the node had no pods to restore', () => {
    const h = new HistoryBuilder();
    h.add(10, fault.partition('f1', ['n1']));
    h.add(20, fault.kill(['n1']));
    h.add(30, edge.start('n1'));
    h.add(5000, fault.heal('f1'));
    expect(checkAutonomyRestartOffline(h.entries, testBounds).summary).toMatch(/no pods were running to restore/);
  });
});
