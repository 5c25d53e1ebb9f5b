import { describe, expect, it } from 'vitest';
import { bench, cloud, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkAutonomyNoEviction } from './autonomy-no-eviction.ts';

const p = { name: 'p', uid: 'u1' };

describe('autonomy.no-eviction', () => {
  it('holds when pods of a partitioned node are evicted only after the tolerance', () => {
    const h = new HistoryBuilder();
    h.add(0, cloud.upsert({ ...p, rv: 1, targets: ['n1'] }));
    h.add(10, fault.partition('f1', ['n1']));
    h.add(1010, cloud.upsert({ ...p, rv: 2, targets: ['n1'], deleting: true })); // exactly at the 1000 ms tolerance
    h.add(1020, cloud.delete(p));
    expect(checkAutonomyNoEviction(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 1 });
  });

  it('is violated by an early deletion mark, naming the cloud line and the partition', () => {
    const h = new HistoryBuilder();
    h.add(0, cloud.upsert({ ...p, rv: 1, targets: ['n1'] }));
    const cut = h.add(10, fault.partition('f1', ['n1']));
    const mark = h.add(400, cloud.upsert({ ...p, rv: 2, targets: ['n1'], deleting: true }));
    h.add(410, cloud.delete(p)); // same eviction: not counted twice
    const v = checkAutonomyNoEviction(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 1, violations: 1 });
    expect(v.evidence).toEqual([{ line: mark, related: [cut], node: 'n1', object: 'Pod default/p', t: 400, note: 'marked for deletion 390 ms after the node was partitioned (tolerance 1 s)' }]);
  });

  it('is violated by an early outright delete and by moving a pod off the node', () => {
    const h = new HistoryBuilder();
    h.add(0, cloud.upsert({ ...p, rv: 1, targets: ['n1'] }));
    h.add(0, cloud.upsert({ name: 'q', uid: 'u2', rv: 2, targets: ['n1'] }));
    h.add(10, fault.partition('f1', ['n1']));
    h.add(100, cloud.delete(p));
    h.add(200, cloud.upsert({ name: 'q', uid: 'u2', rv: 3, targets: ['n2'] }));
    const v = checkAutonomyNoEviction(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', violations: 2 });
    expect(v.evidence.map((e) => e.note.split(' ')[0])).toEqual(['deleted', 'moved']);
  });

  it('does not blame the platform for deletions the bench asked for, or outside partitions', () => {
    const h = new HistoryBuilder();
    h.add(0, cloud.upsert({ ...p, rv: 1, targets: ['n1'] }));
    h.add(0, cloud.upsert({ name: 'q', uid: 'u2', rv: 2, targets: ['n2'] }));
    h.add(10, fault.partition('f1', ['n1']));
    h.add(90, bench.apiDelete({ name: 'p' }));
    h.add(100, cloud.delete(p));
    h.add(100, cloud.delete({ name: 'q', uid: 'u2' })); // n2 is not partitioned
    expect(checkAutonomyNoEviction(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 1 });
  });

  it('is not-checked without partitions, or when partitioned nodes had no pods', () => {
    const h = new HistoryBuilder();
    h.add(0, cloud.upsert({ ...p, rv: 1, targets: ['n1'] }));
    expect(checkAutonomyNoEviction(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no node was partitioned' });
    h.add(10, fault.partition('f1', ['n2']));
    expect(checkAutonomyNoEviction(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'partitioned nodes had no pods in the cloud' });
  });
});
