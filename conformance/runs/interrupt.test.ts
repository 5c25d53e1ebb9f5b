import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/wait.ts';

/** Ctrl-C in the middle of a run still leaves a readable result.json that says the run was cut short. */
describe('a run cut short', () => {
  it('SIGINT mid-run: exit 130, a partial result.json valid against its schema, verdicts over what was recorded, and a JUnit file', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'edgeproof-sigint-')), 'run');
    const child = spawn(process.execPath, ['bin/edgeproof.mjs', 'run', 'scenarios/ci/partition-heal.yaml', '--out', out, '--backend', 'local'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // interrupt once the timeline is running (faults under way), not during start-up
    await eventually(() => (/timeline: \d+ actions/.test(stderr) ? true : undefined), { timeoutMs: 300_000, what: 'the timeline to start' });
    await new Promise((r) => setTimeout(r, 12_000));
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr.slice(-2000)).toBe(130);
    const resultFile = join(out, 'result.json');
    expect(existsSync(resultFile)).toBe(true);
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as { status: string; partial?: { reason: string }; verdicts: unknown[]; exitCode: number };
    expect(result.status).toBe('partial');
    expect(result.partial?.reason).toBe('interrupted');
    expect(result.exitCode).toBe(130);
    expect(result.verdicts.length).toBeGreaterThan(0);
    const schema = JSON.parse(readFileSync('reports/schema/result.schema.json', 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(existsSync(join(out, 'junit.xml'))).toBe(true);
    expect(existsSync(join(out, 'history.jsonl'))).toBe(true);
  }, 600_000);
});
