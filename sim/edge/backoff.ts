import type { Random } from '../core/random.ts';

/**
 * How a disconnected edge waits before dialling the cloud again. The `edgecore` policy is what EdgeHub does
 * (edge/pkg/edgehub/edgehub.go): a fixed 2 × heartbeat (30 s) with no jitter, which synchronises a fleet that
 * lost the cloud together into reconnect storms. The others are what operators replaced it with.
 */
export type ReconnectPolicy =
  | { readonly kind: 'edgecore'; readonly heartbeatMs: number }
  | { readonly kind: 'fixed'; readonly delayMs: number }
  | { readonly kind: 'exponential'; readonly baseMs: number; readonly maxMs: number; readonly factor: number }
  /** Exponential with full jitter: uniform in [0, min(max, base·factor^attempt)]. */
  | { readonly kind: 'jittered'; readonly baseMs: number; readonly maxMs: number; readonly factor: number };

export const defaultEdgecorePolicy: ReconnectPolicy = { kind: 'edgecore', heartbeatMs: 15_000 };

/** Delay before reconnect attempt number `attempt` (0 = first retry after a loss). */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: Random): number {
  const n = Math.max(0, Math.floor(attempt));
  switch (policy.kind) {
    case 'edgecore':
      return 2 * policy.heartbeatMs;
    case 'fixed':
      return policy.delayMs;
    case 'exponential':
      return cappedExponential(policy.baseMs, policy.factor, policy.maxMs, n);
    case 'jittered':
      return Math.floor(random.next() * cappedExponential(policy.baseMs, policy.factor, policy.maxMs, n));
  }
}

function cappedExponential(base: number, factor: number, max: number, attempt: number): number {
  // computed in log space so large attempt numbers cannot overflow to Infinity/NaN
  const exp = Math.log(base) + attempt * Math.log(Math.max(1, factor));
  return exp >= Math.log(max) ? max : Math.round(Math.exp(exp));
}

/** Parses `edgecore`, `fixed:5s`, `exponential:1s:60s[:2]`, `jittered:1s:60s[:2]` (CLI and scenario files). */
export function parseReconnectPolicy(text: string): ReconnectPolicy | undefined {
  const parts = text.split(':');
  const ms = (s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s);
    if (m === null) return undefined;
    const n = Number(m[1]);
    return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
  };
  switch (parts[0]) {
    case 'edgecore':
      return parts.length === 1 ? defaultEdgecorePolicy : undefined;
    case 'fixed': {
      const d = ms(parts[1]);
      return d !== undefined && parts.length === 2 ? { kind: 'fixed', delayMs: d } : undefined;
    }
    case 'exponential':
    case 'jittered': {
      const base = ms(parts[1]);
      const max = ms(parts[2]);
      const factor = parts[3] === undefined ? 2 : Number(parts[3]);
      if (base === undefined || max === undefined || !(factor >= 1) || base <= 0 || max < base || parts.length > 4) return undefined;
      return { kind: parts[0], baseMs: base, maxMs: max, factor };
    }
    default:
      return undefined;
  }
}
