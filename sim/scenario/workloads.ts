/**
 * Workload templates → real Kubernetes manifests (apps/v1 Deployment / DaemonSet), as pure functions.
 *
 * Every pod is pinned to edge nodes (`node-role.kubernetes.io/edge: ""`, the label CloudCore's informers
 * select edge nodes by) plus the workload's own placement (the selector language, translated to nodeSelector
 * or nodeAffinity), and — unless `pinArch: false` — to the architectures its image is built for.
 * `autonomy: true` does what KubeEdge's admission webhook would do for pods labelled
 * `app-offline.kubeedge.io=autonomy` (cloud/pkg/admissioncontroller/mutate_offlinemigration.go: replace the
 * unreachable tolerations by one `{key: node.kubernetes.io/unreachable, operator: Exists}` without a bound):
 * the bench does not run that webhook, so the builder writes both the label and the toleration.
 */
import type { KubeObject } from '../kube/client.ts';
import type { ImageInfo } from '../edge/pod-runtime.ts';
import { toPlacement } from './selector.ts';
import type { ImageSpec, Scenario, Toleration, WorkloadSpec } from './types.ts';
import { formatBytesQuantity } from './units.ts';

export const edgeNodeLabel = 'node-role.kubernetes.io/edge';
export const autonomyLabel = { key: 'app-offline.kubeedge.io', value: 'autonomy' } as const;
export const workloadLabel = 'edgeproof.io/workload';
export const instanceLabel = 'edgeproof.io/instance';
export const containerName = 'app';

/** Names of the objects one template makes: `name` once, or `name-01` … `name-NN` for copies. */
export function workloadInstances(w: Pick<WorkloadSpec, 'name' | 'copies'>): string[] {
  if (w.copies <= 1) return [w.name];
  const width = Math.max(2, String(w.copies).length);
  return Array.from({ length: w.copies }, (_, i) => `${w.name}-${String(i + 1).padStart(width, '0')}`);
}

function tolerationsOf(w: WorkloadSpec): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const t of w.tolerations) {
    if (w.autonomy && t.key === 'node.kubernetes.io/unreachable') continue; // the webhook replaces these
    out.push(tolerationJson(t));
  }
  if (w.autonomy) out.push({ key: 'node.kubernetes.io/unreachable', operator: 'Exists' });
  return out;
}

function tolerationJson(t: Toleration): Record<string, unknown> {
  return {
    ...(t.key !== undefined ? { key: t.key } : {}),
    operator: t.operator,
    ...(t.value !== undefined ? { value: t.value } : {}),
    ...(t.effect !== undefined ? { effect: t.effect } : {}),
    ...(t.tolerationSeconds !== undefined ? { tolerationSeconds: t.tolerationSeconds } : {}),
  };
}

function affinityOf(w: WorkloadSpec, image: ImageSpec): Record<string, unknown> | undefined {
  const placement = toPlacement(w.selector);
  const arch = w.pinArch ? [{ key: 'kubernetes.io/arch', operator: 'In', values: [...image.arch].sort() }] : [];
  const terms = placement.affinityTerms.length > 0 ? placement.affinityTerms.map((t) => [...t, ...arch]) : arch.length > 0 ? [arch] : [];
  if (terms.length === 0) return undefined;
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: terms.map((exprs) => ({ matchExpressions: exprs.map((e) => ({ key: e.key, operator: e.operator, values: [...e.values] })) })),
      },
    },
  };
}

/**
 * The manifest of one instance of a workload template (see workloadInstances), optionally with another image
 * (a rollout). Pure: the same spec gives the same object.
 */
export function workloadManifest(w: WorkloadSpec, instance: string = workloadInstances(w)[0] ?? w.name, image: ImageSpec = w.image): KubeObject {
  const placement = toPlacement(w.selector);
  const podLabels: Record<string, string> = {
    ...w.labels,
    'app.kubernetes.io/name': instance,
    [workloadLabel]: w.name,
    [instanceLabel]: instance,
    ...(w.autonomy ? { [autonomyLabel.key]: autonomyLabel.value } : {}),
  };
  const affinity = affinityOf(w, image);
  const tolerations = tolerationsOf(w);
  const podSpec: Record<string, unknown> = {
    nodeSelector: { [edgeNodeLabel]: '', ...placement.nodeSelector },
    ...(affinity !== undefined ? { affinity } : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
    containers: [
      {
        name: containerName,
        image: image.name,
        resources: { requests: { cpu: `${w.requests.cpuMillis}m`, memory: formatBytesQuantity(w.requests.memoryBytes) } },
      },
    ],
  };
  const rollingUpdate = { maxSurge: w.maxSurge, maxUnavailable: w.maxUnavailable };
  const spec: Record<string, unknown> =
    w.kind === 'Deployment'
      ? { replicas: w.replicas ?? 1, selector: { matchLabels: { [instanceLabel]: instance } }, strategy: { type: 'RollingUpdate', rollingUpdate }, template: { metadata: { labels: podLabels }, spec: podSpec } }
      : { selector: { matchLabels: { [instanceLabel]: instance } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate }, template: { metadata: { labels: podLabels }, spec: podSpec } };
  return {
    apiVersion: 'apps/v1',
    kind: w.kind,
    metadata: { name: instance, namespace: w.namespace, labels: { ...w.labels, [workloadLabel]: w.name, [instanceLabel]: instance } },
    spec,
  };
}

/** Every manifest a scenario creates at start (deferred workloads excluded), in file order. */
export function initialManifests(scenario: Pick<Scenario, 'workloads'>): KubeObject[] {
  return scenario.workloads.filter((w) => !w.deferred).flatMap((w) => workloadInstances(w).map((i) => workloadManifest(w, i)));
}

/** REST path of a workload instance's collection and object. */
export function workloadPath(w: Pick<WorkloadSpec, 'kind' | 'namespace'>, instance?: string): string {
  const base = `/apis/apps/v1/namespaces/${w.namespace}/${w.kind === 'Deployment' ? 'deployments' : 'daemonsets'}`;
  return instance === undefined ? base : `${base}/${instance}`;
}

/** Strategic-merge patch body that rolls an instance to another image (content type application/strategic-merge-patch+json). */
export function rolloutPatch(image: ImageSpec): Record<string, unknown> {
  return { spec: { template: { spec: { containers: [{ name: containerName, image: image.name }] } } } };
}

/**
 * What the simulated container runtime should believe about each image the scenario uses (workload images and
 * rollout images): size and architectures. Unknown images get `fallback`.
 */
export function imageCatalog(scenario: Pick<Scenario, 'workloads' | 'timeline'>, fallback: ImageInfo = { sizeBytes: 50 * 2 ** 20, architectures: 'any' }): (image: string) => ImageInfo {
  const known = new Map<string, ImageInfo>();
  const add = (i: ImageSpec): void => {
    known.set(i.name, { sizeBytes: i.sizeBytes, architectures: [...i.arch] });
  };
  for (const w of scenario.workloads) add(w.image);
  for (const e of scenario.timeline) if (e.action.kind === 'rollout') add(e.action.image);
  return (image) => known.get(image) ?? fallback;
}
