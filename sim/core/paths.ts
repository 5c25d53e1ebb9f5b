import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where built components live: outside git, keyed by component and version, so a second start takes seconds.
 * EDGEPROOF_CACHE overrides it (CI and tests that need an empty cache).
 */
export function cacheRoot(): string {
  const fromEnv = process.env['EDGEPROOF_CACHE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'edgeproof');
}

/** Per-invocation state (PKI, data dirs, logs) for a started stack. */
export function stateRoot(): string {
  const fromEnv = process.env['EDGEPROOF_STATE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(cacheRoot(), 'state');
}
