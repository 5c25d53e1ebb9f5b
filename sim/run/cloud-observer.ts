import type { JournalSink } from '../evidence/journal.ts';
import { referencedObjects } from '../edge/edge-node.ts';
import type { KubeClient, KubeObject, Watch, WatchEvent } from '../kube/client.ts';

/**
 * The cloud's side of the history: watches on the real API, turned into journal entries.
 * - every Pod, ConfigMap and Secret version → `object-upsert` with `targets`, the edge nodes that should hold
 *   a copy by CloudCore's own rule (edgecontroller locationCache): a pod's node; for a ConfigMap/Secret, every
 *   node running a pod that references it — re-emitted when only the targets change;
 * - deletions → `object-delete`; every Node status write → `node-ready`;
 * - with devices: each Device property's desired value when it changes → `device-desired`, and each reported
 *   value in a DeviceStatus (where CloudCore v1.23 keeps device status) when it changes → `device-reported`.
 * Watches restart from the last seen resourceVersion if the apiserver ends them.
 */
/** The object kinds both sides of the history describe (the edge's copies of anything else are not judged). */
export const trackedKinds: ReadonlySet<string> = new Set(['Pod', 'ConfigMap', 'Secret']);

export class CloudObserver {
  private readonly watches: Watch[] = [];
  private stopped = false;
  /** pod key → nodeName and referenced objects */
  private readonly pods = new Map<string, { node: string; refs: readonly string[] }>();
  /** configmap/secret key → last upsert (uid, rv) for re-emission when targets change */
  private readonly shared = new Map<string, { kind: string; namespace: string; name: string; uid: string; rv: string; targets: string }>();
  private readonly edgeNodes: ReadonlySet<string>;
  /** `<ns>/<name>` → the Device's node, and the last journalled desired/reported value per property. */
  private readonly deviceNode = new Map<string, string>();
  private readonly lastDesired = new Map<string, string>();
  private readonly lastReported = new Map<string, string>();

  constructor(
    private readonly kube: KubeClient,
    private readonly journal: JournalSink,
    edgeNodes: Iterable<string>,
    private readonly options: { readonly devices?: boolean } = {},
  ) {
    this.edgeNodes = new Set(edgeNodes);
  }

  async start(): Promise<void> {
    await this.follow('/api/v1/nodes', (e) => this.onNode(e));
    await this.follow('/api/v1/pods', (e) => this.onPod(e));
    await this.follow('/api/v1/configmaps', (e) => this.onShared('ConfigMap', e));
    await this.follow('/api/v1/secrets', (e) => this.onShared('Secret', e));
    if (this.options.devices === true) {
      await this.follow('/apis/devices.kubeedge.io/v1beta1/devices', (e) => this.onDevice(e));
      await this.follow('/apis/devices.kubeedge.io/v1beta1/devicestatuses', (e) => this.onDeviceStatus(e));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.stop();
  }

  /** List (emitting the current state), then watch from the list's resourceVersion; re-watch when it ends. */
  private async follow(path: string, handle: (e: WatchEvent) => void): Promise<void> {
    const list = await this.kube.list(path);
    for (const item of list.items) handle({ type: 'ADDED', object: item });
    let rv = list.metadata.resourceVersion;
    const loop = (): void => {
      if (this.stopped) return;
      const w = this.kube.watch(path, {
        ...(rv !== undefined ? { resourceVersion: rv } : {}),
        onEvent: (e) => {
          const next = e.object.metadata?.resourceVersion;
          if (e.type === 'ERROR') {
            rv = undefined; // expired: start from now
            return;
          }
          if (next !== undefined) rv = next;
          if (e.type !== 'BOOKMARK') handle(e);
        },
      });
      this.watches.push(w);
      void w.done.then(() => {
        if (!this.stopped) setTimeout(loop, 200);
      });
    };
    loop();
  }

  private onNode(e: WatchEvent): void {
    const name = e.object.metadata?.name;
    if (name === undefined || !this.edgeNodes.has(name) || e.type === 'DELETED') return;
    const cond = ((e.object['status'] as { conditions?: { type: string; status: string; lastHeartbeatTime?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
    if (cond === undefined) return;
    const value = cond.status === 'True' || cond.status === 'False' ? cond.status : 'Unknown';
    const hb = cond.lastHeartbeatTime !== undefined ? Date.parse(cond.lastHeartbeatTime) : undefined;
    this.journal.append({ source: 'cloud', op: 'node-ready', node: name, value, ...(hb !== undefined && Number.isFinite(hb) ? { heartbeatT: hb } : {}) });
  }

  private onPod(e: WatchEvent): void {
    const meta = e.object.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const name = meta.name ?? '';
    const key = `${namespace}/${name}`;
    const uid = meta.uid ?? '';
    if (e.type === 'DELETED') {
      this.journal.append({ source: 'cloud', op: 'object-delete', kind: 'Pod', namespace, name, uid, ...(meta.resourceVersion !== undefined ? { rv: meta.resourceVersion } : {}) });
      const had = this.pods.get(key);
      this.pods.delete(key);
      if (had !== undefined) this.retarget(namespace, had.refs);
      return;
    }
    const node = (e.object['spec'] as { nodeName?: string } | undefined)?.nodeName ?? '';
    const targets = node !== '' && this.edgeNodes.has(node) ? [node] : [];
    this.journal.append({
      source: 'cloud',
      op: 'object-upsert',
      kind: 'Pod',
      namespace,
      name,
      uid,
      rv: meta.resourceVersion ?? '0',
      targets,
      ...(meta.deletionTimestamp !== undefined ? { deleting: true as const } : {}),
    });
    const refs = referencedObjects(e.object).map((r) => `${r.type}/${r.name}`);
    const before = this.pods.get(key);
    this.pods.set(key, { node: targets[0] ?? '', refs });
    this.retarget(namespace, [...new Set([...(before?.refs ?? []), ...refs])]);
  }

  private onShared(kind: 'ConfigMap' | 'Secret', e: WatchEvent): void {
    const meta = e.object.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const name = meta.name ?? '';
    const uid = meta.uid ?? '';
    const key = `${namespace}/${kind === 'ConfigMap' ? 'configmap' : 'secret'}/${name}`;
    if (e.type === 'DELETED') {
      this.shared.delete(key);
      this.journal.append({ source: 'cloud', op: 'object-delete', kind, namespace, name, uid, ...(meta.resourceVersion !== undefined ? { rv: meta.resourceVersion } : {}) });
      return;
    }
    const targets = this.targetsOf(namespace, key.split('/').slice(1).join('/'));
    const rv = meta.resourceVersion ?? '0';
    this.shared.set(key, { kind, namespace, name, uid, rv, targets: targets.join(',') });
    this.journal.append({ source: 'cloud', op: 'object-upsert', kind, namespace, name, uid, rv, targets });
  }

  private onDevice(e: WatchEvent): void {
    const meta = e.object.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const name = meta.name ?? '';
    const id = `${namespace}/${name}`;
    if (e.type === 'DELETED') {
      this.deviceNode.delete(id);
      return;
    }
    const spec = (e.object['spec'] ?? {}) as { nodeName?: string; properties?: { name?: string; desired?: { value?: string } }[] };
    const node = spec.nodeName ?? '';
    this.deviceNode.set(id, node);
    for (const p of spec.properties ?? []) {
      const value = p.desired?.value;
      if (p.name === undefined || value === undefined || value === '') continue;
      const key = `${id}#${p.name}`;
      if (this.lastDesired.get(key) === value) continue;
      this.lastDesired.set(key, value);
      this.journal.append({ source: 'cloud', op: 'device-desired', node, namespace, name, property: p.name, value });
    }
  }

  private onDeviceStatus(e: WatchEvent): void {
    if (e.type === 'DELETED') return;
    const meta = e.object.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const name = meta.name ?? '';
    const id = `${namespace}/${name}`;
    const twins = ((e.object['status'] ?? {}) as { twins?: { propertyName?: string; reported?: { value?: string } }[] }).twins ?? [];
    for (const t of twins) {
      const value = t.reported?.value;
      if (t.propertyName === undefined || value === undefined) continue;
      const key = `${id}#${t.propertyName}`;
      if (this.lastReported.get(key) === value) continue;
      this.lastReported.set(key, value);
      this.journal.append({ source: 'cloud', op: 'device-reported', node: this.deviceNode.get(id) ?? '', namespace, name, property: t.propertyName, value });
    }
  }

  /** Nodes running a pod (in `namespace`) that references `ref` (`configmap/<n>` or `secret/<n>`). */
  private targetsOf(namespace: string, ref: string): string[] {
    const nodes = new Set<string>();
    for (const [podKey, p] of this.pods) {
      if (p.node !== '' && podKey.startsWith(`${namespace}/`) && p.refs.includes(ref)) nodes.add(p.node);
    }
    return [...nodes].sort();
  }

  /** Pods changed: re-emit ConfigMaps/Secrets whose targets changed (same rv, new targets). */
  private retarget(namespace: string, refs: readonly string[]): void {
    for (const ref of refs) {
      const key = `${namespace}/${ref}`;
      const s = this.shared.get(key);
      if (s === undefined) continue;
      const targets = this.targetsOf(namespace, ref);
      if (targets.join(',') === s.targets) continue;
      s.targets = targets.join(',');
      this.journal.append({ source: 'cloud', op: 'object-upsert', kind: s.kind, namespace: s.namespace, name: s.name, uid: s.uid, rv: s.rv, targets });
    }
  }
}

export type { KubeObject };
