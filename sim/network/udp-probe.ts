/**
 * UDP sender/receiver for measuring loss across a kernel link, run inside the link's namespaces.
 *   recv <host>           bind <host>:0, print `ready <port>`; on each stdin line print `count <distinct> <dup>`
 *   send <host> <port> <count> <size>  send <count> datagrams carrying sequence numbers, print `sent <n>`
 * Counting is by distinct sequence number, so a duplicate can never hide a loss.
 */
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';

function receive(host: string): void {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  const seen = new Set<number>();
  let duplicates = 0;
  socket.on('message', (msg) => {
    if (msg.length < 4) return;
    const seq = msg.readUInt32BE(0);
    if (seen.has(seq)) duplicates++;
    else seen.add(seq);
  });
  socket.bind(0, host, () => {
    process.stdout.write(`ready ${socket.address().port}\n`);
  });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', () => {
    process.stdout.write(`count ${seen.size} ${duplicates}\n`);
  });
  lines.on('close', () => {
    socket.close();
    process.exit(0);
  });
}

async function send(host: string, port: number, count: number, size: number): Promise<void> {
  const socket = createSocket('udp4');
  const payload = Buffer.alloc(Math.max(4, size), 0x5a);
  let sent = 0;
  const one = (seq: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const buf = Buffer.from(payload);
      buf.writeUInt32BE(seq, 0);
      socket.send(buf, port, host, (err) => (err ? reject(err) : resolve()));
    });
  // small bursts, yielding between them, so neither the veth backlog nor the receiver's buffer overflows:
  // every loss must come from the link's drop rule (the caller checks that against the rule's counters)
  for (let seq = 0; seq < count; seq++) {
    await one(seq);
    sent++;
    if (seq % 32 === 31) await new Promise((r) => setTimeout(r, 1));
  }
  process.stdout.write(`sent ${sent}\n`);
  socket.close();
}

const [mode, host, port, count, size] = process.argv.slice(2);
if (mode === 'recv' && host !== undefined) {
  receive(host);
} else if (mode === 'send' && host !== undefined) {
  await send(host, Number(port), Number(count), Number(size ?? 64));
} else if (mode !== undefined) {
  process.stderr.write('usage: udp-probe.ts recv <host> | send <host> <port> <count> [size]\n');
  process.exit(2);
}
