import type { StartedStack } from '../components/stack.ts';
import type { LocalComponent } from '../components/local-component.ts';
import { EdgeproofError } from '../core/errors.ts';
import type { ReconnectPolicy } from '../edge/backoff.ts';
import type { JournalSink } from '../evidence/journal.ts';
import type { ActionContext, FaultTargets } from '../faults/executor.ts';
import type { Fleet as FleetTopology } from '../fleet/topology.ts';
import type { RunningFleet } from '../fleet/running-fleet.ts';
import type { LinkProfile } from '../network/link-profile.ts';
import { mapLimit } from '../network/network.ts';
import type { OutageMode } from '../network/uplink.ts';
import type { ChurnMode, ComponentTarget, ImageSpec, Scenario, WorkloadSpec } from '../scenario/types.ts';
import { desiredValuePatch } from '../devices/crd.ts';
import { DEVICES_API_PATH } from './run-devices.ts';
import { rolloutPatch, workloadLabel, workloadManifest, workloadPath } from '../scenario/workloads.ts';

/**
 * The timeline's actions applied to the real system: links are Toxiproxy proxies, nodes are simulated edge
 * nodes, components are the real processes. Each action also writes what it did to the journal in the
 * vocabulary the checkers read (partition/heal with the nodes behind the links, churn, kill/restart, rollout).
 */
export class RealFaultTargets implements FaultTargets {
  private faultSeq = 0;
  /** Open partitions by link id → the journal fault id. */
  private readonly openPartitions = new Map<string, string>();
  /** Nodes whose own connection is cut (churn 'disconnect') → their journal fault id. */
  private readonly offlineFaults = new Map<string, string>();

  constructor(
    private readonly stack: StartedStack,
    private readonly fleet: RunningFleet,
    private readonly topology: FleetTopology,
    private readonly scenario: Scenario,
    private readonly profiles: ReadonlyMap<string, LinkProfile>,
    private readonly journal: JournalSink,
  ) {}

  private nodesBehind(links: readonly string[]): string[] {
    const set = new Set(links);
    return this.topology.nodes.filter((n) => set.has(n.link)).map((n) => n.name);
  }

  private profile(name: string): LinkProfile {
    const p = this.profiles.get(name);
    if (p === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `unknown link profile "${name}"`, { where: 'timeline', fix: `use one of ${[...this.profiles.keys()].join(', ')}` });
    return p;
  }

  async partition(links: readonly string[], mode: OutageMode, ctx?: ActionContext): Promise<void> {
    // a partition and the heal its `for` produces share the schedule source: that pairs them in the journal
    const fault = ctx !== undefined ? `partition:${ctx.source}` : `partition-${++this.faultSeq}`;
    this.journal.append({ source: 'fault', op: 'partition', fault, nodes: this.nodesBehind(links), value: `toxiproxy ${mode}: ${links.join(', ')}` });
    for (const l of links) this.openPartitions.set(l, fault);
    await mapLimit(links, 16, (l) => this.fleet.uplinks.get(l)?.partition(mode) ?? Promise.resolve());
  }

  async heal(links: readonly string[], _ctx?: ActionContext): Promise<void> {
    await mapLimit(links, 16, (l) => this.fleet.uplinks.get(l)?.heal() ?? Promise.resolve());
    const faults = new Set<string>();
    for (const l of links) {
      const f = this.openPartitions.get(l);
      if (f !== undefined) faults.add(f);
      this.openPartitions.delete(l);
    }
    // a fault is over when none of its links is still cut
    for (const f of faults) if (![...this.openPartitions.values()].includes(f)) this.journal.append({ source: 'fault', op: 'heal', fault: f });
  }

  async setLinkProfile(links: readonly string[], profile: string, _reason: 'degrade' | 'restore'): Promise<void> {
    const p = this.profile(profile);
    await mapLimit(links, 16, (l) => this.fleet.uplinks.get(l)?.applyProfile(p) ?? Promise.resolve());
  }

  async moveVehicles(vehicles: readonly string[], _cell: string, profile: string): Promise<void> {
    const links = vehicles.map((v) => this.topology.vehicleByName.get(v)?.link ?? this.topology.nodeByName.get(v)?.link).filter((l): l is string => l !== undefined);
    const p = this.profile(profile);
    if (!p.coverage) {
      // entering a tunnel: a partition of the vehicle's own link, for the checkers as for the wire
      await this.partition(links.filter((l) => !this.openPartitions.has(l)), 'blackhole');
      return;
    }
    const cut = links.filter((l) => this.openPartitions.has(l));
    if (cut.length > 0) await this.heal(cut);
    await mapLimit(links, 16, (l) => this.fleet.uplinks.get(l)?.applyProfile(p) ?? Promise.resolve());
  }

  nodesOffline(nodes: readonly string[], opts: { readonly mode: ChurnMode; readonly reconnect: ReconnectPolicy }, ctx?: ActionContext): Promise<void> {
    // a churn wave's offline and online batches share their schedule source
    const wave = ctx !== undefined ? `churn:${ctx.source}` : `churn-${++this.faultSeq}`;
    this.journal.append({ source: 'fault', op: 'churn', wave, phase: 'drop', nodes: [...nodes] });
    if (opts.mode === 'disconnect') {
      // one fault per node: the nodes of a batch come back at different times
      for (const n of nodes) {
        const fault = `${wave}/${n}`;
        this.offlineFaults.set(n, fault);
        this.journal.append({ source: 'fault', op: 'partition', fault, nodes: [n], value: 'node connection cut' });
        this.fleet.node(n).setReconnectPolicy(opts.reconnect);
        this.fleet.setReachable(n, false);
      }
      return Promise.resolve();
    }
    this.journal.append({ source: 'fault', op: 'kill', component: 'edge', nodes: [...nodes] });
    for (const n of nodes) {
      this.fleet.node(n).setReconnectPolicy(opts.reconnect);
      this.fleet.node(n).crash();
    }
    return Promise.resolve();
  }

  async nodesOnline(nodes: readonly string[], opts: { readonly mode: ChurnMode; readonly reconnect: ReconnectPolicy }, ctx?: ActionContext): Promise<void> {
    const wave = ctx !== undefined ? `churn:${ctx.source}` : `churn-${++this.faultSeq}`;
    this.journal.append({ source: 'fault', op: 'churn', wave, phase: 'return', nodes: [...nodes] });
    if (opts.mode === 'disconnect') {
      for (const n of nodes) {
        this.fleet.setReachable(n, true);
        const fault = this.offlineFaults.get(n);
        if (fault !== undefined) this.journal.append({ source: 'fault', op: 'heal', fault });
        this.offlineFaults.delete(n);
      }
      return;
    }
    this.journal.append({ source: 'fault', op: 'restart', component: 'edge', nodes: [...nodes] });
    await mapLimit(nodes, 50, (n) => this.fleet.node(n).start());
  }

  async stopEdges(nodes: readonly string[]): Promise<void> {
    this.journal.append({ source: 'fault', op: 'kill', component: 'edge', nodes: [...nodes] });
    for (const n of nodes) this.fleet.node(n).crash();
    await Promise.resolve();
  }

  async startEdges(nodes: readonly string[], opts: { readonly offline: boolean; readonly reconnect: ReconnectPolicy }): Promise<void> {
    this.journal.append({ source: 'fault', op: 'restart', component: 'edge', nodes: [...nodes] });
    await mapLimit(nodes, 50, async (n) => {
      const node = this.fleet.node(n);
      node.setReconnectPolicy(opts.reconnect);
      await node.start();
    });
  }

  private component(name: ComponentTarget): LocalComponent | { kill(): Promise<void>; restart(): Promise<void> } {
    if (name === 'cloudcore') {
      const cc = this.stack.cloudcore;
      if (cc === undefined) throw new EdgeproofError('E_BAD_SCENARIO', 'the run has no CloudCore', { where: 'timeline', fix: 'set cloud: kubeedge' });
      return cc;
    }
    if (name === 'mosquitto') return this.stack.mqtt as unknown as LocalComponent;
    const c = this.stack.controlPlane.component(name);
    if (c === undefined || !('kill' in c)) {
      throw new EdgeproofError('E_BAD_SCENARIO', `${name} cannot be killed on the ${this.stack.backend} backend`, { where: 'timeline', fix: 'use the local backend for component faults' });
    }
    return c as LocalComponent;
  }

  private journalComponent(name: ComponentTarget): 'cloudcore' | 'apiserver' | 'etcd' | 'controller-manager' | 'scheduler' | 'mqtt' {
    switch (name) {
      case 'cloudcore':
        return 'cloudcore';
      case 'kube-apiserver':
        return 'apiserver';
      case 'etcd':
        return 'etcd';
      case 'kube-controller-manager':
        return 'controller-manager';
      case 'kube-scheduler':
        return 'scheduler';
      case 'mosquitto':
        return 'mqtt';
    }
  }

  async killComponent(name: ComponentTarget): Promise<void> {
    this.journal.append({ source: 'fault', op: 'kill', component: this.journalComponent(name) });
    await this.component(name).kill();
  }

  async startComponent(name: ComponentTarget): Promise<void> {
    this.journal.append({ source: 'fault', op: 'restart', component: this.journalComponent(name) });
    await this.component(name).restart();
  }

  async restartComponent(name: ComponentTarget): Promise<void> {
    this.journal.append({ source: 'fault', op: 'restart', component: this.journalComponent(name) });
    await this.component(name).restart();
  }

  private workload(name: string): WorkloadSpec {
    const w = this.scenario.workloads.find((x) => x.name === name);
    if (w === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `no workload named "${name}"`, { where: 'timeline', fix: 'check the workloads section' });
    return w;
  }

  async rolloutUpdate(workload: string, instances: readonly string[], image: ImageSpec): Promise<void> {
    const w = this.workload(workload);
    const nodes = this.topology.nodes.filter((n) => n.role === 'vehicle').map((n) => n.name);
    this.journal.append({ source: 'fault', op: 'update-rollout', app: workload, version: image.name, nodes });
    const kube = this.stack.controlPlane.kube;
    await mapLimit(instances, 8, (i) => kube.patch(workloadPath(w, i), rolloutPatch(image), 'strategic'));
  }

  async deleteWorkload(workload: string, instances: readonly string[], force: boolean, _ctx?: ActionContext): Promise<void> {
    const w = this.workload(workload);
    const kube = this.stack.controlPlane.kube;
    await mapLimit(instances, 8, (i) => kube.delete(workloadPath(w, i)));
    if (!force) return;
    // graceful deletion waits for each node's kubelet; force-deleting removes the pods from the API now, so
    // nodes that are offline learn of it only after they return — the delete path sync.no-lost-delete judges
    const pods = await kube.list(`/api/v1/namespaces/${w.namespace}/pods?labelSelector=${encodeURIComponent(`${workloadLabel}=${w.name}`)}`);
    await mapLimit(pods.items, 8, async (pod) => {
      const name = pod.metadata?.name ?? '';
      this.journal.append({ source: 'bench', op: 'api-delete', kind: 'Pod', namespace: w.namespace, name, ...(pod.metadata?.uid !== undefined ? { uid: pod.metadata.uid } : {}) });
      await kube.request('DELETE', `/api/v1/namespaces/${w.namespace}/pods/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 }).catch(() => undefined);
    });
  }

  /**
   * What a user's `kubectl patch device … --type=json` does: replace the property's desired value in the
   * Device spec (CloudCore then sends the updated Device to its node).
   */
  async setDesired(devices: readonly string[], property: string, value: string): Promise<void> {
    const kube = this.stack.controlPlane.kube;
    await mapLimit(devices, 8, async (name) => {
      const path = `${DEVICES_API_PATH}/namespaces/default/devices/${name}`;
      const device = await kube.get(path);
      const props = ((device['spec'] as { properties?: { name?: string; desired?: unknown }[] } | undefined)?.properties ?? []);
      await kube.patch(path, [desiredValuePatch(props, property, value, name)], 'json');
    });
  }

  async applyWorkload(workload: string, instances: readonly string[]): Promise<void> {
    const w = this.workload(workload);
    const kube = this.stack.controlPlane.kube;
    await mapLimit(instances, 8, async (i) => {
      const manifest = workloadManifest(w, i);
      const existing = await kube.find(workloadPath(w, i));
      if (existing === undefined) await kube.create(workloadPath(w), manifest);
      else await kube.replace(workloadPath(w, i), { ...manifest, metadata: { ...manifest.metadata, resourceVersion: existing.metadata?.resourceVersion ?? '' } });
    });
  }
}
