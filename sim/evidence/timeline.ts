import type { JournalEntry } from './journal.ts';

/**
 * Shared reading of a history: object keys, resourceVersion order, the deadline, and the per-node fault/connection
 * state every checker needs. All of it is incremental (fed one entry at a time in seq order) so each checker stays
 * a single pass over millions of lines.
 */

/** The edge store's key for an object: kind/namespace/name ('' namespace for cluster-scoped). Names hold no '/'. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** How evidence names an object: `Pod default/nginx`, `Node n1`. */
export function objectLabel(kind: string, namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
}

/** How evidence names a device property: `Device default/gate-1#barrier`. */
export function deviceLabel(namespace: string | undefined, name: string, property?: string): string {
  return `${objectLabel('Device', namespace, name)}${property === undefined ? '' : `#${property}`}`;
}

/**
 * Numeric order of resourceVersions, as CloudCore's CompareResourceVersion (uint64). Decimal strings without
 * leading zeros (the reader enforces that) compare by length, then lexicographically — exact beyond 2^53.
 */
export function compareRv(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Deadline {
  /** Entries with index < cut are "before the deadline". */
  readonly cut: number;
  /** The deadline instant: the last `deadline` entry's t, else the last entry's t (0 for an empty history). */
  readonly t: number;
  /** Seq of the `deadline` line, when there is one. */
  readonly seq?: number;
}

/** Finds the last `deadline` entry (scanning from the end: it is normally near it). */
export function findDeadline(history: readonly JournalEntry[]): Deadline {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i]!;
    if (e.op === 'deadline') return { cut: i, t: e.t, seq: e.seq };
  }
  return { cut: history.length, t: history[history.length - 1]?.t ?? 0 };
}

/** The t of the last entry (0 for an empty history). */
export function endOf(history: readonly JournalEntry[]): number {
  return history[history.length - 1]?.t ?? 0;
}

const none: readonly string[] = Object.freeze([]);

/**
 * Per-node state derived from fault and edge entries:
 * - partitioned: named by a `partition` whose fault id has no `heal` yet;
 * - killed: named by a `kill` of component 'edge', until that node's next `start`;
 * - connected: after the node's `connect`, until its `disconnect`, `start` or kill;
 * - online = connected ∧ ¬partitioned ∧ ¬killed (an edge that has not yet noticed its cut link is not online).
 * Query before `observe(e)` for the state just before e, after it for the state just after.
 */
export class NodeTracker {
  /** Open partition fault id → the nodes it names. */
  private readonly faults = new Map<string, Set<string>>();
  /** Node → number of open partition faults naming it. */
  private readonly cuts = new Map<string, number>();
  private readonly killedNodes = new Set<string>();
  private readonly connectedNodes = new Set<string>();
  /** Nodes that wrote at least one edge line: the simulated nodes (the cloud may know others). */
  readonly edgeNodes = new Set<string>();

  observe(e: JournalEntry): void {
    switch (e.op) {
      case 'partition': {
        let set = this.faults.get(e.fault);
        if (set === undefined) {
          set = new Set();
          this.faults.set(e.fault, set);
        }
        for (const n of e.nodes) {
          if (set.has(n)) continue;
          set.add(n);
          this.cuts.set(n, (this.cuts.get(n) ?? 0) + 1);
        }
        break;
      }
      case 'heal': {
        const set = this.faults.get(e.fault);
        if (set === undefined) break;
        this.faults.delete(e.fault);
        for (const n of set) {
          const c = (this.cuts.get(n) ?? 1) - 1;
          if (c <= 0) this.cuts.delete(n);
          else this.cuts.set(n, c);
        }
        break;
      }
      case 'kill':
        if (e.component === 'edge' && e.nodes !== undefined) {
          for (const n of e.nodes) {
            this.killedNodes.add(n);
            this.connectedNodes.delete(n);
          }
        }
        break;
      case 'start':
        this.killedNodes.delete(e.node);
        this.connectedNodes.delete(e.node);
        break;
      case 'connect':
        this.connectedNodes.add(e.node);
        break;
      case 'disconnect':
        this.connectedNodes.delete(e.node);
        break;
      default:
        break;
    }
    if (e.source === 'edge' && 'node' in e && e.node !== undefined) this.edgeNodes.add(e.node);
  }

  partitioned(node: string): boolean {
    return this.cuts.has(node);
  }

  killed(node: string): boolean {
    return this.killedNodes.has(node);
  }

  connected(node: string): boolean {
    return this.connectedNodes.has(node);
  }

  online(node: string): boolean {
    return this.connectedNodes.has(node) && !this.cuts.has(node) && !this.killedNodes.has(node);
  }

  /** Nodes whose state `e` may change (for checkers that react to transitions). */
  static touched(e: JournalEntry): readonly string[] {
    switch (e.op) {
      case 'partition':
        return e.nodes;
      case 'kill':
        return e.component === 'edge' ? (e.nodes ?? none) : none;
      case 'start':
      case 'connect':
      case 'disconnect':
        return [e.node];
      default:
        return none;
    }
  }

  /** Nodes a `heal` releases (call before observe). */
  healedBy(e: JournalEntry): readonly string[] {
    if (e.op !== 'heal') return none;
    const set = this.faults.get(e.fault);
    return set === undefined ? none : [...set];
  }
}

/** Format a duration for summaries: 1500 → "1.5 s", 250 → "250 ms". */
export function ms(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 1000 ? `${Number((n / 1000).toFixed(3))} s` : `${Number(n.toFixed(3))} ms`;
}
