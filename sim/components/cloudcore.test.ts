import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeproofError } from '../core/errors.ts';
import { silentProgress } from '../core/progress.ts';
import {
  caSecretKey,
  caSecretName,
  cloudCoreNamespace,
  httpsGetBuffer,
  startLocalCloudCore,
  type StartedCloudCore,
} from './cloudcore.ts';
import { startLocalControlPlane } from './control-plane/local.ts';
import { isEstablished } from './crds.ts';
import { httpOk } from './health.ts';
import { freePort, isListening } from './ports.ts';
import { liveProcesses } from './process.ts';
import type { StartedControlPlane } from './types.ts';

// Real processes: etcd + kube-apiserver + controller-manager + scheduler, then KubeEdge CloudCore against them.

let dir = '';
let controlPlane: StartedControlPlane | undefined;
let cloud: StartedCloudCore | undefined;
let startupMs = 0;

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} did not start`);
  return v;
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? NaN : Math.round(Number(kb) / 1024);
}

/** TLS to CloudHub: resolves how the connection ended within `holdMs` after the handshake. */
function tlsSession(opts: ConnectionOptions, holdMs: number): Promise<{ handshake: boolean; error?: string; peer?: X509Certificate }> {
  return new Promise((resolve) => {
    const socket = tlsConnect(opts);
    let handshake = false;
    let settled = false;
    let peer: X509Certificate | undefined;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ handshake, ...(error !== undefined ? { error } : {}), ...(peer !== undefined ? { peer } : {}) });
    };
    socket.once('secureConnect', () => {
      handshake = true;
      const raw = socket.getPeerX509Certificate();
      if (raw !== undefined) peer = raw;
      setTimeout(() => finish(), holdMs);
    });
    socket.on('error', (e: Error) => finish(e.message));
    socket.once('close', () => finish('closed by server'));
  });
}

/** The edge's bootstrap: GET /edge.crt with the JWT part of the token and a DER CSR as the body. */
function requestEdgeCert(certServerUrl: string, jwt: string, nodeName: string, csrDer: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${certServerUrl}/edge.crt`);
    const req = httpsRequest(
      {
        method: 'GET',
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        rejectUnauthorized: false,
        agent: false,
        headers: { Authorization: `Bearer ${jwt}`, NodeName: nodeName, 'Content-Length': csrDer.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(csrDer);
  });
}

function openssl(args: readonly string[]): void {
  const res = spawnSync('openssl', [...args], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${res.stderr}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgeproof-cloudcore-'));
  controlPlane = await startLocalControlPlane({ stateDir: join(dir, 'control-plane') }, silentProgress);
  const started = Date.now();
  cloud = await startLocalCloudCore(controlPlane, { stateDir: join(dir, 'cloud') }, silentProgress);
  startupMs = Date.now() - started;
});

afterAll(async () => {
  await cloud?.stop();
  await controlPlane?.stop();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('KubeEdge CloudCore (local process, real control plane)', () => {
  it('starts, and reports its figures', () => {
    const cc = must(cloud, 'cloudcore');
    expect(cc.name).toBe('cloudcore');
    expect(cc.version).toBe('v1.23.1');
    expect(cc.pid).toBeTypeOf('number');
    expect(cc.websocketUrl).toBe(`wss://127.0.0.1:${cc.websocketPort}`);
    expect(cc.nodeLimit).toBe(12_000);
    // figures, not assertions: startup includes applying the CRDs; the RSS is with nodeLimit 12,000
    console.info(`cloudcore ready in ${startupMs} ms, RSS ${rssMiB(cc.pid)} MiB (nodeLimit ${cc.nodeLimit})`);
  });

  it('installed KubeEdge CRDs are Established', async () => {
    const kube = must(controlPlane, 'control plane').kube;
    for (const name of ['devices.devices.kubeedge.io', 'devicemodels.devices.kubeedge.io', 'objectsyncs.reliablesyncs.kubeedge.io', 'clusterobjectsyncs.reliablesyncs.kubeedge.io', 'nodegroups.apps.kubeedge.io']) {
      const crd = await kube.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      expect(isEstablished(crd), name).toBe(true);
    }
    // served: a list call on a namespaced KubeEdge resource answers
    const list = await kube.list('/apis/reliablesyncs.kubeedge.io/v1alpha1/namespaces/default/objectsyncs');
    expect(Array.isArray(list.items)).toBe(true);
  });

  it('writes a config with every listener on loopback and the unsafe modules off', () => {
    const cc = must(cloud, 'cloudcore');
    const yaml = readFileSync(join(dir, 'cloud', 'cloudcore', 'cloudcore.yaml'), 'utf8');
    expect(yaml).not.toMatch(/0\.0\.0\.0/);
    expect(yaml).not.toMatch(/\/etc\/kubeedge|\/var\/lib\/kubeedge/);
    expect(yaml).toMatch(new RegExp(`port: ${cc.websocketPort}`));
    expect(yaml).toMatch(/iptablesManager:\n\s+enable: false/);
  });

  it('serves its CA as DER on GET /ca.crt, the same CA it keeps in the casecret Secret', async () => {
    const cc = must(cloud, 'cloudcore');
    const res = await httpsGetBuffer(`${cc.certServerUrl}/ca.crt`);
    expect(res.status).toBe(200);
    expect(res.body[0]).toBe(0x30); // DER: an ASN.1 SEQUENCE, not "-----BEGIN"
    const ca = new X509Certificate(res.body);
    expect(ca.ca).toBe(true);
    expect(res.body.equals(cc.caCertDer)).toBe(true);
    expect(cc.caCertPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const secret = await must(controlPlane, 'control plane').kube.get(`/api/v1/namespaces/${cloudCoreNamespace}/secrets/${caSecretName}`);
    const data = secret['data'] as Record<string, string>;
    expect(Buffer.from(data[caSecretKey] ?? '', 'base64').equals(res.body)).toBe(true);
  });

  it('exposes Prometheus metrics on the monitor port', async () => {
    expect(await httpOk(must(cloud, 'cloudcore').metricsUrl, { bodyMatches: /# TYPE/ })).toBe(true);
  });

  it('issues a bootstrap token of 4 dot-separated parts whose first part is the CA hash', async () => {
    const cc = must(cloud, 'cloudcore');
    const parts = cc.token.split('.');
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe(createHash('sha256').update(cc.caCertDer).digest('hex'));
    expect(await cc.readToken()).toBe(cc.token);
  });

  it('completes a TLS handshake on the WebSocket port with a server certificate for 127.0.0.1 signed by the CA', async () => {
    const cc = must(cloud, 'cloudcore');
    // the server certificate verifies (CA + IP SAN); CloudHub's "certificate required" alert comes only after
    const verified = await tlsSession({ host: '127.0.0.1', port: cc.websocketPort, ca: cc.caCertPem }, 0);
    expect(verified.handshake, verified.error).toBe(true);
    expect(verified.peer?.checkIssued(new X509Certificate(cc.caCertDer))).toBe(true);
    expect(verified.peer?.subjectAltName).toContain('IP Address:127.0.0.1');
  });

  it('requires a client certificate on the WebSocket port, and accepts one obtained with the token', async () => {
    const cc = must(cloud, 'cloudcore');
    // without a client certificate CloudHub ends the session right after the handshake
    const anonymous = await tlsSession({ host: '127.0.0.1', port: cc.websocketPort, rejectUnauthorized: false }, 2000);
    expect(anonymous.error ?? '').toMatch(/certificate required|closed by server|handshake/i);

    const key = join(dir, 'edge.key');
    const csr = join(dir, 'edge.csr.der');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    openssl(['req', '-new', '-key', key, '-subj', '/O=system:nodes/CN=system:node:edge-0', '-outform', 'DER', '-out', csr]);
    const jwt = cc.token.split('.').slice(1).join('.');
    const bad = await requestEdgeCert(cc.certServerUrl, `${jwt}x`, 'edge-0', readFileSync(csr));
    expect(bad.status).toBe(401);
    const signed = await requestEdgeCert(cc.certServerUrl, jwt, 'edge-0', readFileSync(csr));
    expect(signed.status).toBe(200);
    const cert = new X509Certificate(signed.body);
    expect(cert.subject).toContain('CN=system:node:edge-0');
    expect(cert.checkIssued(new X509Certificate(cc.caCertDer))).toBe(true);

    const mutual = await tlsSession({ host: '127.0.0.1', port: cc.websocketPort, ca: cc.caCertPem, cert: cert.toString(), key: readFileSync(key) }, 1000);
    expect(mutual.error).toBeUndefined();
    expect(mutual.handshake).toBe(true);
  });

  it('comes back after kill() + restart() with the same CA', async () => {
    const cc = must(cloud, 'cloudcore');
    const oldPid = cc.pid;
    await cc.kill();
    expect(cc.pid).toBeUndefined();
    expect(await isListening(cc.websocketPort)).toBe(false);
    const started = Date.now();
    await cc.restart();
    console.info(`cloudcore restart ready in ${Date.now() - started} ms`);
    expect(cc.pid).not.toBe(oldPid);
    const res = await httpsGetBuffer(`${cc.certServerUrl}/ca.crt`);
    expect(res.body.equals(cc.caCertDer)).toBe(true);
    // a new token is issued at each start; it is bound to the same CA
    expect((await cc.readToken()).split('.')[0]).toBe(cc.token.split('.')[0]);
  });

  it('refuses a taken WebSocket port before spawning, with E_PORT_TAKEN naming cloudcore, the port and a fix', async () => {
    const cp = must(controlPlane, 'control plane');
    const port = await freePort();
    // a plain TCP listener on the port; it drops what connects, so close() below does not wait on probes
    const blocker: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    const before = liveProcesses().length;
    try {
      const err: unknown = await startLocalCloudCore(cp, { stateDir: join(dir, 'taken'), ports: { websocket: port }, startTimeoutMs: 60_000 }, silentProgress).then(
        (cc) => cc.stop().then(() => 'started'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EdgeproofError);
      const e = err as EdgeproofError;
      expect(e.code).toBe('E_PORT_TAKEN');
      expect(e.exitCode).toBe(3);
      expect(e.where).toBe('cloudcore');
      expect(e.message).toContain(`127.0.0.1:${port}`);
      expect(e.oneLine()).toMatch(/^edgeproof: cloudcore: .* — fix: .+ \(log: .+cloudcore\.log\) \[E_PORT_TAKEN\]$/);
      expect(liveProcesses()).toHaveLength(before); // nothing was spawned
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('fails with E_COMPONENT_START naming cloudcore when its kubeconfig points at a dead apiserver', async () => {
    const cp = must(controlPlane, 'control plane');
    const dead = await freePort();
    const kubeconfig = join(dir, 'dead.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(cp.kubeconfigPath, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${dead}`));
    const err: unknown = await startLocalCloudCore(cp, { stateDir: join(dir, 'dead'), kubeconfigPath: kubeconfig, startTimeoutMs: 60_000 }, silentProgress).then(
      (cc) => cc.stop().then(() => 'started'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EdgeproofError);
    const e = err as EdgeproofError;
    // the real process dies (panic: failed to create system namespace … connection refused) within ~1.5 s
    expect(e.code).toBe('E_COMPONENT_START');
    expect(e.exitCode).toBe(3);
    expect(e.where).toBe('cloudcore');
    expect(e.message).toMatch(/connection refused/);
    expect(e.logFile).toBe(join(dir, 'dead', 'logs', 'cloudcore.log'));
    expect(e.fix).toContain(kubeconfig);
    expect(e.oneLine()).toMatch(/^edgeproof: cloudcore: .* — fix: .+ \(log: .+cloudcore\.log\) \[E_COMPONENT_START\]$/);
    console.info(`dead apiserver: ${e.oneLine()}`);
  });

  it('stop() ends every process it started and frees its ports', async () => {
    const cc = must(cloud, 'cloudcore');
    await cc.stop();
    await cc.stop(); // idempotent
    expect(await isListening(cc.websocketPort)).toBe(false);
    await must(controlPlane, 'control plane').stop();
    expect(liveProcesses().map((p) => `${p.name} (pid ${p.pid})`)).toEqual([]);
  });
});
