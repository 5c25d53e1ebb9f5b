import { describe, expect, it } from 'vitest';
import { bench, cloud, device, edge, fault, HistoryBuilder, testBounds } from '../history-builder.ts';
import { checkTwinConverge } from './twin-converge.ts';

describe('twin.converge', () => {
  it('holds when desired values reach the register and register values reach the cloud', () => {
    const h = new HistoryBuilder();
    h.add(10, cloud.desired('n1', 'gate', 'barrier', 'open'));
    h.add(20, device.register('n1', 'gate', 'barrier', 'open'));
    h.add(30, cloud.reported('n1', 'gate', 'barrier', 'open'));
    h.add(40, device.register('n1', 'thermo', 'temp', '21'));
    h.add(50, cloud.reported('n1', 'thermo', 'temp', '21'));
    h.add(950, device.register('n1', 'thermo', 'temp', '22')); // changed within the lag: the cloud may still say 21
    h.add(1000, bench.deadline());
    expect(checkTwinConverge(h.entries, testBounds)).toMatchObject({ verdict: 'held', checked: 3 });
  });

  it('is violated when a desired value never reaches the register, naming the desired line', () => {
    const h = new HistoryBuilder();
    const want = h.add(10, cloud.desired('n1', 'gate', 'barrier', 'open'));
    const reg = h.add(20, device.register('n1', 'gate', 'barrier', 'closed', false));
    const dl = h.add(1000, bench.deadline());
    const v = checkTwinConverge(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', checked: 1, violations: 1 });
    expect(v.evidence).toEqual([
      { line: want, related: [reg, dl], node: 'n1', object: 'Device gate#barrier', t: 1000, note: 'register holds "closed" at the deadline, the cloud desires "open" (lag allowed 100 ms)' },
    ]);
  });

  it('is violated when the reported value is stale or never reported', () => {
    const h = new HistoryBuilder();
    h.add(10, device.register('n1', 'thermo', 'temp', '21'));
    h.add(20, cloud.reported('n1', 'thermo', 'temp', '21'));
    const changed = h.add(100, device.register('n1', 'thermo', 'temp', '25'));
    const silent = h.add(100, device.register('n1', 'smoke', 'alarm', 'off'));
    h.add(1000, bench.deadline());
    const v = checkTwinConverge(h.entries, testBounds);
    expect(v).toMatchObject({ verdict: 'violated', violations: 2 });
    expect(v.evidence.map((e) => [e.line, e.note])).toEqual([
      [changed, 'the cloud reports "21" at the deadline, the register held "25" (lag allowed 100 ms)'],
      [silent, 'register value "off" never reported to the cloud'],
    ]);
  });

  it('names the edge twin\'s refusal when a device\'s reports never reached the cloud', () => {
    // KubeEdge 1.23.1: a Device created while its node was offline never joins the twin, which refuses its reports
    const h = new HistoryBuilder();
    const reg = h.add(10, device.register('n1', 'gate', 'state', '2'));
    const refusal = h.add(20, edge.twinReject('n1', 'gate', 'not a member of this node'));
    const other = h.add(30, device.register('n1', 'other', 'state', '1'));
    const dl = h.add(1000, bench.deadline());
    const v = checkTwinConverge(h.entries, testBounds);
    expect(v.evidence.map((e) => [e.line, e.related, e.note])).toEqual([
      [reg, [refusal, dl], 'register value "2" never reported to the cloud; the edge twin refused the device\'s reports: not a member of this node'],
      [other, [dl], 'register value "1" never reported to the cloud'],
    ]);
  });

  it('skips devices whose node is cut off at the deadline; not-checked without device values', () => {
    const h = new HistoryBuilder();
    h.add(10, cloud.desired('n1', 'gate', 'barrier', 'open'));
    h.add(20, fault.partition('f1', ['n1']));
    h.add(1000, bench.deadline());
    expect(checkTwinConverge(h.entries, testBounds)).toMatchObject({ verdict: 'not-checked', skipped: 1 });
    expect(checkTwinConverge([], testBounds)).toMatchObject({ verdict: 'not-checked', summary: 'no desired device values and no device registers in the history' });
  });
});
