import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EdgeproofError, messageOf } from '../core/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict flag parsing: an unknown or malformed flag is bad input (exit 2) with a message that says what to do. */
export function parseFlags<O extends Options>(command: string, argv: readonly string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals > 0 });
    if (parsed.positionals.length > positionals) {
      throw new EdgeproofError('E_BAD_FLAG', `unexpected argument "${parsed.positionals[positionals] ?? ''}"`, {
        where: `edgeproof ${command}`,
        fix: `see \`edgeproof help\``,
      });
    }
    return parsed;
  } catch (e) {
    if (e instanceof EdgeproofError) throw e;
    throw new EdgeproofError('E_BAD_FLAG', messageOf(e).replace(/\. To specify a positional.*$/s, ''), {
      where: `edgeproof ${command}`,
      fix: 'see `edgeproof help` for the flags this command takes',
    });
  }
}

export function positiveNumberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new EdgeproofError('E_BAD_FLAG', `"${value}" is not a positive number`, { where: flag, fix: `pass a number of seconds, e.g. ${flag} 40` });
  }
  return n;
}
