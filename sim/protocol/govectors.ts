/**
 * Builds and drives the Go half of the byte-compatibility proof (govectors/main.go). Test support only; not
 * part of the protocol's public face. The binary is cached under cacheRoot()/govectors/<hash>/ keyed by the
 * program's sources and the Go version, so only the first run on a machine pays for `go build`.
 */
import { createHash } from 'node:crypto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeproofError, cacheRoot } from '../core/index.ts';

const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'govectors');
const SOURCES = ['main.go', 'go.mod', 'go.sum'];

interface RunResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], options: { cwd?: string; input?: Buffer | string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

let built: Promise<string> | undefined;

/** Path of the govectors binary, building it once per source hash. */
export function goVectorsBinary(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  let version: RunResult;
  try {
    version = await run('go', ['env', 'GOVERSION']);
  } catch (e) {
    throw new EdgeproofError('E_TOOL_MISSING', 'the Go toolchain is needed to build the protocol test vectors', {
      where: 'protocol govectors',
      fix: 'install Go ≥ 1.23 and put `go` on PATH',
      cause: e,
    });
  }
  const hash = createHash('sha256').update(version.stdout);
  for (const f of SOURCES) hash.update(f).update(await readFile(join(SOURCE_DIR, f)));
  const dir = join(cacheRoot(), 'govectors', hash.digest('hex').slice(0, 16));
  const bin = join(dir, 'govectors');
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  const env = { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false', GONOSUMDB: 'github.com/kubeedge/kubernetes' };
  const res = await run('go', ['build', '-trimpath', '-o', tmp, '.'], { cwd: SOURCE_DIR, env });
  if (res.code !== 0) {
    await rm(tmp, { force: true });
    throw new EdgeproofError('E_COMPONENT_BUILD', `go build of the protocol test vectors failed: ${res.stderr.trim().split('\n').slice(-5).join(' | ')}`, {
      where: 'protocol govectors',
      fix: `run \`go build .\` in ${SOURCE_DIR} and fix what it reports (module download needs the Go proxy or a warm module cache)`,
    });
  }
  // rename is atomic, so a concurrent builder never sees half a binary
  await rename(tmp, bin);
  return bin;
}

async function goRun(args: readonly string[], input?: Buffer | string): Promise<Buffer> {
  const bin = await goVectorsBinary();
  const res = await run(bin, args, input === undefined ? {} : { input });
  if (res.code !== 0) {
    throw new EdgeproofError('E_INTERNAL', `govectors ${args[0] ?? ''} failed: ${res.stderr.trim()}`, { where: 'protocol govectors' });
  }
  return res.stdout;
}

export type GoReencode = { readonly ok: true; readonly frame: Buffer } | { readonly ok: false; readonly error: string };

/** Feed frames to Go's ReadJSON into model.Message and return what WriteJSON writes back (or Go's error). */
export async function goReencode(frames: readonly (Buffer | string)[]): Promise<GoReencode[]> {
  const input = frames.map((f) => Buffer.from(f).toString('base64')).join('\n') + '\n';
  const lines = (await goRun(['reencode'], input)).toString('utf8').split('\n').filter((l) => l !== '');
  if (lines.length !== frames.length) {
    throw new EdgeproofError('E_INTERNAL', `govectors answered ${lines.length} lines for ${frames.length} frames`, { where: 'protocol govectors' });
  }
  return lines.map((l) =>
    l.startsWith('OK ') ? { ok: true, frame: Buffer.from(l.slice(3), 'base64') } : { ok: false, error: l.replace(/^ERR /, '') },
  );
}

/**
 * One long-lived `govectors reencode` process answering a frame at a time, so fast-check can call Go inside
 * an async property (and shrink against it) without paying a process start per run.
 */
export class GoReencoder {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private pending = '';
  private exited: string | undefined;

  private constructor(bin: string) {
    this.child = spawn(bin, ['reencode'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.pending += chunk;
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    let stderr = '';
    this.child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    this.child.on('exit', (code) => {
      this.exited = `govectors reencode exited (${String(code)}): ${stderr.trim()}`;
      for (const w of this.waiting.splice(0)) w(`ERR ${this.exited}`);
    });
  }

  static async start(): Promise<GoReencoder> {
    return new GoReencoder(await goVectorsBinary());
  }

  reencode(frame: Buffer | string): Promise<GoReencode> {
    if (this.exited !== undefined) {
      return Promise.reject(new EdgeproofError('E_INTERNAL', this.exited, { where: 'protocol govectors' }));
    }
    return new Promise((resolve) => {
      this.waiting.push((line) =>
        resolve(line.startsWith('OK ') ? { ok: true, frame: Buffer.from(line.slice(3), 'base64') } : { ok: false, error: line.replace(/^ERR /, '') }),
      );
      this.child.stdin.write(Buffer.from(frame).toString('base64') + '\n');
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** Messages built in Go with beehive's constructors, by name, as WriteJSON frames. */
export async function goConstructed(): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const line of (await goRun(['construct'])).toString('utf8').split('\n')) {
    if (line === '') continue;
    const [name, b64] = line.split(' ');
    if (name !== undefined && b64 !== undefined) out.set(name, Buffer.from(b64, 'base64'));
  }
  return out;
}

export interface GoPki {
  readonly caDer: Buffer;
  readonly caKeyDer: Buffer;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
}

/** A throwaway CA and a 127.0.0.1/localhost server certificate, generated like CloudCore's. */
export async function goPki(dir: string): Promise<GoPki> {
  await goRun(['pki', dir]);
  return {
    caDer: await readFile(join(dir, 'ca.der')),
    caKeyDer: await readFile(join(dir, 'ca.key.der')),
    serverCertPem: await readFile(join(dir, 'server.pem'), 'utf8'),
    serverKeyPem: await readFile(join(dir, 'server.key.pem'), 'utf8'),
  };
}

export type GoSign = { readonly ok: true; readonly certDer: Buffer } | { readonly ok: false; readonly error: string };

/** Sign a CSR (DER) with the CA in `dir` the way CloudCore's SignCerts does; Go parses and checks the CSR. */
export async function goSign(dir: string, csrDer: Buffer): Promise<GoSign> {
  const res = await run(await goVectorsBinary(), ['sign', dir], { input: csrDer });
  return res.code === 0 ? { ok: true, certDer: res.stdout } : { ok: false, error: res.stderr.trim() };
}

export interface GoCsrInfo {
  readonly subject: string;
  readonly commonName: string;
  readonly organization: readonly string[];
  readonly signatureAlgorithm: string;
  readonly publicKeyAlgorithm: string;
  readonly signatureValid: boolean;
  readonly extensions: number;
  readonly curve?: string;
}

/** What Go's x509.ParseCertificateRequest sees in a CSR (the parse CloudCore runs in SignCerts). */
export async function goCsrInfo(csrDer: Buffer): Promise<GoCsrInfo> {
  return JSON.parse((await goRun(['csrinfo'], csrDer)).toString('utf8')) as GoCsrInfo;
}

/** The CSR edgecore builds (x509.CreateCertificateRequest) for this node with this SEC1 key. */
export async function goCsr(nodeName: string, keyDer: Buffer): Promise<Buffer> {
  return goRun(['csr', nodeName], keyDer);
}
