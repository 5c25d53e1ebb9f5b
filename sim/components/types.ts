import type { KubeClient } from '../kube/client.ts';

/** Names of the real parts the bench drives. */
export type ComponentName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'k3s'
  | 'toxiproxy'
  | 'mosquitto'
  | 'cloudcore';

export type BackendName = 'local' | 'testcontainers' | 'kubeconfig';

/**
 * A component that is running. Configured-but-not-started things are separate types (options objects), as in
 * testcontainers: only a started component has endpoints, a log and a stop().
 */
export interface StartedComponent {
  readonly name: ComponentName;
  readonly version: string;
  /** Named endpoints, e.g. { api: 'https://127.0.0.1:6443' }. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Where its output goes (a file path, or a description such as `docker logs <id>`). */
  readonly logFile: string;
  /** OS process id for local processes; undefined for containers and external clusters. */
  readonly pid: number | undefined;
  /** Stop it and release its ports. Idempotent. */
  stop(): Promise<void>;
}

/** Tunables of the control plane that the bench's guarantees depend on. */
export interface ControlPlaneOptions {
  /** kube-controller-manager --node-monitor-grace-period: how long a silent node stays Ready. */
  readonly nodeMonitorGracePeriodSeconds?: number;
  /** kube-controller-manager --node-monitor-period. */
  readonly nodeMonitorPeriodSeconds?: number;
  /** kube-apiserver --default-unreachable-toleration-seconds (eviction after NotReady; k8s default 300). */
  readonly defaultUnreachableTolerationSeconds?: number;
  readonly defaultNotReadyTolerationSeconds?: number;
}

export interface StartedControlPlane {
  readonly backend: BackendName;
  readonly version: string;
  readonly server: string;
  /** A kubeconfig any Kubernetes client can use. */
  readonly kubeconfigPath: string;
  readonly kube: KubeClient;
  readonly components: readonly StartedComponent[];
  /** Stop one process of the control plane (fault injection); only the local backend can. */
  component(name: ComponentName): StartedComponent | undefined;
  stop(): Promise<void>;
}
