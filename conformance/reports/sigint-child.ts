/**
 * Test support (run as a child process by run-result.test.ts): a "run" that has judged one guarantee when it
 * receives SIGINT; its handler writes the partial result.json synchronously and exits with the result's code.
 */
import { writePartialResult } from '../../reports/run-result.ts';
import { sampleIdentity } from './sample-run.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: sigint-child.ts <run-dir>');
const identity = sampleIdentity();
const judgedSoFar = [{ id: 'sync.monotonic' as const, verdict: 'held' as const, summary: 'no edge applied an older version (12 applies so far)', checked: 12, violations: 0, skipped: 0, evidence: [] }];

process.on('SIGINT', () => {
  const { result } = writePartialResult(dir, identity, { reason: 'interrupted', note: 'Ctrl-C while faults were running', atMs: 1234 }, { verdicts: judgedSoFar });
  process.exit(result.exitCode);
});
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
