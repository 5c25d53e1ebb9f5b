import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { seededRandom } from '../core/random.ts';
import { decodeMessage, encodeMessage } from '../protocol/codec.ts';
import { makeMessage, MessageFactory, seededIds, type Message } from '../protocol/message.ts';
import type { ReportedTwin } from './mapper.ts';
import { DeviceTwin, type DeviceTwinOptions, type TwinEvent } from './twin.ts';
import { MemoryTwinStore, SqliteTwinStore, type TwinStore } from './twin-store.ts';

const T0 = 1_700_000_000_000;

function harness(opts: Partial<DeviceTwinOptions> & { store?: TwinStore; clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock(T0);
  const store = opts.store ?? new MemoryTwinStore();
  const sent: Message[] = [];
  const published: { topic: string; payload: string }[] = [];
  const events: TwinEvent[] = [];
  const link = { up: false };
  const twin = new DeviceTwin({
    nodeName: 'gate-node-1',
    clock,
    messages: new MessageFactory({ clock, ids: seededIds(seededRandom(7)) }),
    ids: seededIds(seededRandom(8)),
    store,
    send: (m) => {
      if (!link.up) return false;
      // through the real codec, as on the wire
      sent.push(decodeMessage(encodeMessage(m)));
      return true;
    },
    publish: (topic, payload) => published.push({ topic, payload }),
    onEvent: (e) => events.push(e),
    ...opts,
  });
  twin.start();
  return { clock, store, sent, published, events, link, twin };
}

/** What devicecontroller sends when a Device bound to the node is created (downstream.go deviceAdded), after CloudHub's TrimMessage. */
function membershipAdd(...names: string[]): Message {
  return makeMessage(
    { msgId: `m-${names.join('-')}`, timestamp: T0 },
    { source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'membership' },
    { event_id: 'e1', timestamp: T0, added_devices: names.map((n) => ({ id: `default/${n}`, name: n })), removed_devices: null },
  );
}

function report(property: string, value: string, desired = ''): ReportedTwin[] {
  return [{ propertyName: property, reported: { value, metadata: { timestamp: String(T0), type: 'int' } }, observedDesired: { value: desired, metadata: {} } }];
}

const contentOf = (m: Message): Record<string, unknown> => m.content as Record<string, unknown>;
const twinsOf = (m: Message): Record<string, Record<string, unknown>> => contentOf(m)['twin'] as Record<string, Record<string, unknown>>;

describe('device twin: membership and reports (edgecore devicetwin semantics)', () => {
  it('adds a device on a membership update and stores it in the device table', () => {
    const h = harness();
    expect(h.twin.handleCloudMessage(membershipAdd('gate-1'))).toBe(true);
    expect(h.twin.hasDevice('default/gate-1')).toBe(true);
    expect(h.store.getDevice('default/gate-1')?.device).toMatchObject({ id: 'default/gate-1', name: 'gate-1' });
    const updated = h.published.find((p) => p.topic === '$hw/events/node/gate-node-1/membership/updated');
    expect(JSON.parse(updated?.payload ?? '{}')).toMatchObject({ added_devices: [{ id: 'default/gate-1', name: 'gate-1' }], removed_devices: null });
  });

  it('turns a mapper report into twin/edge_updated with edgecore\'s exact route, content and versions', () => {
    const h = harness();
    h.link.up = true;
    h.twin.setConnected(true);
    h.twin.handleCloudMessage(membershipAdd('gate-1'));
    h.twin.reportFromMapper('default/gate-1', report('open', 'true', 'true'));
    const m = h.sent.find((x) => x.route.resource.endsWith('edge_updated'));
    expect(m?.route).toEqual({ source: 'twin', destination: '', group: 'resource', operation: 'update', resource: 'device/default/gate-1/twin/edge_updated' });
    // Go field order of DeviceTwinResult / MsgTwin, versions on, edge version 1 for a new twin
    expect(JSON.stringify(m?.content)).toBe(
      JSON.stringify({
        event_id: contentOf(m as Message)['event_id'],
        timestamp: T0,
        twin: {
          open: {
            expected: { value: 'true', metadata: { timestamp: T0 } },
            actual: { value: 'true', metadata: { timestamp: T0 } },
            optional: true,
            metadata: { type: 'string' },
            expected_version: { cloud: 0, edge: 1 },
            actual_version: { cloud: 0, edge: 1 },
          },
        },
      }),
    );
    // the next report of the same property bumps the edge versions
    h.twin.reportFromMapper('default/gate-1', report('open', 'false', 'true'));
    const next = h.sent.filter((x) => x.route.resource.endsWith('edge_updated')).at(-1) as Message;
    expect(twinsOf(next)['open']).toMatchObject({ actual: { value: 'false' }, actual_version: { cloud: 0, edge: 2 }, expected_version: { cloud: 0, edge: 2 } });
    // expected ≠ actual: the delta goes to the devices on twin/update/delta
    const delta = h.published.filter((p) => p.topic === '$hw/events/device/default/gate-1/twin/update/delta').at(-1);
    expect(JSON.parse(delta?.payload ?? '{}')).toMatchObject({ delta: { open: 'true' } });
  });

  it('rejects reports for devices that are not members, and values edgecore refuses, changing nothing', () => {
    const h = harness();
    h.link.up = true;
    h.twin.setConnected(true);
    h.twin.reportFromMapper('default/ghost', report('open', 'true'));
    expect(h.sent.filter((m) => m.route.resource.endsWith('edge_updated'))).toHaveLength(0);
    expect(h.events).toContainEqual(expect.objectContaining({ op: 'rejected', device: 'default/ghost', code: 404 }));
    expect(JSON.parse(h.published.find((p) => p.topic === '$hw/events/device/default/ghost/twin/update/result')?.payload ?? '{}')).toMatchObject({ code: 404 });

    h.twin.handleCloudMessage(membershipAdd('cam-1'));
    h.twin.handleBusMessage('$hw/events/device/default/cam-1/twin/update', JSON.stringify({ event_id: 'x', timestamp: T0, twin: { plate: { actual: { value: 'GD B12345' } } } }));
    expect(h.twin.device('default/cam-1')?.twins.size).toBe(0);
    expect(h.events).toContainEqual(expect.objectContaining({ op: 'rejected', device: 'default/cam-1', code: 400 }));
    // a typed twin refuses a value of another type (and the whole update with it)
    h.twin.handleBusMessage('$hw/events/device/default/cam-1/twin/update', JSON.stringify({ event_id: 'y', timestamp: T0, twin: { reads: { actual: { value: '3' }, metadata: { type: 'int' } } } }));
    h.twin.handleBusMessage('$hw/events/device/default/cam-1/twin/update', JSON.stringify({ event_id: 'z', timestamp: T0, twin: { reads: { actual: { value: 'many' } }, plate: { actual: { value: 'GD-B1' } } } }));
    expect(h.twin.device('default/cam-1')?.twins.get('reads')?.actual?.value).toBe('3');
    expect(h.twin.device('default/cam-1')?.twins.has('plate')).toBe(false);
    // also when both twins exist: the valid half of a rejected update is not applied
    h.twin.handleBusMessage('$hw/events/device/default/cam-1/twin/update', JSON.stringify({ event_id: 'v', timestamp: T0, twin: { plate: { actual: { value: 'GD-B1' } } } }));
    h.twin.handleBusMessage('$hw/events/device/default/cam-1/twin/update', JSON.stringify({ event_id: 'w', timestamp: T0, twin: { plate: { actual: { value: 'GD-B2' } }, reads: { actual: { value: 'x' } } } }));
    expect(h.twin.device('default/cam-1')?.twins.get('plate')).toMatchObject({ actual: { value: 'GD-B1' }, actual_version: { edge: 1 } });
  });

  it('reports device state as edgecore does: a JSON string with name, state and an RFC 3339 lastOnlineTime', () => {
    const h = harness();
    h.link.up = true;
    h.twin.setConnected(true);
    h.twin.handleCloudMessage(membershipAdd('gate-1'));
    h.twin.reportStateFromMapper('default/gate-1', 'ok');
    const m = h.sent.find((x) => x.route.resource === 'device/default/gate-1/state/update');
    expect(m?.route.operation).toBe('update');
    expect(typeof m?.content).toBe('string');
    expect(JSON.parse(m?.content as string)).toMatchObject({ device: { name: 'gate-1', state: 'ok', lastOnlineTime: new Date(T0).toISOString().replace('.000Z', 'Z') } });
    h.twin.reportStateFromMapper('default/gate-1', 'broken'); // not a state edgecore accepts
    expect(h.sent.filter((x) => x.route.resource.endsWith('state/update'))).toHaveLength(1);
    expect(h.store.getDevice('default/gate-1')?.device.state).toBe('ok');
  });
});

describe('device twin: offline buffering and convergence', () => {
  it('sends nothing while disconnected, then on reconnect asks for membership detail and flushes the latest value of each property once', () => {
    const h = harness();
    h.twin.handleCloudMessage(membershipAdd('gate-1', 'wb-1'));
    for (let i = 1; i <= 5; i++) {
      h.twin.reportFromMapper('default/gate-1', report('vehicleCount', String(100 + i)));
      h.twin.reportFromMapper('default/gate-1', report('state', String(i % 4)));
    }
    h.twin.reportFromMapper('default/wb-1', report('axles', '3'));
    h.twin.reportStateFromMapper('default/wb-1', 'ok');
    expect(h.sent).toHaveLength(0);
    expect(h.twin.pending).toBe(4);

    h.link.up = true;
    h.twin.setConnected(true);
    expect(h.sent[0]?.route).toMatchObject({ source: 'twin', group: 'resource', resource: 'membership/detail', operation: 'get' });
    expect(JSON.parse(h.sent[0]?.content as string)).toMatchObject({ event_type: 'group_membership_event', group_id: 'gate-node-1', operation: 'detail' });
    const twinMsgs = h.sent.filter((m) => m.route.resource.endsWith('edge_updated'));
    expect(twinMsgs.map((m) => m.route.resource)).toEqual(['device/default/gate-1/twin/edge_updated', 'device/default/wb-1/twin/edge_updated']);
    const gate = twinsOf(twinMsgs[0] as Message);
    expect(gate['vehicleCount']).toMatchObject({ actual: { value: '105' }, actual_version: { cloud: 0, edge: 5 } });
    expect(gate['state']).toMatchObject({ actual: { value: '1' }, actual_version: { cloud: 0, edge: 5 } });
    expect(h.sent.filter((m) => m.route.resource.endsWith('state/update'))).toHaveLength(1);
    expect(h.twin.pending).toBe(0);
    expect(h.events).toContainEqual({ op: 'flushed', devices: 2, messages: 3 });
  });

  it("with offline: 'drop' (edgecore's behaviour) the values produced while disconnected are lost", () => {
    const h = harness({ offline: 'drop' });
    h.twin.handleCloudMessage(membershipAdd('gate-1'));
    h.twin.reportFromMapper('default/gate-1', report('vehicleCount', '101'));
    h.link.up = true;
    h.twin.setConnected(true);
    expect(h.sent.filter((m) => m.route.resource.endsWith('edge_updated'))).toHaveLength(0);
    expect(h.twin.stats.dropped).toBe(1);
    // the next report after the heal is what converges
    h.twin.reportFromMapper('default/gate-1', report('vehicleCount', '102'));
    expect(twinsOf(h.sent.at(-1) as Message)['vehicleCount']).toMatchObject({ actual: { value: '102' }, actual_version: { edge: 2 } });
  });

  it('forgets confirmed messages and resends unconfirmed ones after 60 s without twin activity', async () => {
    const h = harness();
    h.link.up = true;
    h.twin.setConnected(true);
    h.twin.handleCloudMessage(membershipAdd('gate-1'));
    h.twin.reportFromMapper('default/gate-1', report('state', '0'));
    h.twin.reportFromMapper('default/gate-1', report('state', '2'));
    const [first, second] = h.sent.filter((m) => m.route.resource.endsWith('edge_updated'));
    expect(h.twin.unconfirmed).toBe(3); // membership detail + two reports
    // devicecontroller's answer after patching DeviceStatus (upstream.go): resource node/<node>/twin, trimmed to "twin"
    h.twin.handleCloudMessage(makeMessage({ msgId: 'r1', parentMsgId: first?.header.msgId ?? '', timestamp: T0 }, { source: 'devicecontroller', group: 'twin', operation: 'response', resource: 'twin' }, 'OK'));
    expect(h.twin.unconfirmed).toBe(2);
    const before = h.sent.length;
    await h.clock.advance(59_000);
    expect(h.sent.length).toBe(before);
    await h.clock.advance(2_000);
    const resent = h.sent.slice(before);
    expect(resent.map((m) => m.header.msgId).sort()).toEqual([h.sent[0]?.header.msgId, second?.header.msgId].sort());
  });
});

describe('device twin: persistence and cloud sync', () => {
  for (const [name, makeStore] of [
    ['memory', (): TwinStore => new MemoryTwinStore()],
    ['SQLite (edgecore tables)', (): TwinStore => new SqliteTwinStore(new Database(':memory:'))],
  ] as const) {
    it(`restarts from the ${name} store with its devices, values and versions`, () => {
      const store = makeStore();
      const a = harness({ store });
      a.twin.handleCloudMessage(membershipAdd('gate-1'));
      a.twin.reportFromMapper('default/gate-1', report('vehicleCount', '7'));
      a.twin.reportFromMapper('default/gate-1', report('vehicleCount', '8'));
      a.twin.stop();
      const b = harness({ store });
      expect(b.twin.deviceIds()).toEqual(['default/gate-1']);
      expect(b.twin.device('default/gate-1')?.twins.get('vehicleCount')).toMatchObject({ actual: { value: '8', metadata: { timestamp: T0 } }, actual_version: { cloud: 0, edge: 2 } });
      b.link.up = true;
      b.twin.setConnected(true);
      b.twin.reportFromMapper('default/gate-1', report('vehicleCount', '9'));
      expect(twinsOf(b.sent.at(-1) as Message)['vehicleCount']).toMatchObject({ actual_version: { edge: 3 } });
    });
  }

  it('with persistDelayMs, coalesces a property\'s updates and writes the latest row once per window (and on stop)', async () => {
    const store = new MemoryTwinStore();
    const h = harness({ store, persistDelayMs: 1_000 });
    h.twin.handleCloudMessage(membershipAdd('gate-1'));
    const afterMembership = store.writes;
    for (let i = 1; i <= 10; i++) h.twin.reportFromMapper('default/gate-1', report('vehicleCount', String(i)));
    expect(store.writes).toBe(afterMembership);
    expect(store.getDevice('default/gate-1')?.twins).toEqual([]);
    await h.clock.advance(1_000);
    expect(store.writes).toBe(afterMembership + 1);
    expect(store.getDevice('default/gate-1')?.twins[0]).toMatchObject({ name: 'vehicleCount', actual: '10', actualVersion: '{"cloud":0,"edge":10}' });
    h.twin.reportFromMapper('default/gate-1', report('vehicleCount', '11'));
    h.twin.stop();
    expect(store.getDevice('default/gate-1')?.twins[0]?.actual).toBe('11');
  });

  it('writes edgecore-shaped rows (device, device_twin with JSON meta and version columns)', () => {
    const db = new Database(':memory:');
    const h = harness({ store: new SqliteTwinStore(db) });
    h.twin.handleCloudMessage(membershipAdd('gate-1'));
    h.twin.reportFromMapper('default/gate-1', report('open', 'true', 'true'));
    expect(db.prepare('SELECT id, name FROM device').all()).toEqual([{ id: 'default/gate-1', name: 'gate-1' }]);
    expect(db.prepare('SELECT deviceid, name, expected, actual, expected_meta, actual_version, optional, attr_type FROM device_twin').all()).toEqual([
      { deviceid: 'default/gate-1', name: 'open', expected: 'true', actual: 'true', expected_meta: `{"timestamp":${T0}}`, actual_version: '{"cloud":0,"edge":1}', optional: 1, attr_type: 'string' },
    ]);
    h.twin.handleCloudMessage(makeMessage({ msgId: 'rm', timestamp: T0 }, { source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'membership' }, { event_id: '', timestamp: T0, added_devices: null, removed_devices: [{ id: 'default/gate-1', name: 'gate-1' }] }));
    expect(db.prepare('SELECT count(*) AS n FROM device_twin').get()).toEqual({ n: 0 });
  });

  it('applies a cloud sync with newer versions, and answers a stale one with the edge\'s state (version conflict)', () => {
    const h = harness();
    h.link.up = true;
    h.twin.setConnected(true);
    h.twin.handleCloudMessage(membershipAdd('gate-1'));
    h.twin.reportFromMapper('default/gate-1', report('open', 'false', 'false')); // versions {0,1}
    const cloudSync = (value: string, version: { cloud: number; edge: number }): Message =>
      makeMessage(
        { msgId: `cs-${value}-${version.cloud}`, timestamp: T0 },
        { source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'device/default/gate-1/twin/cloud_updated' },
        { event_id: '', timestamp: T0, twin: { open: { expected: { value }, expected_version: version, metadata: { type: 'string' } } } },
      );
    const before = h.sent.length;
    h.twin.handleCloudMessage(cloudSync('true', { cloud: 1, edge: 1 }));
    expect(h.twin.device('default/gate-1')?.twins.get('open')).toMatchObject({ expected: { value: 'true' }, expected_version: { cloud: 1, edge: 1 } });
    expect(h.sent.length).toBe(before); // accepted syncs are not echoed
    h.twin.handleCloudMessage(cloudSync('false', { cloud: 0, edge: 0 }));
    expect(h.twin.device('default/gate-1')?.twins.get('open')?.expected?.value).toBe('true');
    expect(twinsOf(h.sent.at(-1) as Message)['open']).toMatchObject({ expected: { value: 'true' }, expected_version: { cloud: 1, edge: 1 } });
  });
});

describe('unconfirmed reports are bounded', () => {
  it('keeps the newest maxUnconfirmed messages for resending and counts what it dropped', () => {
    const clock = new ManualClock(0);
    const twin = new DeviceTwin({ nodeName: 'n1', clock, messages: new MessageFactory({ clock }), store: new MemoryTwinStore(), send: () => true, maxUnconfirmed: 5, confirmIdleMs: 0 });
    twin.start();
    twin.setConnected(true);
    twin.handleCloudMessage(
      makeMessage(
        { msgId: 'm1', timestamp: 0 },
        { source: 'devicecontroller', group: 'twin', operation: 'update', resource: 'membership' },
        { event_id: 'e', timestamp: 0, added_devices: [{ id: 'default/d1', name: 'd1' }], removed_devices: null },
      ),
    );
    for (let i = 0; i < 12; i++) twin.handleBusMessage('$hw/events/device/default/d1/twin/update', JSON.stringify({ event_id: `e${i}`, timestamp: 0, twin: { p: { actual: { value: String(i) }, metadata: { type: 'int' } } } }));
    expect(twin.unconfirmed).toBe(5);
    expect(twin.stats.confirmOverflow).toBeGreaterThanOrEqual(7);
    expect(JSON.stringify(twin.unconfirmedMessages().at(-1)?.content)).toContain('"value":"11"');
    twin.stop();
  });
});
