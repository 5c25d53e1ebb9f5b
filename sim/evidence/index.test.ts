import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeproofError } from '../core/index.ts';
import { bench, cloud, edge, fault, HistoryBuilder, testBounds } from './history-builder.ts';
import { boundsFromHistory, defaultBounds, FileJournal, GUARANTEE_IDS, readJournal, runCheckers, type JournalEntry } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeproof-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runCheckers', () => {
  it('gives one verdict per guarantee, in the contract order, not-checked on an empty history', () => {
    const verdicts = runCheckers([], defaultBounds);
    expect(verdicts.map((v) => v.id)).toEqual([...GUARANTEE_IDS]);
    for (const v of verdicts) {
      expect(v.verdict).toBe('not-checked');
      expect(v.summary.length).toBeGreaterThan(0);
    }
  });

  it('runs only the ids asked for', () => {
    expect(runCheckers([], defaultBounds, ['status.fresh', 'sync.converge']).map((v) => v.id)).toEqual(['status.fresh', 'sync.converge']);
  });

  it('rejects histories out of journal order and bounds that make no sense', () => {
    const h = new HistoryBuilder();
    h.add(0, edge.connect('n1'));
    h.add(5, edge.connect('n2'));
    const swapped = [h.entries[1]!, h.entries[0]!];
    expect(() => runCheckers(swapped, defaultBounds)).toThrow(EdgeproofError);
    expect(() => runCheckers(h.entries, { ...defaultBounds, sync: { lagMs: Number.NaN } })).toThrow(/bounds\.sync\.lagMs/);
  });

  it('judges a history written to disk and read back: a healthy run holds, a broken edge is caught', () => {
    const write = (name: string, lines: (h: HistoryBuilder) => void): JournalEntry[] => {
      const built = new HistoryBuilder();
      lines(built);
      const path = join(dir, name);
      let now = 0;
      const clock = { now: () => now, setTimeout: () => ({ cancel: () => undefined }), sleep: () => Promise.resolve() };
      const j = FileJournal.create(path, { clock, mode: 'sync' });
      for (const e of built.entries) {
        const { seq: _seq, t, ...input } = e;
        now = t;
        j.append(input);
      }
      j.close();
      return readJournal(path).entries;
    };
    const run = (sync: boolean) => (h: HistoryBuilder): void => {
      h.add(0, { source: 'bench', op: 'bounds', value: testBounds });
      h.add(0, edge.connect('n1'));
      h.add(10, cloud.upsert({ name: 'p', uid: 'u1', rv: 5, targets: ['n1'] }));
      h.add(20, edge.apply('n1', { name: 'p', uid: 'u1', rv: 5 }));
      h.add(30, fault.partition('f1', ['n1']));
      h.add(40, cloud.upsert({ name: 'p', uid: 'u1', rv: 6, targets: ['n1'] }));
      h.add(50, fault.heal('f1'));
      if (sync) h.add(60, edge.apply('n1', { name: 'p', uid: 'u1', rv: 6 }));
      h.add(500, bench.deadline());
    };
    const healthy = write('healthy.jsonl', run(true));
    const broken = write('broken.jsonl', run(false));
    expect(boundsFromHistory(healthy)).toEqual(testBounds);
    const ok = runCheckers(healthy, boundsFromHistory(healthy)!, ['sync.converge', 'sync.monotonic']);
    expect(ok.map((v) => v.verdict)).toEqual(['held', 'held']);
    const bad = runCheckers(broken, boundsFromHistory(broken)!, ['sync.converge']);
    expect(bad[0]).toMatchObject({ verdict: 'violated', evidence: [{ line: 6, node: 'n1', object: 'Pod default/p', note: expect.stringMatching(/^stale/) as unknown }] });
  });
});
