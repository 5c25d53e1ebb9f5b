import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalControlPlane } from '../../sim/components/control-plane/local.ts';
import { startLocalToxiproxy } from '../../sim/components/toxiproxy.ts';
import { binDir } from '../../sim/components/go-builder.ts';
import { LocalComponent } from '../../sim/components/local-component.ts';
import { versions } from '../../sim/components/versions.ts';
import { ExitCode } from '../../sim/core/errors.ts';
import { silentProgress } from '../../sim/core/progress.ts';
import { rejection } from '../support/rejection.ts';

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a !== null ? a.port : 0 });
    });
  });
}


describe('a component that cannot start gives exit code 3 and one line: component, cause, fix, log', () => {
  let taken: { server: Server; port: number };
  beforeAll(async () => {
    taken = await occupy();
  });
  afterAll(() => {
    taken.server.close();
  });

  it('etcd on a port that is already taken', async () => {
    const err = await rejection(startLocalControlPlane({ stateDir: mkdtempSync(join(tmpdir(), 'edgeproof-bad-')), ports: { etcdClient: taken.port } }, silentProgress));
    expect(err.code).toBe('E_PORT_TAKEN');
    expect(err.exitCode).toBe(ExitCode.environment);
    const line = err.oneLine();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^edgeproof: etcd: port 127\.0\.0\.1:\d+ is already in use — fix: .+ \(log: .+etcd\.log\)/);
  });

  it('toxiproxy on a taken port (it would log the bind error and keep running, so it is checked first)', async () => {
    const err = await rejection(startLocalToxiproxy(mkdtempSync(join(tmpdir(), 'edgeproof-bad-')), silentProgress, taken.port));
    expect(err.code).toBe('E_PORT_TAKEN');
    expect(err.oneLine()).toMatch(/^edgeproof: toxiproxy: port 127\.0\.0\.1:\d+ is already in use — fix: .+ \(log: .+toxiproxy\.log\)/);
  });

  it('a real process that dies at start is reported with the log line that says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-bad-'));
    const etcd = join(binDir('etcd', versions.etcd), 'etcd');
    const err = await rejection(
      LocalComponent.start('etcd', versions.etcd, { command: etcd, args: ['--no-such-flag'], logFile: join(dir, 'etcd.log') }, {}, () => Promise.resolve(false), {
        timeoutMs: 30_000,
        what: 'healthy',
        fix: 'see the etcd log',
      }),
    );
    expect(err.code).toBe('E_COMPONENT_START');
    expect(err.exitCode).toBe(ExitCode.environment);
    const line = err.oneLine();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^edgeproof: etcd: exited before healthy \(code 2, signal none\): .*no-such-flag.* — fix: see the etcd log \(log: .+etcd\.log\) \[E_COMPONENT_START\]$/);
  });

  it('the CLI with an empty component cache and no Go toolchain: exit 3, one line naming the component, the cause, the fix and the log', () => {
    const res = spawnSync(process.execPath, ['bin/edgeproof.mjs', 'up', '--backend', 'local'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent', EDGEPROOF_CACHE: mkdtempSync(join(tmpdir(), 'edgeproof-empty-cache-')) },
      timeout: 60_000,
    });
    expect(res.status).toBe(3);
    const lines = res.stderr.trim().split('\n').filter((l) => l.startsWith('edgeproof:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^edgeproof: etcd: not built yet, and the Go toolchain .* — fix: install Go .* \(log: .+build-etcd-v3\.5\.21\.log\) \[E_TOOL_MISSING\]$/);
  });

  it('a bad flag is bad input (exit 2), not an environment failure', () => {
    const res = spawnSync(process.execPath, ['bin/edgeproof.mjs', 'up', '--backend', 'cloudy'], { encoding: 'utf8', timeout: 30_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/--backend: unknown backend "cloudy" — fix: use one of: auto, local, testcontainers, kubeconfig:/);
  });
});
