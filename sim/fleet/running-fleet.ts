import { join } from 'node:path';
import { sleepUnlessAborted, type Clock } from '../core/clock.ts';
import { EdgeproofError } from '../core/errors.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import type { Random } from '../core/random.ts';
import type { ReconnectPolicy } from '../edge/backoff.ts';
import { EdgeNode, type EdgeDefects, type EdgeEvent, type EdgeNodeDeviceOptions } from '../edge/edge-node.ts';
import type { ImageCatalog } from '../edge/pod-runtime.ts';
import type { HardwareProfile } from '../edge/profile.ts';
import type { LinkProfile } from '../network/link-profile.ts';
import { mapLimit, type Network } from '../network/network.ts';
import type { Uplink } from '../network/uplink.ts';
import { bootstrapEdgeCertificate, type EdgeCredentials } from '../protocol/bootstrap.ts';
import { dialWebSocket, type Transport } from '../protocol/transport.ts';

/** One simulated edge node of a fleet and the uplink it sits behind. */
export interface FleetMember {
  readonly name: string;
  readonly profile: HardwareProfile;
  /** Uplink name: every gate of a station shares its station's uplink; a vehicle has its own. */
  readonly uplink: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Where the fleet finds the cloud under test (StartedCloudCore satisfies this). */
export interface CloudEndpoint {
  readonly websocketHost: string;
  readonly websocketPort: number;
  readonly certServerUrl: string;
  readonly token: string;
}

export interface FleetOptions {
  readonly members: readonly FleetMember[];
  readonly cloud: CloudEndpoint;
  readonly network: Network;
  /** Profile of each uplink by name (unshaped when absent). */
  readonly uplinkProfile?: (uplink: string) => LinkProfile | undefined;
  readonly stateDir: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly reconnect?: ReconnectPolicy;
  readonly heartbeatMs?: number;
  readonly nodeStatusPeriodMs?: number;
  readonly leaseRenewMs?: number;
  readonly slimStatus?: boolean;
  /**
   * `per-node`: every node bootstraps its own certificate with the token, as edgecore does. `shared`: one
   * bootstrap for the fleet (CloudHub does not match certificate CN to node id unless
   * cloudHub.authorization is enabled, which it is not by default) — thousands of nodes start faster.
   */
  readonly credentials?: 'per-node' | 'shared';
  readonly images?: ImageCatalog;
  readonly defects?: (node: string) => EdgeDefects | undefined;
  /** Device management settings for every node (the shared MQTT eventbus, offline policy). */
  readonly devices?: EdgeNodeDeviceOptions;
  readonly onEvent?: (node: string, event: EdgeEvent) => void;
  /** Nodes started at once (each start is a TLS handshake and a registration). */
  readonly startConcurrency?: number;
  /** Keep node stores in memory instead of one SQLite file each (scale runs; autonomy tests need files). */
  readonly inMemoryStores?: boolean;
  readonly progress?: Progress;
}

/**
 * Thousands of simulated edge nodes in one process, each dialling the real CloudCore through its uplink's
 * Toxiproxy proxy with a certificate bootstrapped from the real token.
 */
export class RunningFleet {
  readonly nodes: ReadonlyMap<string, EdgeNode>;
  readonly uplinks: ReadonlyMap<string, Uplink>;

  private constructor(
    nodes: Map<string, EdgeNode>,
    uplinks: Map<string, Uplink>,
    /** Nodes whose own connection is cut (churn 'disconnect'): their dials fail until reachable again. */
    private readonly unreachable: Set<string>,
    private readonly opts: FleetOptions,
  ) {
    this.nodes = nodes;
    this.uplinks = uplinks;
  }

  static async create(opts: FleetOptions): Promise<RunningFleet> {
    const progress = opts.progress ?? silentProgress;
    const names = new Set<string>();
    for (const m of opts.members) {
      if (names.has(m.name)) throw new EdgeproofError('E_BAD_SCENARIO', `node "${m.name}" appears twice in the fleet`, { where: 'fleet', fix: 'give every node a unique name' });
      names.add(m.name);
    }
    const uplinkNames = [...new Set(opts.members.map((m) => m.uplink))].sort();
    progress.step('fleet', `creating ${uplinkNames.length} uplinks for ${opts.members.length} nodes`);
    const uplinks = new Map<string, Uplink>();
    const created = await opts.network.createUplinks(uplinkNames.map((name) => ({ name, upstreamHost: opts.cloud.websocketHost, upstreamPort: opts.cloud.websocketPort })));
    for (const u of created) uplinks.set(u.name, u);
    await mapLimit(created, 16, async (u) => {
      const p = opts.uplinkProfile?.(u.name);
      if (p !== undefined) await u.applyProfile(p);
    });
    const sharing = new Map<string, number>();
    for (const m of opts.members) sharing.set(m.uplink, (sharing.get(m.uplink) ?? 0) + 1);

    const mode = opts.credentials ?? 'per-node';
    const shared = mode === 'shared' ? await bootstrap(opts.cloud, opts.members[0]?.name ?? 'edgeproof-fleet', opts.clock) : undefined;
    const nodes = new Map<string, EdgeNode>();
    const unreachable = new Set<string>();
    for (const m of opts.members) {
      const uplink = uplinks.get(m.uplink);
      if (uplink === undefined) throw new EdgeproofError('E_INTERNAL', `uplink ${m.uplink} was not created`, { where: 'fleet' });
      let creds = shared;
      const dial = async (): Promise<Transport> => {
        if (unreachable.has(m.name)) throw new EdgeproofError('E_BACKEND_UNAVAILABLE', 'node is cut off (fault)', { where: m.name });
        creds ??= await bootstrap(opts.cloud, m.name, opts.clock);
        return dialWebSocket({
          server: `${uplink.listenHost}:${uplink.listenPort}`,
          nodeName: m.name,
          tls: { cert: creds.certPem, key: creds.keyPem, ca: creds.caPem },
          handshakeTimeoutMs: 30_000,
          meter: uplink.meter,
        });
      };
      const share = sharing.get(m.uplink) ?? 1;
      nodes.set(
        m.name,
        new EdgeNode({
          name: m.name,
          profile: m.profile,
          storePath: opts.inMemoryStores === true ? ':memory:' : join(opts.stateDir, 'edges', m.name, 'edgecore.db'),
          dial,
          clock: opts.clock,
          random: opts.random.fork(m.name),
          ...(opts.reconnect !== undefined ? { reconnect: opts.reconnect } : {}),
          ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
          ...(opts.nodeStatusPeriodMs !== undefined ? { nodeStatusPeriodMs: opts.nodeStatusPeriodMs } : {}),
          ...(opts.leaseRenewMs !== undefined ? { leaseRenewMs: opts.leaseRenewMs } : {}),
          ...(opts.slimStatus !== undefined ? { slimStatus: opts.slimStatus } : {}),
          ...(m.labels !== undefined ? { labels: m.labels } : {}),
          ...(opts.images !== undefined ? { images: opts.images } : {}),
          // gates behind one station uplink share its bandwidth for image pulls
          // (an unshaped link: loopback speed, call it 1 Gbit/s)
          linkBytesPerSecond: () => (uplink.partitioned ? 0 : ((uplink.profile.bandwidthKbps.down ?? 1_000_000) * 125) / share),
          ...(opts.defects?.(m.name) !== undefined ? { defects: opts.defects(m.name) ?? {} } : {}),
          ...(opts.onEvent !== undefined ? { onEvent: (e: EdgeEvent) => opts.onEvent?.(m.name, e) } : {}),
          ...(opts.devices !== undefined ? { devices: opts.devices } : {}),
        }),
      );
    }
    return new RunningFleet(nodes, uplinks, unreachable, opts);
  }

  node(name: string): EdgeNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `no node named "${name}" in the fleet`, { where: 'fleet', fix: 'check the selector' });
    return n;
  }

  uplinkOf(node: string): Uplink {
    const member = this.opts.members.find((m) => m.name === node);
    const u = member !== undefined ? this.uplinks.get(member.uplink) : undefined;
    if (u === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `node "${node}" has no uplink`, { where: 'fleet', fix: 'check the selector' });
    return u;
  }

  async startAll(progress: Progress = this.opts.progress ?? silentProgress): Promise<void> {
    let done = 0;
    const all = [...this.nodes.values()];
    await mapLimit(all, this.opts.startConcurrency ?? 50, async (n) => {
      await n.start();
      done++;
      if (done % 500 === 0 || done === all.length) progress.step('fleet', `${done}/${all.length} nodes started`);
    });
  }

  /** Cut one node off (its siblings behind the same uplink stay up) or let it reach the cloud again. */
  setReachable(node: string, reachable: boolean): void {
    const n = this.node(node);
    if (reachable) {
      this.unreachable.delete(node);
      return;
    }
    this.unreachable.add(node);
    n.dropLink();
  }

  connectedCount(): number {
    let c = 0;
    for (const n of this.nodes.values()) if (n.connected) c++;
    return c;
  }

  /**
   * Wait until every node of `names` (default: the whole fleet) is connected, at most `timeoutMs` or until
   * `signal` aborts. Returns how many of them are not connected.
   */
  async waitConnected(timeoutMs: number, names?: readonly string[], signal?: AbortSignal): Promise<number> {
    const nodes = names === undefined ? [...this.nodes.values()] : names.map((n) => this.node(n));
    const missing = (): number => nodes.filter((n) => !n.connected).length;
    const until = this.opts.clock.now() + timeoutMs;
    while (missing() > 0 && this.opts.clock.now() < until && signal?.aborted !== true) await sleepUnlessAborted(this.opts.clock, 500, signal);
    return missing();
  }

  async stopAll(): Promise<void> {
    await mapLimit([...this.nodes.values()], 200, (n) => n.stop());
  }
}

function bootstrap(cloud: CloudEndpoint, nodeName: string, clock: Clock): Promise<EdgeCredentials> {
  return bootstrapEdgeCertificate({ httpServer: cloud.certServerUrl, token: cloud.token, nodeName, clock });
}
