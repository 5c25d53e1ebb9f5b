import { rmSync } from 'node:fs';
import type { Clock, Timer } from '../core/clock.ts';
import type { Random } from '../core/random.ts';
import { EdgeDevices, type DeviceEvent } from '../devices/edge-devices.ts';
import type { MqttEventBus } from '../devices/mqtt-bus.ts';
import type { KubeObject } from '../kube/client.ts';
import { MessageFactory, parseResource, type JsonObject, type JsonValue, type Message } from '../protocol/message.ts';
import type { CloseInfo } from '../protocol/transport.ts';
import { defaultEdgecorePolicy, type ReconnectPolicy } from './backoff.ts';
import { HubClient, type Dialer } from './hub-client.ts';
import { registrationNode, statusPatch, type NodeAddress } from './node-object.ts';
import { defaultImageCatalog, PodRuntime, type ImageCatalog, type PodStatus, type SimPodView } from './pod-runtime.ts';
import type { HardwareProfile } from './profile.ts';
import { EdgeStore, type MetaRow } from './store.ts';

/**
 * What an edge node tells the evidence journal. Kept small and flat: a fleet of 10,000 nodes emits millions.
 */
export type EdgeEvent =
  | { readonly op: 'connect' }
  | { readonly op: 'disconnect'; readonly reason: string }
  | { readonly op: 'apply'; readonly kind: string; readonly namespace: string; readonly name: string; readonly uid?: string; readonly rv?: string }
  | { readonly op: 'delete'; readonly kind: string; readonly namespace: string; readonly name: string; readonly uid?: string }
  | { readonly op: 'ack'; readonly msgId: string; readonly resource: string }
  | {
      readonly op: 'pod-state';
      readonly namespace: string;
      readonly name: string;
      readonly phase: PodStatus['phase'] | 'Stopped';
      readonly uid?: string;
      readonly labels?: Readonly<Record<string, string>>;
      /** The first container's image: a rollout changes it, so it tells the version the pod runs. */
      readonly image?: string;
      readonly reason?: string;
    }
  /** The edge process started and loaded its store (`boot` the first time, `restart` after). */
  | { readonly op: 'start'; readonly boot: boolean; readonly restoredPods: number }
  | { readonly op: 'bad-frame'; readonly error: string }
  /** From the node's device management (twin, DMI, mapper). */
  | { readonly op: 'device'; readonly event: DeviceEvent };

/**
 * Deliberate defects real buggy agents have, for proving the checkers catch them. Test-only: production runs
 * construct nodes without this.
 */
export interface EdgeDefects {
  /** Store the object but never acknowledge it (CloudCore keeps resending; ObjectSync never advances). */
  readonly skipAck?: boolean;
  /** After applying an update, apply the version it replaced again, as an agent that reorders messages would
   * (edgecore itself upserts in arrival order, and CloudHub sends one node's messages in order). */
  readonly applyOutOfOrder?: boolean;
  /** Drop, for good, every delete of an object it held when it lost the cloud (the resync of deletes made
   * while it was offline is lost; deletes of objects it learnt of later still work). */
  readonly forgetDeletesAfterReconnect?: boolean;
  /** Lose the SQLite file on restart. */
  readonly loseStoreOnRestart?: boolean;
  /** Never dial again after the first lost connection. */
  readonly neverReconnect?: boolean;
  /** Store and acknowledge Devices, but never hand their desired values to the mapper. */
  readonly dropTwinDesired?: boolean;
}

/** How the node's device management runs (edgecore's devicetwin + eventbus + a Modbus mapper). */
export interface EdgeNodeDeviceOptions {
  /** The eventbus on the MQTT broker the node's MQTT devices publish to. */
  readonly bus?: MqttEventBus;
  /** See DeviceTwinOptions.offline. */
  readonly offline?: 'buffer-latest' | 'drop';
  /** See DeviceTwinOptions.confirmIdleMs. */
  readonly confirmIdleMs?: number;
  /** Modbus request timeout, ms. */
  readonly requestTimeoutMs?: number;
  /** When the mapper reports readings to the twin (see ModbusMapperOptions.reportOn). */
  readonly reportOn?: 'report-cycle' | 'collect-cycle';
}

export interface EdgeNodeOptions {
  readonly name: string;
  readonly profile: HardwareProfile;
  /** SQLite file; ':memory:' loses state on restart by construction. */
  readonly storePath: string;
  readonly dial: Dialer;
  readonly clock: Clock;
  readonly random: Random;
  readonly reconnect?: ReconnectPolicy;
  readonly heartbeatMs?: number;
  /** edged nodeStatusUpdateFrequency (10 s). */
  readonly nodeStatusPeriodMs?: number;
  /** Lease renewal period (~10 s for nodeLeaseDurationSeconds 40). */
  readonly leaseRenewMs?: number;
  readonly leaseDurationSeconds?: number;
  readonly slimStatus?: boolean;
  readonly address?: NodeAddress;
  readonly labels?: Readonly<Record<string, string>>;
  readonly images?: ImageCatalog;
  readonly linkBytesPerSecond?: () => number;
  readonly onEvent?: (event: EdgeEvent) => void;
  readonly defects?: EdgeDefects;
  readonly devices?: EdgeNodeDeviceOptions;
}

/** Resource types whose cloud messages the metamanager stores (everything else is forwarded or ignored). */
const storedTypes = new Set(['pod', 'configmap', 'secret', 'service', 'endpoints', 'serviceaccount', 'node', 'persistentvolume', 'persistentvolumeclaim', 'volumeattachment', 'rule', 'ruleendpoint', 'device', 'devicemodel']);

/** Types metamanager hands to the device twin's DMI worker once stored and acknowledged. */
const deviceTypes = new Set(['device', 'devicemodel']);

const leaseTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

/**
 * One simulated edge node, as CloudCore sees edgecore: registers its Node, renews its Lease, reports node and
 * pod status, stores what the cloud sends in SQLite and acknowledges it, runs pods, survives disconnects, and
 * restarts from its store alone.
 */
export class EdgeNode {
  readonly name: string;
  private readonly messages: MessageFactory;
  private store: EdgeStore | undefined;
  private runtime: PodRuntime | undefined;
  private hub: HubClient | undefined;
  /** Device management; created on the first device message, or at start when the store holds devices. */
  private deviceManager: EdgeDevices | undefined;
  private timers: Timer[] = [];
  private registered = false;
  private readyTransition: number;
  private starts = 0;
  private reconnect: ReconnectPolicy;
  /** Defect state: keys held when the link was lost, whose deletes this node will drop. */
  private readonly forgottenDeletes = new Set<string>();
  private readonly lastPodStatus = new Map<string, PodStatus>();
  /** The Lease as the cloud last returned it: updates must carry its resourceVersion (edged's lease controller). */
  private lease: JsonObject | undefined;
  /** A lease create/update is waiting for its reply: edged's lease controller is synchronous, so the next
   * renewal waits (two updates in flight would carry the same resourceVersion and one would conflict). */
  private leaseInFlight: HubClient | undefined;

  constructor(private readonly opts: EdgeNodeOptions) {
    this.name = opts.name;
    this.messages = new MessageFactory({ clock: opts.clock });
    this.readyTransition = opts.clock.now();
    this.reconnect = opts.reconnect ?? defaultEdgecorePolicy;
  }

  get connected(): boolean {
    return this.hub?.connected ?? false;
  }

  get dials(): number {
    return this.hub?.dials ?? 0;
  }

  get running(): boolean {
    return this.hub !== undefined;
  }

  /** Start the edge process: open the store, bring back the pods it holds, connect to the cloud. */
  async start(): Promise<void> {
    if (this.hub !== undefined) return;
    // defect: whatever restarts the process (restart(), or crash() then start() by a fault), the file is gone
    if (this.starts > 0 && this.opts.defects?.loseStoreOnRestart === true && this.opts.storePath !== ':memory:') rmSync(this.opts.storePath, { force: true });
    const store = EdgeStore.open(this.opts.storePath);
    this.store = store;
    this.runtime = new PodRuntime({
      clock: this.opts.clock,
      capacity: { arch: this.opts.profile.arch, cpuMillis: this.opts.profile.cpuMillis, memoryBytes: this.opts.profile.memoryBytes, pods: this.opts.profile.maxPods },
      images: this.opts.images ?? defaultImageCatalog,
      linkBytesPerSecond: this.opts.linkBytesPerSecond ?? (() => 12_500_000),
      cachedImages: store.images(),
      onImagePulled: (image, size) => store.recordImage(image, size, this.opts.clock.now()),
      onStatus: (ns, name, status) => this.podStatusChanged(ns, name, status),
    });
    // autonomy: pods come back from the local store before (and regardless of) any contact with the cloud
    const restored = store.listByType('pod');
    this.emit({ op: 'start', boot: this.starts++ === 0, restoredPods: restored.length });
    for (const row of restored) this.runtime.apply(JSON.parse(row.value) as KubeObject);
    // devices too: the mapper polls and the twin serves from the store without the cloud
    const storedDevices = { models: store.listByType('devicemodel'), devices: store.listByType('device') };
    if (storedDevices.models.length + storedDevices.devices.length > 0) this.ensureDevices(storedDevices);

    this.hub = new HubClient({
      nodeName: this.name,
      dial: this.opts.dial,
      clock: this.opts.clock,
      random: this.opts.random,
      messages: this.messages,
      reconnect: this.reconnect,
      ...(this.opts.heartbeatMs !== undefined ? { heartbeatMs: this.opts.heartbeatMs } : {}),
      ...(this.opts.defects?.neverReconnect === true ? { neverReconnect: true } : {}),
      onMessage: (m) => this.handle(m),
      onConnected: () => this.onConnected(),
      onDisconnected: (info) => this.onDisconnected(info),
      onBadFrame: (e) => this.emit({ op: 'bad-frame', error: e.message }),
    });
    await this.hub.start();
  }

  /** Orderly shutdown (pods stop with the process; the store stays). */
  async stop(): Promise<void> {
    this.teardown('close');
    await Promise.resolve();
  }

  /** The process dies: the link drops without a close frame, timers vanish, the store file stays. */
  crash(): void {
    this.teardown('crash');
  }

  /** Kill and start again from local state (works offline: nothing here needs the cloud). */
  async restart(): Promise<void> {
    this.crash();
    await this.start();
  }

  /** Cut this node's connection now; it redials by its reconnect policy (the dialer decides if that works). */
  dropLink(): void {
    this.hub?.dropLink();
  }

  /** From now on (and across restarts), reconnect by this policy. */
  setReconnectPolicy(policy: ReconnectPolicy): void {
    this.reconnect = policy;
    this.hub?.setReconnectPolicy(policy);
  }

  /** The node's device management, if it has any devices (created lazily). */
  get devices(): EdgeDevices | undefined {
    return this.deviceManager;
  }

  pods(): readonly SimPodView[] {
    return this.runtime?.list() ?? [];
  }

  /** What the local store holds, by resource key (`<ns>/<type>/<name>`). */
  storedObjects(): ReadonlyMap<string, KubeObject> {
    const rows = this.store?.all() ?? [];
    return new Map(rows.map((r) => [r.key, JSON.parse(r.value) as KubeObject]));
  }

  private teardown(kind: 'close' | 'crash'): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.deviceManager?.stop();
    this.deviceManager = undefined;
    this.hub?.stop(kind);
    this.hub = undefined;
    this.runtime?.stop();
    this.runtime = undefined;
    this.store?.close();
    this.store = undefined;
    this.registered = false;
    this.lease = undefined;
    this.lastPodStatus.clear();
  }

  private emit(event: EdgeEvent): void {
    this.opts.onEvent?.(event);
  }

  private onConnected(): void {
    this.emit({ op: 'connect' });
    this.deviceManager?.setConnected(true);
    void this.register();
  }

  private onDisconnected(info: CloseInfo): void {
    this.emit({ op: 'disconnect', reason: info.reason || String(info.code) });
    this.deviceManager?.setConnected(false);
    if (this.opts.defects?.forgetDeletesAfterReconnect === true) for (const row of this.store?.all() ?? []) this.forgottenDeletes.add(row.key);
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  /** edged's start-up against the cloud: register the Node, create the Lease, then report periodically. */
  private async register(): Promise<void> {
    const hub = this.hub;
    if (hub === undefined) return;
    const now = this.opts.clock.now();
    const address = this.opts.address ?? { internalIP: '127.0.0.1' };
    try {
      if (!this.registered) {
        await hub.request(this.messages.edgedRequest('insert', `default/node/${this.name}`, registrationNode(this.name, this.opts.profile, address, this.opts.labels ?? {}, now) as unknown as JsonObject));
        this.registered = true;
      }
    } catch {
      // not connected any more, or the cloud refused: the next connect retries
      return;
    }
    this.renewLease(true);
    this.reportNodeStatus();
    // pods restored or started while offline have status the cloud has not heard
    for (const [key, status] of this.lastPodStatus) {
      const [ns = 'default', name = ''] = key.split('/');
      this.sendPodStatus(ns, name, status);
    }
  }

  private every(ms: number, fn: () => void): void {
    const tick = (): void => {
      if (!this.connected) return;
      fn();
      this.timers.push(this.opts.clock.setTimeout(tick, ms));
    };
    this.timers.push(this.opts.clock.setTimeout(tick, ms));
  }

  /**
   * edged's node lease controller: create the Lease (or, when it exists, fetch it), then renew it by updating
   * the object the cloud last returned. CloudCore answers lease requests with `{"Object": <Lease>, "Err": …}`
   * (edgecontroller upstream.go createOrUpdateLease / queryLease).
   */
  private renewLease(first: boolean): void {
    const hub = this.hub;
    if (hub === undefined || !hub.connected) return;
    const now = this.opts.clock.now();
    const spec = { holderIdentity: this.name, leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 40, renewTime: leaseTime(now) };
    const fresh: JsonObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: 'kube-node-lease' }, spec };
    const remember = (reply: Message): boolean => {
      const obj = objectResp(reply.content);
      if (obj === undefined) return false;
      this.lease = obj;
      return true;
    };
    const run = async (): Promise<void> => {
      if (this.lease === undefined) {
        if (!remember(await hub.request(this.messages.leaseCreate(this.name, fresh)))) {
          // it exists already (a restart): fetch it to learn its resourceVersion
          remember(await hub.request(this.messages.query('kube-node-lease', 'lease', this.name)));
        }
        if (first) return;
      }
      const current = this.lease;
      if (current === undefined) return;
      const updated: JsonObject = { ...current, spec: { ...(current['spec'] as JsonObject | undefined), ...spec } };
      if (!remember(await hub.request(this.messages.leaseUpdate(this.name, updated)))) this.lease = undefined; // conflict: re-read next time
    };
    // (a request of a previous connection's hub does not hold up this one's)
    if (this.leaseInFlight !== hub) {
      this.leaseInFlight = hub;
      run()
        .catch(() => undefined)
        .finally(() => {
          if (this.leaseInFlight === hub) this.leaseInFlight = undefined;
        });
    }
    if (first) this.every(this.opts.leaseRenewMs ?? 10_000, () => this.renewLease(false));
  }

  private reportNodeStatus(): void {
    const send = (): void => {
      const hub = this.hub;
      if (hub === undefined) return;
      const images = [...(this.store?.images() ?? new Map<string, number>())].map(([name, sizeBytes]) => ({ name, sizeBytes }));
      const patch = statusPatch(this.opts.profile, this.opts.address ?? { internalIP: '127.0.0.1' }, this.opts.clock.now(), this.readyTransition, images, this.opts.slimStatus ?? false);
      hub.request(this.messages.nodePatch(this.name, patch)).catch(() => undefined);
    };
    send();
    this.every(this.opts.nodeStatusPeriodMs ?? 10_000, send);
  }

  private podStatusChanged(namespace: string, name: string, status: PodStatus): void {
    this.lastPodStatus.set(`${namespace}/${name}`, status);
    this.emitPodState(namespace, name, status.phase, status.reason);
    this.sendPodStatus(namespace, name, status);
  }

  private emitPodState(namespace: string, name: string, phase: PodStatus['phase'] | 'Stopped', reason?: string): void {
    if (this.opts.onEvent === undefined) return;
    const row = this.store?.get(`${namespace}/pod/${name}`);
    const obj = row !== undefined ? (JSON.parse(row.value) as KubeObject) : undefined;
    const meta = obj?.metadata;
    const image = (obj?.['spec'] as { containers?: { image?: string }[] } | undefined)?.containers?.[0]?.image;
    this.emit({
      op: 'pod-state',
      namespace,
      name,
      phase,
      ...(meta?.uid !== undefined ? { uid: meta.uid } : {}),
      ...(meta?.labels !== undefined ? { labels: meta.labels } : {}),
      ...(image !== undefined ? { image } : {}),
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  private sendPodStatus(namespace: string, name: string, status: PodStatus): void {
    const hub = this.hub;
    if (hub === undefined || !hub.connected) return;
    const row = this.store?.get(`${namespace}/pod/${name}`);
    const uid = row !== undefined ? (JSON.parse(row.value) as KubeObject).metadata?.uid : undefined;
    const patch = JSON.stringify({ metadata: uid !== undefined ? { uid } : {}, status });
    hub.request(this.messages.podPatch(namespace, name, patch)).catch(() => undefined);
  }

  /** metamanager + edged for one message from the cloud. */
  private handle(message: Message): void {
    const store = this.store;
    const runtime = this.runtime;
    if (store === undefined || runtime === undefined) return;
    // devicecontroller's membership updates and its confirms of twin reports go straight to the twin
    if (message.route.group === 'twin') {
      this.ensureDevices().handleCloudMessage(message);
      return;
    }
    const parsed = parseResource(message.route.resource);
    if (parsed.kind !== 'object') return;
    const { namespace, type, name } = parsed;
    const key = message.route.resource;
    const op = message.route.operation;
    if (!storedTypes.has(type)) return;
    switch (op) {
      case 'insert':
      case 'update':
      case 'patch': {
        const obj = asObject(message.content);
        if (obj === undefined) return;
        const previous = this.opts.defects?.applyOutOfOrder === true ? store.get(key) : undefined;
        // started before the store holds this object, so the start-up restore does not register it twice
        const devices = deviceTypes.has(type) ? this.ensureDevices() : undefined;
        store.upsert(key, type, JSON.stringify(obj));
        this.emit({ op: 'apply', kind: type, namespace, name, ...idAndRv(obj) });
        if (type === 'pod') this.applyPod(obj);
        this.ack(message);
        devices?.handleCloudMessage(message);
        if (previous !== undefined) {
          const older = JSON.parse(previous.value) as KubeObject;
          store.upsert(key, type, previous.value);
          this.emit({ op: 'apply', kind: type, namespace, name, ...idAndRv(older) });
        }
        return;
      }
      case 'delete': {
        if (this.forgottenDeletes.has(key)) return;
        const devices = deviceTypes.has(type) ? this.ensureDevices() : undefined;
        if (type === 'pod' && runtime.get(namespace, name) !== undefined) {
          this.emitPodState(namespace, name, 'Stopped');
          runtime.remove(namespace, name);
          this.lastPodStatus.delete(`${namespace}/${name}`);
        }
        store.delete(key);
        const obj = asObject(message.content);
        this.emit({ op: 'delete', kind: type, namespace, name, ...(obj?.metadata?.uid !== undefined ? { uid: obj.metadata.uid } : {}) });
        this.ack(message);
        devices?.handleCloudMessage(message);
        return;
      }
      default:
        return;
    }
  }

  /** Start device management on this node's store (twin rows live in the same edgecore.db). */
  private ensureDevices(stored?: { readonly models: readonly MetaRow[]; readonly devices: readonly MetaRow[] }): EdgeDevices {
    if (this.deviceManager !== undefined) return this.deviceManager;
    const store = this.store;
    if (store === undefined) throw new Error(`edge node ${this.name} is not running`);
    const d = this.opts.devices ?? {};
    const devices = new EdgeDevices({
      nodeName: this.name,
      clock: this.opts.clock,
      messages: this.messages,
      store: store.twinStore(),
      send: (m) => this.hub?.send(m) ?? false,
      ...(d.bus !== undefined ? { bus: d.bus } : {}),
      ...(d.offline !== undefined ? { offline: d.offline } : {}),
      ...(d.confirmIdleMs !== undefined ? { confirmIdleMs: d.confirmIdleMs } : {}),
      ...(d.requestTimeoutMs !== undefined ? { requestTimeoutMs: d.requestTimeoutMs } : {}),
      ...(d.reportOn !== undefined ? { reportOn: d.reportOn } : {}),
      ...(this.opts.defects?.dropTwinDesired === true ? { dropDesired: true } : {}),
      onEvent: (event) => this.emit({ op: 'device', event }),
    });
    this.deviceManager = devices;
    const json = (rows: readonly MetaRow[]): unknown[] => rows.map((r) => JSON.parse(r.value) as unknown);
    devices.start({ models: json(stored?.models ?? store.listByType('devicemodel')), devices: json(stored?.devices ?? store.listByType('device')) });
    devices.setConnected(this.connected);
    return devices;
  }

  private applyPod(pod: KubeObject): void {
    const runtime = this.runtime;
    if (runtime === undefined) return;
    const meta = pod.metadata ?? {};
    if (meta.deletionTimestamp !== undefined && runtime.get(meta.namespace ?? 'default', meta.name ?? '') !== undefined) {
      this.emitPodState(meta.namespace ?? 'default', meta.name ?? '', 'Stopped');
    }
    runtime.apply(pod);
    if (meta.deletionTimestamp === undefined) this.fetchReferenced(pod);
    if (meta.deletionTimestamp !== undefined) {
      // edged: containers are gone, so ask the cloud to remove the pod object (client/pod.go Delete)
      const ns = meta.namespace ?? 'default';
      const name = meta.name ?? '';
      this.lastPodStatus.delete(`${ns}/${name}`);
      const options: JsonObject = { gracePeriodSeconds: 0, ...(meta.uid !== undefined ? { preconditions: { uid: meta.uid } } : {}) };
      this.hub?.request(this.messages.edgedRequest('delete', `${ns}/pod/${name}`, options)).catch(() => undefined);
    }
  }

  /**
   * edged mounts a pod's ConfigMaps and Secrets by asking metamanager, which (online) queries the cloud and
   * stores the answer; CloudCore only pushes later *updates* to nodes whose pods use them (locationCache).
   * Offline, the stored copy serves: that is edge autonomy for configuration.
   */
  private fetchReferenced(pod: KubeObject): void {
    const hub = this.hub;
    const store = this.store;
    if (hub === undefined || store === undefined || !hub.connected) return;
    const ns = pod.metadata?.namespace ?? 'default';
    for (const ref of referencedObjects(pod)) {
      const key = `${ns}/${ref.type}/${ref.name}`;
      hub
        .request(this.messages.query(ns, ref.type, ref.name))
        .then((reply) => {
          const obj = asObject(reply.content);
          if (obj?.metadata?.name === undefined || this.store !== store) return;
          store.upsert(key, ref.type, JSON.stringify(obj));
          this.emit({ op: 'apply', kind: ref.type, namespace: ns, name: ref.name, ...idAndRv(obj) });
        })
        .catch(() => undefined);
    }
  }

  private ack(message: Message): void {
    if (this.opts.defects?.skipAck === true) return;
    if (this.hub?.send(this.messages.ack(message)) === true) this.emit({ op: 'ack', msgId: message.header.msgId, resource: message.route.resource });
  }
}

/** The `{"Object": …, "Err": …}` replies of edgecontroller: the object when Err is empty. */
function objectResp(content: JsonValue | undefined): JsonObject | undefined {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return undefined;
  const obj = (content)['Object'];
  const err = (content)['Err'];
  if (err !== null && err !== undefined && !(typeof err === 'object' && Object.keys(err).length === 0)) return undefined;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const meta = (obj)['metadata'] as JsonObject | undefined;
  return typeof meta?.['resourceVersion'] === 'string' && meta['resourceVersion'] !== '' ? (obj) : undefined;
}

/** ConfigMaps and Secrets a pod needs (volumes, projected volumes, envFrom, env valueFrom). */
export function referencedObjects(pod: KubeObject): { type: 'configmap' | 'secret'; name: string }[] {
  const out = new Map<string, { type: 'configmap' | 'secret'; name: string }>();
  const add = (type: 'configmap' | 'secret', name: unknown): void => {
    if (typeof name === 'string' && name !== '') out.set(`${type}/${name}`, { type, name });
  };
  type Source = { configMap?: { name?: string }; secret?: { secretName?: string; name?: string } };
  type Container = { envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[]; env?: { valueFrom?: { configMapKeyRef?: { name?: string }; secretKeyRef?: { name?: string } } }[] };
  const spec = (pod['spec'] ?? {}) as { volumes?: (Source & { projected?: { sources?: Source[] } })[]; containers?: Container[]; initContainers?: Container[] };
  for (const v of spec.volumes ?? []) {
    add('configmap', v.configMap?.name);
    add('secret', v.secret?.secretName);
    for (const src of v.projected?.sources ?? []) {
      add('configmap', src.configMap?.name);
      add('secret', src.secret?.name);
    }
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c.envFrom ?? []) {
      add('configmap', e.configMapRef?.name);
      add('secret', e.secretRef?.name);
    }
    for (const e of c.env ?? []) {
      add('configmap', e.valueFrom?.configMapKeyRef?.name);
      add('secret', e.valueFrom?.secretKeyRef?.name);
    }
  }
  return [...out.values()];
}

function asObject(content: JsonValue | undefined): KubeObject | undefined {
  return typeof content === 'object' && content !== null && !Array.isArray(content) ? (content) : undefined;
}

function idAndRv(obj: KubeObject): { uid?: string; rv?: string } {
  const meta = obj.metadata ?? {};
  return { ...(meta.uid !== undefined ? { uid: meta.uid } : {}), ...(meta.resourceVersion !== undefined ? { rv: meta.resourceVersion } : {}) };
}
