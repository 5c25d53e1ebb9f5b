/**
 * Edge certificate bootstrap, as edgecore's CertManager does it (kubeedge edge/pkg/edgehub/certificate/
 * certmanager.go + http/http.go) against CloudHub's HTTPS server (cloud/pkg/cloudhub/servers/httpserver/).
 *
 * 1. token = `<sha256hex(CA DER)>.<JWT>` (pkg/security/token/token.go); the JWT is HS256 over `{"exp":…}`
 *    keyed with the CA's private key DER.
 * 2. GET <httpServer>/ca.crt without verifying the server → CA DER; its SHA-256 must equal the token prefix.
 * 3. New ECDSA P-256 key; CSR with subject C=CN, ST=Zhejiang, L=Hangzhou, O=system:nodes,
 *    CN=system:node:<node>.
 * 4. GET <httpServer>/edge.crt — a GET with a body — body = CSR **DER** (csrPem.Bytes is the DER inside the
 *    PEM block), headers `Authorization: Bearer <JWT>` and `NodeName: <node>`, server verified against the CA
 *    from step 2 → 200 with the certificate DER, or an error status with a text body.
 * Rotation repeats 3–4 presenting the current certificate instead of the token.
 */
import { X509Certificate, createHash, createHmac, createPublicKey, generateKeyPair, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { EdgeproofError, messageOf, systemClock, type Clock, type Random } from '../core/index.ts';
import { toPem } from './transport.ts';

const WHERE = 'edge bootstrap';
const MAX_BODY = 1 << 20; // constants.MaxRespBodyLength
const DEFAULT_TIMEOUT_MS = 30_000; // http.go connectTimeout, also the client Timeout for /edge.crt

// ---------------------------------------------------------------------------------------------------------
// Token

export interface BootstrapToken {
  /** Lower-case hex SHA-256 of the CA certificate DER. */
  readonly caHash: string;
  /** The JWT part, sent as `Authorization: Bearer <jwt>`. */
  readonly jwt: string;
  readonly algorithm: string;
  /** JWT `exp` in ms since the epoch, if the token has one. */
  readonly expiresAt: number | undefined;
}

function tokenError(message: string): EdgeproofError {
  return new EdgeproofError('E_BAD_FLAG', message, {
    where: `${WHERE}: token`,
    fix: 'use the current token from CloudCore (`keadm gettoken`, or secret kubeedge/tokensecret key tokendata)',
  });
}

function base64UrlJson(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw tokenError(`the JWT ${what} is not base64url`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (e) {
    throw tokenError(`the JWT ${what} is not JSON: ${messageOf(e)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw tokenError(`the JWT ${what} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * Split and sanity-check a bootstrap token. edgecore only checks that there are four dot-separated parts
 * and compares the hash; the JWT checks here fail early with a clear reason where CloudCore would answer 401.
 */
export function parseBootstrapToken(token: string, clock?: Clock): BootstrapToken {
  const trimmed = token.trim();
  const parts = trimmed.split('.');
  if (parts.length !== 4) throw tokenError(`the token has ${parts.length} dot-separated parts, expected 4 (<ca hash>.<jwt header>.<jwt claims>.<jwt signature>)`);
  const [caHash, h, c, s] = parts as [string, string, string, string];
  if (!/^[0-9a-f]{64}$/.test(caHash)) throw tokenError('the token does not start with a lower-case hex SHA-256 of the CA certificate');
  const header = base64UrlJson(h, 'header');
  const claims = base64UrlJson(c, 'claims');
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw tokenError('the JWT signature is empty or not base64url');
  const alg = header['alg'];
  if (alg !== 'HS256' && alg !== 'HS384' && alg !== 'HS512') {
    throw tokenError(`the JWT is signed with ${JSON.stringify(alg)}; CloudCore only accepts HMAC (HS256)`);
  }
  const exp = claims['exp'];
  if (exp !== undefined && typeof exp !== 'number') throw tokenError('the JWT exp claim is not a number');
  const expiresAt = exp === undefined ? undefined : exp * 1000;
  if (clock !== undefined && expiresAt !== undefined && expiresAt <= clock.now()) {
    throw tokenError(`the token expired at ${new Date(expiresAt).toISOString()}`);
  }
  return { caHash, jwt: `${h}.${c}.${s}`, algorithm: alg, expiresAt };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** token.Create: for fake CloudCores and tests. */
export function createBootstrapToken(options: { readonly caDer: Uint8Array; readonly caKeyDer: Uint8Array; readonly expiresAtMs: number }): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const claims = Buffer.from(JSON.stringify({ exp: Math.floor(options.expiresAtMs / 1000) })).toString('base64url');
  const signature = createHmac('sha256', options.caKeyDer).update(`${header}.${claims}`).digest('base64url');
  return `${sha256Hex(options.caDer)}.${header}.${claims}.${signature}`;
}

/** token.Verify (golang-jwt Parse with an HMAC key): for fake CloudCores and tests. */
export function verifyBootstrapJwt(jwt: string, caKeyDer: Uint8Array, nowMs: number): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'token contains an invalid number of segments' };
  const [h, c, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = base64UrlJson(h, 'header');
    claims = base64UrlJson(c, 'claims');
  } catch (e) {
    return { ok: false, reason: `token is malformed: ${messageOf(e)}` };
  }
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[String(header['alg'])];
  if (hash === undefined) return { ok: false, reason: `invalid token method type ${String(header['alg'])}` };
  const expected = createHmac(hash, caKeyDer).update(`${h}.${c}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'token signature is invalid' };
  const exp = claims['exp'];
  if (exp !== undefined && (typeof exp !== 'number' || exp * 1000 <= nowMs)) return { ok: false, reason: 'token has invalid claims: token is expired' };
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------
// Keys and CSR (hand-built DER: Node has no CSR API, and the encoding follows Go's x509 byte for byte)

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}
function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * (arcs[0] ?? 0) + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
/** Go's asn1 marshals a string as PrintableString when it can, else UTF8String. */
function directoryString(s: string): Buffer {
  return tlv(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? 0x13 : 0x0c, Buffer.from(s, 'utf8'));
}

const OID = {
  country: '2.5.4.6',
  province: '2.5.4.8',
  locality: '2.5.4.7',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
} as const;

/** The subject edgecore puts in its CSR, in pkix.Name.ToRDNSequence order. */
export function edgeCsrSubject(nodeName: string): readonly (readonly [string, string])[] {
  return [
    [OID.country, 'CN'],
    [OID.province, 'Zhejiang'],
    [OID.locality, 'Hangzhou'],
    [OID.organization, 'system:nodes'],
    [OID.commonName, `system:node:${nodeName}`],
  ];
}

export interface EdgeKey {
  readonly privateKey: KeyObject;
  /** SEC1 DER, what edgecore writes (PEM type "EC PRIVATE KEY"). */
  readonly keyDer: Buffer;
  readonly keyPem: string;
}

/** ECDSA P-256, like certs.x509CertsHandler.GenPrivateKey. Async: key generation runs off the event loop. */
export function generateEdgeKey(): Promise<EdgeKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', { namedCurve: 'prime256v1' }, (err, _publicKey, privateKey) => {
      if (err !== null) {
        reject(new EdgeproofError('E_INTERNAL', `EC key generation failed: ${err.message}`, { where: WHERE, cause: err }));
        return;
      }
      resolve({
        privateKey,
        keyDer: privateKey.export({ type: 'sec1', format: 'der' }),
        keyPem: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
      });
    });
  });
}

/** PKCS#10 CSR DER for `nodeName`, signed ecdsa-with-SHA256, no attributes (Go writes `[0] {}`). */
export function createEdgeCsr(nodeName: string, privateKey: KeyObject): Buffer {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const subject = tlv(0x30, ...edgeCsrSubject(nodeName).map(([o, v]) => tlv(0x31, tlv(0x30, oid(o), directoryString(v)))));
  const info = tlv(0x30, tlv(0x02, Buffer.from([0])), subject, spki, tlv(0xa0));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  return tlv(0x30, info, tlv(0x30, oid(OID.ecdsaWithSHA256)), tlv(0x03, Buffer.from([0]), signature));
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

interface HttpResult {
  readonly status: number;
  readonly body: Buffer;
}

interface HttpOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly ca?: string;
  readonly clientCert?: { readonly cert: string; readonly key: string };
  readonly insecure: boolean;
  readonly timeoutMs: number;
}

function httpGet(options: HttpOptions): Promise<HttpResult> {
  const where = `${WHERE}: GET ${options.url}`;
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (e) {
    return Promise.reject(new EdgeproofError('E_BAD_FLAG', `not a URL: ${options.url}`, { where, fix: 'pass httpServer as https://<host>:10002', cause: e }));
  }
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'User-Agent': 'Go-http-client/1.1', ...options.headers };
    if (options.body !== undefined) headers['Content-Length'] = String(options.body.length);
    const req = httpsRequest(
      {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers,
        agent: false,
        rejectUnauthorized: !options.insecure,
        minVersion: 'TLSv1.2',
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.clientCert === undefined ? {} : { cert: options.clientCert.cert, key: options.clientCert.key }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy(new EdgeproofError('E_PROTOCOL', `response body exceeds ${MAX_BODY} bytes`, { where }));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', (e) => reject(wrapNetError(e, where)));
      },
    );
    req.setTimeout(options.timeoutMs, () => {
      req.destroy(new EdgeproofError('E_TIMEOUT', `no answer within ${options.timeoutMs} ms`, { where, fix: 'check that CloudCore’s HTTPS server (port 10002) is up' }));
    });
    req.on('error', (e) => reject(wrapNetError(e, where)));
    req.end(options.body);
  });
}

function wrapNetError(e: Error, where: string): EdgeproofError {
  if (e instanceof EdgeproofError) return e;
  return new EdgeproofError('E_BACKEND_UNAVAILABLE', `request failed: ${e.message}`, {
    where,
    fix: 'check that CloudCore’s HTTPS server (modules.cloudHub.https, port 10002) is reachable and its certificate is issued by the CA',
    cause: e,
  });
}

/** GET /ca.crt without verifying the server (edgecore: InsecureSkipVerify, it checks the hash instead). */
export async function fetchCaCertificate(httpServer: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
  const url = `${httpServer}/ca.crt`;
  const res = await httpGet({ url, insecure: true, timeoutMs });
  // edgecore ignores the status and lets the hash check fail; naming the status is kinder
  if (res.status !== 200) {
    throw new EdgeproofError('E_BACKEND_UNAVAILABLE', `GET /ca.crt answered HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`, {
      where: `${WHERE}: GET ${url}`,
      fix: 'point httpServer at CloudCore’s HTTPS port (default 10002)',
    });
  }
  return res.body;
}

export interface EdgeCertRequest {
  readonly httpServer: string;
  readonly nodeName: string;
  /** CA certificate (PEM or DER) that CloudCore's HTTPS server certificate chains to. */
  readonly ca: string | Uint8Array;
  readonly csrDer: Buffer;
  /** Bootstrap: the JWT. Rotation: omit and pass clientCert. */
  readonly jwt?: string;
  readonly clientCert?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
  readonly timeoutMs?: number;
}

/** GET /edge.crt with the CSR DER as body → certificate DER. */
export async function requestEdgeCertificate(req: EdgeCertRequest): Promise<Buffer> {
  const url = `${req.httpServer}/edge.crt`;
  const headers: Record<string, string> = {};
  // BuildRequest adds each header only when non-empty
  if (req.jwt !== undefined && req.jwt !== '') headers['Authorization'] = `Bearer ${req.jwt}`;
  if (req.nodeName !== '') headers['NodeName'] = req.nodeName;
  const res = await httpGet({
    url,
    headers,
    body: req.csrDer,
    ca: toPem(req.ca, 'CERTIFICATE'),
    ...(req.clientCert === undefined
      ? {}
      : { clientCert: { cert: toPem(req.clientCert.cert, 'CERTIFICATE'), key: toPem(req.clientCert.key, 'EC PRIVATE KEY') } }),
    insecure: false,
    timeoutMs: req.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  if (res.status === 200) return res.body;
  const message = `GET /edge.crt answered HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`;
  if (res.status === 401) {
    throw new EdgeproofError('E_BAD_FLAG', message, {
      where: `${WHERE}: GET ${url}`,
      fix: req.jwt === undefined ? 'the current certificate was rejected; bootstrap again with a token' : 'get a fresh token from CloudCore (`keadm gettoken`)',
      context: { status: res.status },
    });
  }
  throw new EdgeproofError('E_BACKEND_UNAVAILABLE', message, { where: `${WHERE}: GET ${url}`, fix: 'see CloudCore’s log for the signing error', context: { status: res.status } });
}

// ---------------------------------------------------------------------------------------------------------
// The whole dance

export interface EdgeCredentials {
  readonly caDer: Buffer;
  readonly caPem: string;
  readonly certDer: Buffer;
  readonly certPem: string;
  readonly keyDer: Buffer;
  readonly keyPem: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface BootstrapOptions {
  /** edgecore `modules.edgeHub.httpServer`, e.g. `https://10.0.0.1:10002`. */
  readonly httpServer: string;
  readonly token: string;
  readonly nodeName: string;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
}

function checkIssued(certDer: Buffer, caDer: Buffer, nodeName: string, where: string): X509Certificate {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certDer);
    ca = new X509Certificate(caDer);
  } catch (e) {
    throw new EdgeproofError('E_PROTOCOL', `CloudCore returned something that is not a DER certificate: ${messageOf(e)}`, { where, cause: e });
  }
  // edgecore's getCurrent rejects a certificate whose CN is not system:node:<node>
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  if (cn !== `system:node:${nodeName}`) {
    throw new EdgeproofError('E_PROTOCOL', `issued certificate has CN ${JSON.stringify(cn)}, expected "system:node:${nodeName}"`, { where });
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new EdgeproofError('E_PROTOCOL', 'issued certificate is not signed by the bootstrap CA', { where });
  }
  return cert;
}

function credentials(caDer: Buffer, certDer: Buffer, cert: X509Certificate, key: EdgeKey): EdgeCredentials {
  return {
    caDer,
    caPem: toPem(caDer, 'CERTIFICATE'),
    certDer,
    certPem: toPem(certDer, 'CERTIFICATE'),
    keyDer: key.keyDer,
    keyPem: key.keyPem,
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
  };
}

/** CertManager.applyCerts: token → CA → CSR → certificate. */
export async function bootstrapEdgeCertificate(options: BootstrapOptions): Promise<EdgeCredentials> {
  const token = parseBootstrapToken(options.token, options.clock ?? systemClock);
  const caDer = await fetchCaCertificate(options.httpServer, options.timeoutMs);
  const actual = sha256Hex(caDer);
  if (actual !== token.caHash) {
    throw new EdgeproofError('E_BAD_FLAG', `failed to validate CA certificate. tokenCAhash: ${token.caHash}, CAhash: ${actual}`, {
      where: `${WHERE}: ${options.httpServer}/ca.crt`,
      fix: 'the token belongs to another CloudCore (or the CA was rotated): fetch the token from this CloudCore',
    });
  }
  const key = await generateEdgeKey();
  const certDer = await requestEdgeCertificate({
    httpServer: options.httpServer,
    nodeName: options.nodeName,
    ca: caDer,
    csrDer: createEdgeCsr(options.nodeName, key.privateKey),
    jwt: token.jwt,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const cert = checkIssued(certDer, caDer, options.nodeName, `${WHERE}: ${options.httpServer}/edge.crt`);
  return credentials(caDer, certDer, cert, key);
}

/** CertManager.rotateCert: a new key and CSR, authenticated by the current certificate instead of a token. */
export async function rotateEdgeCertificate(options: {
  readonly httpServer: string;
  readonly nodeName: string;
  readonly current: EdgeCredentials;
  readonly timeoutMs?: number;
}): Promise<EdgeCredentials> {
  const key = await generateEdgeKey();
  const certDer = await requestEdgeCertificate({
    httpServer: options.httpServer,
    nodeName: options.nodeName,
    ca: options.current.caDer,
    csrDer: createEdgeCsr(options.nodeName, key.privateKey),
    clientCert: { cert: options.current.certPem, key: options.current.keyPem },
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const cert = checkIssued(certDer, options.current.caDer, options.nodeName, `${WHERE}: ${options.httpServer}/edge.crt`);
  return credentials(options.current.caDer, certDer, cert, key);
}

/**
 * When edgecore rotates: notBefore + jitteryDuration(total), i.e. wait.Jitter(d, 0.2) − 0.3·d = d·(0.7 + 0.2·r),
 * somewhere in 70–90 % of the certificate's lifetime (certmanager.go nextRotationDeadline).
 */
export function rotationDeadline(notBefore: number, notAfter: number, random: Random): number {
  const total = notAfter - notBefore;
  return notBefore + total * (0.7 + 0.2 * random.next());
}
