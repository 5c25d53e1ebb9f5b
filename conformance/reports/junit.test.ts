/**
 * junit.xml: well-formed XML in the JUnit structure of reports/schema/junit.xsd (checked here by a strict parser
 * and structure checker, and by xmllint against the XSD where xmllint is installed), one case per guarantee with
 * failure / skipped / error as the contract says, escaping that survives hostile strings.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeproofError } from '../../sim/core/errors.ts';
import type { Verdict } from '../../sim/evidence/verdict.ts';
import { buildJUnit } from '../../reports/junit.ts';
import { buildRunResult, type RunResult } from '../../reports/run-result.ts';
import { sampleIdentity, sampleRun, T0 } from './sample-run.ts';
import { childElements, junitProblems, parseXml, textOf, XmlError, type XmlElement } from './xml-check.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeproof-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const xmllint = spawnSync('xmllint', ['--version']).status === 0;

function check(xml: string): XmlElement {
  const root = parseXml(xml);
  expect(junitProblems(root)).toEqual([]);
  if (xmllint) {
    const file = join(dir, `j-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', 'reports/schema/junit.xsd', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }
  return root;
}

const suiteOf = (root: XmlElement): XmlElement => childElements(root).find((e) => e.name === 'testsuite') as XmlElement;
const cases = (root: XmlElement): XmlElement[] => childElements(suiteOf(root)).filter((e) => e.name === 'testcase');
const props = (root: XmlElement): Record<string, string> =>
  Object.fromEntries(
    childElements(childElements(suiteOf(root)).find((e) => e.name === 'properties') as XmlElement).map((p) => [p.attrs['name'] ?? '', p.attrs['value'] ?? '']),
  );

describe('the structure checker', () => {
  it('catches what it is there to catch', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(XmlError);
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/duplicate/);
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow(/entity/);
    expect(() => parseXml('<a>a & b</a>')).toThrow(/bare &/);
    expect(() => parseXml('<a>\u0001</a>')).toThrow(/illegal character/);
    expect(() => parseXml('<a/><b/>')).toThrow(/after the root/);
    const bad = parseXml('<testsuites><testsuite name="s" tests="2" failures="0" errors="0" skipped="0" time="1" timestamp="2024-05-01T08:00:00"><testcase name="x" classname="c" time="0"><system-out/><failure type="t"/></testcase></testsuite></testsuites>');
    const p = junitProblems(bad);
    expect(p.some((x) => x.includes('<failure> not allowed'))).toBe(true);
    expect(p.some((x) => x.includes('tests="2" but 1 cases'))).toBe(true);
  });
});

describe('buildJUnit', () => {
  const s = sampleRun();
  const xml = buildJUnit(s.result, { runDir: 'runs/sample', timeZero: T0, hostname: 'ci-1' });

  it('is well-formed JUnit: one suite named for the scenario, one case per guarantee in order', () => {
    const root = check(xml);
    const suite = suiteOf(root);
    expect(suite.attrs).toMatchObject({ name: 'sample-storm', tests: '10', failures: '1', errors: '0', skipped: '2', hostname: 'ci-1', timestamp: '2024-05-01T07:59:18' });
    expect(cases(root).map((c) => c.attrs['name'])).toEqual(s.verdicts.map((v) => v.id));
    expect(new Set(cases(root).map((c) => c.attrs['classname']))).toEqual(new Set(['edgeproof.sample-storm']));
  });

  it('a violated guarantee is a failure carrying its evidence and the replay command', () => {
    const storm = cases(parseXml(xml)).find((c) => c.attrs['name'] === 'storm.recover') as XmlElement;
    const failure = childElements(storm).find((e) => e.name === 'failure') as XmlElement;
    expect(failure.attrs['type']).toBe('violated');
    expect(failure.attrs['message']).toContain('not Ready within 30 s');
    const body = textOf(failure);
    const v = s.verdicts.find((x) => x.id === 'storm.recover') as Verdict;
    for (const ev of v.evidence) expect(body).toContain(`history.jsonl:${ev.line}`);
    expect(body).toMatch(/t\+2\d\d\.\d{3}s node p01-/);
    expect(body).toContain('replay: edgeproof replay runs/sample');
  });

  it('not-checked is skipped with the reason; held passes', () => {
    const byName = new Map(cases(parseXml(xml)).map((c) => [c.attrs['name'], c]));
    const skipped = childElements(byName.get('sync.no-lost-delete') as XmlElement).find((e) => e.name === 'skipped');
    expect(skipped?.attrs['message']).toContain('no object was deleted');
    expect(childElements(byName.get('sync.converge') as XmlElement).map((e) => e.name)).toEqual(['system-out']);
  });

  it('properties carry seed, backend, component versions and the replay command', () => {
    const p = props(parseXml(xml));
    expect(p).toMatchObject({ seed: '7', backend: 'local', 'component.cloudcore': 'v1.18.1', 'component.kube-apiserver': 'v1.30.4', replay: 'edgeproof replay runs/sample', status: 'failed', 'exit-code': '1' });
    expect(p['scenario.digest']).toMatch(/^sha256:/);
  });

  it('a partial run: violated stays a failure, everything else is an error saying why', () => {
    const verdicts = s.verdicts.slice(0, 9); // storm.recover is index 8
    const r = buildRunResult(sampleIdentity(), { verdicts, partial: { reason: 'component-died', note: 'cloudcore exited with 137 at 3m12s', component: 'cloudcore' } });
    const root = check(buildJUnit(r));
    const suite = suiteOf(root);
    expect(suite.attrs).toMatchObject({ tests: '10', failures: '1', errors: '9', skipped: '0' });
    const err = childElements(cases(root)[0] as XmlElement).find((e) => e.name === 'error') as XmlElement;
    expect(err.attrs['type']).toBe('partial:component-died');
    expect(err.attrs['message']).toContain('cloudcore');
    expect(textOf(err)).toContain('verdict so far: held');
    expect(props(root)['partial']).toContain('component-died');
  });

  it('an error run without verdicts is a single errored case naming the error, where and fix', () => {
    const r = buildRunResult({ ...sampleIdentity(), guarantees: [] }, { error: new EdgeproofError('E_COMPONENT_MISSING', 'cloudcore binary not found', { where: 'cloudcore', fix: 'run `edgeproof setup`' }) });
    const root = check(buildJUnit(r));
    const only = cases(root);
    expect(only.map((c) => c.attrs['name'])).toEqual(['run']);
    const err = childElements(only[0] as XmlElement).find((e) => e.name === 'error') as XmlElement;
    expect(err.attrs['type']).toBe('E_COMPONENT_MISSING');
    expect(textOf(err)).toContain('fix: run `edgeproof setup`');
  });

  it('escapes hostile strings in names, summaries, evidence, properties', () => {
    const nasty = `a<b>&c"d'e]]>f\u0001g\u001Fh\uFFFEi\uD800j\u{1F600}k\n\tl`;
    const expected = nasty.replace(/[\u0001\u001F\uFFFE]|\uD800/g, '\uFFFD');
    const v: Verdict = { id: 'sync.converge', verdict: 'violated', summary: nasty, checked: 1, violations: 1, skipped: 0, evidence: [{ line: 3, t: T0 + 5, node: nasty, object: nasty, note: nasty, related: [1, 2] }] };
    const base = buildRunResult({ ...sampleIdentity(), scenario: { name: nasty, file: nasty, digest: `sha256:${'0'.repeat(64)}` }, components: [{ name: nasty, version: nasty }] }, { verdicts: [v] });
    const r: RunResult = { ...base, backend: nasty };
    const root = check(buildJUnit(r, { runDir: `runs/${nasty}`, timeZero: T0 }));
    const suite = suiteOf(root);
    expect(suite.attrs['name']).toBe(expected);
    const c = cases(root)[0] as XmlElement;
    expect(c.attrs['classname']).toBe(`edgeproof.${expected}`);
    const failure = childElements(c).find((e) => e.name === 'failure') as XmlElement;
    expect(textOf(failure)).toContain(`node ${expected.replace(/\s*[\r\n]+\s*/g, ' ')}`);
    expect(props(root)['backend']).toBe(expected);
    expect(props(root)[`component.${expected}`]).toBe(expected);
  });
});
