import type { Clock, Timer } from '../core/clock.ts';
import { parseBytes, parseCpuMillis } from '../core/yaml-input.ts';
import type { KubeObject } from '../kube/client.ts';
import type { Arch } from './profile.ts';

/**
 * The simulated container runtime + kubelet pod lifecycle of one edge node. No containers run; what is
 * modelled is what the cloud can observe: admission (resources, pod count), image pulls whose duration is the
 * image size over the node's link (serialised, as kubelet pulls by default), images not built for the node's
 * arch failing to pull, start latency, Running/Ready, and deletion.
 */

export interface ImageInfo {
  readonly sizeBytes: number;
  /** Architectures the image's manifest list offers; 'any' for images of unknown make-up. */
  readonly architectures: readonly Arch[] | 'any';
}
export type ImageCatalog = (image: string) => ImageInfo;

/** Images the bench knows nothing about: a 50 MB multi-arch image. */
export const defaultImageCatalog: ImageCatalog = () => ({ sizeBytes: 50 * 2 ** 20, architectures: 'any' });

export interface NodeCapacity {
  readonly arch: Arch;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pods: number;
}

export interface PodRuntimeOptions {
  readonly clock: Clock;
  readonly capacity: NodeCapacity;
  readonly images: ImageCatalog;
  /** Bytes per second the node can download right now (0 while its link is cut). */
  readonly linkBytesPerSecond: () => number;
  /** Images already on the box (the runtime's image store survives an edge restart). */
  readonly cachedImages?: ReadonlyMap<string, number>;
  readonly onImagePulled?: (image: string, sizeBytes: number) => void;
  /** A pod's status changed: report it to the cloud. */
  readonly onStatus: (namespace: string, name: string, status: PodStatus) => void;
  readonly containerStartMs?: number;
  /** How often pull progress is recomputed against the current link rate. */
  readonly pullTickMs?: number;
}

export interface ContainerState {
  readonly running?: { readonly startedAt: string };
  readonly waiting?: { readonly reason: string; readonly message?: string };
  readonly terminated?: { readonly exitCode: number; readonly reason: string; readonly startedAt?: string; readonly finishedAt: string };
}

export interface ContainerStatus {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  readonly ready: boolean;
  readonly started: boolean;
  readonly restartCount: number;
  readonly state: ContainerState;
}

export interface PodCondition {
  readonly type: 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready' | 'PodReadyToStartContainers';
  readonly status: 'True' | 'False';
  readonly reason?: string;
  readonly lastTransitionTime: string;
}

export interface PodStatus {
  readonly phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  readonly reason?: string;
  readonly message?: string;
  readonly conditions: readonly PodCondition[];
  readonly containerStatuses: readonly ContainerStatus[];
  readonly startTime: string;
  readonly hostIP?: string;
  readonly podIP?: string;
}

interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

type Lifecycle = 'rejected' | 'pulling' | 'image-failed' | 'starting' | 'running' | 'terminated';

interface SimPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly containers: readonly ContainerSpec[];
  readonly admittedAt: number;
  lifecycle: Lifecycle;
  status: PodStatus;
  timers: Timer[];
}

interface PullJob {
  readonly image: string;
  readonly sizeBytes: number;
  readonly waiters: (() => void)[];
}

export interface SimPodView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly lifecycle: Lifecycle;
  readonly status: PodStatus;
}

function podContainers(pod: KubeObject): ContainerSpec[] {
  const spec = (pod['spec'] ?? {}) as { containers?: { name?: string; image?: string; resources?: { requests?: Record<string, string | number> } }[] };
  return (spec.containers ?? []).map((c, i) => ({
    name: c.name ?? `c${i}`,
    image: c.image ?? '',
    cpuMillis: parseCpuMillis(c.resources?.requests?.['cpu'] ?? 0) ?? 0,
    memoryBytes: parseBytes(c.resources?.requests?.['memory'] ?? 0) ?? 0,
  }));
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class PodRuntime {
  private readonly pods = new Map<string, SimPod>();
  private readonly images: Map<string, number>;
  private readonly pullQueue: PullJob[] = [];
  private pulling: PullJob | undefined;
  private pullTimer: Timer | undefined;
  private pulledBytes = 0;
  private stopped = false;

  constructor(private readonly opts: PodRuntimeOptions) {
    this.images = new Map(opts.cachedImages ?? []);
  }

  /** A pod object arrived (insert/update) from the cloud or from the local store after a restart. */
  apply(pod: KubeObject): void {
    const meta = pod.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const name = meta.name ?? '';
    const uid = meta.uid ?? `${namespace}/${name}`;
    const key = `${namespace}/${name}`;
    const existing = this.pods.get(key);
    if (meta.deletionTimestamp !== undefined) {
      this.remove(namespace, name);
      return;
    }
    if (existing !== undefined && existing.uid === uid) return; // spec updates of a running pod do not restart it
    if (existing !== undefined) this.remove(namespace, name);
    this.admit(namespace, name, uid, podContainers(pod));
  }

  remove(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const pod = this.pods.get(key);
    if (pod === undefined) return;
    for (const t of pod.timers) t.cancel();
    pod.lifecycle = 'terminated';
    this.pods.delete(key);
  }

  list(): readonly SimPodView[] {
    return [...this.pods.values()].map((p) => ({ namespace: p.namespace, name: p.name, uid: p.uid, lifecycle: p.lifecycle, status: p.status }));
  }

  get(namespace: string, name: string): SimPodView | undefined {
    return this.list().find((p) => p.namespace === namespace && p.name === name);
  }

  /** Stop every timer (the edge process is going away; its pods' fate is decided by whoever restarts it). */
  stop(): void {
    this.stopped = true;
    for (const p of this.pods.values()) for (const t of p.timers) t.cancel();
    this.pullTimer?.cancel();
    this.pods.clear();
  }

  private used(): { cpuMillis: number; memoryBytes: number; pods: number } {
    let cpuMillis = 0;
    let memoryBytes = 0;
    let pods = 0;
    for (const p of this.pods.values()) {
      if (p.lifecycle === 'rejected' || p.lifecycle === 'terminated') continue;
      pods++;
      for (const c of p.containers) {
        cpuMillis += c.cpuMillis;
        memoryBytes += c.memoryBytes;
      }
    }
    return { cpuMillis, memoryBytes, pods };
  }

  private admit(namespace: string, name: string, uid: string, containers: readonly ContainerSpec[]): void {
    const now = this.opts.clock.now();
    const cap = this.opts.capacity;
    const used = this.used();
    const want = { cpuMillis: containers.reduce((s, c) => s + c.cpuMillis, 0), memoryBytes: containers.reduce((s, c) => s + c.memoryBytes, 0) };
    // kubelet's admission (pkg/kubelet/lifecycle/predicate.go): reason OutOf<resource>, this message shape
    const shortfall =
      used.pods + 1 > cap.pods
        ? { resource: 'pods', requested: 1, used: used.pods, capacity: cap.pods }
        : used.cpuMillis + want.cpuMillis > cap.cpuMillis
          ? { resource: 'cpu', requested: want.cpuMillis, used: used.cpuMillis, capacity: cap.cpuMillis }
          : used.memoryBytes + want.memoryBytes > cap.memoryBytes
            ? { resource: 'memory', requested: want.memoryBytes, used: used.memoryBytes, capacity: cap.memoryBytes }
            : undefined;
    const pod: SimPod = {
      namespace,
      name,
      uid,
      containers,
      admittedAt: now,
      lifecycle: 'pulling',
      status: this.pendingStatus(containers, now, 'ContainerCreating'),
      timers: [],
    };
    this.pods.set(`${namespace}/${name}`, pod);
    if (shortfall !== undefined) {
      pod.lifecycle = 'rejected';
      pod.status = {
        phase: 'Failed',
        reason: `OutOf${shortfall.resource}`,
        message: `Pod was rejected: Node didn't have enough resource: ${shortfall.resource}, requested: ${shortfall.requested}, used: ${shortfall.used}, capacity: ${shortfall.capacity}`,
        conditions: [],
        containerStatuses: [],
        startTime: iso(now),
      };
      this.report(pod);
      return;
    }
    this.report(pod);
    void this.pullAll(pod);
  }

  private async pullAll(pod: SimPod): Promise<void> {
    for (const c of pod.containers) {
      const info = this.opts.images(c.image);
      if (info.architectures !== 'any' && !info.architectures.includes(this.opts.capacity.arch)) {
        // the manifest list is fetched, then the platform match fails (containerd's wording)
        await this.after(pod, 200);
        if (!this.current(pod)) return;
        pod.lifecycle = 'image-failed';
        const message = `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": no match for platform in manifest: not found (node is linux/${this.opts.capacity.arch}; image offers ${info.architectures.map((a) => `linux/${a}`).join(', ')})`;
        pod.status = this.withWaiting(pod, c.name, 'ErrImagePull', message);
        this.report(pod);
        await this.after(pod, 10_000);
        if (!this.current(pod)) return;
        pod.status = this.withWaiting(pod, c.name, 'ImagePullBackOff', `Back-off pulling image "${c.image}"`);
        this.report(pod);
        return;
      }
      if (!this.images.has(c.image)) {
        await this.pull(c.image, info.sizeBytes);
        if (!this.current(pod)) return;
      }
    }
    pod.lifecycle = 'starting';
    await this.after(pod, this.opts.containerStartMs ?? 500);
    if (!this.current(pod)) return;
    pod.lifecycle = 'running';
    pod.status = this.runningStatus(pod, this.opts.clock.now());
    this.report(pod);
  }

  /** Serialised pulls: one image at a time, progressing at the link's current rate. */
  private pull(image: string, sizeBytes: number): Promise<void> {
    return new Promise((resolve) => {
      const queued = this.pulling?.image === image ? this.pulling : this.pullQueue.find((j) => j.image === image);
      if (queued !== undefined) {
        queued.waiters.push(resolve);
        return;
      }
      this.pullQueue.push({ image, sizeBytes, waiters: [resolve] });
      this.pumpPulls();
    });
  }

  private pumpPulls(): void {
    if (this.pulling !== undefined || this.stopped) return;
    const job = this.pullQueue.shift();
    if (job === undefined) return;
    this.pulling = job;
    this.pulledBytes = 0;
    const tick = this.opts.pullTickMs ?? 250;
    const step = (): void => {
      if (this.stopped) return;
      const rate = Math.max(0, this.opts.linkBytesPerSecond());
      const remaining = job.sizeBytes - this.pulledBytes;
      const finishIn = rate > 0 ? (remaining / rate) * 1000 : Infinity;
      if (finishIn <= tick) {
        this.pullTimer = this.opts.clock.setTimeout(() => {
          this.images.set(job.image, job.sizeBytes);
          this.opts.onImagePulled?.(job.image, job.sizeBytes);
          this.pulling = undefined;
          for (const w of job.waiters) w();
          this.pumpPulls();
        }, Math.ceil(finishIn));
        return;
      }
      this.pullTimer = this.opts.clock.setTimeout(() => {
        this.pulledBytes += (rate * tick) / 1000;
        step();
      }, tick);
    };
    step();
  }

  private after(pod: SimPod, ms: number): Promise<void> {
    return new Promise((resolve) => {
      pod.timers.push(this.opts.clock.setTimeout(resolve, ms));
    });
  }

  private current(pod: SimPod): boolean {
    return !this.stopped && this.pods.get(`${pod.namespace}/${pod.name}`) === pod;
  }

  private report(pod: SimPod): void {
    this.opts.onStatus(pod.namespace, pod.name, pod.status);
  }

  private pendingStatus(containers: readonly ContainerSpec[], now: number, reason: string): PodStatus {
    const t = iso(now);
    return {
      phase: 'Pending',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'False', lastTransitionTime: t },
        { type: 'Initialized', status: 'True', lastTransitionTime: t },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: t },
        { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: t },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
      ],
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason } } })),
      startTime: t,
    };
  }

  private withWaiting(pod: SimPod, container: string, reason: string, message: string): PodStatus {
    return {
      ...pod.status,
      phase: 'Pending',
      containerStatuses: pod.status.containerStatuses.map((s) => (s.name === container ? { ...s, state: { waiting: { reason, message } } } : s)),
    };
  }

  private runningStatus(pod: SimPod, now: number): PodStatus {
    const t = iso(now);
    return {
      phase: 'Running',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: t },
        { type: 'Initialized', status: 'True', lastTransitionTime: iso(pod.admittedAt) },
        { type: 'Ready', status: 'True', lastTransitionTime: t },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(pod.admittedAt) },
      ],
      containerStatuses: pod.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `sha256:${c.image.length.toString(16).padStart(64, '0')}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: t } },
      })),
      startTime: iso(pod.admittedAt),
    };
  }
}
