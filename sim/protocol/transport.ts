/**
 * How frames move between a simulated edge node and CloudHub. Two implementations behind one interface: a
 * real WebSocket client (what edgecore's wsclient does, kubeedge edge/pkg/edgehub/clients/wsclient and
 * pkg/viaduct/pkg/client/ws.go) and an in-memory pair for tests and socket-less runs.
 *
 * A Transport moves opaque frames; codec.ts turns them into messages. Keeping the two apart lets fault
 * injection corrupt, drop or delay frames without knowing about messages.
 */
import type { Agent } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import WebSocket from 'ws';
import { EdgeproofError, messageOf, type Clock } from '../core/index.ts';
import { DEFAULT_PROJECT_ID } from './message.ts';

export type Frame = string | Uint8Array;

export type TransportState = 'open' | 'closing' | 'closed';

export interface CloseInfo {
  /** WebSocket close code; 1006 when the link broke without a close frame. */
  readonly code: number;
  readonly reason: string;
  /** What broke the link, when something did. */
  readonly error?: EdgeproofError;
}

export interface Transport {
  readonly state: TransportState;
  /** Bytes queued but not yet handed to the OS; a slow peer shows up here first. */
  readonly bufferedAmount: number;
  /** Send one frame as a WebSocket text frame (gorilla WriteJSON writes TextMessage). Resolves once written. */
  send(frame: Frame): Promise<void>;
  /** Frames that arrive before the first handler is registered are kept and delivered to it. */
  onMessage(handler: (frame: Frame) => void): void;
  onClose(handler: (info: CloseInfo) => void): void;
  /** Orderly close (close frame). */
  close(code?: number, reason?: string): void;
  /** Drop the link at once, as a crash or a pulled cable would; the peer sees 1006. */
  terminate(): void;
}

/** Shared plumbing: handler lists, early-frame buffering, one close notification. */
abstract class BaseTransport implements Transport {
  state: TransportState = 'open';
  private readonly messageHandlers: ((frame: Frame) => void)[] = [];
  private readonly closeHandlers: ((info: CloseInfo) => void)[] = [];
  private early: Frame[] | undefined = [];
  private closedWith: CloseInfo | undefined;

  abstract readonly bufferedAmount: number;
  abstract send(frame: Frame): Promise<void>;
  abstract close(code?: number, reason?: string): void;
  abstract terminate(): void;

  onMessage(handler: (frame: Frame) => void): void {
    this.messageHandlers.push(handler);
    const early = this.early;
    this.early = undefined;
    for (const f of early ?? []) handler(f);
  }

  onClose(handler: (info: CloseInfo) => void): void {
    if (this.closedWith !== undefined) {
      const info = this.closedWith;
      queueMicrotask(() => handler(info));
      return;
    }
    this.closeHandlers.push(handler);
  }

  protected deliver(frame: Frame): void {
    if (this.state === 'closed') return;
    if (this.early !== undefined) {
      this.early.push(frame);
      return;
    }
    for (const h of this.messageHandlers) h(frame);
  }

  protected closed(info: CloseInfo): void {
    if (this.closedWith !== undefined) return;
    this.state = 'closed';
    this.closedWith = info;
    for (const h of this.closeHandlers.splice(0)) h(info);
  }

  protected notOpen(where: string): EdgeproofError {
    return new EdgeproofError('E_BACKEND_UNAVAILABLE', `cannot send: the connection is ${this.state}`, {
      where,
      fix: 'reconnect before sending (edgecore redials after 2 × heartbeat)',
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// WebSocket client

export interface EdgeTls {
  /** Client certificate (PEM or DER), from bootstrap.ts. */
  readonly cert: string | Uint8Array;
  /** Client private key (PEM; SEC1 "EC PRIVATE KEY" or PKCS#8). */
  readonly key: string | Uint8Array;
  /** CA that signed CloudHub's server certificate (PEM or DER). */
  readonly ca: string | Uint8Array;
}

export interface WebSocketDialOptions {
  /** `host:port` of CloudHub's WebSocket server (edgecore `modules.edgeHub.websocket.server`). */
  readonly server: string;
  readonly nodeName: string;
  readonly projectId?: string;
  /** Omit for plain ws:// (test servers only; CloudHub always requires mTLS). */
  readonly tls?: EdgeTls;
  /** edgecore `websocket.handshakeTimeout`, default 30 s. */
  readonly handshakeTimeoutMs?: number;
  /** Largest frame accepted from the cloud; default 64 MiB (gorilla imposes no limit, memory does). */
  readonly maxPayload?: number;
  /** Share one agent across many nodes to reuse TLS sessions. */
  readonly agent?: Agent;
  /**
   * Counts the bytes of this connection on the wire (its raw TCP socket, under TLS): the uplink's LinkMeter.
   * Ignored with `agent` (the agent then makes the socket).
   */
  readonly meter?: { attach(socket: Socket): void };
}

/** The URL edgecore dials: edge/pkg/edgehub/config/config.go joins "wss:/", server, projectID, node, "events". */
export function edgeHubUrl(server: string, nodeName: string, projectId: string = DEFAULT_PROJECT_ID, secure = true): string {
  return `${secure ? 'wss' : 'ws'}://${server}/${projectId}/${nodeName}/events`;
}

/**
 * One TLS context per set of credentials, shared by every connection that uses them. A context is OpenSSL's
 * SSL_CTX with the parsed certificate, key and CA store; built per connection (what passing cert/key/ca to
 * tls.connect does) it costs each of thousands of simulated nodes its own copy. Fleets that share one
 * bootstrap certificate share one context; per-node certificates keep one each (a small LRU bounds the cache).
 */
const secureContexts = new Map<string, SecureContext>();
const SECURE_CONTEXT_CACHE = 256;

export function secureContextFor(tls: EdgeTls): SecureContext {
  const cert = toPem(tls.cert, 'CERTIFICATE');
  const key = toPem(tls.key, 'EC PRIVATE KEY');
  const ca = toPem(tls.ca, 'CERTIFICATE');
  const id = `${cert}\u0000${key}\u0000${ca}`;
  const hit = secureContexts.get(id);
  if (hit !== undefined) {
    secureContexts.delete(id);
    secureContexts.set(id, hit);
    return hit;
  }
  const context = createSecureContext({ cert, key, ca, minVersion: 'TLSv1.2' });
  secureContexts.set(id, context);
  while (secureContexts.size > SECURE_CONTEXT_CACHE) {
    const oldest = secureContexts.keys().next().value;
    if (oldest === undefined) break;
    secureContexts.delete(oldest);
  }
  return context;
}

/** DER bytes become PEM text so that Node's TLS accepts either form. */
export function toPem(data: string | Uint8Array, label: 'CERTIFICATE' | 'EC PRIVATE KEY' | 'PRIVATE KEY'): string {
  if (typeof data === 'string') return data;
  const asText = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  if (asText.includes('-----BEGIN ')) return asText;
  const b64 = Buffer.from(data).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.endsWith('\n') ? b64 : b64 + '\n'}-----END ${label}-----\n`;
}

class WebSocketTransport extends BaseTransport {
  private lastError: EdgeproofError | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly where: string,
  ) {
    super();
    // ws hands us a Buffer for text and binary frames alike; gorilla's ReadJSON does not care either.
    ws.on('message', (data: WebSocket.RawData) => this.deliver(Buffer.isBuffer(data) ? data : Buffer.concat(asBuffers(data))));
    ws.on('error', (e: Error) => {
      this.lastError = new EdgeproofError('E_BACKEND_UNAVAILABLE', `websocket error: ${e.message}`, { where, cause: e });
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed({ code, reason: reason.toString('utf8'), ...(this.lastError === undefined ? {} : { error: this.lastError }) });
    });
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: Frame): Promise<void> {
    if (this.state !== 'open' || this.ws.readyState !== WebSocket.OPEN) return Promise.reject(this.notOpen(this.where));
    return new Promise((resolve, reject) => {
      this.ws.send(frame, { binary: false }, (err) => {
        if (err === undefined || err === null) resolve();
        else reject(new EdgeproofError('E_BACKEND_UNAVAILABLE', `websocket write failed: ${err.message}`, { where: this.where, cause: err }));
      });
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.ws.close(code, reason);
  }

  terminate(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.ws.terminate();
  }
}

function asBuffers(data: WebSocket.RawData): Buffer[] {
  if (Array.isArray(data)) return data;
  return [Buffer.from(new Uint8Array(data))];
}

/**
 * Dial CloudHub like edgecore: `wss://<server>/<projectID>/<node>/events` with headers `node_id`,
 * `project_id` and `ConnectionUse: msg` (anything else and viaduct never reads the connection), client
 * certificate, server verified against the CA. Tuned for thousands of connections per process: no
 * per-message deflate (gorilla does not negotiate it either), no UTF-8 validation (the codec decodes bytes
 * the way Go does), no Origin header (gorilla's default CheckOrigin would compare it with Host).
 */
export function dialWebSocket(options: WebSocketDialOptions): Promise<Transport> {
  const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
  const url = edgeHubUrl(options.server, options.nodeName, projectId, options.tls !== undefined);
  const where = `edgehub ${options.nodeName} → ${url}`;
  const ws = new WebSocket(url, {
    headers: { node_id: options.nodeName, project_id: projectId, ConnectionUse: 'msg' },
    handshakeTimeout: options.handshakeTimeoutMs ?? 30_000,
    perMessageDeflate: false,
    skipUTF8Validation: true,
    maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
    followRedirects: false,
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.meter === undefined || options.agent !== undefined ? {} : { createConnection: meteredConnection(options.meter, options.tls !== undefined) }),
    ...(options.tls === undefined ? {} : { secureContext: secureContextFor(options.tls), rejectUnauthorized: true }),
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: EdgeproofError): void => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      reject(err);
    };
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (chunks.length < 64) chunks.push(c);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, 500).trim();
        fail(
          new EdgeproofError('E_BACKEND_UNAVAILABLE', `websocket upgrade refused: HTTP ${String(res.statusCode)}${body === '' ? '' : `: ${body}`}`, {
            where,
            fix: 'check that the address is CloudHub’s WebSocket port (default 10000) and that it accepts this node',
            context: { status: res.statusCode },
          }),
        );
      });
      res.on('error', () => fail(new EdgeproofError('E_BACKEND_UNAVAILABLE', `websocket upgrade refused: HTTP ${String(res.statusCode)}`, { where })));
    });
    ws.once('error', (e: Error) => {
      const timeout = /timed out/i.test(e.message);
      fail(
        new EdgeproofError(timeout ? 'E_TIMEOUT' : 'E_BACKEND_UNAVAILABLE', `websocket dial failed: ${messageOf(e)}`, {
          where,
          fix: timeout
            ? 'CloudHub did not complete the handshake in time; check it is up and not overloaded'
            : 'check that CloudHub is reachable and that the client certificate was issued by its CA',
          cause: e,
        }),
      );
    });
    ws.once('open', () => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners();
      resolve(new WebSocketTransport(ws, where));
    });
  });
}

/**
 * ws's `createConnection` hook: the TCP socket is made here and handed to the meter, then TLS runs on top of it
 * (as ws's own tlsConnect would, with the socket given), so the meter sees wire bytes rather than plaintext.
 */
function meteredConnection(meter: { attach(socket: Socket): void }, secure: boolean): WebSocket.ClientOptions['createConnection'] {
  const connect = (options: ConnectionOptions): Socket => {
    const raw = netConnect({ host: options.host ?? 'localhost', port: Number(options.port) });
    meter.attach(raw);
    const host = options.host ?? '';
    // ws's tlsConnect: no SNI for an IP address; `path` would make tls.connect dial a Unix socket
    const socket = secure ? tlsConnect({ ...options, path: undefined, socket: raw, servername: options.servername ?? (isIP(host) === 0 ? host : '') } as ConnectionOptions) : raw;
    // `timeout` is ws's handshakeTimeout: net/tls.connect arm it only on sockets they dial themselves (tls.connect
    // leaves a given socket alone), so without this a dial into a black-holed link never ends
    if (options.timeout !== undefined && options.timeout > 0) socket.setTimeout(options.timeout);
    return socket;
  };
  return connect as unknown as WebSocket.ClientOptions['createConnection'];
}

// ---------------------------------------------------------------------------------------------------------
// In-memory pair

export interface MemoryPairOptions {
  /** One-way delay; needs `clock`. 0 delivers on the next microtask. */
  readonly latencyMs?: number;
  readonly clock?: Clock;
}

export class MemoryTransport extends BaseTransport {
  peer: MemoryTransport | undefined;
  private inFlight = 0;

  constructor(private readonly schedule: (fn: () => void) => void) {
    super();
  }

  get bufferedAmount(): number {
    return this.inFlight;
  }

  send(frame: Frame): Promise<void> {
    const peer = this.peer;
    if (this.state !== 'open' || peer === undefined) return Promise.reject(this.notOpen('memory transport'));
    // copy bytes: a sender reusing its buffer must not change what is "on the wire"
    const copy = typeof frame === 'string' ? frame : Buffer.from(frame);
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
    this.inFlight += size;
    this.schedule(() => {
      this.inFlight -= size;
      peer.deliver(copy);
    });
    return Promise.resolve();
  }

  close(code = 1000, reason = ''): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    const peer = this.peer;
    // a close frame travels behind the frames already sent, like on a socket
    this.schedule(() => {
      peer?.closed({ code, reason });
      this.closed({ code, reason });
    });
  }

  terminate(): void {
    if (this.state === 'closed') return;
    const info: CloseInfo = { code: 1006, reason: '' };
    this.closed(info);
    this.peer?.closed(info);
  }
}

/** Two connected transports: what one sends, the other receives, in order. */
export function createMemoryPair(options: MemoryPairOptions = {}): [MemoryTransport, MemoryTransport] {
  const latency = options.latencyMs ?? 0;
  const clock = options.clock;
  if (latency > 0 && clock === undefined) {
    throw new EdgeproofError('E_INTERNAL', 'createMemoryPair: latencyMs needs a clock', { where: 'memory transport' });
  }
  const schedule = (fn: () => void): void => {
    if (latency > 0 && clock !== undefined) clock.setTimeout(fn, latency);
    else queueMicrotask(fn);
  };
  const a = new MemoryTransport(schedule);
  const b = new MemoryTransport(schedule);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
