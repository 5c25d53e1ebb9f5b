import { describe, expect, it } from 'vitest';
import { cloud, edge, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkStatusFresh } from './status-fresh.ts';

// bound = period 100 + slack 50 = 150 ms
describe('status.fresh', () => {
  it('holds when Ready=True is refreshed at least every period + slack while connected', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(100, cloud.ready('n1'));
    h.add(250, cloud.ready('n1')); // exactly 150 later
    h.add(300, cloud.ready('n1', 'False')); // a short NotReady blip
    h.add(390, cloud.ready('n1'));
    h.add(500, edge.disconnect('n1'));
    h.add(2000, edge.connect('n1')); // a second window, too short to judge
    h.add(2100, edge.disconnect('n1'));
    expect(checkStatusFresh(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 1, skipped: 1 });
  });

  it('is violated by a gap longer than the bound, naming the last refresh and the instant it went stale', () => {
    const h = new HistoryBuilder();
    const conn = h.add(0, edge.connect('n1'));
    const last = h.add(100, cloud.ready('n1'));
    h.add(260, cloud.ready('n1'));
    h.add(400, edge.disconnect('n1'));
    const v = checkStatusFresh(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 1, violations: 1 });
    expect(v.evidence).toEqual([{ line: last, related: [conn], node: 'n1', t: 250, note: expect.stringMatching(/last refreshed at t=100, stale from t=250 until t=260/) as unknown }]);
  });

  it('is violated when a connected node stays NotReady, and when the cloud never shows it Ready', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(0, edge.connect('n2'));
    h.add(100, cloud.ready('n1'));
    h.add(150, cloud.ready('n1', 'Unknown'));
    h.add(200, cloud.ready('n1', 'Unknown'));
    h.add(300, cloud.ready('n1', 'Unknown'));
    const v = checkStatusFresh(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', violations: 2 });
    expect(v.evidence.find((e) => e.node === 'n1')!.note).toMatch(/shows Ready=Unknown since t=150/);
    expect(v.evidence.find((e) => e.node === 'n2')!.note).toMatch(/never showed Ready=True/);
  });

  it('does not judge a node while its link is cut, even if the edge still believes it is connected', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(100, cloud.ready('n1'));
    h.add(120, fault.partition('f1', ['n1']));
    h.add(5000, fault.heal('f1')); // a new window begins: the first refresh may take one bound
    h.add(5100, cloud.ready('n1'));
    h.add(5200, edge.disconnect('n1'));
    expect(checkStatusFresh(h.entries, testBounds).verdict).toBe('held');
  });

  it('is not-checked when no node was ever online long enough', () => {
    expect(checkStatusFresh([], testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no node was ever online (connected and not cut off)' });
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(100, edge.disconnect('n1'));
    expect(checkStatusFresh(h.entries, testBounds).verdict).toBe('not-checked');
  });
});
