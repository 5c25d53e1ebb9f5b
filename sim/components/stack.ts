import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EdgeproofError } from '../core/errors.ts';
import { stateRoot } from '../core/paths.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import { attachKubeconfigControlPlane } from './control-plane/kubeconfig.ts';
import { startLocalControlPlane } from './control-plane/local.ts';
import {
  dockerUnavailableReason,
  startK3sControlPlane,
  startMosquittoContainer,
  startToxiproxyContainer,
} from './control-plane/testcontainers.ts';
import { startCloudCoreOnK3s, startLocalCloudCore, type CloudCoreOptions, type StartedCloudCore } from './cloudcore.ts';
import { startLocalMosquitto, type StartedMqttBroker } from './mosquitto.ts';
import { startLocalToxiproxy, type StartedToxiproxy } from './toxiproxy.ts';
import type { BackendName, ControlPlaneOptions, StartedComponent, StartedControlPlane } from './types.ts';

export type BackendChoice =
  | { readonly kind: 'auto' }
  | { readonly kind: 'local' }
  | { readonly kind: 'testcontainers' }
  | { readonly kind: 'kubeconfig'; readonly path: string };

/** Parses `--backend auto|local|testcontainers|kubeconfig:PATH`. */
export function parseBackend(flag: string): BackendChoice {
  if (flag === 'auto' || flag === 'local' || flag === 'testcontainers') return { kind: flag };
  if (flag.startsWith('kubeconfig:') && flag.length > 'kubeconfig:'.length) return { kind: 'kubeconfig', path: flag.slice('kubeconfig:'.length) };
  throw new EdgeproofError('E_BAD_FLAG', `unknown backend "${flag}"`, {
    where: '--backend',
    fix: 'use one of: auto, local, testcontainers, kubeconfig:/path/to/kubeconfig',
  });
}

export interface StackOptions {
  readonly backend?: BackendChoice;
  /** Directory for this stack's PKI, data and logs; a fresh one under the state root by default. */
  readonly stateDir?: string;
  readonly controlPlane?: ControlPlaneOptions;
  /** The cloud under test on top of the control plane: KubeEdge CloudCore, or none (control plane only). */
  readonly cloud?: 'kubeedge' | 'none';
  readonly cloudcore?: Omit<CloudCoreOptions, 'stateDir'>;
  readonly progress?: Progress;
}

/** Everything real that a run needs: the control plane, Toxiproxy and an MQTT broker. */
export interface StartedStack {
  readonly backend: BackendName;
  readonly stateDir: string;
  readonly controlPlane: StartedControlPlane;
  readonly toxiproxy: StartedToxiproxy;
  readonly mqtt: StartedMqttBroker;
  /** Present when started with cloud 'kubeedge'. */
  readonly cloudcore: StartedCloudCore | undefined;
  components(): readonly StartedComponent[];
  /** Stops everything this stack started (never an external kubeconfig cluster). Idempotent. */
  stop(): Promise<void>;
}

export function newStateDir(label = 'stack'): string {
  const dir = join(stateRoot(), `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function resolveBackend(choice: BackendChoice): Promise<BackendName> {
  switch (choice.kind) {
    case 'auto':
      return (await dockerUnavailableReason()) === undefined ? 'testcontainers' : 'local';
    case 'local':
    case 'testcontainers':
    case 'kubeconfig':
      return choice.kind;
  }
}

export async function startStack(options: StackOptions = {}): Promise<StartedStack> {
  const progress = options.progress ?? silentProgress;
  const choice = options.backend ?? { kind: 'auto' };
  const backend = await resolveBackend(choice);
  // absolute: components get paths in their flags and configs, and some refuse relative ones (CloudCore's
  // kubeconfig) or resolve them against their own working directory
  const stateDir = resolve(options.stateDir ?? newStateDir());
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  progress.step('stack', `backend ${backend}${choice.kind === 'auto' ? ' (auto)' : ''}, state in ${stateDir}`);

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        errors.push(e);
      }
    }
    cleanups.length = 0;
    if (errors.length > 0) throw errors[0];
  };

  try {
    let controlPlane: StartedControlPlane;
    let toxiproxy: StartedToxiproxy;
    let mqtt: StartedMqttBroker;
    switch (backend) {
      case 'local':
        controlPlane = await startLocalControlPlane({ stateDir, ...options.controlPlane }, progress);
        cleanups.push(() => controlPlane.stop());
        toxiproxy = await startLocalToxiproxy(stateDir, progress);
        cleanups.push(() => toxiproxy.stop());
        mqtt = await startLocalMosquitto(stateDir, progress);
        cleanups.push(() => mqtt.stop());
        break;
      case 'testcontainers':
        controlPlane = await startK3sControlPlane(stateDir, options.controlPlane ?? {}, progress);
        cleanups.push(() => controlPlane.stop());
        toxiproxy = await startToxiproxyContainer(progress);
        cleanups.push(() => toxiproxy.stop());
        mqtt = await startMosquittoContainer(progress);
        cleanups.push(() => mqtt.stop());
        break;
      case 'kubeconfig': {
        if (choice.kind !== 'kubeconfig') throw new EdgeproofError('E_INTERNAL', 'kubeconfig backend without a path');
        controlPlane = await attachKubeconfigControlPlane(choice.path, progress);
        cleanups.push(() => controlPlane.stop());
        toxiproxy = await startLocalToxiproxy(stateDir, progress);
        cleanups.push(() => toxiproxy.stop());
        mqtt = await startLocalMosquitto(stateDir, progress);
        cleanups.push(() => mqtt.stop());
        break;
      }
    }
    let cloudcore: StartedCloudCore | undefined;
    if (options.cloud === 'kubeedge') {
      const cloudOptions = { ...options.cloudcore, stateDir: join(stateDir, 'cloud') };
      cloudcore = backend === 'testcontainers'
        ? await startCloudCoreOnK3s(controlPlane, cloudOptions, progress)
        : await startLocalCloudCore(controlPlane, cloudOptions, progress);
      const started = cloudcore;
      cleanups.push(() => started.stop());
    }
    const stack: StartedStack = {
      backend,
      stateDir,
      controlPlane,
      toxiproxy,
      mqtt,
      cloudcore,
      components: () => [...controlPlane.components, ...(cloudcore !== undefined ? [cloudcore] : []), toxiproxy, mqtt],
      stop: async () => {
        await stopAll();
        rmSync(join(stateDir, 'stack.json'), { force: true });
      },
    };
    writeStackRecord(stack);
    return stack;
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
}

/** What `edgeproof down` needs to find a stack started by another process. */
export interface StackRecord {
  readonly ownerPid: number;
  readonly stateDir: string;
  readonly pids: readonly number[];
  readonly kubeconfigPath: string;
}

function writeStackRecord(stack: StartedStack): void {
  const record: StackRecord = {
    ownerPid: process.pid,
    stateDir: stack.stateDir,
    pids: stack.components().flatMap((c) => (c.pid !== undefined ? [c.pid] : [])),
    kubeconfigPath: stack.controlPlane.kubeconfigPath,
  };
  writeFileSync(join(stack.stateDir, 'stack.json'), `${JSON.stringify(record, null, 2)}\n`);
}
