import { createServer, createConnection, type Server, type Socket } from 'node:net';

/** A loopback TCP server that sends `payloadBytes` to each client and counts the bytes clients send it. */
export interface TcpPeer {
  readonly port: number;
  received(): number;
  close(): Promise<void>;
}

export function startTcpPeer(payloadBytes = 0): Promise<TcpPeer> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      received += chunk.length;
    });
    socket.on('error', () => undefined);
    if (payloadBytes > 0) socket.end(Buffer.alloc(payloadBytes, 0x61));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
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

/** Connect, read until the server closes, and report how many bytes arrived in how long. */
export function download(port: number): Promise<{ bytes: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let bytes = 0;
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('data', (c) => {
      bytes += c.length;
    });
    socket.on('end', () => resolve({ bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
    socket.on('error', reject);
  });
}

export function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}
