import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeproofError } from '../../sim/core/errors.ts';
import { kbpsToToxiproxyRate, loadLinkProfile, loadLinkProfiles } from '../../sim/network/link-profile.ts';
import { toxicsFor } from '../../sim/network/uplink.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeproof-links-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function failure(f: () => unknown): EdgeproofError {
  try {
    f();
  } catch (e) {
    if (e instanceof EdgeproofError) return e;
    throw e;
  }
  throw new Error('expected an EdgeproofError, nothing was thrown');
}

describe('link profiles (fixtures/links)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the toll uplink, LTE, 3G and no-coverage profiles with the documented figures', () => {
    const all = loadLinkProfiles();
    for (const name of ['toll-uplink-3mbit-lossy', 'lte', '3g', 'no-coverage', 'fiber', 'lan']) expect(all.has(name)).toBe(true);
    const toll = all.get('toll-uplink-3mbit-lossy');
    expect(toll?.bandwidthKbps).toEqual({ down: 3000, up: 3000 });
    expect(toll?.latencyMs).toBe(40);
    expect(toll?.lossPercent).toBeGreaterThanOrEqual(1);
    expect(toll?.lossPercent).toBeLessThanOrEqual(2);
    expect(toll?.coverage).toBe(true);
    expect(all.get('no-coverage')?.coverage).toBe(false);
    // Toxiproxy's bandwidth is KB/s: 3 Mbit/s = 375
    expect(kbpsToToxiproxyRate(3000)).toBe(375);
  });

  it('turns a profile into latency+jitter and bandwidth toxics on both streams, and no coverage into a cut', () => {
    const all = loadLinkProfiles();
    const toll = all.get('toll-uplink-3mbit-lossy');
    const none = all.get('no-coverage');
    if (toll === undefined || none === undefined) throw new Error('profiles missing');
    const toxics = toxicsFor(toll, undefined);
    expect(toxics.map((t) => `${t.type}/${t.stream}`).sort()).toEqual(['bandwidth/downstream', 'bandwidth/upstream', 'latency/downstream', 'latency/upstream']);
    expect(toxics.find((t) => t.type === 'bandwidth')?.attributes).toEqual({ rate: 375 });
    expect(toxics.find((t) => t.type === 'latency')?.attributes).toEqual({ latency: 40, jitter: 10 });
    expect(toxicsFor(none, undefined).map((t) => `${t.type}/${t.stream}/${t.attributes['timeout']}`).sort()).toEqual(['timeout/downstream/0', 'timeout/upstream/0']);
  });

  it('an unknown key names file:line:col of the key and exits 2', () => {
    const p = file('typo.yaml', 'name: typo\nlatencyMs: 40\nlatecnyJitter: 5\n');
    const e = failure(() => loadLinkProfile(p));
    expect(e.code).toBe('E_BAD_PROFILE');
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe(`${p}:3:1`);
    expect(e.message).toContain('unknown key "latecnyJitter"');
    expect(e.fix).toContain('known keys');
  });

  it('a wrong type names file:line:col of the value and exits 2', () => {
    const p = file('type.yaml', 'name: wrong-type\nbandwidthKbps:\n  down: fast\n  up: 3000\n');
    const e = failure(() => loadLinkProfile(p));
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe(`${p}:3:9`);
    expect(e.message).toContain('bandwidthKbps.down');
    expect(e.message).toContain('expected a number');
  });

  it('a negative latency names file:line:col and exits 2', () => {
    const p = file('negative.yaml', 'name: negative\ndescription: bad\nlatencyMs: -40\n');
    const e = failure(() => loadLinkProfile(p));
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe(`${p}:3:12`);
    expect(e.message).toMatch(/latencyMs: -40 is out of range/);
    expect(e.oneLine()).toContain(`${p}:3:12`);
  });

  it('loss above 100 %, coverage as text, a YAML syntax error and a duplicate name are refused too', () => {
    expect(failure(() => loadLinkProfile(file('loss.yaml', 'name: l\nlossPercent: 120\n'))).where).toMatch(/loss\.yaml:2:14$/);
    expect(failure(() => loadLinkProfile(file('cov.yaml', 'name: c\ncoverage: "no"\n'))).where).toMatch(/cov\.yaml:2:11$/);
    const syntax = failure(() => loadLinkProfile(file('syntax.yaml', 'name: s\nlatencyMs: [1\n')));
    expect(syntax.exitCode).toBe(2);
    expect(syntax.where).toMatch(/syntax\.yaml:\d+:\d+$/);
    const dupDir = mkdtempSync(join(tmpdir(), 'edgeproof-links-dup-'));
    writeFileSync(join(dupDir, 'a.yaml'), 'name: same\n');
    writeFileSync(join(dupDir, 'b.yaml'), 'name: same\n');
    const dup = failure(() => loadLinkProfiles(dupDir));
    rmSync(dupDir, { recursive: true, force: true });
    expect(dup.exitCode).toBe(2);
    expect(dup.message).toContain('a.yaml');
  });
});
