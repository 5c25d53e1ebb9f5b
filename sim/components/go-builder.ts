import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeproofError } from '../core/errors.ts';
import { cacheRoot } from '../core/paths.ts';
import type { Progress } from '../core/progress.ts';

/**
 * Builds Go programs from the Go module proxy through a small wrapper module (a go.mod that requires the
 * program's module and repeats the replace directives its own go.mod relies on). Outputs are cached outside
 * git under <cache>/<component>/<version>/bin, keyed by the wrapper's content, so a warm start takes seconds.
 */
export interface GoBuildRecipe {
  readonly component: string;
  readonly version: string;
  /** The wrapper module's go.mod, or a function producing it (e.g. from the upstream go.mod). */
  readonly goMod: string | (() => Promise<string>);
  readonly binaries: readonly { readonly importPath: string; readonly name: string }[];
  readonly ldflags: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface BuiltBinaries {
  readonly dir: string;
  readonly paths: Readonly<Record<string, string>>;
  /** Whether this call compiled anything (false: served from the cache). */
  readonly built: boolean;
  readonly seconds: number;
}

export function binDir(component: string, version: string): string {
  return join(cacheRoot(), component, version, 'bin');
}

export function buildLogFile(component: string, version: string): string {
  return join(cacheRoot(), 'logs', `build-${component}-${version}.log`);
}

export function requireGo(component: string, logFile?: string): string {
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new EdgeproofError('E_TOOL_MISSING', 'not built yet, and the Go toolchain needed to build it was not found (`go` is not on PATH)', {
      where: component,
      ...(logFile !== undefined ? { logFile } : {}),
      fix: 'install Go 1.23 or newer and put `go` on PATH (or use --backend testcontainers where Docker runs)',
    });
  }
  return probe.stdout.trim();
}

/**
 * The cache key. A generated go.mod (CloudCore's, derived from upstream) is keyed by module and version
 * instead of its text, so a cached binary is found without Go or the network.
 */
function stampOf(recipe: GoBuildRecipe): string {
  return createHash('sha256')
    .update(typeof recipe.goMod === 'string' ? recipe.goMod : `generated:${recipe.component}@${recipe.version}`)
    .update(recipe.ldflags)
    .update(recipe.binaries.map((b) => `${b.importPath}=${b.name}`).join(','))
    .digest('hex')
    .slice(0, 16);
}

export function cachedBinaries(recipe: GoBuildRecipe): Record<string, string> | undefined {
  const dir = binDir(recipe.component, recipe.version);
  const paths: Record<string, string> = {};
  for (const b of recipe.binaries) {
    const p = join(dir, b.name);
    if (!existsSync(p)) return undefined;
    paths[b.name] = p;
  }
  return existsSync(join(dir, '.stamp')) ? paths : undefined;
}

export async function goBuild(recipe: GoBuildRecipe, progress: Progress): Promise<BuiltBinaries> {
  const started = Date.now();
  const dir = binDir(recipe.component, recipe.version);
  const stamp = stampOf(recipe);
  const stampFile = join(dir, '.stamp');
  const paths: Record<string, string> = {};
  for (const b of recipe.binaries) paths[b.name] = join(dir, b.name);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp && Object.values(paths).every((p) => existsSync(p))) {
    return { dir, paths, built: false, seconds: 0 };
  }
  const logFile = buildLogFile(recipe.component, recipe.version);
  mkdirSync(join(cacheRoot(), 'logs'), { recursive: true });
  writeFileSync(logFile, `${new Date().toISOString()} building ${recipe.component} ${recipe.version}\n`, { flag: 'a' });
  requireGo(recipe.component, logFile);
  const goModText = typeof recipe.goMod === 'string' ? recipe.goMod : await recipe.goMod();
  const work = join(cacheRoot(), 'gowork', `${recipe.component}-${recipe.version}`);
  mkdirSync(work, { recursive: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(work, 'go.mod'), goModText);
  const env = {
    ...process.env,
    GOFLAGS: '-mod=mod',
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
    ...recipe.env,
  };
  const importPaths = recipe.binaries.map((b) => b.importPath);

  progress.step(recipe.component, `resolving modules for ${recipe.version} (log: ${logFile})`);
  const total = await countDeps(work, importPaths, env, logFile, recipe.component);
  progress.step(recipe.component, `compiling ${total} packages (a cold build of a Kubernetes-sized program takes minutes on 2 cores)`);

  const outArg = recipe.binaries.length === 1 ? join(dir, recipe.binaries[0]?.name ?? '') : `${dir}/`;
  const args = ['build', '-v', '-trimpath', '-ldflags', recipe.ldflags, '-o', outArg, ...importPaths];
  await runGo(work, args, env, logFile, recipe.component, (compiled) => {
    const pct = total > 0 ? Math.min(100, Math.round((compiled / total) * 100)) : 0;
    return `${pct}% (${compiled}/${total} packages, ${Math.round((Date.now() - started) / 1000)} s)`;
  }, progress);

  if (recipe.binaries.length > 1) {
    // `go build -o dir/` names each binary after its package directory; rename to the names we expose.
    for (const b of recipe.binaries) {
      const produced = join(dir, b.importPath.split('/').pop() ?? b.name);
      if (produced !== paths[b.name] && existsSync(produced)) {
        const { renameSync } = await import('node:fs');
        renameSync(produced, join(dir, b.name));
      }
    }
  }
  for (const [name, p] of Object.entries(paths)) {
    if (!existsSync(p)) {
      throw new EdgeproofError('E_COMPONENT_BUILD', `go build finished but ${name} is missing`, {
        where: recipe.component,
        logFile,
        fix: 'read the build log; remove the cache directory and run `npx edgeproof setup` again',
      });
    }
  }
  writeFileSync(stampFile, `${stamp}\n`);
  const seconds = Math.round((Date.now() - started) / 1000);
  progress.step(recipe.component, `built ${recipe.version} in ${seconds} s → ${dir}`);
  return { dir, paths, built: true, seconds };
}

function countDeps(cwd: string, pkgs: readonly string[], env: NodeJS.ProcessEnv, logFile: string, component: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn('go', ['list', '-deps', ...pkgs], { cwd, env });
    let count = 0;
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      count += lines.filter((l) => l.trim() !== '').length;
    });
    child.stderr.pipe(log, { end: false });
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      log.end();
      if (code === 0) resolve(count);
      else reject(buildError(component, `resolving modules failed (go list exit ${code})`, logFile));
    });
  });
}

function runGo(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  component: string,
  describe: (compiled: number) => string,
  progress: Progress,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`\n$ go ${args.join(' ')}\n`);
    const child = spawn('go', [...args], { cwd, env });
    let compiled = 0;
    let lastReport = Date.now();
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      // `go build -v` prints one import path per compiled package
      compiled += chunk.toString('utf8').split('\n').filter((l) => /^[\w.-]+(\/[\w.~-]+)*$/.test(l.trim())).length;
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        progress.step(component, describe(compiled));
      }
    });
    child.stdout.pipe(log, { end: false });
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      log.end();
      if (code === 0) resolve();
      else reject(buildError(component, `go build failed (exit ${code})`, logFile));
    });
  });
}

function buildError(component: string, message: string, logFile: string): EdgeproofError {
  let detail = '';
  try {
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    detail = lines.reverse().find((l) => /error|forbidden|not available|cannot|undefined/i.test(l)) ?? lines[0] ?? '';
  } catch {
    // no log yet
  }
  return new EdgeproofError('E_COMPONENT_BUILD', detail !== '' ? `${message}: ${detail.trim().slice(0, 300)}` : message, {
    where: component,
    logFile,
    fix: 'check that the Go module proxy is reachable (GOPROXY) and the pinned versions exist, then run `npx edgeproof setup` again',
  });
}
