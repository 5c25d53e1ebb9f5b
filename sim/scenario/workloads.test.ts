import { describe, expect, it } from 'vitest';
import { parse } from '../../conformance/scenarios/support.ts';
import { imageCatalog, initialManifests, rolloutPatch, workloadInstances, workloadManifest, workloadPath } from './workloads.ts';

const scenario = parse(`duration: 5m
fleet:
  provinces:
    - { name: p01, region: east, stations: 2, gatesPerStation: 2 }
    - { name: p02, region: west, stations: 2, gatesPerStation: 2 }
  gateHardware: { arm-gate-4c-1g: 50%, x86-ipc-8c-16g: 50% }
links: { stationUplink: lan }
workloads:
  - name: tolling
    kind: DaemonSet
    select: gate
    autonomy: true
    image: { name: registry.local/tolling:1.0, size: 50MB, arch: [arm64, amd64] }
    resources: { cpu: 200m, memory: 128Mi }
    tolerations: [{ key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, for: 60s }, { key: example.com/maint, operator: Exists }]
  - name: billing
    kind: Deployment
    replicas: 3
    copies: 3
    namespace: toll
    select: "province=p01,p02 gate!=g02 | region=west"
    pinArch: false
    maxSurge: 25%
    maxUnavailable: 0
    deferred: true
    labels: { team: billing }
    image: { name: registry.local/billing:2.0, size: 120Mi, arch: [amd64] }
timeline:
  - at: 1m
    rollout: { workload: billing, image: { name: registry.local/billing:2.1, size: 130Mi } }
`);
const [tolling, billing] = scenario.workloads;

describe('workload manifests', () => {
  it('a DaemonSet: edge nodes + placement in nodeSelector, arch pinned, the autonomy label and its toleration', () => {
    if (tolling === undefined) throw new Error('no tolling');
    expect(workloadManifest(tolling)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'tolling', namespace: 'default', labels: { 'edgeproof.io/workload': 'tolling', 'edgeproof.io/instance': 'tolling' } },
      spec: {
        selector: { matchLabels: { 'edgeproof.io/instance': 'tolling' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'tolling', 'edgeproof.io/workload': 'tolling', 'edgeproof.io/instance': 'tolling', 'app-offline.kubeedge.io': 'autonomy' } },
          spec: {
            nodeSelector: { 'node-role.kubernetes.io/edge': '', 'edgeproof.io/role': 'gate' },
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }] } } },
            // the bounded unreachable toleration is replaced, as KubeEdge's offline-migration webhook does
            tolerations: [{ key: 'example.com/maint', operator: 'Exists' }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists' }],
            containers: [{ name: 'app', image: 'registry.local/tolling:1.0', resources: { requests: { cpu: '200m', memory: '128Mi' } } }],
          },
        },
      },
    });
  });

  it('a Deployment template with copies: names, replicas, strategy, nodeAffinity for lists, != and |', () => {
    if (billing === undefined) throw new Error('no billing');
    expect(workloadInstances(billing)).toEqual(['billing-01', 'billing-02', 'billing-03']);
    const m = workloadManifest(billing, 'billing-02') as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    expect(m.metadata).toEqual({ name: 'billing-02', namespace: 'toll', labels: { team: 'billing', 'edgeproof.io/workload': 'billing', 'edgeproof.io/instance': 'billing-02' } });
    expect(m.spec['replicas']).toBe(3);
    expect(m.spec['strategy']).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } });
    const pod = (m.spec['template'] as { spec: Record<string, unknown> }).spec;
    expect(pod['nodeSelector']).toEqual({ 'node-role.kubernetes.io/edge': '' });
    expect(pod['affinity']).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'edgeproof.io/province', operator: 'In', values: ['p01', 'p02'] }, { key: 'edgeproof.io/gate', operator: 'NotIn', values: ['g02'] }] },
            { matchExpressions: [{ key: 'edgeproof.io/region', operator: 'In', values: ['west'] }] },
          ],
        },
      },
    });
    expect(pod['tolerations']).toBeUndefined();
    expect(workloadManifest(billing, 'billing-02')).toEqual(workloadManifest(billing, 'billing-02')); // pure
  });

  it('initial manifests skip deferred workloads; paths, rollout patches and the image catalog', () => {
    expect(initialManifests(scenario).map((m) => m.metadata?.name)).toEqual(['tolling']);
    if (billing === undefined) throw new Error('no billing');
    expect(workloadPath(billing)).toBe('/apis/apps/v1/namespaces/toll/deployments');
    expect(workloadPath(billing, 'billing-01')).toBe('/apis/apps/v1/namespaces/toll/deployments/billing-01');
    const rollout = scenario.timeline[0]?.action;
    if (rollout?.kind !== 'rollout') throw new Error('no rollout');
    expect(rollout.image).toEqual({ name: 'registry.local/billing:2.1', sizeBytes: 130 * 2 ** 20, arch: ['amd64'] }); // arch inherited
    expect(rolloutPatch(rollout.image)).toEqual({ spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.local/billing:2.1' }] } } } });
    const catalog = imageCatalog(scenario);
    expect(catalog('registry.local/tolling:1.0')).toEqual({ sizeBytes: 50_000_000, architectures: ['amd64', 'arm64'] });
    expect(catalog('registry.local/billing:2.1')).toEqual({ sizeBytes: 130 * 2 ** 20, architectures: ['amd64'] });
    expect(catalog('unknown:1')).toEqual({ sizeBytes: 50 * 2 ** 20, architectures: 'any' });
  });
});
