import { describe, expect, it } from 'vitest';
import { edge, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkSyncMonotonic } from './sync-monotonic.ts';

const p = { name: 'p', uid: 'u1' };

describe('sync.monotonic', () => {
  it('holds for forward applies, idempotent re-applies and re-creates with a new uid', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.apply('n1', { ...p, rv: 5 }));
    h.add(1, edge.apply('n1', { ...p, rv: 5 })); // at-least-once: same rv again
    h.add(2, edge.apply('n1', { ...p, rv: 9 }));
    h.add(3, edge.delete('n1', p));
    h.add(4, edge.apply('n1', { name: 'p', uid: 'u2', rv: 3 })); // re-created: a lower rv of a new uid is fine
    h.add(5, edge.apply('n2', { ...p, rv: 2 })); // another node has its own history
    expect(checkSyncMonotonic(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 5, violations: 0 });
  });

  it('compares resourceVersions as uint64 numbers, not strings or doubles', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.apply('n1', { ...p, rv: '9' }));
    h.add(1, edge.apply('n1', { ...p, rv: '10' })); // "10" < "9" as strings
    h.add(2, edge.apply('n1', { ...p, rv: '18446744073709551614' }));
    h.add(3, edge.apply('n1', { ...p, rv: '18446744073709551615' })); // equal as doubles
    expect(checkSyncMonotonic(h.entries, testBounds).verdict).toBe('held');
    h.add(4, edge.apply('n1', { ...p, rv: '18446744073709551614' }));
    expect(checkSyncMonotonic(h.entries, testBounds)).toMatchObject({ verdict: 'violated', violations: 1 });
  });

  it('is violated when the rv of a uid goes backwards, with both lines as evidence', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.apply('n1', { ...p, rv: 5 }));
    const newer = h.add(1, edge.apply('n1', { ...p, rv: 8 }));
    const older = h.add(2, edge.apply('n1', { ...p, rv: 6 }));
    const v = checkSyncMonotonic(h.entries, testBounds);
    expect(v.verdict).toBe('violated');
    expect(v.evidence).toEqual([{ line: older, related: [newer], node: 'n1', object: 'Pod default/p', t: 2, note: 'rv went backwards: applied rv 6 after rv 8 (line 2)' }]);
  });

  it('is violated when a deleted uid comes back, or an older incarnation replaces a newer one', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.apply('n1', { ...p, rv: 5 }));
    const del = h.add(1, edge.delete('n1', p));
    const back = h.add(2, edge.apply('n1', { ...p, rv: 5 }));
    h.add(3, edge.apply('n2', { ...p, rv: 5 }));
    const replaced = h.add(4, edge.apply('n2', { name: 'p', uid: 'u2', rv: 7 }));
    const old = h.add(5, edge.apply('n2', { ...p, rv: 6 }));
    const v = checkSyncMonotonic(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', violations: 2 });
    expect(v.evidence.map((e) => [e.line, e.related, e.node])).toEqual([
      [back, [del], 'n1'],
      [old, [replaced], 'n2'],
    ]);
  });

  it('is not-checked when no edge applied anything', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    expect(checkSyncMonotonic(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no edge applied any object' });
  });
});
