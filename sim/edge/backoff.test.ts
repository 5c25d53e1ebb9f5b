import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.ts';
import { parseReconnectPolicy, reconnectDelay, type ReconnectPolicy } from './backoff.ts';

const expArb = fc.record({ baseMs: fc.integer({ min: 1, max: 10_000 }), span: fc.integer({ min: 0, max: 600_000 }), factor: fc.double({ min: 1, max: 4, noNaN: true }) });

describe('reconnect policies', () => {
  it('edgecore waits a fixed 2 × heartbeat, every time, for every node (no jitter: the storm source)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer(), (attempt, seed) => {
        expect(reconnectDelay({ kind: 'edgecore', heartbeatMs: 15_000 }, attempt, seededRandom(seed))).toBe(30_000);
      }),
    );
  });

  it('exponential is non-decreasing in the attempt and never exceeds its cap, even for huge attempts', () => {
    fc.assert(
      fc.property(expArb, fc.integer({ min: 0, max: 10_000 }), ({ baseMs, span, factor }, attempt) => {
        const p: ReconnectPolicy = { kind: 'exponential', baseMs, maxMs: baseMs + span, factor };
        const r = seededRandom(1);
        const a = reconnectDelay(p, attempt, r);
        const b = reconnectDelay(p, attempt + 1, r);
        expect(Number.isFinite(a)).toBe(true);
        expect(a).toBeLessThanOrEqual(p.maxMs);
        expect(a).toBeGreaterThanOrEqual(Math.min(baseMs, p.maxMs));
        expect(b).toBeGreaterThanOrEqual(a);
      }),
    );
  });

  it('jittered stays within [0, cap] and spreads a fleet out (nodes do not all pick the same delay)', () => {
    fc.assert(
      fc.property(expArb, fc.integer({ min: 0, max: 50 }), fc.integer(), ({ baseMs, span, factor }, attempt, seed) => {
        const p: ReconnectPolicy = { kind: 'jittered', baseMs, maxMs: baseMs + span, factor };
        const d = reconnectDelay(p, attempt, seededRandom(seed));
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(p.maxMs);
      }),
    );
    const p: ReconnectPolicy = { kind: 'jittered', baseMs: 1000, maxMs: 60_000, factor: 2 };
    const root = seededRandom(42);
    const delays = new Set(Array.from({ length: 1000 }, (_, i) => reconnectDelay(p, 6, root.fork(`node-${i}`))));
    expect(delays.size).toBeGreaterThan(900);
  });

  it('the same seed gives the same delays (replay)', () => {
    const p: ReconnectPolicy = { kind: 'jittered', baseMs: 500, maxMs: 30_000, factor: 2 };
    const run = (): number[] => {
      const r = seededRandom(7);
      return Array.from({ length: 20 }, (_, i) => reconnectDelay(p, i, r));
    };
    expect(run()).toEqual(run());
  });

  it('parses policy strings and rejects malformed ones', () => {
    expect(parseReconnectPolicy('edgecore')).toEqual({ kind: 'edgecore', heartbeatMs: 15_000 });
    expect(parseReconnectPolicy('fixed:5s')).toEqual({ kind: 'fixed', delayMs: 5000 });
    expect(parseReconnectPolicy('jittered:500ms:2m')).toEqual({ kind: 'jittered', baseMs: 500, maxMs: 120_000, factor: 2 });
    for (const bad of ['', 'fixed', 'fixed:5', 'exponential:10s:1s', 'jittered:1s:2s:0.5', 'linear:1s', 'edgecore:1s']) {
      expect(parseReconnectPolicy(bad), bad).toBeUndefined();
    }
  });
});
