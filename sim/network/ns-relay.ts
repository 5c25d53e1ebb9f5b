/**
 * A byte relay run inside one of the bench's network namespaces (`ip netns exec <ns> node --import tsx
 * ns-relay.ts '<json>'`). It listens on a TCP address or a Unix socket and pipes every connection to another
 * TCP address or Unix socket. Unix sockets live in the file system, which all namespaces share, so they are
 * how bytes cross from the root namespace's loopback into a namespace and back out (kernel-link.ts).
 * Prints `ready <port>` (0 for a Unix socket) once listening; exits when stdin closes (its parent died).
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Endpoint = { readonly path: string } | { readonly host: string; readonly port: number };
export interface RelaySpec {
  readonly listen: Endpoint;
  readonly connect: Endpoint;
}

function dial(to: Endpoint): Socket {
  return 'path' in to ? createConnection({ path: to.path }) : createConnection({ host: to.host, port: to.port });
}

export function runRelay(spec: RelaySpec): void {
  const server = createServer({ pauseOnConnect: true }, (client) => {
    const upstream = dial(spec.connect);
    client.setNoDelay(true);
    upstream.once('connect', () => {
      if ('host' in spec.connect) upstream.setNoDelay(true);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    const fail = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
  });
  server.on('error', (e) => {
    process.stderr.write(`ns-relay: ${e.message}\n`);
    process.exit(1);
  });
  const onListening = (): void => {
    const a = server.address();
    process.stdout.write(`ready ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
  };
  if ('path' in spec.listen) {
    rmSync(spec.listen.path, { force: true });
    server.listen(spec.listen.path, onListening);
  } else {
    server.listen(spec.listen.port, spec.listen.host, onListening);
  }
  process.stdin.resume();
  process.stdin.on('close', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0));
}

const script = process.argv[1];
const arg = process.argv[2];
if (script !== undefined && arg !== undefined && resolve(script) === fileURLToPath(import.meta.url)) {
  runRelay(JSON.parse(arg) as RelaySpec);
}
