import { doctor } from '../../components/doctor.ts';
import { ExitCode } from '../../core/errors.ts';
import { parseFlags } from '../args.ts';

export async function doctorCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('doctor', argv, { json: { type: 'boolean', default: false } });
  const statuses = await doctor();
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ components: statuses }, null, 2)}\n`);
  } else {
    const width = Math.max(...statuses.map((s) => s.name.length));
    for (const s of statuses) {
      const state = s.ready ? 'ok     ' : s.name === 'docker' ? 'n/a    ' : 'MISSING';
      process.stdout.write(`${state}  ${s.name.padEnd(width)}  ${s.version.padEnd(12)}  ${s.detail}\n`);
    }
  }
  // doctor reports; it fails (environment) only when a component the local backend needs is not ready
  const needed = statuses.filter((s) => s.name !== 'docker');
  return needed.every((s) => s.ready) ? ExitCode.ok : ExitCode.environment;
}
