import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../../components/process.ts';
import type { StackRecord } from '../../components/stack.ts';
import { ExitCode } from '../../core/errors.ts';
import { stateRoot } from '../../core/paths.ts';
import { parseFlags } from '../args.ts';

const alive = isProcessAlive;

async function waitGone(pids: readonly number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
}

/** Stop stacks started by `edgeproof up` in other processes: ask the owner to stop, then kill leftovers. */
export async function downCommand(argv: readonly string[]): Promise<number> {
  parseFlags('down', argv, {});
  const root = stateRoot();
  const records: { file: string; record: StackRecord }[] = [];
  if (existsSync(root)) {
    for (const entry of readdirSync(root)) {
      const file = join(root, entry, 'stack.json');
      if (!existsSync(file)) continue;
      try {
        records.push({ file, record: JSON.parse(readFileSync(file, 'utf8')) as StackRecord });
      } catch {
        rmSync(file, { force: true });
      }
    }
  }
  if (records.length === 0) {
    process.stdout.write('no running stack found\n');
    return ExitCode.ok;
  }
  for (const { file, record } of records) {
    if (record.ownerPid !== process.pid && alive(record.ownerPid)) {
      process.kill(record.ownerPid, 'SIGTERM');
      await waitGone([record.ownerPid, ...record.pids], 20_000);
    }
    const left = record.pids.filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    await waitGone(left, 5000);
    rmSync(file, { force: true });
    process.stdout.write(`stopped stack in ${record.stateDir}${left.length > 0 ? ` (killed ${left.length} leftover processes)` : ''}\n`);
  }
  return ExitCode.ok;
}
