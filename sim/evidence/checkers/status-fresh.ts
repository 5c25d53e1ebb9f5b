import type { GuaranteeBounds } from '../bounds.ts';
import type { JournalEntry, ReadyValue } from '../journal.ts';
import { endOf, ms, NodeTracker } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * status.fresh — a connected node's status in the cloud is no older than its report period plus slack.
 *
 * Precisely, with bound = status.periodMs + status.slackMs:
 * - An online window of N runs from the line that makes N online (connected ∧ ¬partitioned ∧ ¬killed, see
 *   NodeTracker) at time a to the line that ends it, at time b (or the history's last t). Its checked part is
 *   [a + bound, b): the first report may take one bound to arrive.
 * - L(τ) = t of the last cloud `node-ready` of N with value 'True' and t ≤ τ (any time before, even before a).
 * - Case = a window with a + bound < b. Violated when some τ in [a + bound, b) has τ − L(τ) > bound (or no such
 *   line at all): the cloud showed N stale, or NotReady/Unknown for longer than the bound, while it was connected.
 *   A shorter NotReady blip holds. Evidence names the first stale instant.
 * Instants are real numbers: with True lines p < q in the window, τ just after p + bound is stale iff q > p + bound.
 *
 * Cost: one pass; per node a few numbers (the open window and the last True line).
 */
interface Window {
  readonly line: number;
  readonly t: number;
  readonly from: number; // a + bound
  violated: boolean;
}

export function checkStatusFresh(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const bound = bounds.status.periodMs + bounds.status.slackMs;
  const tracker = new NodeTracker();
  const lastTrue = new Map<string, { t: number; line: number }>();
  const lastSeen = new Map<string, { value: ReadyValue; t: number }>();
  const windows = new Map<string, Window>();
  const collector = new EvidenceCollector(options);
  let checked = 0;
  let windowCount = 0;

  /** Is there a stale instant in [w.from, until)? If so, record it (once per window). */
  const check = (node: string, w: Window, until: number): void => {
    if (w.violated) return;
    const p = lastTrue.get(node);
    const staleFrom = Math.max(w.from, p === undefined ? -Infinity : p.t + bound);
    if (!(until > staleFrom)) return;
    w.violated = true;
    const seen = lastSeen.get(node);
    const shows = seen !== undefined && seen.value !== 'True' ? `; the cloud shows Ready=${seen.value} since t=${seen.t}` : '';
    collector.add(until - staleFrom, {
      line: p?.line ?? w.line,
      related: p === undefined ? [] : [w.line],
      node,
      t: staleFrom,
      note: `online since t=${w.t}; ${p === undefined ? 'the cloud never showed Ready=True' : `the cloud's Ready=True was last refreshed at t=${p.t}`}, stale from t=${staleFrom} until t=${until} (bound ${ms(bound)})${shows}`,
    });
  };

  const close = (node: string, w: Window, b: number): void => {
    windows.delete(node);
    if (!(b > w.from)) return;
    checked++;
    check(node, w, b);
  };

  for (const e of history) {
    const healed = tracker.healedBy(e);
    tracker.observe(e);
    if (e.op === 'node-ready') {
      const w = windows.get(e.node);
      if (e.value === 'True') {
        if (w !== undefined) check(e.node, w, e.t);
        lastTrue.set(e.node, { t: e.t, line: e.seq });
      }
      const seen = lastSeen.get(e.node);
      if (seen === undefined || seen.value !== e.value) lastSeen.set(e.node, { value: e.value, t: e.t });
      continue;
    }
    for (const n of e.op === 'heal' ? healed : NodeTracker.touched(e)) {
      const w = windows.get(n);
      if (w === undefined && tracker.online(n)) {
        windowCount++;
        windows.set(n, { line: e.seq, t: e.t, from: e.t + bound, violated: false });
      } else if (w !== undefined && !tracker.online(n)) {
        close(n, w, e.t);
      }
    }
  }
  const end = endOf(history);
  for (const [n, w] of [...windows]) close(n, w, end);

  return verdictFrom(
    'status.fresh',
    { checked, skipped: windowCount - checked, collector },
    {
      held: `in all ${checked} online window(s) longer than ${ms(bound)}, the cloud's Ready=True was never older than ${ms(bound)}`,
      violated: `${collector.count} of ${checked} online window(s) had a stale or not-Ready status in the cloud for more than ${ms(bound)}`,
      notChecked: windowCount === 0 ? 'no node was ever online (connected and not cut off)' : `no node stayed online longer than period + slack (${ms(bound)})`,
    },
  );
}
