import { EdgeproofError, ExitCode, isEdgeproofError, messageOf } from '../core/errors.ts';
import { benchCommand } from './commands/bench.ts';
import { replayCommand, runCommand } from './commands/run.ts';
import { doctorCommand } from './commands/doctor.ts';
import { downCommand } from './commands/down.ts';
import { setupCommand } from './commands/setup.ts';
import { upCommand, demoCommand } from './commands/up.ts';

export const usage = `edgeproof — conformance bench for KubeEdge-style cloud-edge platforms

Usage:
  edgeproof doctor [--json]        each real component: found, version, how to get it
  edgeproof setup                  build or install every real component into the cache (idempotent)
  edgeproof up [--backend B] [--cloud kubeedge|none] [--node-grace S]
                                   start the stack (control plane, CloudCore, Toxiproxy, Mosquitto),
                                   print its endpoints, stay until Ctrl-C
  edgeproof down                   stop stacks left running by \`edgeproof up\`
  edgeproof run <scenario.yaml> [--seed N] [--out DIR] [--backend B]
                                   run a scenario against the real stack; writes result.json, junit.xml,
                                   history.jsonl, metrics and report.html into DIR (default runs/<name>-<time>)
  edgeproof replay <run-dir> [--out DIR]
                                   run the recorded scenario and seed again: the same fault schedule
  edgeproof demo                   start the stack, show what runs, stop it
  edgeproof bench [fleet] [--nodes N] [--per-uplink K] [--hold S] [--credentials shared|per-node]
                  [--stores sqlite|memory] [--out DIR]
                                   figures: N nodes against real CloudCore through Toxiproxy
  edgeproof bench devices [--devices N] [--nodes M] [--hold S] [--changes K] [--collect MS] [--report MS]
                          [--report-on report-cycle|collect-cycle] [--workers W] [--out DIR]
                                   figures: N Modbus devices on M nodes through real CloudCore (polls/s,
                                   desired→register latency, DeviceStatus throughput, cost)
  edgeproof bench soak [--seeds N] [--from S] [--scenario FILE]... [--backend B] [--out DIR]
                                   each scenario (default scenarios/ci/churn-small.yaml) for seeds S..S+N-1
                                   (default 1..20), one full run each: a table seed → status and a summary JSON
  edgeproof help

Backends (B): auto (default: testcontainers when Docker answers, else local), local, testcontainers,
              kubeconfig:PATH (an existing cluster; Toxiproxy and Mosquitto still run locally)
Exit codes: 0 ok, 1 a guarantee was violated, 2 bad input, 3 environment (a component missing or failing)`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'doctor':
        return await doctorCommand(rest);
      case 'setup':
        return await setupCommand(rest);
      case 'up':
        return await upCommand(rest);
      case 'down':
        return await downCommand(rest);
      case 'demo':
        return await demoCommand(rest);
      case 'run':
        return await runCommand(rest);
      case 'replay':
        return await replayCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${usage}\n`);
        return ExitCode.ok;
      default:
        throw new EdgeproofError('E_BAD_FLAG', `unknown command "${command}"`, { where: 'edgeproof', fix: 'run `edgeproof help` for the list of commands' });
    }
  } catch (e) {
    if (isEdgeproofError(e)) {
      process.stderr.write(`${e.oneLine()}\n`);
      return e.exitCode;
    }
    process.stderr.write(`edgeproof: internal error: ${messageOf(e)}\n${e instanceof Error ? (e.stack ?? '') : ''}\n`);
    return ExitCode.internal;
  }
}
