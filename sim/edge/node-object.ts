import type { KubeObject } from '../kube/client.ts';
import type { HardwareProfile } from './profile.ts';

/** The Kubernetes version edged reports (edge/pkg/edged/edged.go: `<k8s>-kubeedge-<kubeedge>`). */
export const kubeletVersion = 'v1.32.10-kubeedge-v1.23.1';

/** Label CloudCore's informers select edge nodes by (cloud/pkg/common/nodes/nodes.go). */
export const edgeRoleLabel = 'node-role.kubernetes.io/edge';

export interface NodeAddress {
  readonly internalIP: string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function resources(profile: HardwareProfile): Record<string, string> {
  return { cpu: `${profile.cpuMillis}m`, memory: `${Math.floor(profile.memoryBytes / 1024)}Ki`, pods: String(profile.maxPods) };
}

/** The Node edged registers (insert `default/node/<name>`). */
export function registrationNode(name: string, profile: HardwareProfile, address: NodeAddress, extraLabels: Readonly<Record<string, string>>, now: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': profile.os,
        'kubernetes.io/arch': profile.arch,
        'beta.kubernetes.io/os': profile.os,
        'beta.kubernetes.io/arch': profile.arch,
        [edgeRoleLabel]: '',
        'node-role.kubernetes.io/agent': '',
        ...profile.labels,
        ...extraLabels,
      },
    },
    spec: {},
    status: fullStatus(profile, address, now, []),
  };
}

function conditions(now: number, transition: number): Record<string, string>[] {
  const base = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: iso(now),
    lastTransitionTime: iso(transition),
  });
  return [
    base('Ready', 'True', 'EdgeReady', 'edge is posting ready status'),
    base('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    base('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    base('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
  ];
}

export function fullStatus(profile: HardwareProfile, address: NodeAddress, now: number, images: readonly { name: string; sizeBytes: number }[], transition = now): Record<string, unknown> {
  return {
    capacity: resources(profile),
    allocatable: resources(profile),
    conditions: conditions(now, transition),
    addresses: [
      { type: 'InternalIP', address: address.internalIP },
      { type: 'Hostname', address: address.internalIP },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10350 } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: `edgeproof simulated ${profile.vendor}`,
      containerRuntimeVersion: 'remote://edgeproof-sim',
      kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: profile.os,
      architecture: profile.arch,
    },
    images: images.map((i) => ({ names: [i.name], sizeBytes: i.sizeBytes })),
  };
}

/**
 * The periodic node status patch. `slim` is what large operators run (nodeStatusMaxImages 0, only conditions
 * refreshed): a fraction of the bytes on a 3 Mbit/s station uplink shared by ten gates.
 */
export function statusPatch(profile: HardwareProfile, address: NodeAddress, now: number, transition: number, images: readonly { name: string; sizeBytes: number }[], slim: boolean): string {
  if (slim) return JSON.stringify({ status: { conditions: conditions(now, transition) } });
  return JSON.stringify({ status: fullStatus(profile, address, now, images, transition) });
}
