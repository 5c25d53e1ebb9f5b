import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from './go-builder.ts';
import { findMosquitto } from './mosquitto.ts';
import { dockerUnavailableReason } from './control-plane/testcontainers.ts';
import type { ComponentName } from './types.ts';
import { versions } from './versions.ts';

/** One line of `edgeproof doctor`: is the real component here, at the pinned version, and how to get it. */
export interface ComponentStatus {
  readonly name: ComponentName | 'go' | 'openssl' | 'docker';
  readonly version: string;
  readonly ready: boolean;
  readonly detail: string;
}

interface BinaryCheck {
  readonly name: ComponentName;
  readonly component: string;
  readonly pinned: string;
  readonly binary: string;
  readonly versionArgs: readonly string[];
  readonly versionPattern: RegExp;
  readonly howToGet: string;
}

const setupHint = (what: string): string => `not built: run \`npx edgeproof setup\` (builds ${what} from the Go module proxy into the cache)`;

const binaryChecks: readonly BinaryCheck[] = [
  { name: 'etcd', component: 'etcd', pinned: versions.etcd, binary: 'etcd', versionArgs: ['--version'], versionPattern: /etcd Version: (\S+)/, howToGet: setupHint('etcd') },
  ...(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const).map((name) => ({
    name,
    component: 'kubernetes',
    pinned: versions.kubernetes,
    binary: name,
    versionArgs: ['--version'],
    versionPattern: /Kubernetes (v\S+)/,
    howToGet: setupHint(name),
  })),
  { name: 'toxiproxy', component: 'toxiproxy', pinned: versions.toxiproxy, binary: 'toxiproxy-server', versionArgs: ['-version'], versionPattern: /(\d+\.\d+\.\d+)/, howToGet: setupHint('toxiproxy-server') },
];

/**
 * CloudCore has no --version flag (cloud/cmd/cloudcore/app/server.go; it only logs its version once running).
 * Its Go build info names the module it was built from: `go version -m <binary>` prints
 * `mod github.com/kubeedge/kubeedge v1.23.1`. Without Go, the builder's `.stamp` in the version-keyed cache
 * directory is the evidence.
 */
function checkCloudCore(): ComponentStatus {
  const name = 'cloudcore';
  const dir = binDir('cloudcore', versions.kubeedge);
  const path = join(dir, 'cloudcore');
  if (!existsSync(path)) return { name, version: 'missing', ready: false, detail: setupHint('KubeEdge CloudCore') };
  const res = spawnSync('go', ['version', '-m', path], { encoding: 'utf8', timeout: 20_000 });
  if (res.error === undefined && res.status === 0) {
    const version = /^\s*(?:mod|dep)\s+github\.com\/kubeedge\/kubeedge\s+(v\S+)/m.exec(res.stdout)?.[1];
    if (version === undefined) return { name, version: 'unknown', ready: false, detail: `${path} was not built from github.com/kubeedge/kubeedge; rebuild with \`npx edgeproof setup\`` };
    if (version !== versions.kubeedge) return { name, version, ready: false, detail: `${path} is ${version}, pinned ${versions.kubeedge}; run \`npx edgeproof setup\`` };
    return { name, version, ready: true, detail: path };
  }
  if (existsSync(join(dir, '.stamp'))) {
    return { name, version: versions.kubeedge, ready: true, detail: `${path} (version from the build cache; install Go to check the binary itself)` };
  }
  return { name, version: 'unknown', ready: false, detail: `${path} has no build stamp; rebuild with \`npx edgeproof setup\`` };
}

function checkBinary(check: BinaryCheck): ComponentStatus {
  const path = join(binDir(check.component, check.pinned), check.binary);
  if (!existsSync(path)) return { name: check.name, version: 'missing', ready: false, detail: check.howToGet };
  const res = spawnSync(path, [...check.versionArgs], { encoding: 'utf8', timeout: 20_000 });
  const version = check.versionPattern.exec(`${res.stdout}${res.stderr}`)?.[1];
  if (version === undefined) return { name: check.name, version: 'unknown', ready: false, detail: `${path} does not report a version; rebuild with \`npx edgeproof setup\`` };
  const normalise = (v: string): string => v.replace(/^v/, '');
  if (normalise(version) !== normalise(check.pinned)) {
    return { name: check.name, version, ready: false, detail: `${path} is ${version}, pinned ${check.pinned}; run \`npx edgeproof setup\`` };
  }
  return { name: check.name, version, ready: true, detail: path };
}

function toolVersion(command: string, args: readonly string[], pattern: RegExp): string | undefined {
  const res = spawnSync(command, [...args], { encoding: 'utf8', timeout: 10_000 });
  if (res.error !== undefined) return undefined;
  return pattern.exec(`${res.stdout}${res.stderr}`)?.[1];
}

export async function doctor(): Promise<readonly ComponentStatus[]> {
  const statuses: ComponentStatus[] = [...binaryChecks.map(checkBinary), checkCloudCore()];
  const mosquitto = findMosquitto();
  statuses.push(
    mosquitto !== undefined
      ? { name: 'mosquitto', version: mosquitto.version, ready: true, detail: mosquitto.path }
      : { name: 'mosquitto', version: 'missing', ready: false, detail: 'apt-get install -y mosquitto mosquitto-clients (or `npx edgeproof setup` as root)' },
  );
  const go = toolVersion('go', ['version'], /go version (go\S+)/);
  statuses.push({ name: 'go', version: go ?? 'missing', ready: go !== undefined, detail: go !== undefined ? 'builds the Go components' : 'install Go 1.23+ to build the local components' });
  const openssl = toolVersion('openssl', ['version'], /OpenSSL (\S+)/);
  statuses.push({ name: 'openssl', version: openssl ?? 'missing', ready: openssl !== undefined, detail: openssl !== undefined ? 'creates the per-run PKI' : 'apt-get install openssl' });
  const docker = await dockerUnavailableReason();
  statuses.push({
    name: 'docker',
    version: docker === undefined ? 'answers' : 'unavailable',
    ready: docker === undefined,
    detail: docker === undefined ? 'the testcontainers backend (k3s) can run' : `testcontainers backend unavailable (${docker.split('\n')[0] ?? ''}); the local backend is used`,
  });
  return statuses;
}
