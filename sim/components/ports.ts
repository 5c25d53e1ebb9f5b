import { readFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';

/**
 * The kernel's ephemeral range: every outgoing connection takes its local port from here, so a port picked
 * from it for a server to bind a moment later can be taken by any client in between (seen here: the
 * controller-manager losing its port to one of the bench's own apiserver connections).
 */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    // not Linux: fall back to the IANA range
  }
  return [49152, 65535];
}

const handedOut = new Set<number>();

/**
 * A free loopback TCP port for a server the bench is about to start: below the ephemeral range, never the
 * same twice in this process, and bindable right now.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [lo] = ephemeralRange();
  const base = 20_000;
  const span = Math.max(1000, lo - base);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = base + Math.floor(Math.random() * span);
    if (handedOut.has(port)) continue;
    if (await canBind(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  return kernelPort(host);
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port chosen by the kernel (last resort). */
function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on host:port. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
