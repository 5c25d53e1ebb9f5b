import { describe, expect, it } from 'vitest';
import { edge, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkAppHotUpdate } from './app-hot-update.ts';

const v1 = { app: 'toll', version: 'v1' };
const v2 = { app: 'toll', version: 'v2' };

// hotUpdateMs 500 of coverage
describe('app.hot-update', () => {
  it('holds when the new version starts before the old stops, within the coverage bound', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('car1'));
    h.add(0, edge.pod('car1', 'toll-a', 'running', v1));
    h.add(100, fault.rollout('toll', 'v2', ['car1']));
    h.add(300, edge.pod('car1', 'toll-b', 'running', v2));
    h.add(310, edge.pod('car1', 'toll-a', 'stopped', v1));
    expect(checkAppHotUpdate(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 2, violations: 0 });
  });

  it('counts only covered time: a vehicle out of coverage for long still holds', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('car1'));
    h.add(0, edge.pod('car1', 'toll-a', 'running', v1));
    h.add(100, fault.rollout('toll', 'v2', ['car1']));
    h.add(300, fault.partition('tunnel', ['car1'])); // 200 ms covered so far
    h.add(5000, fault.heal('tunnel'));
    h.add(5250, edge.pod('car1', 'toll-b', 'running', v2)); // 450 ms covered in total
    h.add(5260, edge.pod('car1', 'toll-a', 'stopped', v1));
    expect(checkAppHotUpdate(h.entries, testBounds).verdict).toBe('held');
  });

  it('is violated by a gap: the old version stops before the new one runs', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('car1'));
    h.add(0, edge.pod('car1', 'toll-a', 'running', v1));
    const r = h.add(100, fault.rollout('toll', 'v2', ['car1']));
    const stop = h.add(200, edge.pod('car1', 'toll-a', 'stopped', v1));
    h.add(210, edge.pod('car1', 'toll-b', 'running', v2));
    const v = checkAppHotUpdate(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 2, violations: 1 });
    expect(v.evidence).toEqual([{ line: stop, related: [r], node: 'car1', object: 'Pod default/toll-a', t: 200, note: expect.stringMatching(/^gap: /) as unknown }]);
  });

  it('is violated when a covered vehicle never gets the new version, at the instant coverage passed the bound', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('car1'));
    h.add(0, edge.connect('car2'));
    h.add(0, edge.pod('car1', 'toll-a', 'running', v1));
    const r = h.add(100, fault.rollout('toll', 'v2', ['car1', 'car2']));
    h.add(300, edge.pod('car2', 'toll-b', 'running', v2));
    h.add(700, edge.disconnect('car1'));
    h.add(900, edge.connect('car1'));
    h.add(2000, edge.connect('car3'));
    const v = checkAppHotUpdate(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', violations: 1 });
    expect(v.evidence).toEqual([{ line: r, node: 'car1', object: 'app toll', t: 600, note: expect.stringMatching(/version v2 never ran/) as unknown }]);
  });

  it('skips vehicles not covered long enough before the history ends; not-checked without rollouts', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.pod('car1', 'toll-a', 'running', v1));
    h.add(100, fault.rollout('toll', 'v2', ['car1'])); // car1 never connects
    h.add(9000, edge.connect('car2'));
    expect(checkAppHotUpdate(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', skipped: 2 });
    expect(checkAppHotUpdate([], testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no app update was rolled out' });
  });
});
