import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { EdgeproofError, messageOf } from '../core/errors.ts';

export interface ProcessSpec {
  /** Component name used in every message about this process. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A real OS process the bench started. Its output goes to its own log file, which every error about it names.
 * Children are started under `setpriv --pdeathsig KILL` when available, so even a bench killed with SIGKILL
 * leaves no orphaned etcd or apiserver behind; `stop()` is the orderly path (SIGTERM, then SIGKILL).
 */
export class RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ProcessExit>;
  private exitInfo: ProcessExit | undefined;
  private readonly child: ChildProcess;

  constructor(name: string, child: ChildProcess, logFile: string) {
    if (child.pid === undefined) throw new Error(`${name}: spawn returned no pid`);
    this.name = name;
    this.pid = child.pid;
    this.child = child;
    this.logFile = logFile;
    this.exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    live.add(this);
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.alive) this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Hard kill, for fault injection ("CloudCore crashes"). */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The last lines of the log, for error messages. */
  logTail(lines = 5): string {
    return tailOfFile(this.logFile, lines);
  }
}

const live = new Set<RunningProcess>();

/** Last-resort cleanup: whatever is still running when the bench exits is killed. */
process.once('exit', () => {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Whether a pid is a running process. A zombie (exited, not yet reaped) counts as gone: in containers whose
 * PID 1 does not reap orphans, killed children linger as zombies forever and `kill(pid, 0)` still succeeds.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

export function liveProcesses(): readonly RunningProcess[] {
  return [...live];
}

let pdeathsigSupport: boolean | undefined;
function hasPdeathsig(): boolean {
  if (pdeathsigSupport === undefined) {
    const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' });
    pdeathsigSupport = probe.status === 0;
  }
  return pdeathsigSupport;
}

export function startProcess(spec: ProcessSpec): RunningProcess {
  if (!existsSync(spec.command) && spec.command.includes('/')) {
    throw new EdgeproofError('E_COMPONENT_MISSING', `binary not found at ${spec.command}`, {
      where: spec.name,
      fix: 'run `npx edgeproof setup` to build or install it',
    });
  }
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  const [command, args] = hasPdeathsig()
    ? ['setpriv', ['--pdeathsig', 'KILL', '--', spec.command, ...spec.args]]
    : [spec.command, [...spec.args]];
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
      cwd: spec.cwd,
    });
  } catch (e) {
    closeSync(fd);
    throw new EdgeproofError('E_COMPONENT_START', `could not spawn ${spec.command}: ${messageOf(e)}`, {
      where: spec.name,
      logFile: spec.logFile,
      fix: 'check that the binary exists and is executable (`npx edgeproof doctor`)',
    });
  }
  closeSync(fd);
  if (child.pid === undefined) {
    throw new EdgeproofError('E_COMPONENT_START', `could not spawn ${spec.command}`, {
      where: spec.name,
      logFile: spec.logFile,
      fix: 'check that the binary exists and is executable (`npx edgeproof doctor`)',
    });
  }
  return new RunningProcess(spec.name, child, spec.logFile);
}

export function tailOfFile(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  readonly what: string;
  readonly fix: string;
}

/**
 * Poll `check` until it returns true. Fails fast (instead of timing out) if the process dies meanwhile —
 * a port clash or a bad flag shows up in seconds, with the log's last lines in the message.
 */
export async function waitUntilReady(proc: RunningProcess, check: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 250;
  for (;;) {
    if (!proc.alive) {
      const exit = proc.exit;
      throw new EdgeproofError(
        'E_COMPONENT_START',
        `exited before ${opts.what} (code ${exit?.code ?? 'none'}, signal ${exit?.signal ?? 'none'}): ${lastMeaningfulLine(proc.logTail(200))}`,
        { where: proc.name, fix: opts.fix, logFile: proc.logFile },
      );
    }
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline) {
      throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `not ${opts.what} after ${Math.round(opts.timeoutMs / 1000)} s`, {
        where: proc.name,
        fix: opts.fix,
        logFile: proc.logFile,
      });
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** The line of a log tail that most likely says why a process died (errors beat the last line). */
export function lastMeaningfulLine(tail: string): string {
  const lines = tail.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const important = [...lines].reverse().find((l) => /error|fatal|fail|bind|address already in use|panic|not defined|unknown flag|invalid/i.test(l));
  const chosen = important ?? lines[lines.length - 1] ?? '(empty log)';
  return chosen.length > 300 ? `${chosen.slice(0, 300)}…` : chosen;
}
