import { describe, expect, it } from 'vitest';
import { cloud, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkStormRecover } from './storm-recover.ts';

// recoverMs 1000, rssBudgetBytes 1000
describe('storm.recover', () => {
  it('holds when every returning node is Ready within the bound and RSS stays in budget', () => {
    const h = new HistoryBuilder();
    h.add(0, fault.churn('w1', 'drop', ['n1', 'n2']));
    h.add(100, cloud.rss(900));
    h.add(500, fault.churn('w1', 'return', ['n1', 'n2']));
    h.add(900, cloud.ready('n1'));
    h.add(1500, cloud.ready('n2')); // exactly at the bound
    h.add(1500, cloud.rss(1000)); // at the end of the window, at the budget
    h.add(1700, cloud.rss(5000)); // after the wave's window: not judged
    expect(checkStormRecover(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 4, violations: 0 });
  });

  it('is violated by a node not Ready in time and by RSS over budget, unrecovered nodes first', () => {
    const h = new HistoryBuilder();
    h.add(0, fault.churn('w1', 'drop', ['n1', 'n2']));
    const rss = h.add(100, cloud.rss(1500));
    const ret = h.add(500, fault.churn('w1', 'return', ['n1', 'n2']));
    h.add(900, cloud.ready('n1'));
    h.add(900, cloud.ready('n2', 'False'));
    h.add(1501, cloud.ready('n2'));
    const v = checkStormRecover(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 3, violations: 2 });
    expect(v.evidence).toEqual([
      { line: ret, node: 'n2', t: 1500, note: 'not Ready in the cloud within 1 s after churn wave w1 returned at t=500' },
      { line: rss, t: 100, note: expect.stringMatching(/over the budget/) as unknown },
    ]);
  });

  it('skips nodes dropped again before recovering, and returns the history ends too soon to judge', () => {
    const h = new HistoryBuilder();
    h.add(0, fault.churn('w1', 'return', ['n1', 'n2']));
    h.add(100, fault.partition('f', ['n1']));
    h.add(900, cloud.ready('n1'));
    const v = checkStormRecover(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'not-checked', skipped: 2 });
  });

  it('does not judge memory without a budget, and is not-checked without churn', () => {
    const h = new HistoryBuilder();
    h.add(0, fault.churn('w1', 'drop', ['n1']));
    h.add(10, cloud.rss(1e12));
    const noBudget = { ...testBounds, storm: { recoverMs: 1000 } };
    expect(checkStormRecover(h.entries, noBudget)).toMatchObject({ verdict: 'not-checked', summary: expect.stringMatching(/memory not checked/) as unknown });
    expect(checkStormRecover([], testBounds)).toMatchObject({ verdict: 'not-checked', summary: expect.stringMatching(/^no churn wave returned/) as unknown });
  });
});
