import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeproofError } from '../core/errors.ts';
import type { Progress } from '../core/progress.ts';
import { LocalComponent } from './local-component.ts';
import { freePort, isListening } from './ports.ts';
import type { StartedComponent } from './types.ts';

/** A running MQTT broker (real Mosquitto): the edge's EventBus and the MQTT device simulators meet here. */
export interface StartedMqttBroker extends StartedComponent {
  readonly name: 'mosquitto';
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

export function findMosquitto(): { path: string; version: string } | undefined {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', 'mosquitto']) {
    const res = spawnSync(candidate, ['-h'], { encoding: 'utf8' });
    if (res.error !== undefined) continue;
    const version = /mosquitto version (\S+)/.exec(`${res.stdout}${res.stderr}`)?.[1];
    if (version !== undefined) return { path: candidate, version };
  }
  return undefined;
}

/** Debian's mosquitto package; installed with apt-get when missing and running as root. */
export function obtainMosquitto(progress: Progress): { path: string; version: string } {
  const found = findMosquitto();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new EdgeproofError('E_COMPONENT_MISSING', 'Mosquitto (MQTT broker) is not installed', {
      where: 'mosquitto',
      fix: 'sudo apt-get install -y mosquitto mosquitto-clients (or run `npx edgeproof setup` as root)',
    });
  }
  progress.step('mosquitto', 'installing Debian packages mosquitto, mosquitto-clients');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8', env });
  const install = spawnSync('apt-get', ['install', '-y', '-q', 'mosquitto', 'mosquitto-clients'], { encoding: 'utf8', env });
  const after = findMosquitto();
  if (after === undefined) {
    throw new EdgeproofError('E_COMPONENT_MISSING', `apt-get could not install mosquitto: ${(install.stderr || update.stderr || '').trim().split('\n').pop() ?? ''}`, {
      where: 'mosquitto',
      fix: 'apt-get update && apt-get install -y mosquitto mosquitto-clients',
    });
  }
  return after;
}

export async function startLocalMosquitto(stateDir: string, progress: Progress, port?: number): Promise<StartedMqttBroker> {
  const { path, version } = obtainMosquitto(progress);
  const p = port ?? (await freePort());
  const dir = join(stateDir, 'mosquitto');
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'mosquitto.conf');
  // loopback only, no persistence: each run starts from an empty broker
  // `user root` keeps it from dropping privileges when started as root: a credential change clears the
  // parent-death signal, and a broker orphaned by a killed bench would then live on.
  const user = process.getuid?.() === 0 ? ['user root'] : [];
  writeFileSync(conf, [...user, `listener ${p} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_keepalive 3600', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', ''].join('\n'));
  progress.step('mosquitto', `starting on mqtt://127.0.0.1:${p}`);
  const component = await LocalComponent.start(
    'mosquitto',
    version,
    { command: path, args: ['-c', conf], logFile: join(stateDir, 'logs', 'mosquitto.log') },
    { mqtt: `mqtt://127.0.0.1:${p}` },
    () => isListening(p),
    { timeoutMs: 15_000, what: 'accepting connections', fix: `see the mosquitto log; is port ${p} taken?` },
    [p],
  );
  return Object.assign(component, { name: 'mosquitto' as const, url: `mqtt://127.0.0.1:${p}`, host: '127.0.0.1', port: p });
}
