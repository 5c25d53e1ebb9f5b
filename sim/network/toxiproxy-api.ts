import { EdgeproofError, messageOf } from '../core/errors.ts';

/**
 * The few Toxiproxy HTTP calls the network layer makes, over plain `fetch`. toxiproxy-node-client (which
 * StartedToxiproxy also carries) drops the server's error text ("proxy already exists", "port in use") and
 * has no typed toxic listing; at thousands of proxies those messages are what tells a user what went wrong.
 */

export type ToxicStream = 'upstream' | 'downstream';
export type ToxicType = 'latency' | 'bandwidth' | 'timeout' | 'reset_peer' | 'slow_close' | 'slicer' | 'limit_data';

export interface ToxicSpec {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: ToxicStream;
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;
}

export interface ProxyState {
  readonly name: string;
  /** The real listen address, `host:port` (port 0 on creation is replaced by the port the server picked). */
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly toxics: readonly ToxicSpec[];
}

export interface ProxyCreate {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled?: boolean;
}

export class ToxiproxyApi {
  constructor(readonly apiUrl: string) {}

  async version(): Promise<string> {
    return (await this.request('GET', '/version', undefined, 'text')) as string;
  }

  /** Create (or replace, when name/listen/upstream differ) many proxies in one request. */
  async populate(proxies: readonly ProxyCreate[]): Promise<ProxyState[]> {
    const res = (await this.request('POST', '/populate', proxies)) as { proxies?: ProxyState[] };
    return res.proxies ?? [];
  }

  async createProxy(p: ProxyCreate): Promise<ProxyState> {
    return (await this.request('POST', '/proxies', p)) as ProxyState;
  }

  async proxies(): Promise<Record<string, ProxyState>> {
    return (await this.request('GET', '/proxies')) as Record<string, ProxyState>;
  }

  async proxy(name: string): Promise<ProxyState> {
    return (await this.request('GET', `/proxies/${encodeURIComponent(name)}`)) as ProxyState;
  }

  async setEnabled(name: string, enabled: boolean): Promise<ProxyState> {
    return (await this.request('PATCH', `/proxies/${encodeURIComponent(name)}`, { enabled })) as ProxyState;
  }

  /** Delete a proxy (closing its connections). A proxy already gone is not an error. */
  async deleteProxy(name: string): Promise<void> {
    await this.request('DELETE', `/proxies/${encodeURIComponent(name)}`, undefined, 'none', [404]);
  }

  async toxics(proxy: string): Promise<ToxicSpec[]> {
    return (await this.request('GET', `/proxies/${encodeURIComponent(proxy)}/toxics`)) as ToxicSpec[];
  }

  async addToxic(proxy: string, toxic: ToxicSpec): Promise<void> {
    await this.request('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, toxic, 'none');
  }

  /** Change a toxic's attributes/toxicity in place; its connections stay up. */
  async updateToxic(proxy: string, toxic: ToxicSpec): Promise<void> {
    await this.request('POST', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic.name)}`, { toxicity: toxic.toxicity, attributes: toxic.attributes }, 'none');
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.request('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`, undefined, 'none', [404]);
  }

  private async request(method: string, path: string, body?: unknown, parse: 'json' | 'text' | 'none' = 'json', okStatuses: readonly number[] = []): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.apiUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (e) {
      throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `Toxiproxy API ${method} ${path} failed: ${messageOf(e)}${causeText(e)}`, {
        where: 'toxiproxy',
        fix: `is the Toxiproxy server at ${this.apiUrl} still running? (\`npx edgeproof doctor\`)`,
        cause: e,
      });
    }
    const text = await res.text();
    if (!res.ok && !okStatuses.includes(res.status)) {
      let detail = text.trim();
      try {
        const parsed = JSON.parse(text) as { error?: string };
        if (typeof parsed.error === 'string') detail = parsed.error;
      } catch {
        // not JSON: keep the text
      }
      throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `Toxiproxy API ${method} ${path} answered ${res.status}: ${detail}`, {
        where: 'toxiproxy',
        fix: res.status === 409 ? 'a proxy of that name already exists: remove it first or use another name prefix' : 'see the Toxiproxy log',
        context: { status: res.status },
      });
    }
    if (parse === 'none' || !res.ok) return undefined;
    if (parse === 'text') return text;
    return JSON.parse(text) as unknown;
  }
}

function causeText(e: unknown): string {
  const cause = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  return cause instanceof Error ? ` (${cause.message})` : '';
}
