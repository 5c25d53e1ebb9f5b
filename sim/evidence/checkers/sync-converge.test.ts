import { describe, expect, it } from 'vitest';
import { bench, cloud, edge, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkSyncConverge } from './sync-converge.ts';

const p = { name: 'p', uid: 'u1' };

describe('sync.converge', () => {
  it('holds when every edge copy equals the cloud at the deadline', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(20, edge.apply('n1', { ...p, rv: 5 }));
    h.add(30, cloud.upsert({ kind: 'ConfigMap', name: 'cfg', uid: 'c1', rv: 6, targets: ['n1'] }));
    h.add(40, edge.apply('n1', { kind: 'ConfigMap', name: 'cfg', uid: 'c1', rv: 6 }));
    h.add(50, cloud.upsert({ kind: 'Secret', name: 'cloud-only', uid: 's1', rv: 7, targets: [] }));
    h.add(1000, bench.deadline());
    const v = checkSyncConverge(h.entries, testBounds);
    expect(v).toMatchObject({ id: 'sync.converge', verdict: 'held', checked: 2, violations: 0, evidence: [] });
  });

  it('is violated by a missing object, naming the cloud line, node and object', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    const up = h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    const dl = h.add(1000, bench.deadline());
    const v = checkSyncConverge(h.entries, testBounds);
    expect(v.verdict).toBe('violated');
    expect(v.evidence).toEqual([{ line: up, related: [dl], node: 'n1', object: 'Pod default/p', t: 1000, note: expect.stringMatching(/^missing: .*rv 5/) as unknown }]);
  });

  it('is violated by a stale copy (older rv, or same rv of another uid)', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(0, edge.connect('n2'));
    h.add(10, cloud.upsert({ ...p, rv: 4, targets: ['n1'] }));
    const a1 = h.add(20, edge.apply('n1', { ...p, rv: 4 }));
    const up = h.add(30, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(40, cloud.upsert({ kind: 'ConfigMap', name: 'c', uid: 'new', rv: 9, targets: ['n2'] }));
    const a2 = h.add(50, edge.apply('n2', { kind: 'ConfigMap', name: 'c', uid: 'old', rv: 9 }));
    h.add(1000, bench.deadline());
    const v = checkSyncConverge(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 2, violations: 2 });
    expect(v.evidence.map((e) => [e.node, e.related?.[0], e.note.split(':')[0]])).toEqual([
      ['n1', a1, 'stale'], // older cloud change first: it had longer to arrive
      ['n2', a2, 'stale'],
    ]);
    expect(v.evidence[0]!.line).toBe(up);
  });

  it('is violated by an extra copy: deleted in the cloud, never targeted to the node, or another object under the name', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(20, edge.apply('n1', { ...p, rv: 5 }));
    const del = h.add(30, cloud.delete(p));
    // a copy of an object the cloud never meant for n1
    const elsewhere = h.add(40, cloud.upsert({ kind: 'ConfigMap', name: 'c', uid: 'c1', rv: 6, targets: ['n9'] }));
    h.add(50, edge.apply('n1', { kind: 'ConfigMap', name: 'c', uid: 'c1', rv: 6 }));
    // a copy of a Secret deleted and re-created (new uid) for another node: the copy's object is gone
    h.add(60, cloud.upsert({ kind: 'Secret', name: 's', uid: 's1', rv: 7, targets: ['n1'] }));
    h.add(70, edge.apply('n1', { kind: 'Secret', name: 's', uid: 's1', rv: 7 }));
    h.add(80, cloud.delete({ kind: 'Secret', name: 's', uid: 's1' }));
    const recreated = h.add(90, cloud.upsert({ kind: 'Secret', name: 's', uid: 's2', rv: 9, targets: ['n9'] }));
    h.add(1000, bench.deadline());
    const v = checkSyncConverge(h.entries, testBounds);
    expect(v.verdict).toBe('violated');
    expect(v.evidence.map((e) => [e.line, e.note.split(':')[0]])).toEqual([
      [del, 'extra'],
      [elsewhere, 'extra'],
      [recreated, 'extra'],
    ]);
    expect(v.evidence[0]!.note).toMatch(/deleted in the cloud at t=30/);
  });

  it('does not judge a copy the cloud still has but no longer targets to the node (KubeEdge keeps it by design)', () => {
    // the node's last pod using ConfigMap c went: edgecontroller sends no delete while c itself exists
    const cm = { kind: 'ConfigMap', name: 'c', uid: 'c1' };
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...cm, rv: 6, targets: ['n1'] }));
    h.add(20, edge.apply('n1', { ...cm, rv: 6 }));
    h.add(30, cloud.upsert({ ...cm, rv: 6, targets: [] }));
    h.add(40, cloud.upsert({ ...cm, rv: 8, targets: ['n9'] })); // updated since: the retained copy is old, still not judged
    h.add(50, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(60, edge.apply('n1', { ...p, rv: 5 }));
    h.add(1000, bench.deadline());
    const v = checkSyncConverge(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'held', checked: 1 });
    expect(v.summary).toMatch(/1 copy\(ies\) of objects the cloud still has but no longer targets/);
    // with nothing else on the node, nothing is judged, and the verdict says why
    const only = new HistoryBuilder();
    only.add(0, edge.connect('n1'));
    only.add(10, cloud.upsert({ ...cm, rv: 6, targets: ['n1'] }));
    only.add(20, edge.apply('n1', { ...cm, rv: 6 }));
    only.add(30, cloud.upsert({ ...cm, rv: 6, targets: [] }));
    only.add(1000, bench.deadline());
    expect(checkSyncConverge(only.entries, testBounds)).toMatchObject({ verdict: 'not-checked', checked: 0 });
    expect(checkSyncConverge(only.entries, testBounds).summary).toMatch(/no judged edge node .* 1 copy\(ies\) of objects the cloud still has/);
  });

  it('accepts any version the cloud held within the lag before the deadline', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(20, edge.apply('n1', { ...p, rv: 5 }));
    h.add(950, cloud.upsert({ ...p, rv: 6, targets: ['n1'] })); // 50 ms before the deadline, lag 100
    h.add(960, cloud.upsert({ kind: 'Pod', name: 'young', uid: 'y', rv: 7, targets: ['n1'] })); // created in the window: absence ok
    h.add(1000, bench.deadline());
    expect(checkSyncConverge(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 2 });
    // … but not a version older than the window
    const h2 = new HistoryBuilder();
    h2.add(0, edge.connect('n1'));
    h2.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h2.add(20, edge.apply('n1', { ...p, rv: 5 }));
    h2.add(890, cloud.upsert({ ...p, rv: 6, targets: ['n1'] }));
    h2.add(950, cloud.upsert({ ...p, rv: 7, targets: ['n1'] }));
    h2.add(1000, bench.deadline());
    expect(checkSyncConverge(h2.entries, testBounds)).toMatchObject({ verdict: 'violated', violations: 1 });
  });

  it('judges the state at the deadline line and ignores what comes after it', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(1000, bench.deadline());
    h.add(1001, edge.apply('n1', { ...p, rv: 5 })); // too late
    expect(checkSyncConverge(h.entries, testBounds).verdict).toBe('violated');
  });

  it('without a deadline line, judges at the end of the history', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(1000, edge.apply('n1', { ...p, rv: 5 }));
    expect(checkSyncConverge(h.entries, testBounds)).toMatchObject({ verdict: 'held', summary: expect.stringMatching(/end of history/) as unknown });
  });

  it('does not judge nodes still partitioned or killed at the deadline, and says so', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(0, edge.connect('n2'));
    h.add(5, fault.partition('f1', ['n1']));
    h.add(6, fault.kill(['n2']));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1', 'n2'] }));
    h.add(1000, bench.deadline());
    const v = checkSyncConverge(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'not-checked', skipped: 2 });
    expect(v.summary).toMatch(/2 still partitioned or killed/);
  });

  it('is not-checked on a history without objects', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    expect(checkSyncConverge(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no cloud objects and no edge copies in the history' });
    expect(checkSyncConverge([], testBounds).verdict).toBe('not-checked');
  });

  it('caps evidence and keeps the oldest divergence first', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    for (let i = 0; i < 50; i++) h.add(i, cloud.upsert({ name: `p${i}`, uid: `u${i}`, rv: i + 1, targets: ['n1'] }));
    h.add(1000, bench.deadline());
    const v = checkSyncConverge(h.entries, testBounds, { maxEvidence: 5 });
    expect(v.violations).toBe(50);
    expect(v.evidence.map((e) => e.object)).toEqual(['Pod default/p0', 'Pod default/p1', 'Pod default/p2', 'Pod default/p3', 'Pod default/p4']);
  });
});
