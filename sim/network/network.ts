import { EdgeproofError } from '../core/errors.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import type { LinkProfile } from './link-profile.ts';
import { ToxiproxyApi, type ProxyState } from './toxiproxy-api.ts';
import { Uplink, type OutageMode } from './uplink.ts';

/** What the network needs of a Toxiproxy server (StartedToxiproxy satisfies it). */
export interface ToxiproxyEndpoint {
  readonly apiUrl: string;
  /** Host on which proxies listen and nodes connect (loopback for the local backend). */
  readonly listenHost: string;
}

export interface UplinkSpec {
  /** Logical name, unique in this network: `station-0042`, `vehicle-17`. */
  readonly name: string;
  readonly upstreamPort: number;
  /** Loopback only (default 127.0.0.1). */
  readonly upstreamHost?: string;
}

export interface NetworkOptions {
  /** Prefix of every proxy name this network creates, so several benches can share a server and teardown
   * removes only its own proxies. Default `ep<pid>-`. */
  readonly prefix?: string;
  /** Proxies per `/populate` request: Toxiproxy's API answers 503 after 25 s, so keep requests small. */
  readonly batchSize?: number;
  /** Parallel API requests for per-proxy work (toxics, deletion). */
  readonly concurrency?: number;
  readonly progress?: Progress;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1|\[::1\])$/;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Toxiproxy's own words for running out of descriptors or ports, turned into what to do about it. */
function explainCreateFailure(e: unknown, existing: number, wanted: number): unknown {
  if (!(e instanceof EdgeproofError)) return e;
  const held = `this network already held ${existing} proxies and was asked for ${wanted} more`;
  if (/too many open files/i.test(e.message)) {
    return new EdgeproofError('E_COMPONENT_UNHEALTHY', `${e.message} (${held})`, {
      where: 'toxiproxy',
      fix: 'Toxiproxy ran out of file descriptors: every proxy holds one listening socket and every connection two more; raise its limit (`ulimit -n` before starting it, or LimitNOFILE) or spread the links over several Toxiproxy servers',
      cause: e,
    });
  }
  if (/address already in use|cannot assign requested address/i.test(e.message)) {
    return new EdgeproofError('E_COMPONENT_UNHEALTHY', `${e.message} (${held})`, {
      where: 'toxiproxy',
      fix: 'loopback ports ran out: every proxy takes one from net.ipv4.ip_local_port_range; widen it or use fewer proxies per server',
      cause: e,
    });
  }
  return e;
}

/** Run `fn` over `items` with at most `limit` in flight; the first failure is thrown after all settle. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length || failure !== undefined) return;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  if (failure !== undefined) throw failure.error;
  return results;
}

/**
 * Every edge link of a run, as proxies on one Toxiproxy server: one shared uplink per toll station, one
 * cellular link per vehicle. Creates thousands of proxies in a few bulk `/populate` requests (listen port 0:
 * the server picks free ports, and the real address is read back), and removes all of them at the end.
 */
export class Network {
  readonly api: ToxiproxyApi;
  readonly prefix: string;
  private readonly listenHost: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly progress: Progress;
  private readonly uplinks = new Map<string, Uplink>();

  constructor(server: ToxiproxyEndpoint, opts: NetworkOptions = {}) {
    this.api = new ToxiproxyApi(server.apiUrl);
    this.listenHost = server.listenHost;
    this.prefix = opts.prefix ?? `ep${process.pid}-`;
    this.batchSize = opts.batchSize ?? 500;
    this.concurrency = opts.concurrency ?? 16;
    this.progress = opts.progress ?? silentProgress;
    if (!isLoopbackHost(this.listenHost)) {
      throw new EdgeproofError('E_BAD_SCENARIO', `proxies would listen on ${this.listenHost}, which is not loopback`, {
        where: 'network',
        fix: 'the bench only listens on loopback: use the local Toxiproxy backend (listen host 127.0.0.1)',
      });
    }
  }

  get size(): number {
    return this.uplinks.size;
  }

  get(name: string): Uplink | undefined {
    return this.uplinks.get(name);
  }

  /** The uplink of that name, or an error naming the known ones. */
  uplink(name: string): Uplink {
    const u = this.uplinks.get(name);
    if (u === undefined) {
      const some = [...this.uplinks.keys()].slice(0, 5).join(', ');
      throw new EdgeproofError('E_BAD_SCENARIO', `no uplink named "${name}"`, { where: 'network', fix: `use one of the created uplinks (${some}${this.uplinks.size > 5 ? ', …' : ''})` });
    }
    return u;
  }

  all(): readonly Uplink[] {
    return [...this.uplinks.values()];
  }

  async createUplink(spec: UplinkSpec, profile?: LinkProfile): Promise<Uplink> {
    const [u] = await this.createUplinks([spec], profile);
    if (u === undefined) throw new EdgeproofError('E_INTERNAL', 'populate returned no proxy', { where: 'network' });
    return u;
  }

  /** Create many uplinks in bulk (and, if given, shape all of them like `profile`). */
  async createUplinks(specs: readonly UplinkSpec[], profile?: LinkProfile): Promise<Uplink[]> {
    const seen = new Set<string>();
    for (const s of specs) {
      if (this.uplinks.has(s.name) || seen.has(s.name)) {
        throw new EdgeproofError('E_BAD_SCENARIO', `uplink "${s.name}" is defined twice`, { where: 'network', fix: 'give every uplink its own name' });
      }
      seen.add(s.name);
      const host = s.upstreamHost ?? '127.0.0.1';
      if (!isLoopbackHost(host)) {
        throw new EdgeproofError('E_BAD_SCENARIO', `uplink "${s.name}" points at ${host}, which is not loopback`, {
          where: `network uplink ${s.name}`,
          fix: 'upstreams must be components the bench started on 127.0.0.1',
        });
      }
      if (!Number.isInteger(s.upstreamPort) || s.upstreamPort <= 0 || s.upstreamPort > 65535) {
        throw new EdgeproofError('E_BAD_SCENARIO', `uplink "${s.name}" has upstream port ${s.upstreamPort}`, { where: `network uplink ${s.name}`, fix: 'use a port 1–65535' });
      }
    }
    const created: Uplink[] = [];
    for (let i = 0; i < specs.length; i += this.batchSize) {
      const batch = specs.slice(i, i + this.batchSize);
      const body = batch.map((s) => ({
        name: `${this.prefix}${s.name}`,
        listen: `${this.listenHost}:0`,
        upstream: `${s.upstreamHost ?? '127.0.0.1'}:${s.upstreamPort}`,
        enabled: true,
      }));
      let states: ProxyState[];
      try {
        states = await this.api.populate(body);
      } catch (e) {
        // whatever part of the batch exists must not outlive the failure
        await mapLimit(body, this.concurrency, (b) => this.api.deleteProxy(b.name)).catch(() => undefined);
        throw explainCreateFailure(e, this.uplinks.size, specs.length);
      }
      const byName = new Map(states.map((s) => [s.name, s]));
      for (const [j, s] of batch.entries()) {
        const state = byName.get(body[j]?.name ?? '');
        if (state === undefined) {
          throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `Toxiproxy did not create proxy ${body[j]?.name ?? s.name}`, {
            where: 'toxiproxy',
            fix: 'see the Toxiproxy log (out of file descriptors or ports?)',
          });
        }
        const u = new Uplink(this.api, s.name, state);
        this.uplinks.set(s.name, u);
        created.push(u);
      }
      this.progress.step('network', `${Math.min(i + this.batchSize, specs.length)}/${specs.length} uplinks created`);
    }
    if (profile !== undefined) await this.applyProfile(created, profile);
    return created;
  }

  applyProfile(uplinks: readonly Uplink[], profile: LinkProfile): Promise<void[]> {
    return mapLimit(uplinks, this.concurrency, (u) => u.applyProfile(profile));
  }

  partition(uplinks: readonly Uplink[], mode: OutageMode = 'blackhole'): Promise<void[]> {
    return mapLimit(uplinks, this.concurrency, (u) => u.partition(mode));
  }

  heal(uplinks: readonly Uplink[]): Promise<void[]> {
    return mapLimit(uplinks, this.concurrency, (u) => u.heal());
  }

  /** Names of the proxies on the server that belong to this network (by prefix). */
  async proxyNamesOnServer(): Promise<string[]> {
    const all = await this.api.proxies();
    return Object.keys(all).filter((n) => n.startsWith(this.prefix));
  }

  /** Remove one uplink's proxy (closing its connections). */
  async remove(name: string): Promise<void> {
    const u = this.uplinks.get(name);
    if (u === undefined) return;
    await this.api.deleteProxy(u.proxyName);
    this.uplinks.delete(name);
  }

  /**
   * Remove every proxy of this network — the ones it knows and any others on the server with its prefix
   * (left by a failed batch) — and check none is left.
   */
  async removeAll(): Promise<void> {
    const known = [...this.uplinks.values()].map((u) => u.proxyName);
    const onServer = await this.proxyNamesOnServer();
    const names = [...new Set([...known, ...onServer])];
    let done = 0;
    await mapLimit(names, this.concurrency, async (n) => {
      await this.api.deleteProxy(n);
      done++;
      if (done % 1000 === 0) this.progress.step('network', `${done}/${names.length} uplinks removed`);
    });
    this.uplinks.clear();
    const left = await this.proxyNamesOnServer();
    if (left.length > 0) {
      throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `${left.length} proxies survived removal (e.g. ${left[0] ?? ''})`, {
        where: 'toxiproxy',
        fix: 'see the Toxiproxy log; restarting Toxiproxy removes every proxy',
      });
    }
  }
}
