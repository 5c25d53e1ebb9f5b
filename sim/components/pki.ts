import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeproofError } from '../core/errors.ts';

/**
 * Per-run PKI for the local control plane, made with the openssl CLI (Node has no X.509 issuing API):
 * a CA, the apiserver's serving certificate for 127.0.0.1, an admin client certificate in system:masters,
 * and the service-account signing key pair. Fresh per run, so no state leaks between runs.
 */
export interface ControlPlanePki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

function openssl(args: readonly string[], where: string): void {
  const res = spawnSync('openssl', [...args], { encoding: 'utf8' });
  if (res.error !== undefined) {
    throw new EdgeproofError('E_TOOL_MISSING', '`openssl` is needed to create the control plane certificates and was not found', {
      where,
      fix: 'apt-get install openssl',
    });
  }
  if (res.status !== 0) {
    throw new EdgeproofError('E_COMPONENT_START', `openssl ${args[0] ?? ''} failed: ${res.stderr.trim().split('\n').pop() ?? ''}`, {
      where,
      fix: 'check the openssl installation (`openssl version`)',
    });
  }
}

function ecKey(path: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path], 'pki');
}

function issue(dir: string, name: string, subject: string, extensions: string, ca: { cert: string; key: string }): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  ecKey(key);
  writeFileSync(ext, extensions);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], 'pki');
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '365', '-sha256', '-extfile', ext, '-out', cert], 'pki');
  return { cert, key };
}

export function createControlPlanePki(dir: string, extraServerNames: readonly string[] = []): ControlPlanePki {
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  ecKey(caKey);
  openssl(['req', '-x509', '-new', '-key', caKey, '-subj', '/CN=edgeproof-ca', '-days', '3650', '-sha256', '-out', caCert], 'pki');
  const ca = { cert: caCert, key: caKey };
  const sans = [
    'IP:127.0.0.1',
    'IP:10.96.0.1',
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
    ...extraServerNames.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)),
  ];
  const server = issue(dir, 'apiserver', '/CN=kube-apiserver', `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`, ca);
  const admin = issue(dir, 'admin', '/O=system:masters/CN=edgeproof-admin', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n', ca);
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  ecKey(saKey);
  openssl(['ec', '-in', saKey, '-pubout', '-out', saPub], 'pki');
  return {
    dir,
    caCert,
    caKey,
    apiserverCert: server.cert,
    apiserverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    serviceAccountKey: saKey,
    serviceAccountPub: saPub,
  };
}

/** A self-contained kubeconfig (certificates embedded), usable by kubectl, client-go and any other client. */
export function writeKubeconfig(path: string, server: string, pki: Pick<ControlPlanePki, 'caCert' | 'adminCert' | 'adminKey'>): void {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: edgeproof',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    'users:',
    '- name: edgeproof-admin',
    '  user:',
    `    client-certificate-data: ${b64(pki.adminCert)}`,
    `    client-key-data: ${b64(pki.adminKey)}`,
    'contexts:',
    '- name: edgeproof',
    '  context:',
    '    cluster: edgeproof',
    '    user: edgeproof-admin',
    'current-context: edgeproof',
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
}
