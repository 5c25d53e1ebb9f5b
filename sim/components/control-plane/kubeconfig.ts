import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EdgeproofError } from '../../core/errors.ts';
import type { Progress } from '../../core/progress.ts';
import { KubeClient } from '../../kube/client.ts';
import type { StartedControlPlane } from '../types.ts';

/**
 * An existing cluster named by a kubeconfig. The bench neither starts nor stops it; it only checks that it
 * answers. Its node-lifecycle settings are whatever that cluster runs with.
 */
export async function attachKubeconfigControlPlane(path: string, progress: Progress): Promise<StartedControlPlane> {
  const kubeconfigPath = resolve(path);
  if (!existsSync(kubeconfigPath)) {
    throw new EdgeproofError('E_BAD_KUBECONFIG', 'kubeconfig file not found', {
      where: kubeconfigPath,
      fix: 'pass an existing file: --backend kubeconfig:/path/to/kubeconfig',
    });
  }
  const kube = KubeClient.fromKubeconfig(kubeconfigPath);
  progress.step('kubeconfig', `using the cluster at ${kube.server}`);
  const version = await kube.get('/version').catch((e: unknown) => {
    kube.close();
    throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `the cluster at ${kube.server} does not answer`, {
      where: 'kube-apiserver',
      fix: 'check the kubeconfig and that the cluster is reachable',
      cause: e,
    });
  });
  const gitVersion = typeof version['gitVersion'] === 'string' ? version['gitVersion'] : 'unknown';
  return {
    backend: 'kubeconfig',
    version: gitVersion,
    server: kube.server,
    kubeconfigPath,
    kube,
    components: [],
    component: () => undefined,
    stop: () => {
      kube.close();
      return Promise.resolve();
    },
  };
}
