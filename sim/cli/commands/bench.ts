import { join } from 'node:path';
import { formatFleetBench, runFleetBench } from '../../bench/fleet-bench.ts';
import { parseBackend } from '../../components/stack.ts';
import { EdgeproofError, ExitCode } from '../../core/errors.ts';
import { stderrProgress } from '../../core/progress.ts';
import { parseFlags, positiveNumberFlag } from '../args.ts';

/**
 * `edgeproof bench [fleet] [--nodes N] [--per-uplink K] [--hold S] [--credentials shared|per-node]
 * [--stores sqlite|memory] [--out DIR]`: figures, never pass/fail.
 */
export async function benchCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'bench',
    argv,
    {
      nodes: { type: 'string', default: '1000' },
      'per-uplink': { type: 'string', default: '10' },
      hold: { type: 'string', default: '30' },
      credentials: { type: 'string', default: 'shared' },
      stores: { type: 'string', default: 'sqlite' },
      backend: { type: 'string', default: 'local' },
      out: { type: 'string', default: join('reports', 'out', 'bench') },
    },
    1,
  );
  const suite = positionals[0] ?? 'fleet';
  if (suite !== 'fleet') throw new EdgeproofError('E_BAD_FLAG', `unknown bench "${suite}"`, { where: 'edgeproof bench', fix: 'available: fleet' });
  const credentials = values.credentials;
  if (credentials !== 'shared' && credentials !== 'per-node') throw new EdgeproofError('E_BAD_FLAG', `"${credentials}" is not a credentials mode`, { where: '--credentials', fix: 'use shared or per-node' });
  if (values.stores !== 'sqlite' && values.stores !== 'memory') throw new EdgeproofError('E_BAD_FLAG', `"${values.stores}" is not a store kind`, { where: '--stores', fix: 'use sqlite or memory' });
  const result = await runFleetBench({
    nodes: Math.round(positiveNumberFlag(values.nodes, '--nodes') ?? 1000),
    perUplink: Math.round(positiveNumberFlag(values['per-uplink'], '--per-uplink') ?? 10),
    holdSeconds: positiveNumberFlag(values.hold, '--hold') ?? 30,
    credentials,
    inMemoryStores: values.stores === 'memory',
    backend: parseBackend(values.backend),
    outDir: values.out,
    progress: stderrProgress,
  });
  process.stdout.write(`${formatFleetBench(result)}\n  figures: ${values.out}\n`);
  return ExitCode.ok;
}
