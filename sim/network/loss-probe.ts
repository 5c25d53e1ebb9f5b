import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EdgeproofError } from '../core/errors.ts';
import { readyLine, type KernelLink } from './kernel-link.ts';

export interface LossMeasurement {
  /** Datagrams sent a → b. */
  readonly sent: number;
  /** Distinct datagrams the receiver in b got. */
  readonly received: number;
  /** (sent − received) / sent. */
  readonly lossShare: number;
  /** What the kernel's loss rule counted over the run. */
  readonly droppedByRule: number;
  readonly passedByRule: number;
  /** Datagrams that passed the rule but never reached the receiver (veth backlog or socket buffer): must be 0
   * for the loss share to be the link's own. */
  readonly lostElsewhere: number;
  readonly duplicates: number;
}

const probeScript = fileURLToPath(new URL('./udp-probe.ts', import.meta.url));

/**
 * Send exactly `count` UDP datagrams from namespace a to a receiver in namespace b and count what arrives.
 * The measurement is count-based: it ends when every packet the kernel let through has been received (or the
 * wait bound passes, which is then reported as packets lost elsewhere), never after a fixed time.
 */
export async function measureUdpLoss(link: KernelLink, count: number, opts: { size?: number; settleTimeoutMs?: number } = {}): Promise<LossMeasurement> {
  const receiver = link.spawnScript('b', probeScript, ['recv', link.addressB]);
  try {
    const port = await readyLine(receiver, 'UDP receiver');
    const stdout = receiver.stdout;
    const stdin = receiver.stdin;
    if (stdout === null || stdin === null) throw new EdgeproofError('E_INTERNAL', 'receiver has no pipes', { where: 'loss-probe' });
    const counts: ((line: string) => void)[] = [];
    createInterface({ input: stdout }).on('line', (line) => {
      if (line.startsWith('count ')) counts.shift()?.(line);
    });
    const ask = (): Promise<{ distinct: number; duplicates: number }> =>
      new Promise((resolve) => {
        counts.push((line) => {
          const [, d, u] = line.split(' ');
          resolve({ distinct: Number(d), duplicates: Number(u) });
        });
        stdin.write('count\n');
      });

    const before = link.counters().aToB;
    const sender = link.spawnScript('a', probeScript, ['send', link.addressB, String(port), String(count), String(opts.size ?? 64)]);
    let senderOut = '';
    let senderErr = '';
    sender.stdout?.on('data', (c: Buffer) => (senderOut += c.toString()));
    sender.stderr?.on('data', (c: Buffer) => (senderErr += c.toString()));
    const exit = await new Promise<number | null>((resolve) => sender.once('exit', (code) => resolve(code)));
    const sentMatch = /sent (\d+)/.exec(senderOut);
    if (exit !== 0 || sentMatch === null) {
      throw new EdgeproofError('E_BACKEND_UNAVAILABLE', `UDP sender failed (exit ${exit ?? 'signal'}): ${senderErr.trim()}`, { where: `kernel link ${link.id}` });
    }
    const sent = Number(sentMatch[1]);

    const deadline = Date.now() + (opts.settleTimeoutMs ?? 10_000);
    for (;;) {
      const got = await ask();
      const after = link.counters().aToB;
      const dropped = after.dropped - before.dropped;
      const passed = after.passed - before.passed;
      const settled = passed + dropped >= sent && got.distinct >= passed;
      if (settled || Date.now() > deadline) {
        return {
          sent,
          received: got.distinct,
          lossShare: (sent - got.distinct) / sent,
          droppedByRule: dropped,
          passedByRule: passed,
          lostElsewhere: Math.max(0, passed - got.distinct),
          duplicates: got.duplicates,
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    receiver.stdin?.end();
    receiver.kill('SIGKILL');
  }
}
