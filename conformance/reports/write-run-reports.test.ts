/**
 * writeRunReports on real run directories: a complete run, a run cut short with a torn history and no schedule,
 * a run with no history at all, and a report file that cannot be written — result.json is always there, valid,
 * and names exactly the files that were written. The complete run is also left in reports/out/sample-run for
 * people to open.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../sim/evidence/journal.ts';
import { scheduleToJson } from '../../sim/faults/schedule.ts';
import { EdgeproofError } from '../../sim/core/errors.ts';
import { buildRunResult, readRunResult, RUN_FILES, writePartialResult, writeRunReports, type RunResult } from '../../reports/index.ts';
import { sampleIdentity, sampleRun, T0 } from './sample-run.ts';
import { junitProblems, parseXml } from './xml-check.ts';

const schema = JSON.parse(readFileSync('reports/schema/result.schema.json', 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true }).compile(schema);

const tmp = mkdtempSync(join(tmpdir(), 'edgeproof-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const jsonl = (entries: readonly JournalEntry[]): string => entries.map((e) => `${JSON.stringify(e)}\n`).join('');

function checkDir(dir: string): RunResult {
  const r = readRunResult(join(dir, RUN_FILES.result));
  expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
  for (const [key, name] of Object.entries(r.files as Readonly<Record<string, string>>)) expect(existsSync(join(dir, name)), `${key}: ${name}`).toBe(true);
  if (r.files.junit !== undefined) expect(junitProblems(parseXml(readFileSync(join(dir, r.files.junit), 'utf8')))).toEqual([]);
  return r;
}

describe('writeRunReports', () => {
  it('writes every report of a complete run, result.json last and naming them all', () => {
    const dir = join('reports', 'out', 'sample-run');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const s = sampleRun();
    writeFileSync(join(dir, RUN_FILES.history), jsonl(s.history));
    writeFileSync(join(dir, RUN_FILES.schedule), scheduleToJson(s.schedule));
    const out = writeRunReports(dir, { result: s.result, execution: s.execution, runDirLabel: 'runs/sample' });
    const r = checkDir(dir);
    expect(r).toEqual(JSON.parse(JSON.stringify(out.result)));
    expect(Object.keys(r.files).sort()).toEqual(['history', 'junit', 'metrics', 'metricsCsv', 'perfdata', 'report', 'schedule']);
    expect(r.status).toBe('failed');
    expect(r.history).toEqual({ entries: s.history.length, lastSeq: s.history.length, spanMs: (s.history.at(-1)?.t ?? 0) - (s.history[0]?.t ?? 0) });
    // figures from the history join the run's own
    expect(r.metrics).toMatchObject({ edge_nodes: 72, edge_nodes_seen: 72, nodes_ready_max: 72 });
    expect(r.metrics['cloudcore_rss_bytes_max']).toBeGreaterThan(900 * 2 ** 20);
    expect(r.warnings).toBeUndefined();
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('edgeproof replay runs/sample');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('href="junit.xml"');
  });

  it('reports a run cut short: torn history, no schedule, a partial result written first by the signal handler', () => {
    const dir = join(tmp, 'partial');
    mkdirSync(dir);
    const s = sampleRun();
    const cut = s.history.filter((e) => e.t < T0 + 200_000);
    writeFileSync(join(dir, RUN_FILES.history), `${jsonl(cut)}{"seq":${cut.length + 1},"t":17145602`);
    const { result } = writePartialResult(dir, sampleIdentity(), { reason: 'interrupted', note: 'Ctrl-C at 3m20s', atMs: 200_000 });
    const before = checkDir(dir);
    expect(before.files).toEqual({});
    writeRunReports(dir, { result });
    const r = checkDir(dir);
    expect(r.status).toBe('partial');
    expect(r.exitCode).toBe(130);
    expect(r.history).toMatchObject({ entries: cut.length, tornLastLine: true });
    expect(Object.keys(r.files).sort()).toEqual(['history', 'junit', 'metrics', 'metricsCsv', 'perfdata', 'report']);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('cut short by a crash');
    expect(html).toContain('the fault lines of history.jsonl');
  });

  it('reports a run that never got a history (an error before the start)', () => {
    const dir = join(tmp, 'nohistory');
    const r0 = buildRunResult(sampleIdentity(), { error: new EdgeproofError('E_COMPONENT_START', 'cloudcore did not start', { where: 'cloudcore', fix: 'see its log' }) });
    writeRunReports(dir, { result: r0 });
    const r = checkDir(dir);
    expect(r.status).toBe('error');
    expect(r.exitCode).toBe(3);
    expect(r.files.history).toBeUndefined();
    expect(r.history).toBeUndefined();
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('No history could be read');
  });

  it('a report that cannot be written becomes a warning; result.json still lists only what exists', () => {
    const dir = join(tmp, 'blocked');
    mkdirSync(join(dir, 'report.html'), { recursive: true }); // a directory where the page should go
    const s = sampleRun();
    writeFileSync(join(dir, RUN_FILES.history), jsonl(s.history.slice(0, 100)));
    writeRunReports(dir, { result: s.result });
    const r = checkDir(dir);
    expect(r.files.report).toBeUndefined();
    expect(r.files.junit).toBe('junit.xml');
    expect(r.warnings?.some((w) => w.startsWith('report.html not written'))).toBe(true);
  });

  it('skips damaged history lines with a warning instead of failing the report', () => {
    const dir = join(tmp, 'damaged');
    mkdirSync(dir);
    const s = sampleRun();
    const lines = jsonl(s.history.slice(0, 50)).split('\n');
    lines.splice(10, 0, 'garbage');
    writeFileSync(join(dir, RUN_FILES.history), lines.join('\n'));
    writeRunReports(dir, { result: s.result });
    const r = checkDir(dir);
    expect(r.history).toMatchObject({ entries: 50, skippedLines: 1 });
    expect(r.warnings?.[0]).toMatch(/1 damaged lines skipped \(first: line 11: not JSON\)/);
  });
});
