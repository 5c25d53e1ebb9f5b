import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalControlPlane } from '../../sim/components/control-plane/local.ts';
import { dockerUnavailableReason } from '../../sim/components/control-plane/testcontainers.ts';
import { resolveBackend, startStack } from '../../sim/components/stack.ts';
import { EdgeproofError, ExitCode } from '../../sim/core/errors.ts';
import { silentProgress } from '../../sim/core/progress.ts';

const noDocker = await dockerUnavailableReason();
const skipNote = noDocker === undefined ? '' : ` — SKIPPED here: no Docker engine answers (${noDocker.split('\n')[0] ?? ''})`;
if (noDocker !== undefined) {
  console.warn(`[edgeproof] testcontainers backend tests skipped: no Docker engine answers (${noDocker.split('\n')[0] ?? ''})`);
}

describe('backend selection', () => {
  it('auto picks testcontainers exactly when a Docker engine answers, local otherwise', async () => {
    expect(await resolveBackend({ kind: 'auto' })).toBe(noDocker === undefined ? 'testcontainers' : 'local');
  });

  it.skipIf(noDocker === undefined)('asking for testcontainers without Docker is an environment error (exit 3) that says what to do', async () => {
    const err = await startStack({ backend: { kind: 'testcontainers' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EdgeproofError);
    const e = err as EdgeproofError;
    expect(e.exitCode).toBe(ExitCode.environment);
    expect(e.oneLine()).toMatch(/^edgeproof: testcontainers: no Docker engine answers: .* — fix: start Docker .*or use --backend local/);
  });
});

describe(`testcontainers backend (k3s, Toxiproxy, Mosquitto containers)${skipNote}`, () => {
  it.skipIf(noDocker !== undefined)('starts k3s, Toxiproxy and Mosquitto, and the API lists namespaces', async () => {
    const stack = await startStack({ backend: { kind: 'testcontainers' }, progress: silentProgress });
    try {
      const ns = await stack.controlPlane.kube.list('/api/v1/namespaces');
      expect(ns.items.map((n) => n.metadata?.name)).toContain('kube-system');
      expect(await stack.toxiproxy.client.getVersion()).toMatch(/2\.12/);
    } finally {
      await stack.stop();
    }
  }, 600_000);
});

describe('kubeconfig backend (an existing cluster)', () => {
  it('uses the cluster a kubeconfig names, starts only Toxiproxy and Mosquitto, and leaves the cluster running on stop', async () => {
    const cluster = await startLocalControlPlane({ stateDir: mkdtempSync(join(tmpdir(), 'edgeproof-existing-')) }, silentProgress);
    try {
      const stack = await startStack({ backend: { kind: 'kubeconfig', path: cluster.kubeconfigPath } });
      expect(stack.backend).toBe('kubeconfig');
      expect(stack.controlPlane.server).toBe(cluster.server);
      const ns = await stack.controlPlane.kube.list('/api/v1/namespaces');
      expect(ns.items.map((n) => n.metadata?.name)).toContain('default');
      expect(stack.components().map((c) => c.name).sort()).toEqual(['mosquitto', 'toxiproxy']);
      await stack.stop();
      // the external cluster was not ours to stop
      const still = await cluster.kube.get('/version');
      expect(still['gitVersion']).toBe('v1.32.9');
    } finally {
      await cluster.stop();
    }
  });

  it('a kubeconfig that does not exist is bad input (exit 2) naming the file', async () => {
    const err = await startStack({ backend: { kind: 'kubeconfig', path: '/nonexistent/kubeconfig' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EdgeproofError);
    expect((err as EdgeproofError).exitCode).toBe(ExitCode.badInput);
    expect((err as EdgeproofError).oneLine()).toContain('/nonexistent/kubeconfig');
  });
});
