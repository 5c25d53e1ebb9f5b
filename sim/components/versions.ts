/**
 * Every real component's version, pinned in one place.
 *
 * Why these versions:
 * - KubeEdge v1.23.1 is built against Kubernetes 1.32 (its go.mod requires k8s.io/kubernetes v1.32.10 through
 *   KubeEdge's fork), so the control plane runs 1.32 too.
 * - Kubernetes v1.32.9, not v1.32.10: the Go module proxy reachable here refuses several v0.32.10 staging
 *   modules (kube-aggregator, cluster-bootstrap, externaljwt, …) with 403; v0.32.9 is complete. A one-patch
 *   skew between CloudCore's client libraries and the apiserver is within Kubernetes' version-skew policy.
 * - KubeEdge's own staging modules (api, beehive) are replaced by local paths in its go.mod, which a module
 *   zip cannot carry; the separately published v1.23.0 modules stand in (v1.23.1 is not published).
 * - etcd v3.5.21: the 3.5 line is what Kubernetes 1.32 ships with (3.5.16) and tests against.
 */
export const versions = {
  kubernetes: 'v1.32.9',
  kubernetesStaging: 'v0.32.9',
  etcd: 'v3.5.21',
  toxiproxy: '2.12.0',
  kubeedge: 'v1.23.1',
  kubeedgeStaging: 'v1.23.0',
  kubeedgeKubernetesFork: 'v1.32.10-kubeedge1',
  /** Debian bookworm's package; any 2.x works. */
  mosquitto: '2.0',
  /** testcontainers backend images (used only where a Docker engine answers). */
  k3sImage: 'rancher/k3s:v1.32.9-k3s1',
  toxiproxyImage: 'ghcr.io/shopify/toxiproxy:2.12.0',
  mosquittoImage: 'eclipse-mosquitto:2.0.20',
} as const;

/** Kubernetes staging modules replaced in the control-plane wrapper module. */
export const kubernetesStagingModules = [
  'api', 'apiextensions-apiserver', 'apimachinery', 'apiserver', 'cli-runtime', 'client-go', 'cloud-provider',
  'cluster-bootstrap', 'code-generator', 'component-base', 'component-helpers', 'controller-manager', 'cri-api',
  'cri-client', 'csi-translation-lib', 'dynamic-resource-allocation', 'endpointslice', 'externaljwt', 'kms',
  'kube-aggregator', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubectl', 'kubelet', 'metrics',
  'mount-utils', 'pod-security-admission',
] as const;
