import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { seededRandom } from '../core/random.ts';
import { decodeMessage, encodeMessage } from '../protocol/codec.ts';
import { makeMessage, type JsonObject, type Message } from '../protocol/message.ts';
import { createMemoryPair, type MemoryTransport } from '../protocol/transport.ts';
import { EdgeNode, type EdgeDefects, type EdgeEvent } from './edge-node.ts';
import type { HardwareProfile } from './profile.ts';

const profile: HardwareProfile = {
  name: 'test-box',
  description: '',
  vendor: 'test',
  arch: 'arm64',
  os: 'linux',
  cpuMillis: 4000,
  memoryBytes: 2 ** 30,
  maxPods: 16,
  labels: {},
  agentBudget: { memoryBytes: 70 * 2 ** 20, cpuMillis: 200 },
};

/** The cloud end of the in-memory link: records what the edge sends, answers sync requests like CloudHub. */
class ScriptedCloud {
  readonly received: Message[] = [];
  link: MemoryTransport | undefined;
  accept = true;
  dials = 0;
  /** Leave lease requests unanswered (a CloudCore too busy to reply within the renewal period). */
  holdLeases = false;

  dialer = (): Promise<MemoryTransport> => {
    this.dials++;
    if (!this.accept) return Promise.reject(new Error('connection refused'));
    const [edge, cloud] = createMemoryPair();
    this.link = cloud;
    cloud.onMessage((frame) => {
      const m = decodeMessage(frame);
      this.received.push(m);
      // edged's sync requests (register, lease, status) get a reply carrying parent_msg_id
      if (this.holdLeases && m.route.resource.includes('/lease/')) return;
      if (m.route.source === 'edged') void cloud.send(encodeMessage(makeMessage({ msgId: `r-${m.header.msgId}`, parentMsgId: m.header.msgId, timestamp: 0 }, { source: 'edgecontroller', group: 'resource', resource: m.route.resource, operation: 'response' }, 'OK')));
    });
    return Promise.resolve(edge);
  };

  send(operation: string, resource: string, content: JsonObject, msgId: string): void {
    void this.link?.send(encodeMessage(makeMessage({ msgId, timestamp: 0, resourceVersion: String((content['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion ?? '') }, { source: 'edgecontroller', group: 'resource', resource, operation }, content)));
  }

  cut(): void {
    this.link?.terminate();
    this.link = undefined;
  }
}

const pod = (name: string, rv: string): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: rv },
  spec: { nodeName: 'edge-1', containers: [{ name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu: '100m', memory: '32Mi' } } }] },
});

function setup(defects: EdgeDefects = {}, storePath?: string) {
  const clock = new ManualClock(1_700_000_000_000);
  const cloud = new ScriptedCloud();
  const events: EdgeEvent[] = [];
  const node = new EdgeNode({
    name: 'edge-1',
    profile,
    storePath: storePath ?? join(mkdtempSync(join(tmpdir(), 'edgeproof-edge-')), 'edgecore.db'),
    dial: cloud.dialer,
    clock,
    random: seededRandom(1),
    reconnect: { kind: 'fixed', delayMs: 5000 },
    linkBytesPerSecond: () => 50 * 2 ** 20,
    onEvent: (e) => events.push(e),
    defects,
  });
  const settle = async (ms = 0): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await clock.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { clock, cloud, node, events, settle };
}

/** A started node running pod `web`, then cut off from a cloud that refuses it until `cloud.accept` is set. */
async function runningWebThenCut(defects: EdgeDefects = {}): Promise<ReturnType<typeof setup>> {
  const s = setup(defects);
  await s.node.start();
  await s.settle();
  s.cloud.send('insert', 'default/pod/web', pod('web', '100'), 'm-1');
  await s.settle(5000);
  s.cloud.accept = false;
  s.cloud.cut();
  return s;
}

describe('simulated edge node over an in-memory link', () => {
  it('registers its Node with the edge role label, creates its Lease and keeps sending keepalives', async () => {
    const { cloud, node, settle } = setup();
    await node.start();
    await settle(31_000);
    const register = cloud.received.find((m) => m.route.operation === 'insert' && m.route.resource === 'default/node/edge-1');
    expect(register?.route.source).toBe('edged');
    expect(JSON.stringify(register?.content)).toContain('"node-role.kubernetes.io/edge":""');
    expect(cloud.received.some((m) => m.route.resource === 'kube-node-lease/lease/edge-1')).toBe(true);
    expect(cloud.received.filter((m) => m.route.operation === 'keepalive').length).toBe(2);
    await node.stop();
  });

  it('stores a pod the cloud sends, acknowledges it with parent_msg_id, runs it and reports Running', async () => {
    const { cloud, node, settle } = setup();
    await node.start();
    await settle();
    cloud.send('insert', 'default/pod/web', pod('web', '100'), 'm-1');
    await settle(5000);
    const ack = cloud.received.find((m) => m.header.parentMsgId === 'm-1');
    expect(ack?.route.operation).toBe('response');
    expect(ack?.content).toBe('OK');
    expect(node.storedObjects().get('default/pod/web')?.metadata?.resourceVersion).toBe('100');
    expect(node.pods().find((p) => p.name === 'web')?.lifecycle).toBe('running');
    const running = cloud.received.filter((m) => m.route.resource === 'default/podpatch/web').map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
    expect(running.some((p) => p.includes('"phase":"Running"'))).toBe(true);
    await node.stop();
  });

  it('a skip-ack defect stores but never acknowledges — the difference is visible on the wire', async () => {
    const { cloud, node, settle } = setup({ skipAck: true });
    await node.start();
    await settle();
    cloud.send('insert', 'default/pod/web', pod('web', '100'), 'm-1');
    await settle(1000);
    expect(node.storedObjects().has('default/pod/web')).toBe(true);
    expect(cloud.received.some((m) => m.header.parentMsgId === 'm-1')).toBe(false);
    await node.stop();
  });

  it('keeps its pods through a disconnect, restarts offline from SQLite alone, and reconnects by its policy', async () => {
    const { cloud, node, events, settle } = await runningWebThenCut();
    await settle(60_000);
    expect(node.connected).toBe(false);
    expect(node.pods().find((p) => p.name === 'web')?.lifecycle).toBe('running');
    await node.restart();
    await settle(5000);
    expect(node.pods().find((p) => p.name === 'web')?.lifecycle).toBe('running');
    expect(events.some((e) => e.op === 'start' && !e.boot && e.restoredPods === 1)).toBe(true);
    const dialsBefore = cloud.dials;
    cloud.accept = true;
    await settle(5000);
    expect(node.connected).toBe(true);
    expect(cloud.dials).toBeGreaterThan(dialsBefore);
    await node.stop();
  });

  it('renews its Lease one request at a time: while the cloud has not answered, later renewals wait (edged is synchronous)', async () => {
    const { cloud, node, settle } = setup();
    cloud.holdLeases = true;
    await node.start();
    await settle(45_000); // four renewal periods, inside the 60 s request timeout
    const leases = cloud.received.filter((m) => m.route.resource === 'kube-node-lease/lease/edge-1');
    // the first create is still waiting; without the wait there would be one request per period, each with the
    // same resourceVersion, and all but one would conflict
    expect(leases).toHaveLength(1);
    cloud.holdLeases = false;
    await settle(30_000); // the first times out at 60 s, then renewals go out again
    expect(cloud.received.filter((m) => m.route.resource === 'kube-node-lease/lease/edge-1').length).toBeGreaterThan(1);
    await node.stop();
  });

  it('a delete removes the pod from the store and the runtime and is acknowledged', async () => {
    const { cloud, node, settle } = setup();
    await node.start();
    await settle();
    cloud.send('insert', 'default/pod/web', pod('web', '100'), 'm-1');
    await settle(5000);
    cloud.send('delete', 'default/pod/web', pod('web', '101'), 'm-2');
    await settle(10);
    expect(node.storedObjects().has('default/pod/web')).toBe(false);
    expect(node.pods()).toEqual([]);
    expect(cloud.received.some((m) => m.header.parentMsgId === 'm-2')).toBe(true);
    await node.stop();
  });
});

describe('edge defects are visible in what the node does', () => {
  it('apply-out-of-order re-applies the replaced version after an update; the healthy node does not', async () => {
    for (const defective of [false, true]) {
      const { cloud, node, events, settle } = setup(defective ? { applyOutOfOrder: true } : {});
      await node.start();
      await settle();
      cloud.send('insert', 'default/configmap/c', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', uid: 'u-c', resourceVersion: '10' } }, 'm-1');
      cloud.send('update', 'default/configmap/c', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', uid: 'u-c', resourceVersion: '11' } }, 'm-2');
      await settle(10);
      const rvs = events.flatMap((e) => (e.op === 'apply' && e.name === 'c' ? [e.rv] : []));
      expect(rvs).toEqual(defective ? ['10', '11', '10'] : ['10', '11']);
      expect(node.storedObjects().get('default/configmap/c')?.metadata?.resourceVersion).toBe(defective ? '10' : '11');
      await node.stop();
    }
  });
});

describe('lose-store defect', () => {
  it('comes back from an offline restart with no pods, however the process is restarted (restart(), or crash() then start() as the fault executor does)', async () => {
    for (const how of ['restart', 'crash-then-start'] as const) {
      const { node, settle } = await runningWebThenCut({ loseStoreOnRestart: true });
      if (how === 'restart') await node.restart();
      else {
        node.crash();
        await node.start();
      }
      await settle(5000);
      expect(node.pods(), how).toEqual([]);
      await node.stop();
    }
  });
});
