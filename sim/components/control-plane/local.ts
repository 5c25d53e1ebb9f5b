import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeproofError } from '../../core/errors.ts';
import type { Progress } from '../../core/progress.ts';
import { KubeClient } from '../../kube/client.ts';
import { goBuild } from '../go-builder.ts';
import { httpOk } from '../health.ts';
import { LocalComponent } from '../local-component.ts';
import { createControlPlanePki, writeKubeconfig, type ControlPlanePki } from '../pki.ts';
import { freePort } from '../ports.ts';
import { etcdRecipe, kubernetesRecipe } from '../recipes.ts';
import type { ControlPlaneOptions, StartedComponent, StartedControlPlane } from '../types.ts';
import { versions } from '../versions.ts';

export interface LocalControlPlaneConfig extends ControlPlaneOptions {
  /** Directory for PKI, etcd data and logs of this run. */
  readonly stateDir: string;
  /** Fixed ports (tests use these to provoke clashes); free ports are chosen otherwise. */
  readonly ports?: { readonly etcdClient?: number; readonly etcdPeer?: number; readonly apiserver?: number };
}

/** Build (or find in the cache) the control plane binaries. */
export async function obtainLocalControlPlane(progress: Progress): Promise<{ etcd: string; apiserver: string; controllerManager: string; scheduler: string }> {
  const etcd = await goBuild(etcdRecipe, progress);
  const kube = await goBuild(kubernetesRecipe, progress);
  const need = (paths: Readonly<Record<string, string>>, name: string): string => {
    const p = paths[name];
    if (p === undefined) throw new EdgeproofError('E_INTERNAL', `recipe produced no ${name}`);
    return p;
  };
  return {
    etcd: need(etcd.paths, 'etcd'),
    apiserver: need(kube.paths, 'kube-apiserver'),
    controllerManager: need(kube.paths, 'kube-controller-manager'),
    scheduler: need(kube.paths, 'kube-scheduler'),
  };
}

/**
 * The real Kubernetes control plane as local processes: etcd, kube-apiserver, kube-controller-manager
 * (whose node-lifecycle controller marks silent nodes NotReady and taints them — part of what is tested) and
 * kube-scheduler, all on 127.0.0.1 with a fresh PKI.
 */
export async function startLocalControlPlane(config: LocalControlPlaneConfig, progress: Progress): Promise<StartedControlPlane> {
  const bins = await obtainLocalControlPlane(progress);
  const dir = config.stateDir;
  mkdirSync(dir, { recursive: true });
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const started: LocalComponent[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of [...started].reverse()) await c.stop();
  };

  try {
    progress.step('control-plane', `generating PKI in ${join(dir, 'pki')}`);
    const pki = createControlPlanePki(join(dir, 'pki'));

    const etcdPort = config.ports?.etcdClient ?? (await freePort());
    const etcdPeer = config.ports?.etcdPeer ?? (await freePort());
    const etcdLog = join(logs, 'etcd.log');
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    progress.step('etcd', `starting on ${etcdUrl}`);
    started.push(
      await LocalComponent.start(
        'etcd',
        versions.etcd,
        {
          command: bins.etcd,
          args: [
            '--name=edgeproof',
            `--data-dir=${join(dir, 'etcd-data')}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
            `--initial-cluster=edgeproof=http://127.0.0.1:${etcdPeer}`,
            '--listen-metrics-urls=',
            '--quota-backend-bytes=8589934592',
            '--log-level=warn',
          ],
          logFile: etcdLog,
        },
        { client: etcdUrl },
        () => httpOk(`${etcdUrl}/health`, { bodyMatches: /"health":"true"/ }),
        { timeoutMs: 30_000, what: 'healthy', fix: 'see the etcd log; a stale data dir or a taken port are the usual causes' },
        [etcdPort, etcdPeer],
      ),
    );

    const apiPort = config.ports?.apiserver ?? (await freePort());
    const apiLog = join(logs, 'kube-apiserver.log');
    const server = `https://127.0.0.1:${apiPort}`;
    const tls = clientTls(pki);
    progress.step('kube-apiserver', `starting on ${server}`);
    started.push(
      await LocalComponent.start(
        'kube-apiserver',
        versions.kubernetes,
        {
          command: bins.apiserver,
          args: [
            `--etcd-servers=${etcdUrl}`,
            '--bind-address=127.0.0.1',
            '--advertise-address=127.0.0.1',
            `--secure-port=${apiPort}`,
            `--tls-cert-file=${pki.apiserverCert}`,
            `--tls-private-key-file=${pki.apiserverKey}`,
            `--client-ca-file=${pki.caCert}`,
            '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
            `--service-account-key-file=${pki.serviceAccountPub}`,
            `--service-account-signing-key-file=${pki.serviceAccountKey}`,
            '--service-cluster-ip-range=10.96.0.0/16',
            '--authorization-mode=Node,RBAC',
            '--allow-privileged=true',
            '--endpoint-reconciler-type=none',
            '--profiling=false',
            // a fleet of thousands of nodes patches status constantly; the defaults (400/200) throttle the bench
            '--max-requests-inflight=2000',
            '--max-mutating-requests-inflight=1000',
            `--default-not-ready-toleration-seconds=${config.defaultNotReadyTolerationSeconds ?? 300}`,
            `--default-unreachable-toleration-seconds=${config.defaultUnreachableTolerationSeconds ?? 300}`,
            '--v=1',
          ],
          logFile: apiLog,
        },
        { api: server },
        () => httpOk(`${server}/readyz`, { tls, bodyMatches: /^ok/ }),
        { timeoutMs: 90_000, what: 'ready (/readyz)', fix: 'see the kube-apiserver log; check that etcd is healthy' },
        [apiPort],
      ),
    );

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeKubeconfig(kubeconfigPath, server, pki);
    const kube = KubeClient.fromKubeconfig(kubeconfigPath);

    const cmPort = await freePort();
    const grace = config.nodeMonitorGracePeriodSeconds ?? 40;
    const period = config.nodeMonitorPeriodSeconds ?? 5;
    progress.step('kube-controller-manager', `starting (node-monitor-grace-period ${grace}s)`);
    started.push(
      await LocalComponent.start(
        'kube-controller-manager',
        versions.kubernetes,
        {
          command: bins.controllerManager,
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            '--leader-elect=false',
            '--bind-address=127.0.0.1',
            `--secure-port=${cmPort}`,
            `--service-account-private-key-file=${pki.serviceAccountKey}`,
            `--root-ca-file=${pki.caCert}`,
            `--cluster-signing-cert-file=${pki.caCert}`,
            `--cluster-signing-key-file=${pki.caKey}`,
            '--use-service-account-credentials=false',
            `--node-monitor-grace-period=${grace}s`,
            `--node-monitor-period=${period}s`,
            '--kube-api-qps=200',
            '--kube-api-burst=400',
            '--profiling=false',
            '--v=2',
          ],
          logFile: join(logs, 'kube-controller-manager.log'),
        },
        { healthz: `https://127.0.0.1:${cmPort}/healthz` },
        () => httpOk(`https://127.0.0.1:${cmPort}/healthz`, { tls: { rejectUnauthorized: false }, bodyMatches: /^ok/ }),
        { timeoutMs: 60_000, what: 'healthy', fix: 'see the kube-controller-manager log' },
      ),
    );

    const schedPort = await freePort();
    progress.step('kube-scheduler', 'starting');
    started.push(
      await LocalComponent.start(
        'kube-scheduler',
        versions.kubernetes,
        {
          command: bins.scheduler,
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            '--leader-elect=false',
            '--bind-address=127.0.0.1',
            `--secure-port=${schedPort}`,
            '--kube-api-qps=200',
            '--kube-api-burst=400',
            '--profiling=false',
          ],
          logFile: join(logs, 'kube-scheduler.log'),
        },
        { healthz: `https://127.0.0.1:${schedPort}/healthz` },
        () => httpOk(`https://127.0.0.1:${schedPort}/healthz`, { tls: { rejectUnauthorized: false }, bodyMatches: /^ok/ }),
        { timeoutMs: 60_000, what: 'healthy', fix: 'see the kube-scheduler log' },
      ),
    );

    // Pods cannot be created until the service-account controller has made `default` in `default`.
    await waitFor(async () => (await kube.find('/api/v1/namespaces/default/serviceaccounts/default')) !== undefined, 60_000, 'the default service account', started[2]);
    progress.step('control-plane', `ready: ${server} (kubeconfig ${kubeconfigPath})`);

    let stopped = false;
    return {
      backend: 'local',
      version: versions.kubernetes,
      server,
      kubeconfigPath,
      kube,
      components: started,
      component: (name) => started.find((c) => c.name === name),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        kube.close();
        await stopAll();
        rmSync(join(dir, 'etcd-data'), { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

function clientTls(pki: ControlPlanePki): { ca: Buffer; cert: Buffer; key: Buffer } {
  return { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, blame: StartedComponent | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `${what} did not appear within ${timeoutMs / 1000} s`, {
    where: blame?.name ?? 'control-plane',
    ...(blame !== undefined ? { logFile: blame.logFile } : {}),
    fix: 'see the log; the controller-manager may be failing to reach the apiserver',
  });
}
