import { parseBackend, startStack, type StartedStack } from '../../components/stack.ts';
import { EdgeproofError, ExitCode } from '../../core/errors.ts';
import { stderrProgress } from '../../core/progress.ts';
import { parseFlags, positiveNumberFlag } from '../args.ts';

const upFlags = {
  backend: { type: 'string', default: 'auto' },
  'node-grace': { type: 'string' },
  cloud: { type: 'string', default: 'kubeedge' },
} as const;

async function startFromFlags(command: string, argv: readonly string[]): Promise<StartedStack> {
  const { values } = parseFlags(command, argv, upFlags);
  const backend = parseBackend(values.backend);
  const grace = positiveNumberFlag(values['node-grace'], '--node-grace');
  if (values.cloud !== 'kubeedge' && values.cloud !== 'none') {
    throw new EdgeproofError('E_BAD_FLAG', `unknown cloud "${values.cloud}"`, { where: '--cloud', fix: 'use --cloud kubeedge (default) or --cloud none (control plane only)' });
  }
  return startStack({
    backend,
    cloud: values.cloud,
    progress: stderrProgress,
    controlPlane: grace !== undefined ? { nodeMonitorGracePeriodSeconds: grace } : {},
  });
}

function describe(stack: StartedStack): string {
  const lines = [
    `backend:        ${stack.backend}`,
    `kubeconfig:     ${stack.controlPlane.kubeconfigPath}`,
    `kube-apiserver: ${stack.controlPlane.server} (${stack.controlPlane.version})`,
    `toxiproxy API:  ${stack.toxiproxy.apiUrl}`,
    `MQTT broker:    ${stack.mqtt.url}`,
    ...(stack.cloudcore !== undefined
      ? [`CloudCore:      websocket ${stack.cloudcore.websocketUrl}, certificates ${stack.cloudcore.certServerUrl}`, `edge token:     ${stack.cloudcore.token}`]
      : []),
    `state and logs: ${stack.stateDir}`,
    'components:',
    ...stack.components().map((c) => `  ${c.name.padEnd(24)} ${c.version.padEnd(10)} pid ${String(c.pid ?? '-').padEnd(8)} log ${c.logFile}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `edgeproof up`: start everything, print where it is, stay until Ctrl-C/SIGTERM, then stop everything. */
export async function upCommand(argv: readonly string[]): Promise<number> {
  const stack = await startFromFlags('up', argv);
  process.stdout.write(describe(stack));
  process.stdout.write(`\ntry: KUBECONFIG=${stack.controlPlane.kubeconfigPath} kubectl get namespaces\nCtrl-C stops everything.\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stderr.write('[edgeproof] stopping…\n');
  await stack.stop();
  process.stderr.write('[edgeproof] stopped\n');
  return ExitCode.ok;
}

/** `edgeproof demo` (until scenarios land): bring the stack up, show it working, take it down. */
export async function demoCommand(argv: readonly string[]): Promise<number> {
  const stack = await startFromFlags('demo', argv);
  try {
    process.stdout.write(describe(stack));
    const namespaces = await stack.controlPlane.kube.list('/api/v1/namespaces');
    process.stdout.write(`namespaces:     ${namespaces.items.map((n) => n.metadata?.name ?? '?').join(', ')}\n`);
  } finally {
    await stack.stop();
  }
  process.stdout.write('demo stack stopped; every process it started is gone\n');
  return ExitCode.ok;
}
