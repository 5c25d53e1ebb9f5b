import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { GenericContainer, TestContainers, Wait, getContainerRuntimeClient } from 'testcontainers';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import type { Progress } from '../core/progress.ts';
import { KubeApiError, type KubeClient } from '../kube/client.ts';
import { requireDocker } from './control-plane/testcontainers.ts';
import { installKubeEdgeCrds } from './crds.ts';
import { goBuild } from './go-builder.ts';
import { httpOk } from './health.ts';
import { LocalComponent } from './local-component.ts';
import { freePort } from './ports.ts';
import { cloudcoreRecipe } from './recipes.ts';
import type { BackendName, StartedComponent, StartedControlPlane } from './types.ts';
import { versions } from './versions.ts';

export { installKubeEdgeCrds } from './crds.ts';

/**
 * KubeEdge CloudCore — the real cloud under test — started against a control plane.
 *
 * Facts this file relies on (KubeEdge v1.23.1 module source, kubeedge/api v1.23.0):
 * - cloud/cmd/cloudcore/app/server.go: the config file is overlaid on NewDefaultCloudCoreConfig(); before any
 *   module starts CloudCore sleeps rand.Int31n(10) s (tunnel-port negotiation between replicas), creates the
 *   `kubeedge` namespace and the `tunnelport` ConfigMap; the iptables manager runs unless
 *   modules.iptablesManager.enable=false; the monitor server (/metrics) listens on commonConfig.monitorServer.
 * - apis/componentconfig/cloudcore/v1alpha1/default.go: AdjustCloudCoreConfig forces kubeAPIConfig qps = 5×nodeLimit,
 *   burst = 10×nodeLimit and raises the node/lease worker counts and buffers with nodeLimit.
 * - cloud/pkg/cloudhub/cloudhub.go: start order = informer sync (needs the reliablesyncs CRDs) → CA and server
 *   cert (pre_server.go: read from tlsCAFile/tlsCertFile, else from secrets `casecret`/`cloudcoresecret`, else
 *   generated and saved there) → token secret → HTTPS cert server → WebSocket server. So once the WebSocket
 *   port completes a TLS handshake, everything before it is done.
 * - cloud/pkg/cloudhub/servers/httpserver/pre_server.go: token secret `tokensecret`, key `tokendata`; CA secret
 *   `casecret`, key `cadata` (DER). pkg/security/token/token.go: token = sha256hex(CA DER) + "." + HS256 JWT
 *   (4 dot-separated parts), signed with the CA key, valid 2×tokenRefreshDuration hours.
 * - cloud/pkg/cloudhub/servers/httpserver/server.go: GET /ca.crt answers the CA as DER.
 */

export const cloudCoreNamespace = 'kubeedge' as const;
/** The official image, for the container backend (build/cloud/Dockerfile: ENTRYPOINT ["cloudcore"]). */
export const cloudCoreImage = `kubeedge/cloudcore:${versions.kubeedge}`;
export const tokenSecretName = 'tokensecret';
export const tokenSecretKey = 'tokendata';
export const caSecretName = 'casecret';
export const caSecretKey = 'cadata';
/** Enough sessions for the 10,000-node target with headroom (KubeEdge's default is 500). */
export const defaultNodeLimit = 12_000;

/** A running CloudCore, local process or container; what the simulated edge fleet connects to. */
export interface StartedCloudCore extends StartedComponent {
  readonly name: 'cloudcore';
  readonly backend: BackendName;
  readonly namespace: typeof cloudCoreNamespace;
  /** Where edges dial the CloudHub WebSocket server (mTLS; any path, e.g. /<projectID>/<node>/events). */
  readonly websocketHost: string;
  readonly websocketPort: number;
  /** `wss://host:port` */
  readonly websocketUrl: string;
  /** CloudHub's HTTPS certificate server (`/ca.crt`, `/edge.crt`), `https://host:port`. */
  readonly certServerUrl: string;
  /** CloudCore's Prometheus endpoint, `http://host:port/metrics`. */
  readonly metricsUrl: string;
  /** The bootstrap token edges register with (`<sha256(CA DER)>.<JWT>`), as read when CloudCore became ready. */
  readonly token: string;
  /** CloudHub's CA certificate (DER, as /ca.crt serves it) and the same as PEM. */
  readonly caCertDer: Buffer;
  readonly caCertPem: string;
  readonly nodeLimit: number;
  readonly keepaliveIntervalSeconds: number;
  /** The cloudcore.yaml it runs with (for the container backend: a host-side copy). */
  readonly configFile: string;
  /** Re-read the token: CloudCore writes a new one at each start and every tokenRefreshDuration (old ones stay valid until they expire). */
  readToken(): Promise<string>;
  /** Crash it (SIGKILL / container killed), for fault injection. restart() brings it back. */
  kill(): Promise<void>;
  /** Stop (if running) and start again with the same config and the same CA, and wait until ready. */
  restart(): Promise<void>;
}

export interface CloudCoreOptions {
  /** Directory for this run's CloudCore config, socket dir and log (`<stateDir>/cloudcore`, `<stateDir>/logs`). */
  readonly stateDir: string;
  /** cloudHub.nodeLimit: sessions CloudCore accepts; also scales qps/burst and worker pools. Default 12,000. */
  readonly nodeLimit?: number;
  /** cloudHub.keepaliveInterval: a session without keepalive for this long is closed. Default 30 (KubeEdge's). */
  readonly keepaliveIntervalSeconds?: number;
  /** edgeController.nodeUpdateFrequency: older heartbeats in a node status report are refreshed. Default 10. */
  readonly nodeUpdateFrequencySeconds?: number;
  /** cloudHub.writeTimeout. Default 30. */
  readonly writeTimeoutSeconds?: number;
  /** cloudHub.tokenRefreshDuration (hours). Default 12. */
  readonly tokenRefreshHours?: number;
  /**
   * deviceController.load.updateDeviceStatusWorkers: goroutines patching DeviceStatus from edge reports.
   * Default 1 (KubeEdge's): one API patch at a time for the whole fleet's device reports.
   */
  readonly deviceStatusWorkers?: number;
  /** How long to wait for readiness. Default 90 s (CloudCore needs ~1.5 s here, 1 s of it its fixed start delay). */
  readonly startTimeoutMs?: number;
}

export interface LocalCloudCoreOptions extends CloudCoreOptions {
  /** Fixed ports (tests use these to provoke clashes); free loopback ports are chosen otherwise. */
  readonly ports?: { readonly websocket?: number; readonly https?: number; readonly monitor?: number };
  /** Kubeconfig CloudCore uses; the control plane's admin kubeconfig by default. */
  readonly kubeconfigPath?: string;
  /** klog verbosity (-v). Default 2. */
  readonly logLevel?: number;
}

/** Build (or find in the cache) the CloudCore binary; returns its path. */
export async function obtainCloudCore(progress: Progress): Promise<string> {
  const built = await goBuild(cloudcoreRecipe, progress);
  const path = built.paths['cloudcore'];
  if (path === undefined) throw new EdgeproofError('E_INTERNAL', 'the cloudcore recipe produced no cloudcore binary', { where: 'cloudcore' });
  return path;
}

/** `cloudcore --defaultconfig`: the full default config of exactly this binary. */
export function cloudCoreDefaultConfig(binary: string): Record<string, unknown> {
  const res = spawnSync(binary, ['--defaultconfig'], { encoding: 'utf8', timeout: 20_000 });
  let parsed: unknown;
  try {
    parsed = parseYaml(res.stdout);
  } catch {
    parsed = undefined;
  }
  if (res.status !== 0 || !isRecord(parsed)) {
    throw new EdgeproofError('E_COMPONENT_START', `\`cloudcore --defaultconfig\` failed: ${(res.error?.message ?? res.stderr.trim()) || 'no YAML output'}`, {
      where: 'cloudcore',
      fix: `rebuild it: remove ${binary} and run \`npx edgeproof setup\``,
    });
  }
  return parsed;
}

/** What the bench decides in CloudCore's config; cloudCoreConfig() turns it into cloudcore.yaml. */
export interface CloudCoreSettings {
  readonly kubeconfigPath: string;
  /** Address every listener binds: 127.0.0.1 for a local process, 0.0.0.0 inside a container. */
  readonly listenAddress: string;
  /** IPs put into CloudHub's server certificate (and reported to edges). */
  readonly advertiseAddress: readonly string[];
  readonly dnsNames: readonly string[];
  readonly websocketPort: number;
  readonly httpsPort: number;
  readonly monitorPort: number;
  /** Where cloudStream's certificate paths point (read only if cloudStream were enabled; it is not). */
  readonly pkiDir: string;
  /** Directory for the (disabled) CSI unix socket; CloudCore's validation mkdirs it even when disabled. */
  readonly socketDir: string;
  readonly nodeLimit: number;
  readonly keepaliveIntervalSeconds: number;
  readonly nodeUpdateFrequencySeconds: number;
  readonly writeTimeoutSeconds: number;
  readonly tokenRefreshHours: number;
  readonly deviceStatusWorkers: number;
}

/**
 * cloudcore.yaml for the bench. `base` is `cloudcore --defaultconfig` (strict: every key we set must already
 * exist there, so a renamed field in a new KubeEdge release fails loudly instead of being ignored), or `{}` for a
 * partial config (CloudCore overlays the file on its built-in defaults).
 *
 * Module decisions (see the file header for the source):
 * - cloudHub: on. WebSocket on; QUIC off (KubeEdge's default; the simulator speaks WebSocket); HTTPS cert
 *   server on; unix socket off (it only serves KubeEdge's CSI driver); authorization off (default: node_id
 *   header is trusted, no per-node RBAC).
 * - edgeController, deviceController, syncController: on (defaults) — pods/nodes/configmaps to edges, device
 *   twins, and the 5-second ObjectSync reconciliation that the sync guarantees test.
 * - cloudStream: off (default). It needs a stream CA/cert pair on disk (validation refuses to start without
 *   them) and serves kubectl logs/exec through the apiserver, which the bench does not use.
 * - router: off (default; needs rule CRD objects and an extra listener). dynamicController: off (default; only
 *   the edge MetaServer needs it). taskManager: off (default; node upgrade/image prepull jobs).
 * - iptablesManager: OFF (default on). In internal mode it rewrites the host's iptables to DNAT the tunnel
 *   port — it needs root and would change this machine's firewall; without cloudStream it has nothing to do.
 * - There is no admission webhook inside CloudCore (KubeEdge ships it as the separate `admission` binary), so
 *   nothing to disable there; the offline-migration toleration it would add is not applied.
 * - qps/burst and the per-node worker pools are set to what AdjustCloudCoreConfig derives from nodeLimit, so
 *   CloudCore does not try to rewrite a `cloudcore` ConfigMap at start.
 */
export function cloudCoreConfig(base: Record<string, unknown>, s: CloudCoreSettings, strict: boolean): Record<string, unknown> {
  const cfg = structuredClone(base);
  const set = (path: string, value: unknown): void => setPath(cfg, path, value, strict);
  const limit = Math.trunc(s.nodeLimit);
  set('apiVersion', 'cloudcore.config.kubeedge.io/v1alpha1');
  set('kind', 'CloudCore');
  set('commonConfig.monitorServer.bindAddress', `${s.listenAddress}:${s.monitorPort}`);
  set('kubeAPIConfig.kubeConfig', s.kubeconfigPath);
  set('kubeAPIConfig.master', '');
  set('kubeAPIConfig.qps', 5 * limit);
  set('kubeAPIConfig.burst', 10 * limit);

  const hub = 'modules.cloudHub';
  set(`${hub}.enable`, true);
  set(`${hub}.nodeLimit`, limit);
  set(`${hub}.keepaliveInterval`, s.keepaliveIntervalSeconds);
  set(`${hub}.writeTimeout`, s.writeTimeoutSeconds);
  set(`${hub}.tokenRefreshDuration`, s.tokenRefreshHours);
  set(`${hub}.advertiseAddress`, [...s.advertiseAddress]);
  set(`${hub}.dnsNames`, [...s.dnsNames]);
  // No CA or server certificate files: CloudCore then reads nothing from disk and generates both (ECDSA)
  // into the secrets casecret/cloudcoresecret of its namespace, where a restart finds them again. (The
  // defaults point at /etc/kubeedge/…, which would only produce "failed to load" warnings here.)
  set(`${hub}.tlsCAFile`, '');
  set(`${hub}.tlsCAKeyFile`, '');
  set(`${hub}.tlsCertFile`, '');
  set(`${hub}.tlsPrivateKeyFile`, '');
  set(`${hub}.websocket`, { enable: true, address: s.listenAddress, port: s.websocketPort });
  set(`${hub}.https`, { enable: true, address: s.listenAddress, port: s.httpsPort });
  set(`${hub}.quic.enable`, false);
  set(`${hub}.quic.address`, s.listenAddress);
  set(`${hub}.unixsocket`, { enable: false, address: `unix://${join(s.socketDir, 'kubeedge.sock')}` });
  set(`${hub}.authorization.enable`, false);

  const ec = 'modules.edgeController';
  set(`${ec}.enable`, true);
  set(`${ec}.nodeUpdateFrequency`, s.nodeUpdateFrequencySeconds);
  set(`${ec}.load.queryNodeWorkers`, limit);
  set(`${ec}.load.createLeaseWorkers`, limit);
  set(`${ec}.load.patchNodeWorkers`, 100 + Math.trunc(limit / 50));
  set(`${ec}.buffer.queryNode`, 1024 + limit);
  set(`${ec}.buffer.createLease`, 1024 + limit);
  set(`${ec}.buffer.patchNode`, 1024 + Math.trunc(limit / 2));

  set('modules.deviceController.enable', true);
  set('modules.deviceController.load.updateDeviceStatusWorkers', s.deviceStatusWorkers);
  set('modules.syncController.enable', true);
  set('modules.cloudStream.enable', false);
  set('modules.cloudStream.tlsTunnelCAFile', join(s.pkiDir, 'rootCA.crt'));
  set('modules.cloudStream.tlsTunnelCertFile', join(s.pkiDir, 'server.crt'));
  set('modules.cloudStream.tlsTunnelPrivateKeyFile', join(s.pkiDir, 'server.key'));
  set('modules.cloudStream.tlsStreamCAFile', join(s.pkiDir, 'streamCA.crt'));
  set('modules.cloudStream.tlsStreamCertFile', join(s.pkiDir, 'stream.crt'));
  set('modules.cloudStream.tlsStreamPrivateKeyFile', join(s.pkiDir, 'stream.key'));
  set('modules.router.enable', false);
  set('modules.router.address', s.listenAddress);
  set('modules.dynamicController.enable', false);
  set('modules.taskManager.enable', false);
  set('modules.iptablesManager.enable', false);
  set('modules.iptablesManager.mode', 'external');
  return cfg;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setPath(root: Record<string, unknown>, path: string, value: unknown, strict: boolean): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = root;
  keys.forEach((key, i) => {
    const last = i === keys.length - 1;
    if (strict && !(key in node)) {
      throw new EdgeproofError('E_INTERNAL', `cloudcore ${versions.kubeedge} --defaultconfig has no ${keys.slice(0, i + 1).join('.')}`, {
        where: 'cloudcore',
        fix: 'the pinned KubeEdge changed its config schema: update cloudCoreConfig() in sim/components/cloudcore.ts',
      });
    }
    if (last) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (isRecord(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  });
}

/**
 * Go's math/rand is seeded randomly since Go 1.20, so CloudCore's start sleeps 0–9 s at random. With
 * randautoseed=0 the global source is seeded with 1 as before Go 1.20: the sleep is the same on every start
 * (1 s with this binary), which keeps restart timings comparable and replays faithful. It touches nothing
 * else that matters: keys, certificates and message ids come from crypto/rand.
 */
function goDebugEnv(): string {
  const existing = process.env['GODEBUG'];
  return existing !== undefined && existing !== '' ? `${existing},randautoseed=0` : 'randautoseed=0';
}

/** Create (if needed) the namespace CloudCore keeps its secrets and ConfigMaps in. */
export async function ensureNamespace(kube: KubeClient, name: string): Promise<void> {
  if ((await kube.find(`/api/v1/namespaces/${name}`)) !== undefined) return;
  try {
    await kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (e) {
    if (!(e instanceof KubeApiError && e.status === 409)) throw e;
  }
}

async function readSecretKey(kube: KubeClient, name: string, key: string): Promise<Buffer | undefined> {
  const secret = await kube.find(`/api/v1/namespaces/${cloudCoreNamespace}/secrets/${name}`);
  const data = secret?.['data'];
  const value = isRecord(data) ? data[key] : undefined;
  return typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
}

/** Read the current bootstrap token from the `tokensecret` Secret. */
export async function readCloudCoreToken(kube: KubeClient): Promise<string> {
  const token = (await readSecretKey(kube, tokenSecretName, tokenSecretKey))?.toString('utf8').trim();
  if (token === undefined || token.split('.').length !== 4) {
    throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `no valid bootstrap token in secret ${cloudCoreNamespace}/${tokenSecretName}`, {
      where: 'cloudcore',
      fix: 'CloudCore writes it once its certificates are ready; see the cloudcore log',
    });
  }
  return token;
}

/** Whether a TLS handshake with host:port completes (the server's certificate is not verified). */
export function tlsHandshakes(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, timeout: timeoutMs });
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      // (not removeAllListeners(): that also strips the socket's internal listeners and leaks the connection)
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () => done(true));
    socket.on('error', () => done(false)); // also swallows CloudHub's later alert to our cert-less hello
    socket.once('timeout', () => done(false));
  });
}

/** GET over HTTPS without verifying the server (the CA is what we are fetching). */
export function httpsGetBuffer(url: string, timeoutMs = 5000): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpsRequest(
      { method: 'GET', hostname: u.hostname, port: u.port, path: u.pathname + u.search, rejectUnauthorized: false, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** CloudHub's CA from GET /ca.crt (DER), checked to parse as X.509. */
export async function fetchCloudHubCa(certServerUrl: string): Promise<{ der: Buffer; pem: string }> {
  const res = await httpsGetBuffer(`${certServerUrl}/ca.crt`);
  try {
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    const cert = new X509Certificate(res.body);
    return { der: res.body, pem: cert.toString() };
  } catch (e) {
    throw new EdgeproofError('E_COMPONENT_UNHEALTHY', `GET ${certServerUrl}/ca.crt did not return a DER certificate: ${messageOf(e)}`, {
      where: 'cloudcore',
      fix: 'see the cloudcore log',
    });
  }
}

function readinessCheck(kube: KubeClient, host: string, websocketPort: number, certServerUrl: string): () => Promise<boolean> {
  return async () =>
    (await tlsHandshakes(host, websocketPort)) &&
    (await httpOk(`${certServerUrl}/ca.crt`, { tls: { rejectUnauthorized: false } })) &&
    (await readSecretKey(kube, tokenSecretName, tokenSecretKey)) !== undefined;
}

function settingsFrom(options: CloudCoreOptions): Pick<CloudCoreSettings, 'nodeLimit' | 'keepaliveIntervalSeconds' | 'nodeUpdateFrequencySeconds' | 'writeTimeoutSeconds' | 'tokenRefreshHours' | 'deviceStatusWorkers'> {
  const nodeLimit = options.nodeLimit ?? defaultNodeLimit;
  if (!Number.isInteger(nodeLimit) || nodeLimit < 1) {
    throw new EdgeproofError('E_BAD_FLAG', `nodeLimit must be a positive integer, got ${nodeLimit}`, { where: 'cloudcore', fix: 'pass e.g. nodeLimit: 12000' });
  }
  return {
    nodeLimit,
    keepaliveIntervalSeconds: options.keepaliveIntervalSeconds ?? 30,
    nodeUpdateFrequencySeconds: options.nodeUpdateFrequencySeconds ?? 10,
    writeTimeoutSeconds: options.writeTimeoutSeconds ?? 30,
    tokenRefreshHours: options.tokenRefreshHours ?? 12,
    deviceStatusWorkers: options.deviceStatusWorkers ?? 1,
  };
}

const startFix = 'see the cloudcore log: a taken port ("bind: address already in use"), an apiserver it cannot reach, or missing KubeEdge CRDs are the usual causes';

/** The same error with a fix for what the log says went wrong, when it is one of the usual causes. */
function withSpecificFix(e: unknown, kubeconfigPath: string, ports: readonly number[]): unknown {
  if (!(e instanceof EdgeproofError) || e.code !== 'E_COMPONENT_START') return e;
  let fix: string | undefined;
  const port = /listen tcp [^:]*:(\d+): bind: address already in use/.exec(e.message)?.[1];
  if (port !== undefined) {
    fix = `stop whatever listens on port ${port} (\`ss -ltnp | grep :${port}\`) or let edgeproof choose free ports (${ports.join(', ')} were asked for)`;
  } else if (/connection refused|no such host|i\/o timeout|x509|Unauthorized|forbidden/i.test(e.message)) {
    fix = `CloudCore cannot use the apiserver named in ${kubeconfigPath}: check that the control plane runs and that kubeconfig is valid`;
  }
  if (fix === undefined) return e;
  return new EdgeproofError(e.code, e.message, { ...(e.where !== undefined ? { where: e.where } : {}), ...(e.logFile !== undefined ? { logFile: e.logFile } : {}), fix, cause: e });
}

/**
 * CloudCore as a local process against `controlPlane`: applies KubeEdge's CRDs, creates the `kubeedge`
 * namespace, writes `<stateDir>/cloudcore/cloudcore.yaml` (every listener on 127.0.0.1, free ports), starts
 * the binary and waits until the WebSocket port completes a TLS handshake, /ca.crt answers and the token
 * secret exists.
 */
export async function startLocalCloudCore(controlPlane: StartedControlPlane, options: LocalCloudCoreOptions, progress: Progress): Promise<StartedCloudCore> {
  const binary = await obtainCloudCore(progress);
  const tunables = settingsFrom(options);
  const kube = controlPlane.kube;
  await installKubeEdgeCrds(kube, progress);
  await ensureNamespace(kube, cloudCoreNamespace);

  const dir = join(options.stateDir, 'cloudcore');
  mkdirSync(dir, { recursive: true });
  const host = '127.0.0.1';
  const websocketPort = options.ports?.websocket ?? (await freePort());
  const httpsPort = options.ports?.https ?? (await freePort());
  const monitorPort = options.ports?.monitor ?? (await freePort());
  const configFile = join(dir, 'cloudcore.yaml');
  const kubeconfigPath = options.kubeconfigPath ?? controlPlane.kubeconfigPath;
  const config = cloudCoreConfig(
    cloudCoreDefaultConfig(binary),
    {
      ...tunables,
      kubeconfigPath,
      listenAddress: host,
      advertiseAddress: [host],
      dnsNames: ['localhost'],
      websocketPort,
      httpsPort,
      monitorPort,
      pkiDir: join(dir, 'pki'),
      socketDir: dir,
    },
    true,
  );
  writeFileSync(configFile, `# generated by edgeproof for KubeEdge CloudCore ${versions.kubeedge}\n${stringifyYaml(config)}`);

  const websocketUrl = `wss://${host}:${websocketPort}`;
  const certServerUrl = `https://${host}:${httpsPort}`;
  const metricsUrl = `http://${host}:${monitorPort}/metrics`;
  progress.step('cloudcore', `starting ${versions.kubeedge}: websocket ${websocketUrl}, cert server ${certServerUrl} (config ${configFile})`);
  const component = await LocalComponent.start(
    'cloudcore',
    versions.kubeedge,
    {
      command: binary,
      args: [`--config=${configFile}`, `--v=${options.logLevel ?? 2}`],
      logFile: join(options.stateDir, 'logs', 'cloudcore.log'),
      env: { GODEBUG: goDebugEnv() },
    },
    { websocket: websocketUrl, certServer: certServerUrl, metrics: metricsUrl },
    readinessCheck(kube, host, websocketPort, certServerUrl),
    { timeoutMs: options.startTimeoutMs ?? 90_000, what: 'serving (WebSocket TLS, /ca.crt, token secret)', fix: startFix },
    // checked before spawning (E_PORT_TAKEN), as for every local component; CloudCore itself would also exit
    // on a failed bind (klog.Exit in servers/server.go), which withSpecificFix explains if it loses a race
    [websocketPort, httpsPort, monitorPort],
  ).catch((e: unknown) => {
    throw withSpecificFix(e, kubeconfigPath, [websocketPort, httpsPort, monitorPort]);
  });
  try {
    const token = await readCloudCoreToken(kube);
    const ca = await fetchCloudHubCa(certServerUrl);
    writeFileSync(join(dir, 'ca.crt'), ca.pem);
    progress.step('cloudcore', `ready (pid ${component.pid ?? '?'})`);
    const extra = {
      name: 'cloudcore' as const,
      backend: 'local' as const,
      namespace: cloudCoreNamespace,
      websocketHost: host,
      websocketPort,
      websocketUrl,
      certServerUrl,
      metricsUrl,
      token,
      caCertDer: ca.der,
      caCertPem: ca.pem,
      nodeLimit: tunables.nodeLimit,
      keepaliveIntervalSeconds: tunables.keepaliveIntervalSeconds,
      configFile,
      readToken: () => readCloudCoreToken(kube),
    };
    return Object.assign(component, extra);
  } catch (e) {
    await component.stop();
    throw e;
  }
}

/** Ports CloudCore listens on inside its container. */
const containerPorts = { websocket: 10000, https: 10002, monitor: 9091 } as const;

/**
 * CloudCore from the official image, for the testcontainers backend (k3s). It runs as a container beside k3s,
 * not as a Deployment inside it: K3sContainer publishes only 6443 and 8443, so a pod's ports could not be
 * reached from the host without changing how k3s is started. The container reaches k3s's apiserver through
 * the host port testcontainers exposes (`host.testcontainers.internal`); the k3s serving certificate does
 * not name that host, so that one kubeconfig skips server verification (client certificates still apply).
 */
export async function startCloudCoreOnK3s(controlPlane: StartedControlPlane, options: CloudCoreOptions, progress: Progress): Promise<StartedCloudCore> {
  await requireDocker();
  const tunables = settingsFrom(options);
  const kube = controlPlane.kube;
  await installKubeEdgeCrds(kube, progress);
  await ensureNamespace(kube, cloudCoreNamespace);

  const api = new URL(controlPlane.server);
  const apiPort = Number(api.port || 443);
  await TestContainers.exposeHostPorts(apiPort);
  const kubeconfig = parseYaml(readFileSync(controlPlane.kubeconfigPath, 'utf8')) as unknown;
  for (const c of isRecord(kubeconfig) && Array.isArray(kubeconfig['clusters']) ? kubeconfig['clusters'] : []) {
    const cluster: unknown = isRecord(c) ? c['cluster'] : undefined;
    if (!isRecord(cluster)) continue;
    cluster['server'] = `https://host.testcontainers.internal:${apiPort}`;
    delete cluster['certificate-authority-data'];
    cluster['insecure-skip-tls-verify'] = true;
  }
  const inContainer = '/etc/kubeedge';
  // edges dial the container host (what getHost() will return): put it into CloudHub's server certificate
  const dockerHost = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const hostIsIp = /^\d+\.\d+\.\d+\.\d+$/.test(dockerHost);
  const config = cloudCoreConfig(
    {},
    {
      ...tunables,
      kubeconfigPath: `${inContainer}/kubeconfig`,
      listenAddress: '0.0.0.0',
      advertiseAddress: [...new Set(['127.0.0.1', ...(hostIsIp ? [dockerHost] : [])])],
      dnsNames: [...new Set(['localhost', ...(hostIsIp ? [] : [dockerHost])])],
      websocketPort: containerPorts.websocket,
      httpsPort: containerPorts.https,
      monitorPort: containerPorts.monitor,
      pkiDir: `${inContainer}/ca`,
      socketDir: '/var/lib/kubeedge',
    },
    false,
  );
  mkdirSync(join(options.stateDir, 'cloudcore'), { recursive: true });
  const configFile = join(options.stateDir, 'cloudcore', 'cloudcore.yaml');
  writeFileSync(configFile, stringifyYaml(config));
  progress.step('cloudcore', `starting ${cloudCoreImage}`);
  const container = await new GenericContainer(cloudCoreImage)
    .withCommand([`--config=${inContainer}/config/cloudcore.yaml`, '--v=2'])
    .withEnvironment({ GODEBUG: 'randautoseed=0' })
    .withCopyContentToContainer([
      { content: stringifyYaml(config), target: `${inContainer}/config/cloudcore.yaml` },
      { content: stringifyYaml(kubeconfig), target: `${inContainer}/kubeconfig` },
    ])
    .withExposedPorts(containerPorts.websocket, containerPorts.https, containerPorts.monitor)
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(options.startTimeoutMs ?? 120_000)
    .start();

  const host = container.getHost();
  const port = (p: number): number => container.getMappedPort(p);
  const certServerUrl = (): string => `https://${host}:${port(containerPorts.https)}`;
  const waitReady = async (): Promise<void> => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    while (!(await readinessCheck(kube, host, port(containerPorts.websocket), certServerUrl())())) {
      if (Date.now() > deadline) {
        throw new EdgeproofError('E_COMPONENT_UNHEALTHY', 'not serving (WebSocket TLS, /ca.crt, token secret)', {
          where: 'cloudcore',
          fix: startFix,
          logFile: `docker logs ${container.getId()}`,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  let stopped = false;
  try {
    await waitReady();
    const token = await readCloudCoreToken(kube);
    const ca = await fetchCloudHubCa(certServerUrl());
    return {
      name: 'cloudcore',
      version: versions.kubeedge,
      backend: 'testcontainers',
      namespace: cloudCoreNamespace,
      // getters: Docker may publish different host ports after a restart
      get endpoints() {
        return { websocket: `wss://${host}:${port(containerPorts.websocket)}`, certServer: certServerUrl(), metrics: `http://${host}:${port(containerPorts.monitor)}/metrics` };
      },
      logFile: `docker logs ${container.getId()}`,
      pid: undefined,
      websocketHost: host,
      get websocketPort() {
        return port(containerPorts.websocket);
      },
      get websocketUrl() {
        return `wss://${host}:${port(containerPorts.websocket)}`;
      },
      get certServerUrl() {
        return certServerUrl();
      },
      get metricsUrl() {
        return `http://${host}:${port(containerPorts.monitor)}/metrics`;
      },
      token,
      caCertDer: ca.der,
      caCertPem: ca.pem,
      nodeLimit: tunables.nodeLimit,
      keepaliveIntervalSeconds: tunables.keepaliveIntervalSeconds,
      configFile,
      readToken: () => readCloudCoreToken(kube),
      kill: async () => {
        await container.stop({ timeout: 0, remove: false });
      },
      restart: async () => {
        await container.restart();
        await waitReady();
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await container.stop();
      },
    };
  } catch (e) {
    await container.stop();
    throw e;
  }
}
