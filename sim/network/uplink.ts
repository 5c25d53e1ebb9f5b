import { EdgeproofError } from '../core/errors.ts';
import { kbpsToToxiproxyRate, type LinkProfile } from './link-profile.ts';
import { LinkMeter } from './link-meter.ts';
import type { ProxyState, ToxicSpec, ToxiproxyApi } from './toxiproxy-api.ts';

/**
 * How a link is cut.
 * - `blackhole` (default, and what a no-coverage profile means): Toxiproxy `timeout` toxics with timeout 0 on
 *   both streams. The proxy keeps accepting and keeps every connection open, but every byte in either
 *   direction is dropped: the peers hear nothing, exactly as over a cut radio link or a dead backhaul, and
 *   find out only through their own heartbeats/timeouts. On heal Toxiproxy closes the connections the cut
 *   held (its timeout toxic's cleanup closes the stream), so clients reconnect — as they must after an
 *   outage longer than their heartbeat timeout, which is what a real partition is. Bytes sent during the
 *   cut are lost, never delivered late.
 * - `stall`: `latency` toxics of 24 h on both streams. Data is held (TCP back-pressure once Toxiproxy's
 *   buffers fill) and delivered in order on heal, and connections survive: a short blip that TCP
 *   retransmission rides out.
 * - `refuse`: the proxy is disabled. Its listener closes and every connection is closed at once; new
 *   connections are refused (RST). That is "the cloud end is down", not a partition: a client learns of it
 *   instantly instead of through a timeout, and the listen port is free for anyone while disabled. Offered
 *   for that fault, never used for coverage loss.
 */
export type OutageMode = 'blackhole' | 'stall' | 'refuse';

/** Parts of a profile that `degrade` may override on the current one. */
export type ProfileOverrides = Partial<Pick<LinkProfile, 'bandwidthKbps' | 'latencyMs' | 'jitterMs' | 'lossPercent' | 'coverage'>>;

const STALL_MS = 24 * 3600 * 1000;
const T = {
  latencyDown: 'ep-latency-down',
  latencyUp: 'ep-latency-up',
  bandwidthDown: 'ep-bandwidth-down',
  bandwidthUp: 'ep-bandwidth-up',
  cutDown: 'ep-cut-down',
  cutUp: 'ep-cut-up',
  resetDown: 'ep-reset-down',
  resetUp: 'ep-reset-up',
} as const;

/** The unshaped profile an uplink starts with. */
export const unshapedProfile: LinkProfile = {
  name: 'unshaped',
  description: 'no toxics',
  bandwidthKbps: { down: undefined, up: undefined },
  latencyMs: 0,
  jitterMs: 0,
  lossPercent: 0,
  coverage: true,
  source: '(built in)',
};

/**
 * The Toxiproxy toxics that make a proxy behave like `profile` (with an optional outage on top). "down" is
 * cloud → edge (Toxiproxy's downstream: upstream server → client), "up" is edge → cloud.
 * Loss is not here: Toxiproxy cannot drop packets (kernel-link.ts does).
 */
export function toxicsFor(profile: LinkProfile, outage: OutageMode | undefined, resetting = false): ToxicSpec[] {
  const out: ToxicSpec[] = [];
  if (profile.latencyMs > 0 || profile.jitterMs > 0) {
    const attributes = { latency: Math.round(profile.latencyMs), jitter: Math.round(profile.jitterMs) };
    out.push({ name: T.latencyDown, type: 'latency', stream: 'downstream', toxicity: 1, attributes });
    out.push({ name: T.latencyUp, type: 'latency', stream: 'upstream', toxicity: 1, attributes });
  }
  if (profile.bandwidthKbps.down !== undefined) {
    out.push({ name: T.bandwidthDown, type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: kbpsToToxiproxyRate(profile.bandwidthKbps.down) } });
  }
  if (profile.bandwidthKbps.up !== undefined) {
    out.push({ name: T.bandwidthUp, type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: kbpsToToxiproxyRate(profile.bandwidthKbps.up) } });
  }
  const mode = outage ?? (profile.coverage ? undefined : 'blackhole');
  switch (mode) {
    case undefined:
    case 'refuse': // not a toxic: the proxy is disabled
      break;
    case 'blackhole':
      out.push({ name: T.cutDown, type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });
      out.push({ name: T.cutUp, type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
      break;
    case 'stall':
      out.push({ name: T.cutDown, type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: STALL_MS, jitter: 0 } });
      out.push({ name: T.cutUp, type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: STALL_MS, jitter: 0 } });
      break;
  }
  if (resetting) {
    out.push({ name: T.resetDown, type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });
    out.push({ name: T.resetUp, type: 'reset_peer', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
  }
  return out;
}

function sameToxic(a: ToxicSpec, b: ToxicSpec): boolean {
  if (a.type !== b.type || a.stream !== b.stream || a.toxicity !== b.toxicity) return false;
  const keys = new Set([...Object.keys(a.attributes), ...Object.keys(b.attributes)]);
  for (const k of keys) if (a.attributes[k] !== b.attributes[k]) return false;
  return true;
}

export interface UplinkInfo {
  /** The logical link name (a station, a vehicle). */
  readonly name: string;
  /** The Toxiproxy proxy name (the network's prefix + name). */
  readonly proxyName: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly upstream: string;
}

/**
 * One edge link: a Toxiproxy proxy in front of an upstream (CloudCore's WebSocket port), shared by every
 * simulated node behind it — all gates of a toll station, as in reality, or the one computer of a vehicle.
 * Nodes connect to `listenHost:listenPort`; the link's profile shapes every connection through it.
 */
export class Uplink implements UplinkInfo {
  readonly name: string;
  readonly proxyName: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly upstream: string;
  /** Bytes through this link, counted by the edge sockets that dial it with `meter` (dialWebSocket). */
  readonly meter = new LinkMeter();
  private currentProfile: LinkProfile = unshapedProfile;
  private lastCovered: LinkProfile = unshapedProfile;
  private outageMode: OutageMode | undefined;
  private resetting = false;
  private enabled = true;
  /** Toxics as last written to / read from the server. */
  private applied = new Map<string, ToxicSpec>();
  /** Changes to one proxy are serialised: a fault timeline may fire partition and degrade close together. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: ToxiproxyApi,
    name: string,
    state: ProxyState,
  ) {
    this.name = name;
    this.proxyName = state.name;
    const { host, port } = splitHostPort(state.listen, state.name);
    this.listenHost = host;
    this.listenPort = port;
    this.upstream = state.upstream;
    this.enabled = state.enabled;
    for (const t of state.toxics ?? []) this.applied.set(t.name, t);
  }

  get profile(): LinkProfile {
    return this.currentProfile;
  }

  /** The outage in force: an explicit partition, or the profile's lack of coverage. */
  get outage(): OutageMode | undefined {
    return this.outageMode ?? (this.currentProfile.coverage ? undefined : 'blackhole');
  }

  get partitioned(): boolean {
    return this.outage !== undefined;
  }

  /** Shape the link like `profile`, replacing the previous profile's toxics (unchanged ones stay untouched). */
  applyProfile(profile: LinkProfile): Promise<void> {
    return this.change(() => {
      this.currentProfile = profile;
      if (profile.coverage) this.lastCovered = profile;
    });
  }

  /** Worsen (or improve) the current profile: a full profile, or overrides of some of its fields. */
  degrade(change: LinkProfile | ProfileOverrides): Promise<void> {
    if ('name' in change && 'source' in change) return this.applyProfile(change);
    const overrides = change;
    const base = this.currentProfile;
    const next: LinkProfile = {
      ...base,
      ...overrides,
      name: `${base.name}+degraded`,
      description: `${base.description} (degraded: ${JSON.stringify(overrides)})`,
    };
    return this.applyProfile(next);
  }

  /** Cut the link (see OutageMode; default blackhole). */
  partition(mode: OutageMode = 'blackhole'): Promise<void> {
    return this.change(() => {
      this.outageMode = mode;
    });
  }

  /**
   * End an outage: the explicit partition goes and, if the profile itself has no coverage, the link returns
   * to the last profile that had coverage (unshaped if none). After a blackhole, connections that lived
   * through it have been closed by Toxiproxy and clients must reconnect; after a stall they carry on.
   */
  heal(): Promise<void> {
    return this.change(() => {
      this.outageMode = undefined;
      if (!this.currentProfile.coverage) this.currentProfile = this.lastCovered;
    });
  }

  /** Reset (RST) every connection that sends or receives data from now on, until `stopResetting`. */
  resetConnections(): Promise<void> {
    return this.change(() => {
      this.resetting = true;
    });
  }

  stopResetting(): Promise<void> {
    return this.change(() => {
      this.resetting = false;
    });
  }

  /** Read the toxics back from the server (after someone else touched it, e.g. a `/reset`). */
  async toxicsOnServer(): Promise<ToxicSpec[]> {
    const list = await this.api.toxics(this.proxyName);
    this.applied = new Map(list.map((t) => [t.name, t]));
    return list;
  }

  /** The toxics this uplink believes are on the server. */
  appliedToxics(): readonly ToxicSpec[] {
    return [...this.applied.values()];
  }

  private change(mutate: () => void): Promise<void> {
    const run = async (): Promise<void> => {
      mutate();
      try {
        await this.sync();
      } catch (e) {
        // what we believe is on the server may now be wrong: read it back so the next change starts from truth
        await this.toxicsOnServer().catch(() => undefined);
        throw e;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async sync(): Promise<void> {
    const wantEnabled = this.outage !== 'refuse';
    const desired = new Map(toxicsFor(this.currentProfile, this.outage === 'refuse' ? undefined : this.outage, this.resetting).map((t) => [t.name, t]));
    // remove first (a heal must not leave an old cut in place while new toxics go on), then update, then add
    for (const name of [...this.applied.keys()]) {
      if (!desired.has(name)) {
        await this.api.removeToxic(this.proxyName, name);
        this.applied.delete(name);
      }
    }
    for (const [name, want] of desired) {
      const have = this.applied.get(name);
      if (have === undefined) {
        await this.api.addToxic(this.proxyName, want);
      } else if (have.type !== want.type || have.stream !== want.stream) {
        await this.api.removeToxic(this.proxyName, name);
        await this.api.addToxic(this.proxyName, want);
      } else if (!sameToxic(have, want)) {
        await this.api.updateToxic(this.proxyName, want);
      }
      this.applied.set(name, want);
    }
    if (wantEnabled !== this.enabled) {
      await this.api.setEnabled(this.proxyName, wantEnabled);
      this.enabled = wantEnabled;
    }
  }
}

export function splitHostPort(listen: string, what: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  let host = listen.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (i < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `Toxiproxy reported listen address "${listen}" without a usable port`, {
      where: `toxiproxy proxy ${what}`,
      fix: 'use Toxiproxy 2.x, which reports the bound address after listening on port 0',
    });
  }
  return { host, port };
}
