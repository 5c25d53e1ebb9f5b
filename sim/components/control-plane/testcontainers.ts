import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { K3sContainer } from '@testcontainers/k3s';
import { Toxiproxy } from 'toxiproxy-node-client';
import { EdgeproofError, messageOf } from '../../core/errors.ts';
import type { Progress } from '../../core/progress.ts';
import { KubeClient } from '../../kube/client.ts';
import type { StartedMqttBroker } from '../mosquitto.ts';
import type { StartedToxiproxy } from '../toxiproxy.ts';
import type { ControlPlaneOptions, StartedComponent, StartedControlPlane } from '../types.ts';
import { versions } from '../versions.ts';

/**
 * The testcontainers backend: k3s, Toxiproxy and Mosquitto as containers, for machines where a Docker engine
 * answers (a user's laptop, most CI). Same interfaces as the local backend; the rest of the code never asks.
 */

/** Why Docker cannot be used here, or undefined when it answers. Probed once per process. */
let dockerProbe: Promise<string | undefined> | undefined;
export function dockerUnavailableReason(): Promise<string | undefined> {
  dockerProbe ??= getContainerRuntimeClient().then(
    () => undefined,
    (e: unknown) => messageOf(e),
  );
  return dockerProbe;
}

export async function requireDocker(): Promise<void> {
  const reason = await dockerUnavailableReason();
  if (reason !== undefined) {
    throw new EdgeproofError('E_BACKEND_UNAVAILABLE', `no Docker engine answers: ${reason}`, {
      where: 'testcontainers',
      fix: 'start Docker (or set DOCKER_HOST), or use --backend local',
    });
  }
}

function containerComponent(name: StartedComponent['name'], version: string, container: StartedTestContainer, endpoints: Record<string, string>): StartedComponent {
  let stopped = false;
  return {
    name,
    version,
    endpoints,
    logFile: `docker logs ${container.getId()}`,
    pid: undefined,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
  };
}

export async function startK3sControlPlane(stateDir: string, options: ControlPlaneOptions, progress: Progress): Promise<StartedControlPlane> {
  await requireDocker();
  progress.step('k3s', `starting ${versions.k3sImage}`);
  const grace = options.nodeMonitorGracePeriodSeconds ?? 40;
  const container = await new K3sContainer(versions.k3sImage)
    .withCommand([
      'server',
      '--disable=traefik',
      `--kube-controller-manager-arg=node-monitor-grace-period=${grace}s`,
      `--kube-controller-manager-arg=node-monitor-period=${options.nodeMonitorPeriodSeconds ?? 5}s`,
      `--kube-apiserver-arg=default-unreachable-toleration-seconds=${options.defaultUnreachableTolerationSeconds ?? 300}`,
      `--kube-apiserver-arg=default-not-ready-toleration-seconds=${options.defaultNotReadyTolerationSeconds ?? 300}`,
    ])
    .start();
  mkdirSync(stateDir, { recursive: true });
  const kubeconfigPath = join(stateDir, 'k3s.kubeconfig');
  writeFileSync(kubeconfigPath, container.getKubeConfig(), { mode: 0o600 });
  const kube = KubeClient.fromKubeconfig(kubeconfigPath);
  const component = containerComponent('k3s', versions.k3sImage, container, { api: kube.server });
  return {
    backend: 'testcontainers',
    version: versions.k3sImage,
    server: kube.server,
    kubeconfigPath,
    kube,
    components: [component],
    component: (name) => (name === 'k3s' ? component : undefined),
    stop: async () => {
      kube.close();
      await component.stop();
    },
  };
}

/** Toxiproxy in a container. Proxies must listen on ports the container exposes, so a fixed range is mapped. */
export const containerProxyPorts: readonly number[] = Array.from({ length: 32 }, (_, i) => 8666 + i);

export async function startToxiproxyContainer(progress: Progress): Promise<StartedToxiproxy> {
  await requireDocker();
  progress.step('toxiproxy', `starting ${versions.toxiproxyImage}`);
  const container = await new GenericContainer(versions.toxiproxyImage)
    .withExposedPorts(8474, ...containerProxyPorts)
    .withWaitStrategy(Wait.forHttp('/version', 8474))
    .start();
  const apiUrl = `http://${container.getHost()}:${container.getMappedPort(8474)}`;
  const component = containerComponent('toxiproxy', versions.toxiproxy, container, { api: apiUrl });
  return { ...component, name: 'toxiproxy', apiUrl, listenHost: container.getHost(), client: new Toxiproxy(apiUrl) };
}

export async function startMosquittoContainer(progress: Progress): Promise<StartedMqttBroker> {
  await requireDocker();
  progress.step('mosquitto', `starting ${versions.mosquittoImage}`);
  const container = await new GenericContainer(versions.mosquittoImage)
    .withCopyContentToContainer([{ content: 'listener 1883 0.0.0.0\nallow_anonymous true\n', target: '/mosquitto/config/mosquitto.conf' }])
    .withExposedPorts(1883)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(1883);
  const component = containerComponent('mosquitto', versions.mosquittoImage, container, { mqtt: `mqtt://${host}:${port}` });
  return { ...component, name: 'mosquitto', url: `mqtt://${host}:${port}`, host, port };
}
