import { EdgeproofError } from '../../sim/core/errors.ts';

/** The EdgeproofError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<EdgeproofError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EdgeproofError) return e;
    throw e;
  }
  throw new Error('expected a rejection, but it resolved');
}
