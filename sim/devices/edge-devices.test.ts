import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { seededRandom } from '../core/random.ts';
import { MessageFactory, seededIds } from '../protocol/message.ts';
import { deviceMessage, deviceModelMessage } from './cloud-messages.ts';
import { deviceFor, deviceModelFor } from './crd.ts';
import { EdgeDevices, type DeviceEvent } from './edge-devices.ts';
import { DeviceSimulatorRegistry } from './registry.ts';
import { MemoryTwinStore } from './twin-store.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One gate on a real Modbus simulator, polled every 50 ms by the node's mapper; events collected. */
async function gateNode(pollSampleMs: number) {
  const reg = await DeviceSimulatorRegistry.start([{ name: 'gate-1', kind: 'barrier-gate', node: 'n1' }], { clock: systemClock, random: seededRandom(1), behaviour: { gate: { vehicleIntervalMs: 0 } } });
  cleanup.push(() => reg.stop());
  const events: DeviceEvent[] = [];
  const edge = new EdgeDevices({ nodeName: 'n1', clock: systemClock, messages: new MessageFactory({ clock: systemClock }), store: new MemoryTwinStore(), send: () => false, requestTimeoutMs: 300, pollSampleMs, onEvent: (e) => events.push(e) });
  cleanup.push(() => edge.stop());
  edge.start();
  const o = { ids: seededIds(seededRandom(2)), now: () => Date.now() };
  edge.handleCloudMessage(deviceModelMessage(o, 'insert', deviceModelFor('barrier-gate')));
  edge.handleCloudMessage(deviceMessage(o, 'insert', deviceFor({ name: 'gate-1', kind: 'barrier-gate', nodeName: 'n1', endpoint: reg.endpoint('gate-1'), collectCycleMs: 50 })));
  return { reg, edge, events };
}

describe('sampled polls: the request/answer evidence of autonomy.keep-running', () => {
  it('at most one poll per device per sample period is reported, each with its answer', async () => {
    const { edge, events } = await gateNode(400);
    await sleep(1_300);
    const polls = events.filter((e) => e.op === 'poll');
    const answers = events.filter((e) => e.op === 'poll-answer');
    // 4 properties × 26 cycles ≈ 100 polls went out; 1.3 s / 400 ms allows 3–4 samples
    expect(edge.mapper.stats.polls).toBeGreaterThan(40);
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(polls.length).toBeLessThanOrEqual(4);
    expect(new Set(polls.map((p) => (p.op === 'poll' ? p.reqId : ''))).size).toBe(polls.length);
    expect(answers.map((a) => (a.op === 'poll-answer' ? a.reqId : ''))).toEqual(polls.map((p) => (p.op === 'poll' ? p.reqId : '')).slice(0, answers.length));
    expect(answers.length).toBeGreaterThanOrEqual(polls.length - 1);
  });

  it('a device that stops answering leaves its sampled polls unanswered', async () => {
    const { reg, events } = await gateNode(200);
    await sleep(500);
    await reg.stop();
    const cut = events.length;
    await sleep(1_200);
    const after = events.slice(cut);
    expect(after.filter((e) => e.op === 'poll').length).toBeGreaterThan(0);
    expect(after.filter((e) => e.op === 'poll-answer')).toEqual([]);
  });

  it('pollSampleMs 0 reports none', async () => {
    const { edge, events } = await gateNode(0);
    await sleep(300);
    expect(edge.mapper.stats.polls).toBeGreaterThan(4);
    expect(events.filter((e) => e.op === 'poll' || e.op === 'poll-answer')).toEqual([]);
  });
});

describe('a device the twin does not know (a Device without its membership update)', () => {
  it('has every report refused, and says so once', async () => {
    const { edge, events } = await gateNode(0);
    await eventuallyTrue(() => edge.twin.stats.rejected >= 3, 5_000);
    const rejected = events.filter((e) => e.op === 'rejected');
    expect(rejected).toEqual([{ op: 'rejected', device: 'default/gate-1', code: 404, reason: 'not a member of this node' }]);
    expect(edge.twin.deviceIds()).toEqual([]);
  });
});

async function eventuallyTrue(ok: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(50);
  }
}
