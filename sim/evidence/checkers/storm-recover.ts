import type { GuaranteeBounds } from '../bounds.ts';
import { METRIC_CLOUDCORE_RSS, type JournalEntry } from '../journal.ts';
import { ms } from '../timeline.ts';
import { EvidenceCollector, verdictFrom, type CheckOptions, type Verdict } from '../verdict.ts';

/**
 * storm.recover — after mass churn every node is Ready again within the bound, and cloud memory stays within its
 * budget.
 *
 * Precisely:
 * - Recovery case = (a `churn` 'return' line R, a node n it names). Held when a cloud `node-ready` 'True' of n
 *   comes after R with t ≤ R.t + storm.recoverMs. Violated when a line later than that comes first. Skipped when
 *   n is dropped again first (a `churn` 'drop', `partition` or edge `kill` naming it) or the history ends first.
 * - Memory case (only when storm.rssBudgetBytes is set) = a `metric` `cloudcore_rss_bytes` sample taken during a
 *   wave: from the wave's 'drop' to recoverMs after its 'return' (to the end, if it never returns). Violated when
 *   the sample exceeds the budget.
 * Evidence lists unrecovered nodes before memory samples, and the largest overshoots first.
 *
 * Cost: one pass; open recoveries wait in a FIFO by due time (R.t + a constant, so FIFO order is due order) and in a
 * per-node list, so each line does O(1) amortised work.
 */
interface Pending {
  readonly node: string;
  readonly wave: string;
  readonly line: number;
  readonly t: number;
  readonly due: number;
  done: boolean;
}

const UNRECOVERED_WEIGHT = Number.MAX_SAFE_INTEGER;

export function checkStormRecover(history: readonly JournalEntry[], bounds: GuaranteeBounds, options?: CheckOptions): Verdict {
  const recoverMs = bounds.storm.recoverMs;
  const budget = bounds.storm.rssBudgetBytes;
  const byNode = new Map<string, Pending[]>();
  const queue: Pending[] = [];
  let head = 0;
  const openWaves = new Set<string>();
  let activeUntil = -Infinity;
  const collector = new EvidenceCollector(options);
  let recoveries = 0;
  let recovered = 0;
  let skipped = 0;
  let samples = 0;
  let returns = 0;

  const settle = (node: string, how: 'recovered' | 'skipped'): void => {
    const list = byNode.get(node);
    if (list === undefined) return;
    byNode.delete(node);
    for (const p of list) {
      if (p.done) continue;
      p.done = true;
      if (how === 'recovered') recovered++;
      else skipped++;
    }
  };

  for (const e of history) {
    while (head < queue.length && queue[head]!.due < e.t) {
      const p = queue[head++]!;
      if (p.done) continue;
      p.done = true;
      collector.add(UNRECOVERED_WEIGHT, {
        line: p.line,
        node: p.node,
        t: p.due,
        note: `not Ready in the cloud within ${ms(recoverMs)} after churn wave ${p.wave} returned at t=${p.t}`,
      });
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }

    switch (e.op) {
      case 'churn':
        if (e.phase === 'drop') {
          openWaves.add(e.wave);
          for (const n of e.nodes) settle(n, 'skipped');
        } else {
          returns++;
          openWaves.delete(e.wave);
          activeUntil = Math.max(activeUntil, e.t + recoverMs);
          for (const n of e.nodes) {
            const p: Pending = { node: n, wave: e.wave, line: e.seq, t: e.t, due: e.t + recoverMs, done: false };
            recoveries++;
            queue.push(p);
            let list = byNode.get(n);
            if (list === undefined) {
              list = [];
              byNode.set(n, list);
            }
            list.push(p);
          }
        }
        break;
      case 'partition':
        for (const n of e.nodes) settle(n, 'skipped');
        break;
      case 'kill':
        if (e.component === 'edge') for (const n of e.nodes ?? []) settle(n, 'skipped');
        break;
      case 'node-ready':
        if (e.value === 'True') settle(e.node, 'recovered');
        break;
      case 'metric':
        if (budget === undefined || e.metric !== METRIC_CLOUDCORE_RSS || (openWaves.size === 0 && e.t > activeUntil)) break;
        samples++;
        if (e.value > budget) {
          collector.add(e.value - budget, {
            line: e.seq,
            t: e.t,
            note: `CloudCore RSS ${(e.value / 2 ** 20).toFixed(1)} MiB over the budget of ${(budget / 2 ** 20).toFixed(1)} MiB during a churn wave`,
          });
        }
        break;
      default:
        break;
    }
  }
  for (let i = head; i < queue.length; i++) {
    const p = queue[i]!;
    if (p.done) continue;
    p.done = true;
    skipped++;
  }

  const unrecovered = recoveries - recovered - skipped;
  const checked = recoveries - skipped + samples;
  const memory = budget === undefined ? 'CloudCore memory not checked (no storm.rssBudgetBytes)' : `${samples} CloudCore RSS sample(s) during waves checked against ${(budget / 2 ** 20).toFixed(1)} MiB`;
  const skippedNote = skipped > 0 ? `; ${skipped} node return(s) not judgeable (dropped again, or the history ended within the bound)` : '';
  return verdictFrom(
    'storm.recover',
    { checked, skipped, collector },
    {
      held: `all ${recovered} returning node(s) were Ready within ${ms(recoverMs)}; ${memory}${skippedNote}`,
      violated: `${unrecovered} of ${recoveries - skipped} returning node(s) not Ready within ${ms(recoverMs)}, ${collector.count - unrecovered} RSS sample(s) over budget; ${memory}${skippedNote}`,
      notChecked: returns === 0 && samples === 0 ? `no churn wave returned in the history; ${memory}` : `no return could be judged${skippedNote}; ${memory}`,
    },
  );
}
