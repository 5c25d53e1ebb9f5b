import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EdgeproofError } from '../core/errors.ts';
import type { GoBuildRecipe } from './go-builder.ts';
import { kubernetesStagingModules, versions } from './versions.ts';

/** How each Go component is built from the Go module proxy. Versions come from versions.ts only. */

const k8sMinor = versions.kubernetes.split('.')[1] ?? '';

export const kubernetesRecipe: GoBuildRecipe = {
  component: 'kubernetes',
  version: versions.kubernetes,
  goMod: [
    'module edgeproof.local/build/kubernetes',
    '',
    'go 1.23',
    '',
    `require k8s.io/kubernetes ${versions.kubernetes}`,
    '',
    // k8s.io/kubernetes points its staging modules at ./staging in its own go.mod; a module zip has no such
    // directory, so the wrapper points them at the published staging modules of the same release.
    'replace (',
    ...kubernetesStagingModules.map((m) => `\tk8s.io/${m} => k8s.io/${m} ${versions.kubernetesStaging}`),
    ')',
    '',
  ].join('\n'),
  binaries: [
    { importPath: 'k8s.io/kubernetes/cmd/kube-apiserver', name: 'kube-apiserver' },
    { importPath: 'k8s.io/kubernetes/cmd/kube-controller-manager', name: 'kube-controller-manager' },
    { importPath: 'k8s.io/kubernetes/cmd/kube-scheduler', name: 'kube-scheduler' },
  ],
  ldflags: [
    '-s -w',
    `-X k8s.io/component-base/version.gitVersion=${versions.kubernetes}`,
    '-X k8s.io/component-base/version.gitMajor=1',
    `-X k8s.io/component-base/version.gitMinor=${k8sMinor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
    `-X k8s.io/client-go/pkg/version.gitVersion=${versions.kubernetes}`,
  ].join(' '),
};

export const etcdRecipe: GoBuildRecipe = {
  component: 'etcd',
  version: versions.etcd,
  // etcd's server module replaces its sibling modules with ../ paths; as a dependency those replaces are
  // ignored and the published siblings of the same release are used, which is what we want.
  goMod: ['module edgeproof.local/build/etcd', '', 'go 1.23', '', `require go.etcd.io/etcd/server/v3 ${versions.etcd}`, ''].join('\n'),
  binaries: [{ importPath: 'go.etcd.io/etcd/server/v3', name: 'etcd' }],
  ldflags: '-s -w',
};

export const toxiproxyRecipe: GoBuildRecipe = {
  component: 'toxiproxy',
  version: versions.toxiproxy,
  goMod: [
    'module edgeproof.local/build/toxiproxy',
    '',
    'go 1.23',
    '',
    `require github.com/Shopify/toxiproxy/v2 v${versions.toxiproxy}`,
    '',
  ].join('\n'),
  binaries: [{ importPath: 'github.com/Shopify/toxiproxy/v2/cmd/server', name: 'toxiproxy-server' }],
  ldflags: `-s -w -X github.com/Shopify/toxiproxy/v2.Version=${versions.toxiproxy}`,
};

/**
 * CloudCore: a wrapper that requires github.com/kubeedge/kubeedge and repeats every replace directive of
 * KubeEdge's own go.mod (read from the module proxy at build time, never copied into this repo), except that
 * its local ./staging paths for kubeedge/api and kubeedge/beehive become the published modules.
 */
export const cloudcoreRecipe: GoBuildRecipe = {
  component: 'cloudcore',
  version: versions.kubeedge,
  goMod: () => Promise.resolve(cloudcoreWrapperGoMod()),
  binaries: [{ importPath: 'github.com/kubeedge/kubeedge/cloud/cmd/cloudcore', name: 'cloudcore' }],
  ldflags: [
    '-s -w',
    `-X github.com/kubeedge/kubeedge/pkg/version.gitVersion=${versions.kubeedge}`,
    '-X github.com/kubeedge/kubeedge/pkg/version.gitMajor=1',
    `-X github.com/kubeedge/kubeedge/pkg/version.gitMinor=${versions.kubeedge.split('.')[1] ?? ''}`,
    '-X github.com/kubeedge/kubeedge/pkg/version.gitTreeState=clean',
  ].join(' '),
  // KubeEdge's Kubernetes fork is served by the proxy but is not in the checksum database (404 on lookup).
  env: { GONOSUMDB: 'github.com/kubeedge/kubernetes' },
};

interface DownloadedModule {
  readonly goMod: string;
  readonly dir: string;
}

/** `go mod download` one module version into the module cache (where its CRDs and go.mod are read from). */
export function downloadModule(module: string, version: string, component: string): DownloadedModule {
  const res = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod', GONOSUMDB: 'github.com/kubeedge/kubernetes' },
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.stdout || '{}');
  } catch {
    parsed = {};
  }
  const field = (name: string): unknown =>
    typeof parsed === 'object' && parsed !== null && name in parsed ? (parsed as Record<string, unknown>)[name] : undefined;
  const goMod = field('GoMod');
  const dir = field('Dir');
  if (res.status !== 0 || typeof goMod !== 'string' || typeof dir !== 'string') {
    const reported = field('Error');
    const why = typeof reported === 'string' ? reported : res.stderr.trim() || res.error?.message || 'no output';
    throw new EdgeproofError('E_COMPONENT_BUILD', `could not download ${module}@${version}: ${why}`, {
      where: component,
      fix: 'check that Go is installed and the Go module proxy is reachable (GOPROXY)',
    });
  }
  return { goMod, dir };
}

export function cloudcoreWrapperGoMod(): string {
  const upstream = readFileSync(downloadModule('github.com/kubeedge/kubeedge', versions.kubeedge, 'cloudcore').goMod, 'utf8');
  const goLine = /^go\s+(\S+)/m.exec(upstream)?.[1] ?? '1.23';
  const replaces = extractReplaceDirectives(upstream).map((r) =>
    r.replace(
      /^(github\.com\/kubeedge\/(?:api|beehive))\s+=>\s+\.\/staging\/\S+$/,
      (_m, mod: string) => `${mod} => ${mod} ${versions.kubeedgeStaging}`,
    ),
  );
  const local = replaces.filter((r) => /=>\s+\.{1,2}\//.test(r));
  if (local.length > 0) {
    throw new EdgeproofError('E_COMPONENT_BUILD', `KubeEdge ${versions.kubeedge} has local replace directives the wrapper cannot satisfy: ${local.join('; ')}`, {
      where: 'cloudcore',
      fix: 'pin a KubeEdge release whose staging modules are published (sim/components/versions.ts)',
    });
  }
  return [
    'module edgeproof.local/build/cloudcore',
    '',
    `go ${goLine}`,
    '',
    `require github.com/kubeedge/kubeedge ${versions.kubeedge}`,
    '',
    'replace (',
    ...replaces.map((r) => `\t${r}`),
    ')',
    '',
  ].join('\n');
}

/** All replace directives of a go.mod, one `old [v] => new [v]` string each (block and single-line forms). */
export function extractReplaceDirectives(goMod: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line.includes('=>')) out.push(line.replace(/\s+/g, ' '));
      continue;
    }
    if (/^replace\s*\($/.test(line)) inBlock = true;
    else if (line.startsWith('replace ') && line.includes('=>')) out.push(line.slice('replace '.length).replace(/\s+/g, ' '));
  }
  return out;
}
