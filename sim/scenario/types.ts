/**
 * A loaded scenario: everything a run needs, validated and with units resolved (milliseconds, bytes,
 * percent). Produced only by the loader (loader.ts); the fleet it describes is built by sim/fleet/topology.ts
 * and its fault schedule by sim/faults/schedule.ts — both pure functions of the scenario and the seed.
 */
import type { ReconnectPolicy } from '../edge/backoff.ts';
import type { Arch, HardwareProfile } from '../edge/profile.ts';
import type { LinkProfile } from '../network/link-profile.ts';
import type { OutageMode } from '../network/uplink.ts';
import type { Selector } from './selector.ts';

/** One entry of a mix: a profile (or route) name and its share in percent. Shares of a mix sum to 100. */
export interface Share {
  readonly name: string;
  readonly percent: number;
}

export interface ProvinceSpec {
  readonly name: string;
  readonly region: string;
  readonly stations: number;
  readonly gatesPerStation: number;
  readonly serversPerStation: number;
  /** Link profile of each station's shared uplink (links.stationUplink unless overridden here). */
  readonly uplink: string;
  /** Extra node labels for every node of the province. */
  readonly labels: Readonly<Record<string, string>>;
  readonly where: string;
}

export interface RouteLeg {
  readonly cell: string;
  readonly forMs: number;
}

export interface RouteSpec {
  readonly name: string;
  readonly percent: number;
  /** true: drive the legs round and round; false: stay in the last cell once the route is done. */
  readonly loop: boolean;
  readonly legs: readonly RouteLeg[];
  readonly where: string;
}

/**
 * `spread`: each vehicle starts at a seeded point of its route (whole seconds), so they cross cells at
 * different times. `aligned`: all start at the first leg together (a whole group enters the tunnel at once).
 */
export type RoutePhase = 'spread' | 'aligned';

export interface VehicleGroupSpec {
  /** Group name; vehicles are `<group>-0001`, `<group>-0002`, … */
  readonly group: string;
  readonly count: number;
  readonly region: string;
  readonly hardware: readonly Share[];
  readonly routes: readonly RouteSpec[];
  readonly phase: RoutePhase;
  readonly labels: Readonly<Record<string, string>>;
  readonly where: string;
}

/** How every simulated edge behaves (EdgeNodeOptions). */
export interface EdgeSettings {
  readonly heartbeatMs: number;
  readonly reconnect: ReconnectPolicy;
  readonly nodeStatusPeriodMs: number;
  readonly slimStatus: boolean;
  /**
   * When the edges' mappers report device readings to the twin: 'report-cycle' (the latest reading every
   * reportCycle) or 'collect-cycle' (every reading, as KubeEdge's mapper-framework does).
   */
  readonly deviceReports: 'report-cycle' | 'collect-cycle';
}

export interface FleetSpec {
  readonly provinces: readonly ProvinceSpec[];
  readonly gateHardware: readonly Share[];
  readonly serverHardware: readonly Share[];
  readonly vehicles: readonly VehicleGroupSpec[];
  readonly edge: EdgeSettings;
}

export interface LinksSpec {
  /** Default profile of the station uplinks. */
  readonly stationUplink: string;
  /** Coverage cell → link profile a vehicle's cellular link takes while in that cell. */
  readonly cells: ReadonlyMap<string, string>;
}

/** The subset of the hardware profile a topology needs. */
export type HardwareInfo = Pick<HardwareProfile, 'name' | 'arch' | 'labels'>;

export type BackendText = 'auto' | 'local' | 'testcontainers' | `kubeconfig:${string}`;

/** CloudCore settings a scenario may override (sim/components/cloudcore.ts CloudCoreOptions). */
export interface CloudCoreOverrides {
  readonly nodeLimit?: number;
  readonly keepaliveIntervalSeconds?: number;
  readonly nodeUpdateFrequencySeconds?: number;
  readonly writeTimeoutSeconds?: number;
  readonly tokenRefreshHours?: number;
  readonly deviceStatusWorkers?: number;
}

/** Control-plane settings (sim/components/types.ts ControlPlaneOptions). */
export interface ControlPlaneOverrides {
  readonly nodeMonitorGracePeriodSeconds?: number;
  readonly nodeMonitorPeriodSeconds?: number;
  readonly defaultUnreachableTolerationSeconds?: number;
  readonly defaultNotReadyTolerationSeconds?: number;
}

export interface CloudSpec {
  readonly backend: BackendText;
  readonly cloudcore: CloudCoreOverrides;
  readonly controlPlane: ControlPlaneOverrides;
}

export interface ImageSpec {
  readonly name: string;
  readonly sizeBytes: number;
  readonly arch: readonly Arch[];
}

export interface Toleration {
  readonly key?: string;
  readonly operator: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

export type WorkloadKind = 'Deployment' | 'DaemonSet';

export interface WorkloadSpec {
  readonly name: string;
  readonly kind: WorkloadKind;
  readonly namespace: string;
  /** Deployments only. */
  readonly replicas: number | undefined;
  /** The template is instantiated this many times: `<name>` for 1, `<name>-01` … otherwise. */
  readonly copies: number;
  /** Where its pods may run. Only label terms (no sampling, no globs): it becomes a nodeSelector/nodeAffinity. */
  readonly selector: Selector;
  readonly image: ImageSpec;
  readonly requests: { readonly cpuMillis: number; readonly memoryBytes: number };
  /** Label the pods `app-offline.kubeedge.io=autonomy` and tolerate unreachable/not-ready without bound. */
  readonly autonomy: boolean;
  readonly tolerations: readonly Toleration[];
  /** Require nodes whose kubernetes.io/arch is in image.arch (true by default). */
  readonly pinArch: boolean;
  readonly maxSurge: number | string;
  readonly maxUnavailable: number | string;
  /** Not created at start: a timeline `apply` creates it. */
  readonly deferred: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly where: string;
}

export type DeviceKind = 'barrier-gate' | 'weighbridge' | 'smoke-alarm' | 'flood-alarm' | 'camera' | 'alarm';
export type DeviceProtocol = 'modbus' | 'mqtt';

export interface DeviceGroupSpec {
  readonly kind: DeviceKind;
  readonly protocol: DeviceProtocol;
  /** Devices of this kind on each selected node. */
  readonly count: number;
  /** How often the mapper reads the device. */
  readonly collectCycleMs: number;
  /** How often it reports to the cloud. */
  readonly reportCycleMs: number;
  readonly selector: Selector;
  readonly where: string;
}

export type GuaranteeId =
  | 'sync.converge'
  | 'sync.monotonic'
  | 'sync.no-lost-delete'
  | 'autonomy.keep-running'
  | 'autonomy.restart-offline'
  | 'autonomy.no-eviction'
  | 'twin.converge'
  | 'status.fresh'
  | 'storm.recover'
  | 'app.hot-update';

/** The bound each guarantee is checked against (defaults filled in). */
export interface GuaranteeBounds {
  readonly 'sync.converge': { readonly withinMs: number; readonly lagMs: number };
  readonly 'sync.monotonic': Record<string, never>;
  readonly 'sync.no-lost-delete': { readonly withinMs: number; readonly lagMs: number };
  readonly 'autonomy.keep-running': { readonly deviceAnswerMs: number };
  readonly 'autonomy.restart-offline': { readonly withinMs: number };
  readonly 'autonomy.no-eviction': { readonly toleranceMs: number };
  readonly 'twin.converge': { readonly withinMs: number; readonly lagMs: number };
  readonly 'status.fresh': { readonly slackMs: number };
  readonly 'storm.recover': { readonly withinMs: number; readonly cloudMemoryBytes: number };
  readonly 'app.hot-update': { readonly withinMs: number };
}

/** The guarantees a scenario asserts, each with its bounds. */
export type GuaranteeSet = { readonly [K in GuaranteeId]?: GuaranteeBounds[K] };

export type ChurnMode = 'disconnect' | 'power-off';
export type ComponentTarget = 'cloudcore' | 'kube-apiserver' | 'etcd' | 'kube-controller-manager' | 'kube-scheduler' | 'mosquitto';

export type TimelineAction =
  | { readonly kind: 'partition'; readonly selector: Selector; readonly forMs: number | undefined; readonly mode: OutageMode }
  | { readonly kind: 'heal'; readonly selector: Selector }
  | { readonly kind: 'degrade'; readonly selector: Selector; readonly profile: string; readonly forMs: number | undefined }
  | { readonly kind: 'restore'; readonly selector: Selector }
  | {
      readonly kind: 'churn';
      readonly selector: Selector;
      readonly overMs: number;
      readonly batches: number | undefined;
      readonly offline: { readonly minMs: number; readonly maxMs: number } | undefined;
      readonly mode: ChurnMode;
      readonly reconnect: ReconnectPolicy;
    }
  | {
      readonly kind: 'restart-edges';
      readonly selector: Selector;
      /** Cut from the cloud for this long around the restart (undefined: restart while connected). */
      readonly offlineMs: number | undefined;
      /** With offlineMs: how long after the cut the edges stop. */
      readonly restartAfterMs: number;
      /** Stopped this long before they start again. */
      readonly downtimeMs: number;
      readonly reconnect: ReconnectPolicy;
    }
  | { readonly kind: 'kill'; readonly component: ComponentTarget; readonly forMs: number | undefined }
  | { readonly kind: 'restart-component'; readonly component: ComponentTarget }
  | { readonly kind: 'rollout'; readonly workload: string; readonly image: ImageSpec }
  /** `force`: also delete its pods at once (grace 0), as operators do for pods of unreachable nodes (KubeEdge #4368). */
  | { readonly kind: 'delete'; readonly workload: string; readonly force: boolean }
  | { readonly kind: 'apply'; readonly workload: string }
  | { readonly kind: 'mark'; readonly label: string }
  /** Set a desired value on the Devices of `device` kind on the selected nodes (a user's `kubectl patch`). */
  | { readonly kind: 'set-desired'; readonly selector: Selector; readonly device: DeviceKind; readonly property: string; readonly value: string };

export type TimelineActionKind = TimelineAction['kind'];

export interface TimelineEntry {
  /** Position in the file's timeline list. */
  readonly index: number;
  readonly id: string | undefined;
  readonly atMs: number;
  readonly repeat: { readonly everyMs: number; readonly times: number } | undefined;
  readonly action: TimelineAction;
  readonly where: string;
}

export interface Scenario {
  /** The file it was read from (as given to the loader). */
  readonly file: string;
  /** The scenario text as read (a run directory keeps a verbatim copy for replay). */
  readonly text: string;
  readonly name: string;
  readonly description: string;
  /** The scenario's own seed (a run may override it: see topology/schedule `seed` arguments). */
  readonly seed: number;
  readonly durationMs: number;
  readonly cloud: CloudSpec;
  readonly fleet: FleetSpec;
  readonly links: LinksSpec;
  readonly workloads: readonly WorkloadSpec[];
  readonly devices: readonly DeviceGroupSpec[];
  readonly timeline: readonly TimelineEntry[];
  readonly guarantees: GuaranteeSet;
  /** Every hardware profile known when it was loaded, by name. */
  readonly hardwareProfiles: ReadonlyMap<string, HardwareProfile>;
  /** Every link profile known when it was loaded, by name. */
  readonly linkProfiles: ReadonlyMap<string, LinkProfile>;
}
