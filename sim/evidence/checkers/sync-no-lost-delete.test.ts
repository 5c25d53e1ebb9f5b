import { describe, expect, it } from 'vitest';
import { bench, cloud, edge, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkSyncNoLostDelete } from './sync-no-lost-delete.ts';

const p = { name: 'p', uid: 'u1' };

function offlineDelete(afterHeal: (h: HistoryBuilder) => void): { h: HistoryBuilder; del: number } {
  const h = new HistoryBuilder();
  h.add(0, edge.connect('n1'));
  h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
  h.add(20, edge.apply('n1', { ...p, rv: 5 }));
  h.add(30, fault.partition('f1', ['n1']));
  const del = h.add(40, cloud.delete(p));
  h.add(50, fault.heal('f1'));
  h.add(60, edge.disconnect('n1'));
  h.add(70, edge.connect('n1'));
  afterHeal(h);
  return { h, del };
}

describe('sync.no-lost-delete', () => {
  it('holds when the object deleted while the edge was cut off is gone after it reconnects', () => {
    const { h } = offlineDelete((h) => {
      h.add(80, edge.delete('n1', p));
      h.add(1000, bench.deadline());
    });
    expect(checkSyncNoLostDelete(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 1 });
  });

  it('is violated when it is still there at the deadline, with the delete, the apply and the deadline as evidence', () => {
    let dl = 0;
    const { h, del } = offlineDelete((h) => {
      dl = h.add(1000, bench.deadline());
    });
    const v = checkSyncNoLostDelete(h.entries, testBounds);
    expect(v.verdict).toBe('violated');
    expect(v.evidence).toEqual([{ line: del, related: [3, dl], node: 'n1', object: 'Pod default/p', t: 1000, note: expect.stringMatching(/while the node was offline/) as unknown }]);
  });

  it('counts a disconnected (not partitioned) or killed edge as offline too', () => {
    const h = new HistoryBuilder();
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1', 'n2'] }));
    h.add(20, edge.apply('n1', { ...p, rv: 5 })); // n1 never connected
    h.add(20, edge.apply('n2', { ...p, rv: 5 }));
    h.add(25, fault.kill(['n2']));
    h.add(40, cloud.delete(p));
    h.add(50, edge.start('n2'));
    h.add(1000, bench.deadline());
    expect(checkSyncNoLostDelete(h.entries, testBounds)).toMatchObject({ verdict: 'violated', checked: 2, violations: 2 });
  });

  it('skips nodes still partitioned at the deadline (they cannot have been told)', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(20, edge.apply('n1', { ...p, rv: 5 }));
    h.add(30, fault.partition('f1', ['n1']));
    h.add(40, cloud.delete(p));
    h.add(1000, bench.deadline());
    const v = checkSyncNoLostDelete(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'not-checked', skipped: 1 });
    expect(v.summary).toMatch(/still partitioned or killed/);
  });

  it('ignores deletes while the edge was online, and a newer incarnation on the edge is not the deleted one', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(10, cloud.upsert({ ...p, rv: 5, targets: ['n1'] }));
    h.add(20, edge.apply('n1', { ...p, rv: 5 }));
    h.add(30, cloud.delete(p)); // online: sync.converge's business
    expect(checkSyncNoLostDelete(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no object was deleted in the cloud while an edge that held it was offline' });
    h.add(40, edge.disconnect('n1'));
    h.add(50, cloud.upsert({ name: 'p', uid: 'u2', rv: 9, targets: ['n1'] }));
    h.add(55, edge.apply('n1', { name: 'p', uid: 'u2', rv: 9 })); // (the edge's view is what it wrote)
    h.add(60, cloud.delete({ name: 'p', uid: 'u2' }));
    h.add(70, edge.connect('n1'));
    h.add(80, edge.apply('n1', { name: 'p', uid: 'u3', rv: 12 }));
    h.add(1000, bench.deadline());
    expect(checkSyncNoLostDelete(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 1 });
  });
});
