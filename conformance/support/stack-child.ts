/**
 * A bench process that starts a stack and then dies badly, for teardown tests: `crash` throws an uncaught
 * error, `hang` waits to be SIGKILLed. It prints the pids it started as one JSON line first.
 */
import { startStack } from '../../sim/components/stack.ts';

const mode = process.argv[2];
const stack = await startStack({ backend: { kind: 'local' } });
const pids = stack.components().flatMap((c) => (c.pid !== undefined ? [c.pid] : []));
const ports = stack.components().flatMap((c) => Object.values(c.endpoints).map((u) => Number(new URL(u).port)));
process.stdout.write(`${JSON.stringify({ pids, ports })}\n`);
if (mode === 'crash') {
  setTimeout(() => {
    throw new Error('deliberate crash of the bench process');
  }, 100);
} else {
  setInterval(() => undefined, 1000);
}
