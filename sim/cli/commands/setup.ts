import { obtainLocalControlPlane } from '../../components/control-plane/local.ts';
import { obtainMosquitto } from '../../components/mosquitto.ts';
import { obtainToxiproxy } from '../../components/toxiproxy.ts';
import { goBuild } from '../../components/go-builder.ts';
import { cloudcoreRecipe, downloadModule } from '../../components/recipes.ts';
import { versions } from '../../components/versions.ts';
import { ExitCode } from '../../core/errors.ts';
import { stderrProgress } from '../../core/progress.ts';
import { parseFlags } from '../args.ts';

/** Obtain every real component (build from the Go module proxy, or install from Debian). Idempotent. */
export async function setupCommand(argv: readonly string[]): Promise<number> {
  parseFlags('setup', argv, {});
  const started = Date.now();
  const p = stderrProgress;
  await obtainLocalControlPlane(p);
  await obtainToxiproxy(p);
  obtainMosquitto(p);
  await goBuild(cloudcoreRecipe, p);
  // KubeEdge's CRDs are installed at run time from the module's own files in the Go module cache
  downloadModule('github.com/kubeedge/kubeedge', versions.kubeedge, 'cloudcore');
  process.stdout.write(`setup complete in ${Math.round((Date.now() - started) / 1000)} s — run \`npx edgeproof doctor\` to see versions\n`);
  return ExitCode.ok;
}
