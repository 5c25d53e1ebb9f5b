import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeproofError, ManualClock, seededRandom } from '../core/index.ts';
import {
  bootstrapEdgeCertificate,
  createBootstrapToken,
  createEdgeCsr,
  generateEdgeKey,
  parseBootstrapToken,
  rotateEdgeCertificate,
  rotationDeadline,
  sha256Hex,
  verifyBootstrapJwt,
  type EdgeCredentials,
} from './bootstrap.ts';
import { goCsr, goCsrInfo, goPki, goSign, type GoPki } from './govectors.ts';
import { startTestWsServer } from './testserver.ts';
import { LinkMeter } from '../network/link-meter.ts';
import { dialWebSocket, toPem } from './transport.ts';
import { rejection } from '../../conformance/support/rejection.ts';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly peerCn: string | undefined;
}

/**
 * Mimics cloud/pkg/cloudhub/servers/httpserver: GET /ca.crt and GET /edge.crt only, client certificates
 * requested but not required (tls.RequestClientCert), a presented certificate replaces the token, signing
 * by Go's x509 (govectors sign). It records what the client sent.
 */
async function startCertServer(dir: string, pki: GoPki, options: { failSigning?: boolean } = {}): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const ca = new X509Certificate(pki.caDer);
  const server: Server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const peerCn = peer.subject === undefined ? undefined : String(peer.subject.CN);
        const body = Buffer.concat(chunks);
        seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, peerCn });
        const reply = (status: number, payload: string | Buffer): void => {
          res.writeHead(status);
          res.end(payload);
        };
        if (req.url === '/ca.crt' && req.method === 'GET') return reply(200, pki.caDer);
        if (req.url !== '/edge.crt') return reply(404, '404 page not found');
        if (req.method !== 'GET') return reply(405, 'Method Not Allowed');
        const nodeName = String(req.headers['nodename'] ?? '');
        if (peerCn !== undefined) {
          const cert = new X509Certificate(peer.raw);
          if (!cert.checkIssued(ca) || peerCn !== `system:node:${nodeName}`) return reply(401, 'request node name is not match with the certificate');
        } else {
          const parts = String(req.headers['authorization'] ?? '').split(' ');
          if (parts.length !== 2) return reply(401, 'token validation failure, token cannot be split');
          const v = verifyBootstrapJwt(parts[1] ?? '', pki.caKeyDer, Date.now());
          if (!v.ok) return reply(401, `token validation failure, err: ${v.reason}`);
        }
        if (options.failSigning === true) return reply(500, 'failed to sign certs for edgenode');
        const signed = await goSign(dir, body);
        return signed.ok ? reply(200, signed.certDer) : reply(500, `failed to sign certs for edgenode ${nodeName}, err: ${signed.error}`);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}


let dir: string;
let otherDir: string;
let pki: GoPki;
let other: GoPki;
let server: Awaited<ReturnType<typeof startCertServer>>;
let token: string;
const hour = 3_600_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeproof-bootstrap-'));
  otherDir = await mkdtemp(join(tmpdir(), 'edgeproof-bootstrap-other-'));
  pki = await goPki(dir);
  other = await goPki(otherDir);
  server = await startCertServer(dir, pki);
  token = createBootstrapToken({ caDer: pki.caDer, caKeyDer: pki.caKeyDer, expiresAtMs: Date.now() + 24 * hour });
}, 300_000);

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
  await rm(otherDir, { recursive: true, force: true });
});

describe('token', () => {
  it('splits into CA hash and JWT, as token.Create builds it', () => {
    const t = parseBootstrapToken(token);
    expect(t.caHash).toBe(sha256Hex(pki.caDer));
    expect(t.jwt.split('.')).toHaveLength(3);
    expect(t.algorithm).toBe('HS256');
    expect(t.expiresAt).toBeGreaterThan(Date.now());
    expect(verifyBootstrapJwt(t.jwt, pki.caKeyDer, Date.now())).toEqual({ ok: true });
    expect(verifyBootstrapJwt(t.jwt, other.caKeyDer, Date.now()).ok).toBe(false);
    expect(verifyBootstrapJwt(t.jwt, pki.caKeyDer, Date.now() + 48 * hour)).toMatchObject({ ok: false, reason: /expired/ });
  });

  it.each([
    ['too few parts', 'abc.def', /2 dot-separated parts/],
    ['bad hash', `${'A'.repeat(64)}.eyJ9.eyJ9.c2ln`, /lower-case hex SHA-256/],
    ['header not JSON', `${'a'.repeat(64)}.bm9wZQ.eyJ9.c2ln`, /header is not JSON/],
    ['wrong alg', `${'a'.repeat(64)}.${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`, /only accepts HMAC/],
  ])('rejects a token with %s', (_n, bad, pattern) => {
    expect(() => parseBootstrapToken(bad)).toThrow(pattern);
    try {
      parseBootstrapToken(bad);
    } catch (e) {
      expect((e as EdgeproofError).code).toBe('E_BAD_FLAG');
    }
  });

  it('rejects an expired token before any request', () => {
    expect(() => parseBootstrapToken(token, new ManualClock(Date.now() + 25 * hour))).toThrow(/expired/);
  });
});

describe('CSR', () => {
  it('is byte-identical to edgecore’s for the same key, up to the signature', async () => {
    const key = await generateEdgeKey();
    const ours = createEdgeCsr('edge-1', key.privateKey);
    const theirs = await goCsr('edge-1', key.keyDer);
    // CertificationRequest = SEQUENCE { info, algorithm, signature }; info and algorithm are deterministic
    const infoAndAlgorithm = (csr: Buffer): Buffer => {
      const start = csr[1] === 0x81 ? 3 : csr[1] === 0x82 ? 4 : 2;
      const infoLen = csr[start + 1] === 0x81 ? (csr[start + 2] as number) + 3 : (csr[start + 2] as number) * 256 + (csr[start + 3] as number) + 4;
      return csr.subarray(start, start + infoLen + 12);
    };
    expect(infoAndAlgorithm(ours).toString('hex')).toBe(infoAndAlgorithm(theirs).toString('hex'));
    expect(ours.subarray(0, 1).toString('hex')).toBe('30');
  });

  it('is what CloudCore’s x509 parser expects', async () => {
    const key = await generateEdgeKey();
    const info = await goCsrInfo(createEdgeCsr('edge-1', key.privateKey));
    expect(info).toMatchObject({
      subject: 'CN=system:node:edge-1,O=system:nodes,L=Hangzhou,ST=Zhejiang,C=CN',
      commonName: 'system:node:edge-1',
      organization: ['system:nodes'],
      signatureAlgorithm: 'ECDSA-SHA256',
      publicKeyAlgorithm: 'ECDSA',
      curve: 'P-256',
      signatureValid: true,
      extensions: 0,
    });
  });

  it('a corrupted CSR is caught by the same check', async () => {
    const key = await generateEdgeKey();
    const csr = createEdgeCsr('edge-1', key.privateKey);
    csr[csr.length - 5] = (csr[csr.length - 5] as number) ^ 0xff;
    expect((await goCsrInfo(csr)).signatureValid).toBe(false);
    expect((await goSign(dir, csr)).ok).toBe(false);
  });
});

describe('bootstrap against a CloudHub-shaped HTTPS server', () => {
  let creds: EdgeCredentials;

  it('fetches the CA, checks it against the token, and gets a node certificate', async () => {
    const before = server.seen.length;
    creds = await bootstrapEdgeCertificate({ httpServer: server.url, token, nodeName: 'edge-1' });
    const [caReq, certReq] = server.seen.slice(before);
    expect(caReq).toMatchObject({ method: 'GET', path: '/ca.crt', peerCn: undefined });
    expect(caReq?.headers['authorization']).toBeUndefined();
    expect(certReq).toMatchObject({ method: 'GET', path: '/edge.crt', peerCn: undefined });
    expect(certReq?.headers['authorization']).toBe(`Bearer ${parseBootstrapToken(token).jwt}`);
    expect(certReq?.headers['nodename']).toBe('edge-1');
    expect(certReq?.headers['content-length']).toBe(String(certReq?.body.length));
    expect(certReq?.body[0]).toBe(0x30); // DER, not PEM
    const cert = new X509Certificate(creds.certDer);
    expect(cert.subject).toContain('CN=system:node:edge-1');
    expect(cert.subject).toContain('O=system:nodes');
    expect(cert.checkIssued(new X509Certificate(pki.caDer))).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(creds.keyPem))).toBe(true);
    expect(creds.keyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(creds.notAfter - creds.notBefore).toBeGreaterThan(364 * 24 * hour);
  });

  it('rotates with the current certificate instead of the token', async () => {
    const before = server.seen.length;
    const next = await rotateEdgeCertificate({ httpServer: server.url, nodeName: 'edge-1', current: creds });
    const req = server.seen[before];
    expect(req?.peerCn).toBe('system:node:edge-1');
    expect(req?.headers['authorization']).toBeUndefined();
    expect(next.certDer.equals(creds.certDer)).toBe(false);
    expect(next.caDer.equals(creds.caDer)).toBe(true);
  });

  it('refuses a CA that does not match the token hash and never sends a CSR', async () => {
    const foreign = createBootstrapToken({ caDer: other.caDer, caKeyDer: pki.caKeyDer, expiresAtMs: Date.now() + hour });
    const before = server.seen.length;
    const err = await rejection(bootstrapEdgeCertificate({ httpServer: server.url, token: foreign, nodeName: 'edge-2' }));
    expect(err.code).toBe('E_BAD_FLAG');
    expect(err.message).toMatch(/failed to validate CA certificate/);
    expect(server.seen.slice(before).map((s) => s.path)).toEqual(['/ca.crt']);
  });

  it('surfaces the server’s 401 for a token signed with the wrong key', async () => {
    const forged = createBootstrapToken({ caDer: pki.caDer, caKeyDer: other.caKeyDer, expiresAtMs: Date.now() + hour });
    const err = await rejection(bootstrapEdgeCertificate({ httpServer: server.url, token: forged, nodeName: 'edge-3' }));
    expect(err.code).toBe('E_BAD_FLAG');
    expect(err.message).toMatch(/HTTP 401: token validation failure, err: token signature is invalid/);
  });

  it('surfaces signing failures and unreachable servers', async () => {
    const failing = await startCertServer(dir, pki, { failSigning: true });
    try {
      const err = await rejection(bootstrapEdgeCertificate({ httpServer: failing.url, token, nodeName: 'edge-4' }));
      expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
      expect(err.message).toMatch(/HTTP 500/);
    } finally {
      await failing.close();
    }
    const err = await rejection(bootstrapEdgeCertificate({ httpServer: 'https://127.0.0.1:1', token, nodeName: 'edge-5', timeoutMs: 2000 }));
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
  });

  it('the issued certificate opens an mTLS WebSocket that a foreign certificate cannot', async () => {
    const ws = await startTestWsServer({ tls: { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: toPem(pki.caDer, 'CERTIFICATE') } });
    try {
      const dialing = dialWebSocket({ server: `127.0.0.1:${ws.port}`, nodeName: 'edge-1', tls: { cert: creds.certDer, key: creds.keyPem, ca: creds.caDer } });
      const conn = await ws.nextConnection();
      const t = await dialing;
      expect(conn.peerCertificate?.subject.CN).toBe('system:node:edge-1');
      t.close();

      // through a meter (TLS on a TCP socket the meter holds): the same mTLS, and the meter sees ciphertext —
      // the client certificate went up, and a frame costs more than its plaintext
      const meter = new LinkMeter();
      const metered = dialWebSocket({ server: `127.0.0.1:${ws.port}`, nodeName: 'edge-1', tls: { cert: creds.certDer, key: creds.keyPem, ca: creds.caDer }, meter });
      const conn2 = await ws.nextConnection();
      const t2 = await metered;
      expect(conn2.peerCertificate?.subject.CN).toBe('system:node:edge-1');
      const before = meter.bytes();
      expect(before.up).toBeGreaterThan(creds.certDer.length);
      expect(before.down).toBeGreaterThan(pki.serverCertPem.length / 2);
      await t2.send('x'.repeat(1000));
      await conn2.nextFrame();
      expect(meter.bytes().up - before.up).toBeGreaterThan(1000 + 6);
      t2.close();

      const stranger = await generateEdgeKey();
      const strangerCert = await goSign(otherDir, createEdgeCsr('edge-1', stranger.privateKey));
      if (!strangerCert.ok) throw new Error(strangerCert.error);
      const err = await rejection(
        dialWebSocket({ server: `127.0.0.1:${ws.port}`, nodeName: 'edge-1', tls: { cert: strangerCert.certDer, key: stranger.keyPem, ca: creds.caDer }, handshakeTimeoutMs: 5000 }),
      );
      expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    } finally {
      await ws.close();
    }
  });
});

describe('rotation deadline', () => {
  it('falls in 70–90 % of the lifetime, replayably', () => {
    const r = seededRandom(3);
    for (let i = 0; i < 1000; i++) {
      const d = rotationDeadline(1000, 2000, r);
      expect(d).toBeGreaterThanOrEqual(1700);
      expect(d).toBeLessThanOrEqual(1900);
    }
    expect(rotationDeadline(0, 100, seededRandom(9))).toBe(rotationDeadline(0, 100, seededRandom(9)));
  });
});
