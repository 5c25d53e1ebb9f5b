import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import type { Progress } from '../core/progress.ts';
import { KubeApiError, type KubeClient, type KubeObject } from '../kube/client.ts';
import { downloadModule } from './recipes.ts';
import { versions } from './versions.ts';

/**
 * CustomResourceDefinitions: read from YAML files, applied idempotently (create, or replace keeping the
 * resourceVersion), then waited on until the apiserver serves them (condition Established=True).
 * KubeEdge's own CRDs are read from the KubeEdge module in the Go module cache — the same files a KubeEdge
 * release installs — and never copied into this repository.
 */

const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export interface CrdManifest extends KubeObject {
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string };
}

/** Every `*.yaml`/`*.yml` below `dir`, sorted, so the apply order is stable. */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The CRDs in some (multi-document) YAML files. A document that is not a CRD is an error: we apply nothing else. */
export function loadCrdManifests(files: readonly string[], where: string): CrdManifest[] {
  const crds: CrdManifest[] = [];
  for (const file of files) {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    for (const doc of list) {
      const problem = doc.errors[0];
      if (problem !== undefined) {
        throw new EdgeproofError('E_COMPONENT_START', `cannot parse ${file}: ${problem.message}`, {
          where,
          fix: 'the module cache copy may be damaged: run `go clean -modcache` or remove that module directory and run `npx edgeproof setup`',
        });
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue; // an empty document (a trailing `---`)
      if (!isCrd(value)) {
        throw new EdgeproofError('E_COMPONENT_START', `${file} holds a document that is not a CustomResourceDefinition`, {
          where,
          fix: 'pass only CRD manifests',
        });
      }
      crds.push(value);
    }
  }
  return crds;
}

function isCrd(value: unknown): value is CrdManifest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const meta = v['metadata'];
  return (
    v['kind'] === 'CustomResourceDefinition' &&
    typeof v['apiVersion'] === 'string' &&
    v['apiVersion'].startsWith('apiextensions.k8s.io/') &&
    typeof meta === 'object' &&
    meta !== null &&
    typeof (meta as Record<string, unknown>)['name'] === 'string'
  );
}

/** Create each CRD, or replace it when it exists (so a changed schema is applied); returns their names. */
export async function applyCrds(kube: KubeClient, crds: readonly CrdManifest[]): Promise<string[]> {
  for (const crd of crds) {
    const path = `${crdPath}/${encodeURIComponent(crd.metadata.name)}`;
    for (let attempt = 0; ; attempt++) {
      const existing = await kube.find(path);
      try {
        if (existing === undefined) {
          await kube.create(crdPath, crd);
        } else {
          const resourceVersion = existing.metadata?.resourceVersion;
          await kube.replace(path, { ...crd, metadata: { ...crd.metadata, ...(resourceVersion !== undefined ? { resourceVersion } : {}) } });
        }
        break;
      } catch (e) {
        // 409: someone else created or changed it between our GET and write — read again and retry.
        if (e instanceof KubeApiError && e.status === 409 && attempt < 5) continue;
        throw e;
      }
    }
  }
  return crds.map((c) => c.metadata.name);
}

/** Wait until every named CRD has condition Established=True (the apiserver serves its REST endpoints). */
export async function waitCrdsEstablished(kube: KubeClient, names: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...names];
  while (pending.length > 0) {
    const still: string[] = [];
    for (const name of pending) {
      const crd = await kube.find(`${crdPath}/${encodeURIComponent(name)}`);
      if (crd === undefined || !isEstablished(crd)) still.push(name);
    }
    pending = still;
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `CRDs not Established after ${Math.round(timeoutMs / 1000)} s: ${pending.join(', ')}`, {
        where: 'kube-apiserver',
        fix: 'see the kube-apiserver log (`kubectl get crd <name> -o yaml` shows the conditions)',
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function isEstablished(crd: KubeObject): boolean {
  const status = crd['status'];
  if (typeof status !== 'object' || status === null) return false;
  const conditions = (status as Record<string, unknown>)['conditions'];
  return (
    Array.isArray(conditions) &&
    conditions.some((c: unknown) => typeof c === 'object' && c !== null && (c as Record<string, unknown>)['type'] === 'Established' && (c as Record<string, unknown>)['status'] === 'True')
  );
}

/** Where KubeEdge keeps its CRDs inside its module (`build/crds/<group>/*.yaml`). */
export function kubeEdgeCrdDir(): string {
  try {
    return join(downloadModule('github.com/kubeedge/kubeedge', versions.kubeedge, 'cloudcore').dir, 'build', 'crds');
  } catch (e) {
    // Without `go` (a cached CloudCore binary needs none), look where Go keeps downloaded modules by default.
    const modCache = process.env['GOMODCACHE'] ?? join(process.env['GOPATH']?.split(':')[0] ?? join(homedir(), 'go'), 'pkg', 'mod');
    const dir = join(modCache, 'github.com', 'kubeedge', `kubeedge@${versions.kubeedge}`, 'build', 'crds');
    if (existsSync(dir)) return dir;
    throw e;
  }
}

/**
 * Apply KubeEdge's CRDs (reliablesyncs, devices, apps, operations, policy, router) from the pinned KubeEdge
 * module and wait until all are Established. Idempotent. Returns the CRD names.
 */
export async function installKubeEdgeCrds(kube: KubeClient, progress: Progress): Promise<readonly string[]> {
  const dir = kubeEdgeCrdDir();
  const files = yamlFilesUnder(dir);
  const crds = loadCrdManifests(files, 'cloudcore');
  if (crds.length === 0) {
    throw new EdgeproofError('E_COMPONENT_START', `no CRDs found under ${dir}`, {
      where: 'cloudcore',
      fix: `check the KubeEdge module in the Go module cache (go mod download github.com/kubeedge/kubeedge@${versions.kubeedge})`,
    });
  }
  progress.step('cloudcore', `applying ${crds.length} KubeEdge ${versions.kubeedge} CRDs from ${dir}`);
  let names: string[];
  try {
    names = await applyCrds(kube, crds);
  } catch (e) {
    if (e instanceof EdgeproofError) throw e;
    throw new EdgeproofError('E_KUBE_API', `applying KubeEdge CRDs failed: ${messageOf(e)}`, { where: 'cloudcore', fix: 'check that the apiserver answers', cause: e });
  }
  await waitCrdsEstablished(kube, names);
  return names;
}
