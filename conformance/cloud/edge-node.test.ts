import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../sim/kube/client.ts';
import { nodeReady, podPhase, startCloudFleet, type CloudFleet } from '../support/cloud-fleet.ts';
import { eventually } from '../support/wait.ts';

/**
 * Simulated edge nodes against the real CloudCore and the real control plane, every byte through Toxiproxy.
 * Node names: two arm64 gates behind one station uplink, one amd64 station PC behind another, and a spare
 * gate that keeps the zone healthy (see the partial-disruption note in the README).
 */
describe('simulated edge nodes under real CloudCore', () => {
  let env: CloudFleet;
  const kube = () => env.stack.controlPlane.kube;

  beforeAll(async () => {
    env = await startCloudFleet({
      members: ({ arm, x86 }) => [
        { name: 'gate-a', profile: arm, uplink: 'station-1', labels: { 'edgeproof.io/station': 's1' } },
        { name: 'gate-b', profile: arm, uplink: 'station-1', labels: { 'edgeproof.io/station': 's1' } },
        { name: 'ipc-c', profile: x86, uplink: 'station-2', labels: { 'edgeproof.io/station': 's2' } },
        { name: 'gate-d', profile: arm, uplink: 'station-3', labels: { 'edgeproof.io/station': 's3' } },
      ],
    });
    await eventually(
      async () => {
        const nodes = await kube().list('/api/v1/nodes');
        return nodes.items.length === 4 && nodes.items.every((n) => nodeReady(n) === 'True') ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'all four simulated nodes Ready' },
    );
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('registers nodes with their hardware profile: arch, allocatable and the edge role label', async () => {
    // CloudCore creates the Node without its kubernetes.io/* labels and patches them on in a second call
    // (edgecontroller upstream.go createNode, working around NodeRestriction), so they may trail the Node
    const node = await eventually(
      async () => {
        const n = await kube().get('/api/v1/nodes/gate-a');
        return n.metadata?.labels?.['kubernetes.io/arch'] !== undefined ? n : undefined;
      },
      { timeoutMs: 30_000, what: 'gate-a to carry its kubernetes.io labels' },
    );
    expect(node.metadata?.labels?.['kubernetes.io/arch']).toBe('arm64');
    expect(node.metadata?.labels?.['node-role.kubernetes.io/edge']).toBe('');
    expect((node['status'] as { allocatable: Record<string, string> }).allocatable['cpu']).toBe('4');
    const ipc = await kube().get('/api/v1/nodes/ipc-c');
    expect(ipc.metadata?.labels?.['kubernetes.io/arch']).toBe('amd64');
  });

  it('a Deployment with a nodeSelector for edge nodes reaches Running on the simulated nodes', async () => {
    await kube().create('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'toll-app', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'toll-app' } },
        template: {
          metadata: { labels: { app: 'toll-app' } },
          spec: {
            nodeSelector: { 'node-role.kubernetes.io/edge': '', 'edgeproof.io/station': 's1' },
            containers: [{ name: 'app', image: 'registry.local/toll-app:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
          },
        },
      },
    });
    const pods = await eventually(
      async () => {
        const list = await kube().list('/api/v1/namespaces/default/pods?labelSelector=app%3Dtoll-app');
        return list.items.length === 3 && list.items.every((p) => podPhase(p) === 'Running') ? list.items : undefined;
      },
      { timeoutMs: 60_000, what: 'three toll-app pods Running' },
    );
    for (const p of pods) expect(['gate-a', 'gate-b']).toContain((p['spec'] as { nodeName: string }).nodeName);
    // the edge really runs them: its runtime holds them
    const onEdges = [...env.fleet.nodes.values()].flatMap((n) => n.pods().filter((p) => p.name.startsWith('toll-app') && p.lifecycle === 'running'));
    expect(onEdges).toHaveLength(3);
  });

  it('a ConfigMap update reaches the edge store with the same resourceVersion, and ObjectSync records the ACK', async () => {
    await kube().create('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ipc-config', namespace: 'default' }, data: { tariff: 'v1' } });
    // edgecontroller sends a ConfigMap to the nodes whose pods use it
    await kube().create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'billing', namespace: 'default' },
      spec: {
        nodeName: 'ipc-c',
        volumes: [{ name: 'cfg', configMap: { name: 'ipc-config' } }],
        containers: [{ name: 'app', image: 'registry.local/billing:1', volumeMounts: [{ name: 'cfg', mountPath: '/etc/billing' }] }],
      },
    });
    const ipc = env.fleet.node('ipc-c');
    await eventually(() => (ipc.storedObjects().has('default/configmap/ipc-config') ? true : undefined), { timeoutMs: 30_000, what: 'the ConfigMap on the edge' });
    const updated = await kube().patch<KubeObject>('/api/v1/namespaces/default/configmaps/ipc-config', { data: { tariff: 'v2' } });
    const rv = updated.metadata?.resourceVersion;
    const uid = updated.metadata?.uid;
    expect(rv).toBeDefined();
    const stored = await eventually(
      () => {
        const o = ipc.storedObjects().get('default/configmap/ipc-config');
        return o?.metadata?.resourceVersion === rv ? o : undefined;
      },
      { timeoutMs: 30_000, what: `the edge store to hold resourceVersion ${rv}` },
    );
    expect((stored['data'] as Record<string, string>)['tariff']).toBe('v2');
    const sync = await eventually(
      async () => {
        const os = await kube().find(`/apis/reliablesyncs.kubeedge.io/v1alpha1/namespaces/default/objectsyncs/ipc-c.${uid}`);
        return (os?.['status'] as { objectResourceVersion?: string } | undefined)?.objectResourceVersion === rv ? os : undefined;
      },
      { timeoutMs: 30_000, what: `ObjectSync ipc-c.${uid} to record resourceVersion ${rv}` },
    );
    expect((sync['spec'] as { objectKind: string }).objectKind).toBe('ConfigMap');
  });

  it('an arm64-only image on an amd64 node fails to pull with a clear reason', async () => {
    await kube().create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'wrong-arch', namespace: 'default' },
      spec: { nodeName: 'ipc-c', containers: [{ name: 'app', image: 'registry.local/plate-reader-arm64-only:2' }] },
    });
    const waiting = await eventually(
      async () => {
        const pod = await kube().get('/api/v1/namespaces/default/pods/wrong-arch');
        const st = (pod['status'] as { containerStatuses?: { state: { waiting?: { reason: string; message?: string } } }[] }).containerStatuses?.[0]?.state.waiting;
        return st?.reason === 'ErrImagePull' || st?.reason === 'ImagePullBackOff' ? st : undefined;
      },
      { timeoutMs: 30_000, what: 'wrong-arch to report an image pull failure' },
    );
    expect(waiting.message ?? '').toMatch(/no match for platform|Back-off pulling image/);
  });

  it('a pod beyond allocatable is refused by the node with kubelet’s reason; one that fits runs', async () => {
    await kube().create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'too-big', namespace: 'default' },
      spec: { nodeName: 'gate-d', containers: [{ name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu: '6', memory: '64Mi' } } }] },
    });
    const refused = await eventually(
      async () => {
        const pod = await kube().get('/api/v1/namespaces/default/pods/too-big');
        return podPhase(pod) === 'Failed' ? pod : undefined;
      },
      { timeoutMs: 30_000, what: 'too-big to be Failed' },
    );
    expect((refused['status'] as { reason: string }).reason).toBe('OutOfcpu');
    expect((refused['status'] as { message: string }).message).toContain("Node didn't have enough resource: cpu, requested: 6000");
  });

  it('partition: the cloud marks the node NotReady, the edge keeps its pods, survives an offline restart, and after healing gets the update and the delete made meanwhile', async () => {
    const gate = env.fleet.node('gate-a');
    const before = gate.pods().filter((p) => p.lifecycle === 'running').map((p) => p.name).sort();
    expect(before.length).toBeGreaterThan(0);
    await kube().create('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gate-config', namespace: 'default' }, data: { mode: 'normal' } });
    await kube().create('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gate-retired', namespace: 'default' }, data: { x: '1' } });
    await kube().create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gate-agent', namespace: 'default' },
      spec: {
        nodeName: 'gate-a',
        volumes: [{ name: 'a', configMap: { name: 'gate-config' } }, { name: 'b', configMap: { name: 'gate-retired' } }],
        containers: [{ name: 'app', image: 'registry.local/gate-agent:1' }],
      },
    });
    await eventually(() => (gate.storedObjects().has('default/configmap/gate-retired') && gate.pods().some((p) => p.name === 'gate-agent' && p.lifecycle === 'running') ? true : undefined), {
      timeoutMs: 30_000,
      what: 'gate-agent running with its ConfigMaps on gate-a',
    });
    const runningBefore = gate.pods().filter((p) => p.lifecycle === 'running').map((p) => p.name).sort();

    // cut station-1's uplink (gate-a and gate-b sit behind it)
    await env.fleet.uplinkOf('gate-a').partition();
    const cutAt = Date.now();
    await eventually(async () => (nodeReady(await kube().get('/api/v1/nodes/gate-a')) !== 'True' ? true : undefined), { timeoutMs: 90_000, what: 'gate-a NotReady in the cloud' });
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(10_000); // not before the lease could have expired
    // autonomy: still running everything it ran
    expect(gate.pods().filter((p) => p.lifecycle === 'running').map((p) => p.name).sort()).toEqual(runningBefore);
    // the node the partition did not touch stays Ready
    expect(nodeReady(await kube().get('/api/v1/nodes/ipc-c'))).toBe('True');

    // changes in the cloud while the edge is away
    const updated = await kube().patch<KubeObject>('/api/v1/namespaces/default/configmaps/gate-config', { data: { mode: 'storm' } });
    await kube().delete('/api/v1/namespaces/default/configmaps/gate-retired');

    // restart the edge while still offline: pods come back from SQLite alone
    await gate.restart();
    await eventually(() => (gate.pods().filter((p) => p.lifecycle === 'running').length === runningBefore.length ? true : undefined), { timeoutMs: 20_000, what: 'pods restored from SQLite' });
    expect(gate.connected).toBe(false);
    expect(gate.storedObjects().get('default/configmap/gate-config')?.metadata?.resourceVersion).not.toBe(updated.metadata?.resourceVersion);

    // heal: the update arrives, the delete arrives, the node is Ready again
    await env.fleet.uplinkOf('gate-a').heal();
    await eventually(
      () => {
        const objs = gate.storedObjects();
        return objs.get('default/configmap/gate-config')?.metadata?.resourceVersion === updated.metadata?.resourceVersion && !objs.has('default/configmap/gate-retired') ? true : undefined;
      },
      { timeoutMs: 90_000, what: 'the offline update and delete to reach gate-a after healing' },
    );
    await eventually(async () => (nodeReady(await kube().get('/api/v1/nodes/gate-a')) === 'True' ? true : undefined), { timeoutMs: 60_000, what: 'gate-a Ready again' });
    expect(gate.pods().filter((p) => p.lifecycle === 'running').map((p) => p.name).sort()).toEqual(runningBefore);
  });
});
