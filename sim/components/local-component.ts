import { EdgeproofError } from '../core/errors.ts';
import { isListening } from './ports.ts';
import { startProcess, waitUntilReady, type ProcessSpec, type RunningProcess, type WaitOptions } from './process.ts';
import type { ComponentName, StartedComponent } from './types.ts';

/**
 * A component running as a local process. It can be killed and started again with the same flags and data
 * (fault injection: "kill etcd", "restart CloudCore"), which is why it keeps its spec and readiness check.
 */
export class LocalComponent implements StartedComponent {
  readonly name: ComponentName;
  readonly version: string;
  readonly endpoints: Readonly<Record<string, string>>;
  private proc: RunningProcess;

  private constructor(
    name: ComponentName,
    version: string,
    endpoints: Readonly<Record<string, string>>,
    proc: RunningProcess,
    private readonly spec: ProcessSpec,
    private readonly ready: () => Promise<boolean>,
    private readonly wait: WaitOptions,
  ) {
    this.name = name;
    this.version = version;
    this.endpoints = endpoints;
    this.proc = proc;
  }

  static async start(
    name: ComponentName,
    version: string,
    spec: Omit<ProcessSpec, 'name'>,
    endpoints: Readonly<Record<string, string>>,
    ready: () => Promise<boolean>,
    wait: WaitOptions,
    /** Ports it will listen on: checked before spawning, because some servers (Toxiproxy) log a failed
     * bind and keep running instead of exiting, and a health check would then talk to the squatter. */
    ports: readonly number[] = [],
  ): Promise<LocalComponent> {
    for (const port of ports) {
      if (await isListening(port)) {
        throw new EdgeproofError('E_PORT_TAKEN', `port 127.0.0.1:${port} is already in use`, {
          where: name,
          logFile: spec.logFile,
          fix: `stop whatever listens on ${port} (\`ss -ltnp | grep :${port}\`, or \`npx edgeproof down\`) or let edgeproof pick a free port`,
        });
      }
    }
    const full: ProcessSpec = { ...spec, name };
    const proc = startProcess(full);
    const component = new LocalComponent(name, version, endpoints, proc, full, ready, wait);
    try {
      await waitUntilReady(proc, ready, wait);
    } catch (e) {
      await proc.stop(1000);
      throw e;
    }
    return component;
  }

  get logFile(): string {
    return this.proc.logFile;
  }

  get pid(): number | undefined {
    return this.proc.alive ? this.proc.pid : undefined;
  }

  get alive(): boolean {
    return this.proc.alive;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.proc.kill();
  }

  /** Start again with the same flags and data directory, and wait until ready. */
  async restart(): Promise<void> {
    await this.proc.stop();
    this.proc = startProcess(this.spec);
    await waitUntilReady(this.proc, this.ready, this.wait);
  }
}
