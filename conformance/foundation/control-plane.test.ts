import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalControlPlane } from '../../sim/components/control-plane/local.ts';
import type { StartedControlPlane } from '../../sim/components/types.ts';
import { silentProgress } from '../../sim/core/progress.ts';
import type { KubeObject } from '../../sim/kube/client.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/wait.ts';
import { nodeLease, readyNode, simplePod } from '../support/fixtures.ts';

// The node-lifecycle controller is part of what edgeproof tests (it is what evicts pods of a partitioned
// edge), so these tests run it for real with a short grace period to keep the suite quick.
const GRACE_SECONDS = 12;

interface NodeCondition { type: string; status: string; reason?: string }
interface Taint { key: string; effect: string }
const conditions = (n: KubeObject): NodeCondition[] => ((n['status'] as { conditions?: NodeCondition[] } | undefined)?.conditions ?? []);
const taints = (n: KubeObject): Taint[] => ((n['spec'] as { taints?: Taint[] } | undefined)?.taints ?? []);
const readyStatus = (n: KubeObject): string | undefined => conditions(n).find((c) => c.type === 'Ready')?.status;

describe('local control plane (real etcd, kube-apiserver, controller-manager, scheduler)', () => {
  let cp: StartedControlPlane;

  beforeAll(async () => {
    cp = await startLocalControlPlane(
      { stateDir: mkdtempSync(join(tmpdir(), 'edgeproof-cp-')), nodeMonitorGracePeriodSeconds: GRACE_SECONDS, nodeMonitorPeriodSeconds: 2 },
      silentProgress,
    );
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it('serves the API with the pinned version', async () => {
    const version = await cp.kube.get('/version');
    expect(version['gitVersion']).toBe('v1.32.9');
  });

  it('the real scheduler binds a Pod to a Ready Node that matches its selector, and not to one that does not', async () => {
    await cp.kube.create('/api/v1/nodes', readyNode('sched-other', { role: 'other' }));
    await cp.kube.create('/api/v1/nodes', readyNode('sched-edge', { role: 'edge' }));
    const renew = setInterval(() => {
      for (const n of ['sched-other', 'sched-edge']) {
        void cp.kube.replace(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`, nodeLease(n, new Date())).catch(() => cp.kube.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', nodeLease(n, new Date())).catch(() => undefined));
      }
    }, 2000);
    try {
      await cp.kube.create('/api/v1/namespaces/default/pods', simplePod('bind-me', { role: 'edge' }));
      await cp.kube.create('/api/v1/namespaces/default/pods', simplePod('nowhere', { role: 'absent' }));
      const bound = await eventually(
        async () => {
          const pod = await cp.kube.get('/api/v1/namespaces/default/pods/bind-me');
          const nodeName = (pod['spec'] as { nodeName?: string }).nodeName;
          return nodeName !== undefined && nodeName !== '' ? nodeName : undefined;
        },
        { timeoutMs: 30_000, what: 'pod bind-me to be scheduled' },
      );
      expect(bound).toBe('sched-edge');
      // the pod whose selector matches no node stays Pending with the scheduler's reason
      const unschedulable = await eventually(
        async () => {
          const pod = await cp.kube.get('/api/v1/namespaces/default/pods/nowhere');
          const cond = ((pod['status'] as { conditions?: { type: string; reason?: string }[] }).conditions ?? []).find((c) => c.type === 'PodScheduled');
          return cond?.reason === 'Unschedulable' ? pod : undefined;
        },
        { timeoutMs: 30_000, what: 'pod nowhere to be marked Unschedulable' },
      );
      expect((unschedulable['spec'] as { nodeName?: string }).nodeName).toBeUndefined();
    } finally {
      clearInterval(renew);
      for (const n of ['sched-other', 'sched-edge']) await cp.kube.delete(`/api/v1/nodes/${n}`);
    }
  });

  it('the real node-lifecycle controller marks a Node whose Lease stops being renewed NotReady and taints it', async () => {
    // A healthy majority matters: when more than 55 % of a zone's nodes are unhealthy the controller enters
    // partial disruption and, in clusters under 50 nodes, stops tainting altogether (real Kubernetes policy).
    const healthy = ['alive', 'alive-2', 'alive-3'];
    for (const n of ['silent', ...healthy]) await cp.kube.create('/api/v1/nodes', readyNode(n));
    const renewAll = async (names: string[]): Promise<void> => {
      for (const n of names) {
        const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`;
        const existing = await cp.kube.find(path);
        if (existing === undefined) await cp.kube.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', nodeLease(n, new Date()));
        else await cp.kube.patch(path, { spec: { renewTime: new Date().toISOString().replace('Z', '000Z') } });
      }
    };
    await renewAll(['silent', ...healthy]);
    // 'alive' keeps renewing its lease; 'silent' never renews again
    const renew = setInterval(() => void renewAll(healthy).catch(() => undefined), 2000);
    const started = Date.now();
    try {
      const notReady = await eventually(
        async () => {
          const node = await cp.kube.get('/api/v1/nodes/silent');
          return readyStatus(node) !== 'True' && taints(node).some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? node : undefined;
        },
        { timeoutMs: (GRACE_SECONDS + 40) * 1000, what: 'node silent to become NotReady and tainted unreachable' },
      );
      const elapsed = (Date.now() - started) / 1000;
      expect(readyStatus(notReady)).toBe('Unknown');
      // the controller may not act before the grace period: a lower bound physics (and the config) guarantees
      expect(elapsed).toBeGreaterThanOrEqual(GRACE_SECONDS - 3);
      // the node that kept renewing is still Ready and untainted — the check can tell the two apart
      const alive = await cp.kube.get('/api/v1/nodes/alive');
      expect(readyStatus(alive)).toBe('True');
      expect(taints(alive).filter((t) => t.key.startsWith('node.kubernetes.io/unreachable'))).toEqual([]);
    } finally {
      clearInterval(renew);
    }
  });
});
