import { mkdtempSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStack } from '../../sim/components/stack.ts';

/**
 * `npm run demo` writes to a relative run directory (runs/<name>-<time>); every component must still get
 * paths it accepts — CloudCore refuses a relative kubeconfig path and exits.
 */
describe('a stack started with a relative state directory', () => {
  it('starts CloudCore and the rest, and stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-rel-'));
    const rel = relative(process.cwd(), join(dir, 'state'));
    expect(rel.startsWith('/')).toBe(false);
    const stack = await startStack({ backend: { kind: 'local' }, cloud: 'kubeedge', stateDir: rel });
    try {
      expect(stack.stateDir.startsWith('/')).toBe(true);
      expect(stack.cloudcore?.pid).toBeDefined();
    } finally {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
