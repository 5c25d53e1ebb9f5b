/**
 * A tiny stand-in for CloudHub's WebSocket endpoint, for tests: it records what a client sends (path,
 * headers, frames, client certificate) so tests can check the client's behaviour, not CloudHub's.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';

export interface TestConnection {
  readonly ws: WebSocket;
  readonly request: IncomingMessage;
  readonly frames: { readonly data: Buffer; readonly isBinary: boolean }[];
  readonly peerCertificate: PeerCertificate | undefined;
  nextFrame(): Promise<{ readonly data: Buffer; readonly isBinary: boolean }>;
}

export interface TestWsServer {
  readonly port: number;
  nextConnection(): Promise<TestConnection>;
  close(): Promise<void>;
}

export interface TestWsServerOptions {
  /** PEM server cert/key and the CA that client certificates must chain to (mTLS like CloudHub). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  /** Refuse the upgrade with this HTTP status. */
  readonly refuseWith?: number;
}

export async function startTestWsServer(options: TestWsServerOptions = {}): Promise<TestWsServer> {
  const server: Server =
    options.tls === undefined
      ? createHttpServer()
      : createHttpsServer({ ...options.tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' });
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    verifyClient: (_info, cb) => (options.refuseWith === undefined ? cb(true) : cb(false, options.refuseWith, 'refused by test server')),
  });
  const pending: TestConnection[] = [];
  const waiters: ((c: TestConnection) => void)[] = [];
  wss.on('connection', (ws, request) => {
    const frames: { data: Buffer; isBinary: boolean }[] = [];
    const frameWaiters: ((f: { data: Buffer; isBinary: boolean }) => void)[] = [];
    let read = 0;
    ws.on('message', (data, isBinary) => {
      const f = { data: Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(new Uint8Array(data))]), isBinary };
      frames.push(f);
      const w = frameWaiters.shift();
      if (w !== undefined) {
        read++;
        w(f);
      }
    });
    const socket = request.socket as Partial<TLSSocket>;
    const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    const conn: TestConnection = {
      ws,
      request,
      frames,
      peerCertificate: cert !== undefined && Object.keys(cert).length > 0 ? cert : undefined,
      nextFrame: () =>
        new Promise((resolve) => {
          const f = frames[read];
          if (f !== undefined) {
            read++;
            resolve(f);
          } else frameWaiters.push(resolve);
        }),
    };
    const w = waiters.shift();
    if (w !== undefined) w(conn);
    else pending.push(conn);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    nextConnection: () =>
      new Promise((resolve) => {
        const c = pending.shift();
        if (c !== undefined) resolve(c);
        else waiters.push(resolve);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => server.close(() => resolve()));
      }),
  };
}
