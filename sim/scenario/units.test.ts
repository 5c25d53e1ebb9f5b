import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytesQuantity, formatDuration, parseDuration, parseDurationRange, parsePercent, parseSize } from './units.ts';

const value = <T>(p: { ok: true; value: T } | { ok: false; reason: string }): T | string => (p.ok ? p.value : `ERR ${p.reason}`);

describe('units', () => {
  it('durations: strict, whole numbers, largest unit first', () => {
    expect(value(parseDuration('30s'))).toBe(30_000);
    expect(value(parseDuration('5m'))).toBe(300_000);
    expect(value(parseDuration('90s'))).toBe(90_000);
    expect(value(parseDuration('1h'))).toBe(3_600_000);
    expect(value(parseDuration('1h30m'))).toBe(5_400_000);
    expect(value(parseDuration('1m30s500ms'))).toBe(90_500);
    expect(value(parseDuration('0s'))).toBe(0);
    for (const [bad, why] of [
      ['-30s', 'negative'],
      ['30', 'without a unit'],
      ['1.5m', 'fraction'],
      ['30s1m', 'out of order'],
      ['1m1m', 'out of order'],
      ['30 s', 'not a duration'],
      [' 30s', 'not a duration'],
      ['', 'empty'],
      ['31d', 'not a duration'],
      ['800h', 'longer than the 30 days'],
    ] as const) {
      const p = parseDuration(bad);
      expect(p.ok, bad).toBe(false);
      if (!p.ok) expect(p.reason, bad).toContain(why);
    }
    expect(value(parseDuration(30))).toContain('bare number');
    expect(value(parseDuration(null))).toContain('nothing');
  });

  it('formatDuration is the inverse of parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 * 24 * 3_600_000 }), (ms) => {
        expect(value(parseDuration(formatDuration(ms)))).toBe(ms);
      }),
    );
  });

  it('ranges', () => {
    expect(value(parseDurationRange('1m..3m'))).toEqual({ minMs: 60_000, maxMs: 180_000 });
    expect(value(parseDurationRange('2m'))).toEqual({ minMs: 120_000, maxMs: 120_000 });
    expect(value(parseDurationRange('3m..1m'))).toContain('ends before it starts');
    expect(value(parseDurationRange('1m..2m..3m'))).toContain('more than one');
  });

  it('percentages and sizes', () => {
    expect(value(parsePercent('50%'))).toBe(50);
    expect(value(parsePercent('12.5%'))).toBe(12.5);
    for (const bad of ['0%', '101%', '50', '-5%', 'half']) expect(parsePercent(bad).ok, bad).toBe(false);
    expect(value(parsePercent(50))).toContain('add "%"');
    expect(value(parseSize('50MB'))).toBe(50_000_000);
    expect(value(parseSize('120Mi'))).toBe(120 * 2 ** 20);
    expect(value(parseSize('1.5GB'))).toBe(1_500_000_000);
    expect(value(parseSize('4Gi'))).toBe(4 * 2 ** 30);
    expect(value(parseSize(1024))).toBe(1024);
    for (const bad of ['-50MB', '0MB', '50XB', '50 megabytes', 'constructor', '1e3', '']) expect(parseSize(bad).ok, bad).toBe(false);
    expect(formatBytesQuantity(64 * 2 ** 20)).toBe('64Mi');
    expect(formatBytesQuantity(2 ** 30)).toBe('1Gi');
    expect(formatBytesQuantity(50_000_000)).toBe('50000000');
  });
});
