import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProcSample, sampleProcess } from './proc-stats.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Starts `bash -c script` and resolves with the first line it prints (a pid). */
async function pidFrom(script: string): Promise<number> {
  const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  const line = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return Number(line);
}

const stateOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
};

describe('sampleProcess', () => {
  it('reads a running process: resident memory and CPU time', async () => {
    // a test worker can be younger than the minimum age sampled
    if (process.uptime() < 1.2) await new Promise((r) => setTimeout(r, (1.2 - process.uptime()) * 1000));
    const s = sampleProcess(process.pid);
    expect(s?.rssBytes).toBeGreaterThan(2 ** 20);
    expect(s?.cpuSeconds).toBeGreaterThan(0);
  });

  it('gives nothing for a zombie (its memory is gone, the pid still answers)', async () => {
    // `sleep 0` exits; its parent became `sleep 30` by exec and never reaps it
    const pid = await pidFrom('sleep 0 & echo $!; exec sleep 30');
    for (let i = 0; i < 50 && stateOf(pid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stateOf(pid)).toBe('Z');
    expect(sampleProcess(pid)).toBeUndefined();
  });

  it('gives nothing for a process forked but not exec\'d (not the program yet)', async () => {
    // a subshell is a fork of bash that never execs: PF_FORKNOEXEC stays set
    const pid = await pidFrom('( sleep 30; true ) & echo $!; wait');
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/VmRSS:\s+\d+/);
    expect(sampleProcess(pid)).toBeUndefined();
  });

  it('gives nothing for a process that is exiting (PF_EXITING), and reads the same line without the flag', () => {
    const status = 'Name:\tcloudcore\nVmRSS:\t       4 kB\n';
    const stat = (flags: number): string => `4242 (cloud core) S 1 4242 4242 0 -1 ${flags} 0 0 0 0 150 50 0 0 20 0 12 0 100 0 1`;
    expect(parseProcSample(status, stat(0x400004), 7)).toBeUndefined();
    expect(parseProcSample(status, stat(0x400000), 7)).toEqual({ rssBytes: 4096, cpuSeconds: 2, at: 7 });
  });

  it('gives nothing for a process younger than a second (still loading its program), then reads it', () => {
    const status = 'Name:\tcloudcore\nVmRSS:\t      12 kB\n';
    // starttime 100 ticks = 1.00 s after boot
    const stat = '4242 (cloudcore) S 1 4242 4242 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 12 0 100 0 1';
    expect(parseProcSample(status, stat, 7, 1.5)).toBeUndefined();
    expect(parseProcSample(status, stat, 7, 2.0)).toEqual({ rssBytes: 12_288, cpuSeconds: 0, at: 7 });
  });
});
