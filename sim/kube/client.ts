import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EdgeproofError, messageOf } from '../core/errors.ts';

/**
 * A small Kubernetes REST client: JSON over HTTPS with client certificates or a bearer token, plus watches.
 * Small on purpose — the bench talks to the apiserver from hot paths (thousands of objects) and wants
 * keep-alive connections and exact control of requests, not a generated SDK.
 */
export interface KubeCredentials {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

export type JsonObject = { readonly [key: string]: unknown };

export interface KubeObject extends JsonObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
}

export interface ObjectMeta extends JsonObject {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  readonly items: readonly T[];
  readonly metadata: { readonly resourceVersion?: string; readonly continue?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

export interface Watch {
  stop(): void;
  /** Resolves when the server ends the stream or stop() is called. */
  readonly done: Promise<void>;
}

export type PatchType = 'merge' | 'strategic' | 'json';
const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export class KubeApiError extends EdgeproofError {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string, where: string) {
    super('E_KUBE_API', `${status} ${reason}: ${message}`, {
      where,
      fix: status === 401 || status === 403 ? 'check the kubeconfig credentials' : 'see the apiserver log',
      context: { status, reason },
    });
    this.status = status;
    this.reason = reason;
  }
}

/** One finished request (watches excluded): what the bench asked and how long the apiserver took to answer it. */
export interface KubeCall {
  readonly method: string;
  readonly path: string;
  /** HTTP status; 0 when no response came (connection refused, reset). */
  readonly status: number;
  /** From sending the request to the end of the response body, on the monotonic clock. */
  readonly ms: number;
}

export class KubeClient {
  readonly server: string;
  private readonly agent: Agent | HttpAgent;
  private readonly callListeners = new Set<(call: KubeCall) => void>();
  private readonly token: string | undefined;
  private readonly secure: boolean;

  constructor(creds: KubeCredentials) {
    this.server = creds.server.replace(/\/$/, '');
    this.secure = this.server.startsWith('https:');
    this.token = creds.token;
    this.agent = this.secure
      ? new Agent({
          keepAlive: true,
          maxSockets: 32,
          ...(creds.ca !== undefined ? { ca: creds.ca } : {}),
          ...(creds.cert !== undefined ? { cert: creds.cert } : {}),
          ...(creds.key !== undefined ? { key: creds.key } : {}),
          rejectUnauthorized: creds.insecureSkipTlsVerify !== true,
        })
      : new HttpAgent({ keepAlive: true, maxSockets: 32 });
  }

  static fromKubeconfig(path: string): KubeClient {
    return new KubeClient(loadKubeconfig(path));
  }

  async get<T extends KubeObject = KubeObject>(path: string): Promise<T> {
    return (await this.request('GET', path)) as T;
  }

  /** GET that maps 404 to undefined. */
  async find<T extends KubeObject = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  async list<T extends KubeObject = KubeObject>(path: string): Promise<KubeList<T>> {
    return (await this.request('GET', path)) as unknown as KubeList<T>;
  }

  async create<T extends KubeObject = KubeObject>(path: string, body: KubeObject): Promise<T> {
    return (await this.request('POST', path, body)) as T;
  }

  async replace<T extends KubeObject = KubeObject>(path: string, body: KubeObject): Promise<T> {
    return (await this.request('PUT', path, body)) as T;
  }

  async patch<T extends KubeObject = KubeObject>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> {
    return (await this.request('PATCH', path, body, patchContentType[type])) as T;
  }

  async delete(path: string, body?: KubeObject): Promise<void> {
    try {
      await this.request('DELETE', path, body);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return;
      throw e;
    }
  }

  /**
   * Hear about every finished request (not watches), e.g. to measure API latency; returns the unsubscribe.
   * A listener that throws is not the request's problem: its error is dropped.
   */
  onCall(listener: (call: KubeCall) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  private called(method: string, path: string, status: number, startedMs: number): void {
    if (this.callListeners.size === 0) return;
    const call: KubeCall = { method, path, status, ms: performance.now() - startedMs };
    for (const l of this.callListeners) {
      try {
        l(call);
      } catch {
        // a measurement must never fail the request it measured
      }
    }
  }

  /** Raw request; resolves with the parsed JSON body, rejects with KubeApiError on non-2xx. */
  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<JsonObject> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const startedMs = performance.now();
    let timed = false;
    const time = (status: number): void => {
      if (timed) return;
      timed = true;
      this.called(method, path, status, startedMs);
    };
    return new Promise((resolvePromise, reject) => {
      const req = this.open(method, path, contentType, payload, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          time(res.statusCode ?? 0);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: JsonObject = {};
          try {
            parsed = text === '' ? {} : (JSON.parse(text) as JsonObject);
          } catch {
            parsed = { message: text };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolvePromise(parsed);
          else {
            const reason = typeof parsed['reason'] === 'string' ? parsed['reason'] : (res.statusMessage ?? '');
            const message = typeof parsed['message'] === 'string' ? parsed['message'] : text;
            reject(new KubeApiError(status, reason, message, `${method} ${path}`));
          }
        });
        res.on('error', reject);
      });
      req.on('error', (e) => {
        time(0);
        reject(new EdgeproofError('E_KUBE_API', `${method} ${path}: ${messageOf(e)}`, { where: this.server, fix: 'is the apiserver running? (`npx edgeproof doctor`)', cause: e }));
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Watch a collection; events are delivered in order. `path` is a list path (e.g. /api/v1/pods). */
  watch<T extends KubeObject = KubeObject>(path: string, opts: { resourceVersion?: string; onEvent: (e: WatchEvent<T>) => void }): Watch {
    const sep = path.includes('?') ? '&' : '?';
    const rv = opts.resourceVersion !== undefined ? `&resourceVersion=${encodeURIComponent(opts.resourceVersion)}` : '';
    let stopped = false;
    let request: ReturnType<typeof httpsRequest> | undefined;
    const done = new Promise<void>((resolveDone) => {
      request = this.open('GET', `${path}${sep}watch=true&allowWatchBookmarks=true${rv}`, 'application/json', undefined, (res) => {
        let partial = '';
        res.on('data', (chunk: Buffer) => {
          const lines = (partial + chunk.toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            if (line.trim() === '' || stopped) continue;
            try {
              opts.onEvent(JSON.parse(line) as WatchEvent<T>);
            } catch {
              // a malformed line from the apiserver is not ours to crash on
            }
          }
        });
        res.on('end', () => resolveDone());
        res.on('error', () => resolveDone());
        res.on('close', () => resolveDone());
      });
      request.on('error', () => resolveDone());
      request.end();
    });
    return {
      done,
      stop: () => {
        stopped = true;
        request?.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }

  private open(method: string, path: string, contentType: string, payload: Buffer | undefined, onResponse: (res: IncomingMessage) => void) {
    const url = new URL(this.server + path);
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = payload.length;
    }
    if (this.token !== undefined) headers['Authorization'] = `Bearer ${this.token}`;
    const options = { method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers, agent: this.agent };
    return this.secure ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
  }
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

function str(obj: unknown, key: string): string | undefined {
  const v = field(obj, key);
  return typeof v === 'string' ? v : undefined;
}

/** Reads the current context of a kubeconfig (embedded data or file references, token or client cert). */
export function loadKubeconfig(path: string): KubeCredentials {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new EdgeproofError('E_BAD_KUBECONFIG', `cannot read kubeconfig: ${messageOf(e)}`, { where: path, fix: 'pass a readable kubeconfig file: --backend kubeconfig:PATH' });
  }
  const bad = (what: string): EdgeproofError =>
    new EdgeproofError('E_BAD_KUBECONFIG', what, { where: path, fix: 'check the kubeconfig with `kubectl --kubeconfig PATH config view`' });
  const currentName = str(doc, 'current-context');
  const named = (section: string, name: string | undefined): unknown => {
    const list = field(doc, section);
    if (!Array.isArray(list)) return undefined;
    const entry: unknown = name === undefined ? list[0] : list.find((e) => str(e, 'name') === name);
    return entry;
  };
  const context = field(named('contexts', currentName), 'context');
  const cluster = field(named('clusters', str(context, 'cluster')), 'cluster');
  const user = field(named('users', str(context, 'user')), 'user') ?? {};
  const server = str(cluster, 'server');
  if (server === undefined) throw bad('no server found for the current context');
  const base = dirname(path);
  const data = (obj: unknown, dataKey: string, fileKey: string): Buffer | undefined => {
    const inline = str(obj, dataKey);
    if (inline !== undefined) return Buffer.from(inline, 'base64');
    const file = str(obj, fileKey);
    if (file === undefined) return undefined;
    try {
      return readFileSync(isAbsolute(file) ? file : resolve(base, file));
    } catch (e) {
      throw bad(`cannot read ${fileKey} ${file}: ${messageOf(e)}`);
    }
  };
  const ca = data(cluster, 'certificate-authority-data', 'certificate-authority');
  const cert = data(user, 'client-certificate-data', 'client-certificate');
  const key = data(user, 'client-key-data', 'client-key');
  const token = str(user, 'token');
  return {
    server,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(field(cluster, 'insecure-skip-tls-verify') === true ? { insecureSkipTlsVerify: true } : {}),
  };
}
