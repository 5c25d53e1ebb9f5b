import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP server that counts the bytes it receives and echoes them back. */
export interface EchoSink {
  readonly port: number;
  received(): number;
  close(): Promise<void>;
}

export function startEchoSink(): Promise<EchoSink> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      received += chunk.length;
      socket.write(chunk);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a !== null ? a.port : 0,
        received: () => received,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A client connection that counts what comes back and remembers whether (and how) it closed. */
export interface CountingClient {
  readonly socket: Socket;
  received(): number;
  closed(): boolean;
  send(bytes: number): void;
  destroy(): void;
}

export function connectCounting(port: number): Promise<CountingClient> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let closed = false;
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('data', (c) => {
      received += c.length;
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => undefined);
      resolve({
        socket,
        received: () => received,
        closed: () => closed,
        send: (bytes) => {
          socket.write(Buffer.alloc(bytes, 0x61));
        },
        destroy: () => socket.destroy(),
      });
    });
  });
}

/** Send `bytes` and resolve with the seconds until the sink has received all of them. */
export async function timedUpload(port: number, sink: { received(): number }, bytes: number): Promise<number> {
  const start = sink.received();
  const t0 = process.hrtime.bigint();
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(Buffer.alloc(bytes, 0x62));
  while (sink.received() - start < bytes) await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a measured share is consistent with a configured probability over n independent trials:
 * within `sigmas` binomial standard deviations (plus one trial of slack for p = 0).
 */
export function withinBinomialTolerance(measured: number, p: number, n: number, sigmas = 4.5): boolean {
  const sd = Math.sqrt((p * (1 - p)) / n);
  return Math.abs(measured - p) <= sigmas * sd + 1 / n;
}
