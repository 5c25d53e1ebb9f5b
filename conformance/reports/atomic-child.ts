/**
 * Test support (run as a child process by run-result.test.ts): rewrites a large result.json as fast as it can,
 * until it is killed. Whenever it dies, result.json must be one whole result.
 */
import { writeRunResult } from '../../reports/run-result.ts';
import { sampleRun } from './sample-run.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: atomic-child.ts <run-dir>');
const base = sampleRun().result;
const padding = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`figure_${i}_bytes`, i]));
for (let seed = 0; ; seed++) {
  writeRunResult(dir, { ...base, seed, metrics: { ...base.metrics, ...padding } });
  if (seed === 0) process.stdout.write('ready\n');
}
