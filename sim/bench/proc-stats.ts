import { readFileSync } from 'node:fs';

/** Resident memory and CPU time of a process, read from /proc (Linux). */
export interface ProcSample {
  readonly rssBytes: number;
  /** User + system CPU seconds consumed so far. */
  readonly cpuSeconds: number;
  readonly at: number;
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux x86_64/arm64

/** Kernel task flags (include/linux/sched.h): the task is exiting; forked and has not exec'd yet. */
const PF_EXITING = 0x4;
const PF_FORKNOEXEC = 0x40;
/** Below this age (seconds since exec/fork) a process is not sampled. */
const MIN_AGE_S = 1;

/**
 * One sample from the text of `/proc/<pid>/status` and `/proc/<pid>/stat`. Undefined for a process that is
 * exiting, a zombie, or forked but not yet exec'd: its address space is being torn down or is not the
 * program's yet (a killed CloudCore read mid-exit showed VmRSS 4 kB), so the reading describes neither the old
 * program nor the new one.
 */
export function parseProcSample(status: string, stat: string, at: number, uptimeSeconds = Infinity): ProcSample | undefined {
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after the command: flags [6], utime [11], stime [12], starttime [19]; a zombie's status has no VmRSS
  const flags = Number(fields[6]);
  if (!Number.isFinite(flags) || (flags & (PF_EXITING | PF_FORKNOEXEC)) !== 0) return undefined;
  // a process younger than MIN_AGE_S is still loading its program (a CloudCore read just after its restart
  // showed VmRSS 12 kB): not yet a figure of the program either
  const startedS = Number(fields[19]) / CLOCK_TICKS;
  if (!Number.isFinite(startedS) || uptimeSeconds - startedS < MIN_AGE_S) return undefined;
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(rssKb) || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { rssBytes: rssKb * 1024, cpuSeconds: (utime + stime) / CLOCK_TICKS, at };
}

/** A sample of a running process; undefined when it is gone or in transition (see parseProcSample). */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return parseProcSample(readFileSync(`/proc/${pid}/status`, 'utf8'), readFileSync(`/proc/${pid}/stat`, 'utf8'), Date.now(), uptime);
  } catch {
    return undefined;
  }
}

/** Average CPU use (in cores) between two samples. */
export function cpuCores(a: ProcSample, b: ProcSample): number {
  const wall = (b.at - a.at) / 1000;
  return wall > 0 ? (b.cpuSeconds - a.cpuSeconds) / wall : 0;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? 0;
}

/** clusterloader2's PerfData shape, so existing perf dashboards can read edgeproof's figures. */
export interface PerfData {
  readonly version: 'v1';
  readonly dataItems: readonly { readonly data: Readonly<Record<string, number>>; readonly unit: string; readonly labels: Readonly<Record<string, string>> }[];
}
