/** The terminal verdict table, run summary and progress line. */
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../sim/evidence/verdict.ts';
import { buildRunResult } from '../../reports/run-result.ts';
import { formatProgress, formatRunSummary, formatVerdictTable, useColor } from '../../reports/table.ts';
import { sampleIdentity, sampleRun, T0 } from './sample-run.ts';

const ANSI = /\u001b\[[0-9;]*m/;
const cols = (s: string): number => [...s].length;

describe('formatVerdictTable', () => {
  const s = sampleRun();

  it('aligns one row per guarantee with ✓ ✗ – marks and puts evidence under the violation', () => {
    const text = formatVerdictTable(s.verdicts, { width: 110, timeZero: T0 });
    expect(text).not.toMatch(ANSI);
    const lines = text.split('\n');
    const rows = lines.filter((l) => /^[✓✗–] /.test(l));
    expect(rows.map((r) => r.split(/\s+/)[1])).toEqual(s.verdicts.map((v) => v.id));
    expect(rows.map((r) => r[0])).toEqual(s.verdicts.map((v) => ({ held: '✓', violated: '✗', 'not-checked': '–' })[v.verdict]));
    // the summary column starts at the same place on every row and nothing runs past the width
    const summaryAt = new Set(rows.map((r, i) => r.indexOf((s.verdicts[i] as Verdict).summary.slice(0, 12))));
    expect(summaryAt.size).toBe(1);
    for (const l of lines) expect(cols(l)).toBeLessThanOrEqual(110);
    const storm = lines.findIndex((l) => l.includes('storm.recover'));
    expect(lines[storm + 1]).toMatch(/^ {4}history\.jsonl:\d+ t\+190\.\d{3}s/);
    expect(lines[storm + 4]).toContain('1 more');
  });

  it('colours only when asked', () => {
    expect(formatVerdictTable(s.verdicts, { color: true })).toMatch(ANSI);
  });
});

describe('formatRunSummary', () => {
  it('ends with the status, the counts and the exit code', () => {
    const text = formatRunSummary(sampleRun().result, { runDir: 'runs/x' });
    expect(text.split('\n')[0]).toBe('sample-storm · seed 7 · local · 5m 47s · faults 18/18 (1 failed)');
    expect(text).toContain('FAILED: 7 held, 1 violated, 2 not checked (exit 1)');
    expect(text).toContain('replay: edgeproof replay runs/sample-storm-20240501T080000');
  });

  it('says why a run was cut short or could not run', () => {
    const partial = buildRunResult(sampleIdentity(), { partial: { reason: 'interrupted', note: 'Ctrl-C at 1m12s' } });
    expect(formatRunSummary(partial)).toContain('PARTIAL: cut short (interrupted): Ctrl-C at 1m12s — 0 held, 0 violated, 10 not checked (exit 130)');
    const err = buildRunResult({ ...sampleIdentity(), guarantees: [] }, { error: { code: 'E_COMPONENT_MISSING', category: 'environment', message: 'cloudcore not found', fix: 'run `edgeproof setup`' } });
    const text = formatRunSummary(err);
    expect(text).toContain('ERROR: cloudcore not found — fix: run `edgeproof setup` [E_COMPONENT_MISSING] (exit 3)');
    expect(text).not.toContain('guarantee');
  });
});

describe('formatProgress', () => {
  it('shows time, bar, faults and nodes, dropping parts to fit the width', () => {
    const p = { elapsedMs: 90_000, durationMs: 300_000, phase: 'faults', faultsRan: 12, faultsPlanned: 40, faultErrors: 1, nodes: 10_000, connected: 9_800, ready: 9_750, historyLines: 1_234_567 };
    const line = formatProgress(p, { width: 200 });
    expect(line).toBe('[1m30s / 5m] ████░░░░░░░░  30% faults · faults 12/40 (1 failed) · connected 9,800/10,000 · Ready 9,750 · history 1,234,567 lines');
    expect(formatProgress(p)).toBe('[1m30s / 5m] ████░░░░░░░░  30% faults · faults 12/40 (1 failed) · connected 9,800/10,000');
    const narrow = formatProgress(p, { width: 60 });
    expect(cols(narrow)).toBeLessThanOrEqual(60);
    expect(narrow.startsWith('[1m30s / 5m]')).toBe(true);
    expect(formatProgress({ elapsedMs: 400_000, durationMs: 300_000 })).toContain('100%');
    expect(formatProgress({ elapsedMs: Number.NaN, durationMs: 0 })).not.toMatch(/NaN|undefined/);
  });
});

describe('useColor', () => {
  it('follows FORCE_COLOR, NO_COLOR, TERM=dumb and the TTY, in that order', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(useColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });
});
