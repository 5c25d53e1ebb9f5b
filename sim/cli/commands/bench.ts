import { join } from 'node:path';
import { formatDeviceBench, runDeviceBench } from '../../bench/device-bench.ts';
import { formatFleetBench, runFleetBench } from '../../bench/fleet-bench.ts';
import { formatSoakHeader, formatSoakRow, formatSoakSummary, runSoak } from '../../bench/soak.ts';
import { parseBackend } from '../../components/stack.ts';
import { EdgeproofError, ExitCode } from '../../core/errors.ts';
import { stderrProgress } from '../../core/progress.ts';
import { loadScenario } from '../../scenario/loader.ts';
import { parseFlags, positiveNumberFlag } from '../args.ts';

/**
 * `edgeproof bench [fleet] [--nodes N] [--per-uplink K] [--hold S] [--credentials shared|per-node]
 * [--stores sqlite|memory] [--out DIR]`: figures, never pass/fail.
 */
export async function benchCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'soak') return soakCommand(argv.slice(1));
  if (argv[0] === 'devices') return devicesCommand(argv.slice(1));
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
  if (suite !== 'fleet') throw new EdgeproofError('E_BAD_FLAG', `unknown bench "${suite}"`, { where: 'edgeproof bench', fix: 'available: fleet, devices, soak' });
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

/**
 * `edgeproof bench devices [--devices N] [--nodes M] [--hold S] [--changes K] [--collect MS] [--report MS]
 * [--report-on report-cycle|collect-cycle] [--workers W] [--backend B] [--out DIR]`: N Modbus devices on M nodes through the real CloudCore (figures).
 */
async function devicesCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(
    'bench devices',
    argv,
    {
      devices: { type: 'string', default: '1000' },
      nodes: { type: 'string', default: '100' },
      'per-uplink': { type: 'string', default: '10' },
      hold: { type: 'string', default: '60' },
      changes: { type: 'string', default: '50' },
      collect: { type: 'string', default: '1000' },
      report: { type: 'string', default: '5000' },
      workers: { type: 'string', default: '1' },
      'report-on': { type: 'string', default: 'report-cycle' },
      backend: { type: 'string', default: 'local' },
      out: { type: 'string', default: join('reports', 'out', 'bench') },
    },
    0,
  );
  const result = await runDeviceBench({
    devices: wholeFlag(values.devices, '--devices', 1, 1000),
    nodes: wholeFlag(values.nodes, '--nodes', 1, 100),
    perUplink: wholeFlag(values['per-uplink'], '--per-uplink', 1, 10),
    holdSeconds: wholeFlag(values.hold, '--hold', 1, 60),
    desiredChanges: wholeFlag(values.changes, '--changes', 0, 50),
    collectCycleMs: wholeFlag(values.collect, '--collect', 10, 1000),
    reportCycleMs: wholeFlag(values.report, '--report', 10, 5000),
    deviceStatusWorkers: wholeFlag(values.workers, '--workers', 1, 1),
    reportOn: reportOnFlag(values['report-on']),
    backend: parseBackend(values.backend),
    outDir: values.out,
    progress: stderrProgress,
  });
  process.stdout.write(`${formatDeviceBench(result)}
  figures: ${values.out}
`);
  return ExitCode.ok;
}

function reportOnFlag(value: string | undefined): 'report-cycle' | 'collect-cycle' {
  if (value === undefined || value === 'report-cycle' || value === 'collect-cycle') return value ?? 'report-cycle';
  throw new EdgeproofError('E_BAD_FLAG', `"${value}" is not report-cycle or collect-cycle`, { where: '--report-on', fix: 'collect-cycle reports every reading, as mapper-framework does; report-cycle the latest one every --report' });
}

/** The cheapest CI scenario whose fault schedule depends on the seed (which half churns, when each returns). */
const defaultSoakScenario = 'scenarios/ci/churn-small.yaml';

function wholeFlag(value: string | undefined, flag: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 2 ** 32 - 1) {
    throw new EdgeproofError('E_BAD_FLAG', `"${value}" is not a whole number ≥ ${min}`, { where: flag, fix: `e.g. ${flag} 20` });
  }
  return Number(value);
}

/**
 * `edgeproof bench soak [--seeds N] [--from S] [--scenario FILE]… [--backend B] [--out DIR]`: every scenario for
 * seeds S..S+N−1, one full run each, a table seed → status and a summary JSON. Exit 0 when every seed passed,
 * 1 otherwise — unlike the figures benches, a soak answers yes or no.
 */
async function soakCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(
    'bench soak',
    argv,
    {
      seeds: { type: 'string' },
      from: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      backend: { type: 'string', default: 'local' },
      out: { type: 'string', default: join('reports', 'out', 'bench') },
    },
    0,
  );
  const seeds = wholeFlag(values.seeds, '--seeds', 1, 20);
  const fromSeed = wholeFlag(values.from, '--from', 0, 1);
  if (fromSeed + seeds - 1 > 2 ** 32 - 1) throw new EdgeproofError('E_BAD_FLAG', `seeds ${fromSeed}..${fromSeed + seeds - 1} go past 4294967295`, { where: '--from', fix: 'start lower or ask for fewer seeds' });
  const files = values.scenario ?? [defaultSoakScenario];
  // every scenario is loaded (selectors checked against the first seed's fleet) before the first stack starts:
  // bad input is exit 2 at once; a later seed whose selectors pick nothing becomes that seed's error row
  const scenarios = files.map((file) => {
    const scenario = loadScenario(file, { seed: fromSeed });
    return { file, scenario };
  });
  const backend = parseBackend(values.backend);
  const abort = new AbortController();
  const onSignal = (): void => {
    process.stderr.write('\n[edgeproof] stopping the soak after judging the current seed (the summary says how far it got)\n');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    process.stdout.write(`${formatSoakHeader()}\n`);
    const { summary, file } = await runSoak({
      scenarios,
      fromSeed,
      seeds,
      backend,
      outDir: values.out,
      progress: stderrProgress,
      signal: abort.signal,
      onSeed: (row) => process.stdout.write(`${formatSoakRow(row)}\n`),
    });
    process.stdout.write(`${formatSoakSummary(summary, file)}\n`);
    // 130: interrupted, as `edgeproof run` exits on Ctrl-C (README, exit codes)
    if (abort.signal.aborted) return 130;
    return summary.notPassed === 0 ? ExitCode.ok : ExitCode.violated;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
