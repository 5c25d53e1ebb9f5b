import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { Progress } from '../core/progress.ts';
import { goBuild } from './go-builder.ts';
import { httpOk } from './health.ts';
import { LocalComponent } from './local-component.ts';
import { freePort } from './ports.ts';
import { toxiproxyRecipe } from './recipes.ts';
import type { StartedComponent } from './types.ts';
import { versions } from './versions.ts';

/** A running Toxiproxy server: every simulated edge link is a proxy on it. */
export interface StartedToxiproxy extends StartedComponent {
  readonly name: 'toxiproxy';
  readonly apiUrl: string;
  /** Host on which proxies listen (loopback locally, the container host under testcontainers). */
  readonly listenHost: string;
  readonly client: Toxiproxy;
}

export async function obtainToxiproxy(progress: Progress): Promise<string> {
  const built = await goBuild(toxiproxyRecipe, progress);
  const p = built.paths['toxiproxy-server'];
  if (p === undefined) throw new Error('toxiproxy recipe produced no binary');
  return p;
}

export function toxiproxyBinaryVersion(binary: string): string | undefined {
  const res = spawnSync(binary, ['-version'], { encoding: 'utf8' });
  const out = `${res.stdout}${res.stderr}`;
  return /(\d+\.\d+\.\d+)/.exec(out)?.[1];
}

export async function startLocalToxiproxy(stateDir: string, progress: Progress, port?: number): Promise<StartedToxiproxy> {
  const binary = await obtainToxiproxy(progress);
  const apiPort = port ?? (await freePort());
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  progress.step('toxiproxy', `starting on ${apiUrl}`);
  const component = await LocalComponent.start(
    'toxiproxy',
    versions.toxiproxy,
    {
      command: binary,
      args: ['-host', '127.0.0.1', '-port', String(apiPort)],
      // its default level traces every link operation: gigabytes at fleet scale
      env: { LOG_LEVEL: 'warn' },
      logFile: join(stateDir, 'logs', 'toxiproxy.log'),
    },
    { api: apiUrl },
    () => httpOk(`${apiUrl}/version`),
    { timeoutMs: 20_000, what: 'answering on /version', fix: `see the toxiproxy log; is port ${apiPort} taken?` },
    [apiPort],
  );
  return Object.assign(component, { name: 'toxiproxy' as const, apiUrl, listenHost: '127.0.0.1', client: new Toxiproxy(apiUrl) });
}
