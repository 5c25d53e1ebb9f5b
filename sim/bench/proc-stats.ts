import { readFileSync } from 'node:fs';

/** Resident memory and CPU time of a process, read from /proc (Linux). */
export interface ProcSample {
  readonly rssBytes: number;
  /** User + system CPU seconds consumed so far. */
  readonly cpuSeconds: number;
  readonly at: number;
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux x86_64/arm64

export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state is [0], utime [11], stime [12]
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(rssKb) || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return { rssBytes: rssKb * 1024, cpuSeconds: (utime + stime) / CLOCK_TICKS, at: Date.now() };
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
