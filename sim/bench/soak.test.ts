import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { benchCommand } from '../cli/commands/bench.ts';
import { formatSoakRow, formatSoakSummary, type SoakSummary } from './soak.ts';

/** The soak's input checks and table, without a stack (a real soak is `npm run bench -- soak`). */
describe('edgeproof bench soak', () => {
  it.each([
    [['--seeds', '0'], '--seeds'],
    [['--seeds', 'many'], '--seeds'],
    [['--from', '-1'], 'edgeproof bench soak'],
    [['--from', '4294967295', '--seeds', '2'], '--from'],
    [['--bogus'], 'edgeproof bench soak'],
  ])('rejects %j before starting anything (exit 2, names %s)', async (argv, where) => {
    await expect(benchCommand(['soak', ...argv])).rejects.toMatchObject({ code: 'E_BAD_FLAG', exitCode: 2, where });
  });

  it('a scenario that does not load is bad input, exit 2', async () => {
    expect(await main(['bench', 'soak', '--scenario', 'scenarios/ci/no-such.yaml'])).toBe(2);
  });

  it('prints one row per seed, with the replay command of a seed that did not pass', () => {
    const row = { scenario: 'ci-churn-small', seed: 7, status: 'failed' as const, violated: ['storm.recover'], notChecked: [], durationMs: 111_400, runDir: 'reports/out/bench/x', replay: 'npx edgeproof replay reports/out/bench/x' };
    const text = formatSoakRow(row);
    expect(text).toMatch(/^ci-churn-small\s+7\s+failed\s+111s\s+violated: storm.recover/);
    expect(text).toContain('replay: npx edgeproof replay reports/out/bench/x');
    expect(formatSoakRow({ ...row, status: 'passed', violated: [] })).not.toContain('replay');
    const summary: SoakSummary = { format: 'edgeproof.soak/v1', startedAt: '', endedAt: '', backend: 'local', scenarios: ['a.yaml'], fromSeed: 1, seedsRequested: 20, runs: 2, passed: 1, notPassed: 1, meanSecondsPerSeed: 110, rows: [row], complete: false };
    expect(formatSoakSummary(summary, 'soak.json')).toMatch(/^INCOMPLETE: 1\/2 seed runs passed/);
  });
});
