/**
 * result.json: status and exit code rules, the JSON Schema (built results validate, broken ones do not), atomic
 * writes, and a real process interrupted by SIGINT leaving a readable partial result.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeproofError, ExitCode } from '../../sim/core/errors.ts';
import type { Verdict } from '../../sim/evidence/verdict.ts';
import {
  buildRunResult,
  EXIT_INTERRUPTED,
  exitCodeOf,
  readRunResult,
  RESULT_FORMAT,
  statusOf,
  unjudgedVerdicts,
  writeFileAtomic,
  writePartialResult,
  writeRunResult,
  type RunResult,
} from '../../reports/run-result.ts';
import { writeRunReports } from '../../reports/index.ts';
import { sampleIdentity, sampleRun } from './sample-run.ts';

const schema = JSON.parse(readFileSync('reports/schema/result.schema.json', 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true }).compile(schema);
const problems = (v: unknown): string => (validate(v) ? '' : JSON.stringify(validate.errors, null, 1));

const dir = mkdtempSync(join(tmpdir(), 'edgeproof-result-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verdict = (id: Verdict['id'], v: Verdict['verdict']): Verdict => ({
  id,
  verdict: v,
  summary: `${id} ${v}`,
  checked: v === 'not-checked' ? 0 : 3,
  violations: v === 'violated' ? 1 : 0,
  skipped: 0,
  evidence: v === 'violated' ? [{ line: 7, t: 1000, node: 'n1', note: 'stale' }] : [],
});

describe('statusOf and exitCodeOf', () => {
  const held = [verdict('sync.converge', 'held'), verdict('status.fresh', 'not-checked')];
  const violated = [...held, verdict('storm.recover', 'violated')];

  it('passes on held and not-checked only, fails on any violation', () => {
    expect(statusOf(held)).toBe('passed');
    expect(statusOf([])).toBe('passed');
    expect(statusOf(violated)).toBe('failed');
  });

  it('puts partial and error before the verdicts', () => {
    expect(statusOf(violated, { partial: { reason: 'interrupted', note: 'x' } })).toBe('partial');
    expect(statusOf(held, { error: new Error('x') })).toBe('error');
    expect(statusOf(held, { partial: { reason: 'error', note: 'x' }, error: new Error('x') })).toBe('partial');
  });

  it('maps every status to the contract exit code', () => {
    const id = sampleIdentity();
    const cases: [RunResult, number][] = [
      [buildRunResult(id, { verdicts: held }), ExitCode.ok],
      [buildRunResult(id, { verdicts: violated }), ExitCode.violated],
      [buildRunResult(id, { error: new EdgeproofError('E_BAD_SCENARIO', 'bad', { where: 'f.yaml:3:1' }) }), ExitCode.badInput],
      [buildRunResult(id, { error: new EdgeproofError('E_COMPONENT_START', 'cloudcore did not start', { where: 'cloudcore' }) }), ExitCode.environment],
      [buildRunResult(id, { error: new TypeError('boom') }), ExitCode.internal],
      [buildRunResult(id, { partial: { reason: 'interrupted', note: 'Ctrl-C' }, verdicts: violated }), EXIT_INTERRUPTED],
      [buildRunResult(id, { partial: { reason: 'component-died', note: 'cloudcore exited 2', component: 'cloudcore' } }), ExitCode.environment],
      [buildRunResult(id, { partial: { reason: 'error', note: 'x' }, error: new EdgeproofError('E_KUBE_API', 'api gone') }), ExitCode.environment],
      [buildRunResult(id, { partial: { reason: 'error', note: 'x' } }), ExitCode.internal],
    ];
    for (const [result, code] of cases) {
      expect(result.exitCode, `${result.status} ${result.partial?.reason ?? ''}`).toBe(code);
      expect(exitCodeOf(result)).toBe(code);
      expect(problems(result)).toBe('');
    }
  });
});

describe('buildRunResult', () => {
  it('fills unjudged guarantees of a cut-short run as not-checked, with the reason', () => {
    const r = buildRunResult(sampleIdentity(), { partial: { reason: 'interrupted', note: 'Ctrl-C at 12s' } });
    expect(r.verdicts.map((v) => v.id)).toEqual(sampleIdentity().guarantees);
    expect(r.verdicts.every((v) => v.verdict === 'not-checked' && v.summary.includes('interrupted'))).toBe(true);
  });

  it('keeps the error details a user needs (code, where, fix, log)', () => {
    const r = buildRunResult(sampleIdentity(), {
      error: new EdgeproofError('E_COMPONENT_MISSING', 'cloudcore not found', { where: 'cloudcore', fix: 'run `edgeproof setup`', logFile: '/tmp/x.log' }),
    });
    expect(r.error).toEqual({ code: 'E_COMPONENT_MISSING', category: 'environment', message: 'cloudcore not found', where: 'cloudcore', fix: 'run `edgeproof setup`', logFile: '/tmp/x.log' });
    expect(r.status).toBe('error');
  });

  it('drops figures that are not finite or not Prometheus names, and says so', () => {
    const r = buildRunResult(sampleIdentity(), { metrics: { ok_bytes: 5, 'bad name': 1, nan_ms: Number.NaN } });
    expect(r.metrics).toEqual({ ok_bytes: 5 });
    expect(r.warnings?.length).toBe(2);
    expect(problems(r)).toBe('');
  });

  it('counts faults from the schedule and the execution report', () => {
    const s = sampleRun();
    expect(s.result.faults).toMatchObject({ planned: s.schedule.entries.length, ran: s.schedule.entries.length, errors: 1, notRun: 0 });
    expect(s.result.faults.scheduleDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('the JSON Schema', () => {
  const good = sampleRun().result;

  it('accepts a built result of every status', () => {
    expect(problems(good)).toBe('');
    expect(good.status).toBe('failed');
    const id = sampleIdentity();
    expect(problems(buildRunResult(id, { verdicts: unjudgedVerdicts(['sync.converge'], 'x') }))).toBe('');
    expect(problems(buildRunResult(id, { partial: { reason: 'component-died', note: 'etcd exited', component: 'etcd', atMs: 1200 } }))).toBe('');
    expect(problems(buildRunResult(id, { error: new EdgeproofError('E_BAD_FLAG', 'bad --seed') }))).toBe('');
    // and what JSON makes of it
    expect(problems(JSON.parse(JSON.stringify(good)))).toBe('');
  });

  const broken: [string, (r: Record<string, unknown>) => void][] = [
    ['unknown status', (r) => (r['status'] = 'ok')],
    ['wrong format', (r) => (r['format'] = 'edgeproof.result/v0')],
    ['no verdicts', (r) => delete r['verdicts']],
    ['a stray field', (r) => (r['extra'] = 1)],
    ['partial status without partial', (r) => (r['status'] = 'partial')],
    ['passed with a violated verdict', (r) => ((r['status'] = 'passed'), (r['exitCode'] = 0))],
    ['failed with exit code 0', (r) => (r['exitCode'] = 0)],
    ['unknown guarantee id', (r) => ((r['verdicts'] as Record<string, unknown>[])[0]!['id'] = 'sync.fast')],
    ['violated without violations', (r) => ((r['verdicts'] as Record<string, unknown>[]).find((v) => v['verdict'] === 'violated')!['violations'] = 0)],
    ['held with violations', (r) => ((r['verdicts'] as Record<string, unknown>[])[0]!['violations'] = 2)],
    ['evidence without a note', (r) => delete ((r['verdicts'] as Record<string, unknown>[]).find((v) => v['verdict'] === 'violated')!['evidence'] as Record<string, unknown>[])[0]!['note']],
    ['a NaN figure (null in JSON)', (r) => ((r['metrics'] as Record<string, unknown>)['x_ms'] = null)],
    ['a figure with a bad name', (r) => ((r['metrics'] as Record<string, unknown>)['x-ms'] = 1)],
    ['a bad digest', (r) => ((r['scenario'] as Record<string, unknown>)['digest'] = 'abc')],
    ['a local time', (r) => (r['startedAt'] = '2024-05-01 08:00:00')],
    ['a negative seed', (r) => (r['seed'] = -1)],
    ['an error without code', (r) => ((r['status'] = 'error'), (r['exitCode'] = 3), (r['error'] = { category: 'environment', message: 'x' }))],
    ['a partial reason out of the list', (r) => ((r['status'] = 'partial'), (r['exitCode'] = 130), (r['partial'] = { reason: 'tired', note: 'x' }))],
  ];
  for (const [what, breakIt] of broken) {
    it(`rejects ${what}`, () => {
      const r = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      breakIt(r);
      expect(validate(r)).toBe(false);
    });
  }
});

describe('writing result.json', () => {
  it('writes atomically and leaves no temporary file', () => {
    const d = join(dir, 'atomic');
    mkdirSync(d);
    const r = sampleRun().result;
    const path = writeRunResult(d, r);
    expect(readRunResult(path)).toEqual(JSON.parse(JSON.stringify(r)));
    writeRunResult(d, { ...r, seed: 8 });
    expect(readRunResult(path).seed).toBe(8);
    expect(readdirSync(d)).toEqual(['result.json']);
  });

  it('keeps the previous file whole when a write fails, and names the file in the error', () => {
    const d = join(dir, 'fail');
    mkdirSync(d);
    writeFileSync(join(d, 'result.json'), '{"old":true}');
    mkdirSync(join(d, 'blocker'));
    expect(() => writeFileAtomic(join(d, 'blocker'), 'new')).toThrow(EdgeproofError);
    expect(() => writeFileAtomic(join(d, 'missing-dir', 'result.json'), 'new')).toThrow(/result\.json/);
    expect(readFileSync(join(d, 'result.json'), 'utf8')).toBe('{"old":true}');
    expect(readdirSync(d).sort()).toEqual(['blocker', 'result.json']);
  });

  it('refuses to read something that is not a result (bad input)', () => {
    const p = join(dir, 'not-result.json');
    writeFileSync(p, '{"format":"other"}');
    expect(() => readRunResult(p)).toThrow(expect.objectContaining({ category: 'input' }) as Error);
    expect(() => readRunResult(join(dir, 'nope.json'))).toThrow(EdgeproofError);
  });

  it('a process interrupted by SIGINT leaves a readable partial result.json and exits 130', async () => {
    const d = join(dir, 'sigint');
    mkdirSync(d);
    const { child, stderr } = await startChild('conformance/reports/sigint-child.ts', d);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    child.kill('SIGINT');
    expect(await exited, stderr()).toBe(EXIT_INTERRUPTED);
    const r = readRunResult(join(d, 'result.json'));
    expect(problems(r)).toBe('');
    expect(r).toMatchObject({ format: RESULT_FORMAT, status: 'partial', exitCode: EXIT_INTERRUPTED, partial: { reason: 'interrupted' } });
    expect(r.verdicts.find((v) => v.id === 'sync.monotonic')?.verdict).toBe('held');
    expect(r.verdicts.filter((v) => v.verdict === 'not-checked').length).toBe(9);
    expect(existsSync(join(d, 'junit.xml'))).toBe(false);
  });
});

/** Start a child script with tsx and wait until it prints "ready". */
async function startChild(script: string, arg: string): Promise<{ child: ReturnType<typeof spawn>; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, arg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child never got ready: ${err}`)), 30_000);
    child.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`child exited ${String(code)} before ready: ${err}`)));
  });
  return { child, stderr: () => err };
}

describe('a process killed while rewriting result.json', () => {
  it('never leaves a torn result.json (SIGKILL at arbitrary moments)', async () => {
    const d = join(dir, 'kill');
    mkdirSync(d);
    const seeds: number[] = [];
    for (let round = 0; round < 3; round++) {
      const { child } = await startChild('conformance/reports/atomic-child.ts', d);
      await new Promise((r) => setTimeout(r, 150 + round * 70));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
      const r = readRunResult(join(d, 'result.json'));
      expect(problems(r)).toBe('');
      seeds.push(r.seed);
    }
    // it really was rewriting: the kills landed after many rewrites
    expect(seeds.every((x) => x > 0)).toBe(true);
    // the reports pass sweeps away temporaries the killed writers left behind
    writeRunReports(d, { result: readRunResult(join(d, 'result.json')) });
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('writePartialResult', () => {
  it('writes synchronously and returns what it wrote', () => {
    const d = join(dir, 'partial');
    mkdirSync(d);
    const { result, path } = writePartialResult(d, sampleIdentity(), { reason: 'component-died', note: 'cloudcore exited with 137', component: 'cloudcore' });
    expect(readRunResult(path)).toEqual(JSON.parse(JSON.stringify(result)));
    expect(result.exitCode).toBe(ExitCode.environment);
  });
});
