import type { GuaranteeBounds } from './bounds.ts';
import type { JournalEntry } from './journal.ts';

/** README §4: one checker per id. The order is the order of result.json and junit.xml. */
export const GUARANTEE_IDS = [
  'sync.converge',
  'sync.monotonic',
  'sync.no-lost-delete',
  'autonomy.keep-running',
  'autonomy.restart-offline',
  'autonomy.no-eviction',
  'twin.converge',
  'status.fresh',
  'storm.recover',
  'app.hot-update',
] as const;

export type GuaranteeId = (typeof GUARANTEE_IDS)[number];

export function isGuaranteeId(s: string): s is GuaranteeId {
  return (GUARANTEE_IDS as readonly string[]).includes(s);
}

export type VerdictValue = 'held' | 'violated' | 'not-checked';

/** One fact behind a verdict. `line` is the journal seq of the line that shows it; `related` are supporting lines. */
export interface Evidence {
  readonly line: number;
  readonly related?: readonly number[];
  readonly node?: string;
  /** e.g. `Pod default/nginx`, `Device default/gate-1#barrier`. */
  readonly object?: string;
  /** When it happened (or when the bound ran out), in journal ms. */
  readonly t?: number;
  readonly note: string;
}

export interface Verdict {
  readonly id: GuaranteeId;
  /** violated iff violations > 0; else held iff checked > 0; else not-checked. */
  readonly verdict: VerdictValue;
  readonly summary: string;
  /** Cases judged (each checker says what a case is), violated ones included. */
  readonly checked: number;
  /** Cases that failed. `evidence` holds at most `maxEvidence` of them, the most damning first. */
  readonly violations: number;
  /** Cases seen but not judgeable (the run ended too soon, the node was still cut off…); the summary says why. */
  readonly skipped: number;
  readonly evidence: readonly Evidence[];
}

export type Checker = (history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions) => Verdict;

export interface CheckOptions {
  /** Evidence items kept per verdict (default 20). */
  readonly maxEvidence?: number;
}

export const DEFAULT_MAX_EVIDENCE = 20;

/**
 * Keeps the `max` heaviest violations (ties: earliest line first) without holding millions of them: the array
 * is cut back to `max` whenever it reaches 4 × max, so memory is O(max) and the cost O(n log max).
 */
export class EvidenceCollector {
  count = 0;
  private items: { weight: number; ev: Evidence }[] = [];
  private readonly max: number;

  constructor(options?: CheckOptions) {
    this.max = Math.max(0, options?.maxEvidence ?? DEFAULT_MAX_EVIDENCE);
  }

  add(weight: number, ev: Evidence): void {
    this.count++;
    if (this.max === 0) return;
    this.items.push({ weight, ev });
    if (this.items.length >= 4 * this.max) this.trim();
  }

  evidence(): Evidence[] {
    this.trim();
    return this.items.map((i) => i.ev);
  }

  private trim(): void {
    this.items.sort((a, b) => b.weight - a.weight || a.ev.line - b.ev.line);
    if (this.items.length > this.max) this.items.length = this.max;
  }
}

/** Builds the verdict from the counts, so the held/violated/not-checked rule lives in one place. */
export function verdictFrom(
  id: GuaranteeId,
  counts: { checked: number; skipped: number; collector: EvidenceCollector },
  text: { held: string; violated: string; notChecked: string },
): Verdict {
  const violations = counts.collector.count;
  const verdict: VerdictValue = violations > 0 ? 'violated' : counts.checked > 0 ? 'held' : 'not-checked';
  const summary = verdict === 'violated' ? text.violated : verdict === 'held' ? text.held : text.notChecked;
  return {
    id,
    verdict,
    summary,
    checked: counts.checked,
    violations,
    skipped: counts.skipped,
    evidence: counts.collector.evidence(),
  };
}
