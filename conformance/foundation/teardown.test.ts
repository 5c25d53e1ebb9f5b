import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isListening } from '../../sim/components/ports.ts';
import { isProcessAlive } from '../../sim/components/process.ts';
import { startStack } from '../../sim/components/stack.ts';
import { eventually } from '../support/wait.ts';

const alive = isProcessAlive;

async function nothingLeft(pids: readonly number[], ports: readonly number[]): Promise<void> {
  await eventually(() => (pids.some(alive) ? undefined : true), { timeoutMs: 15_000, what: `processes ${pids.join(', ')} to be gone` });
  // a SIGKILLed multi-threaded process shows as a zombie a moment before its last thread releases its sockets
  for (const port of ports) {
    await eventually(async () => ((await isListening(port)) ? undefined : true), { timeoutMs: 10_000, what: `port ${port} to be released` });
  }
}

/** Start a bench in a child process, read the pids/ports it reports, then let `finish` end it badly. */
async function benchChild(mode: 'crash' | 'hang'): Promise<{ pids: number[]; ports: number[]; exited: Promise<number | null>; kill: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'conformance/support/stack-child.ts', mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exited.then((code) => reject(new Error(`bench child exited early with ${code}`)));
  });
  const parsed = JSON.parse(line) as { pids: number[]; ports: number[] };
  return { ...parsed, exited, kill: () => child.kill('SIGKILL') };
}

describe('teardown leaves no process and no listening port behind', () => {
  it('after an orderly stop', async () => {
    const stack = await startStack({ backend: { kind: 'local' } });
    const pids = stack.components().flatMap((c) => (c.pid !== undefined ? [c.pid] : []));
    const ports = stack.components().flatMap((c) => Object.values(c.endpoints).map((u) => Number(new URL(u).port)));
    expect(pids.length).toBe(6);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    for (const port of ports) expect(await isListening(port)).toBe(true);
    await stack.stop();
    await nothingLeft(pids, ports);
  });

  it('after the bench process crashes with an uncaught error', async () => {
    const child = await benchChild('crash');
    expect(child.pids.every(alive)).toBe(true);
    expect(await child.exited).not.toBe(0);
    await nothingLeft(child.pids, child.ports);
  });

  it('after the bench process is killed with SIGKILL (no chance to clean up)', async () => {
    const child = await benchChild('hang');
    expect(child.pids.every(alive)).toBe(true);
    child.kill();
    await child.exited;
    await nothingLeft(child.pids, child.ports);
  });
});
