/**
 * junit.xml: the run as one test suite, one test case per guarantee, in the common Jenkins/Surefire JUnit shape
 * (reports/schema/junit.xsd) that CI systems read:
 * - held → a passing case; violated → `<failure type="violated">` with the evidence lines;
 * - not-checked → `<skipped>` with the reason;
 * - in a partial or error run, every case that is not violated → `<error>` saying why the run stopped (a run cut
 *   short cannot claim a guarantee held); an error run with no verdicts gets a single `run` case with the error.
 * Properties carry the seed, the backend, the component versions and the replay command.
 */
import { hostname } from 'node:os';
import type { Verdict } from '../sim/evidence/verdict.ts';
import { countsLine, evidenceBlock } from './evidence-text.ts';
import { replayCommand, type RunResult } from './run-result.ts';
import { escapeAttr, escapeText, oneLine, truncate } from './text.ts';

export interface JUnitOptions {
  /** The run directory as the user named it (replay command). Default: the result's own replay command. */
  readonly runDir?: string;
  /** Epoch ms of the run's t = 0 (evidence times are shown relative to it). Default: the result's startedAt. */
  readonly timeZero?: number;
  /** Host name for the suite; default os.hostname(). */
  readonly hostname?: string;
}

const seconds = (ms: number): string => (Number.isFinite(ms) ? Math.max(0, ms / 1000).toFixed(3) : '0.000');

/** ISO 8601 without zone and fraction, as the JUnit schema's timestamp wants (the time is UTC). */
const junitTimestamp = (iso: string): string => {
  const ms = Date.parse(iso);
  return (Number.isFinite(ms) ? new Date(ms) : new Date(0)).toISOString().slice(0, 19);
};

/** Why a partial or error run cannot vouch for a case. */
function runProblem(result: RunResult): { message: string; type: string; body: string[] } | undefined {
  if (result.status === 'partial') {
    const p = result.partial;
    const reason = p?.reason ?? 'error';
    const lines = [`the run was cut short (${reason})${p?.component !== undefined ? `: ${p.component}` : ''}`];
    if (p?.note !== undefined) lines.push(p.note);
    if (result.error !== undefined) lines.push(`${result.error.code}: ${result.error.message}`);
    return { message: truncate(oneLine(lines.join(' — ')), 500), type: `partial:${reason}`, body: lines };
  }
  if (result.status === 'error') {
    const e = result.error;
    const lines = [e !== undefined ? `${e.code}: ${e.message}` : 'the run failed'];
    if (e?.where !== undefined) lines.push(`where: ${e.where}`);
    if (e?.fix !== undefined) lines.push(`fix: ${e.fix}`);
    if (e?.logFile !== undefined) lines.push(`log: ${e.logFile}`);
    return { message: truncate(oneLine(lines[0] ?? ''), 500), type: e?.code ?? 'E_INTERNAL', body: lines };
  }
  return undefined;
}

type CaseKind = 'passed' | 'failure' | 'skipped' | 'error';

function caseKind(v: Verdict, problem: ReturnType<typeof runProblem>): CaseKind {
  if (v.verdict === 'violated') return 'failure';
  if (problem !== undefined) return 'error';
  return v.verdict === 'not-checked' ? 'skipped' : 'passed';
}

function testcase(result: RunResult, v: Verdict, problem: ReturnType<typeof runProblem>, timeZero: number, replay: string): string {
  const classname = `edgeproof.${result.scenario.name}`;
  const open = `    <testcase classname="${escapeAttr(classname)}" name="${escapeAttr(v.id)}" time="0.000">`;
  const out = [open];
  const summary = oneLine(v.summary);
  switch (caseKind(v, problem)) {
    case 'failure': {
      const body = [summary, countsLine(v), '', ...evidenceBlock(v, timeZero), '', `replay: ${replay}`];
      out.push(`      <failure message="${escapeAttr(truncate(summary, 500))}" type="violated">${escapeText(body.join('\n'))}</failure>`);
      break;
    }
    case 'skipped':
      out.push(`      <skipped message="${escapeAttr(truncate(summary, 500))}"/>`);
      break;
    case 'error': {
      const p = problem as NonNullable<typeof problem>;
      const body = [...p.body, '', `verdict so far: ${v.verdict} — ${summary}`, countsLine(v)];
      out.push(`      <error message="${escapeAttr(p.message)}" type="${escapeAttr(p.type)}">${escapeText(body.join('\n'))}</error>`);
      break;
    }
    case 'passed':
      break;
  }
  out.push(`      <system-out>${escapeText(`${v.verdict}: ${summary}\n${countsLine(v)}`)}</system-out>`);
  out.push('    </testcase>');
  return out.join('\n');
}

/** junit.xml text of a run result. */
export function buildJUnit(result: RunResult, options: JUnitOptions = {}): string {
  const problem = runProblem(result);
  const timeZero = options.timeZero ?? Date.parse(result.startedAt);
  const replay = options.runDir !== undefined ? replayCommand(options.runDir) : (result.replay ?? 'edgeproof replay <run-dir>');
  const cases = result.verdicts.map((v) => testcase(result, v, problem, Number.isFinite(timeZero) ? timeZero : 0, replay));
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const v of result.verdicts) {
    const k = caseKind(v, problem);
    if (k === 'failure') failures++;
    else if (k === 'error') errors++;
    else if (k === 'skipped') skipped++;
  }
  if (result.verdicts.length === 0 && problem !== undefined) {
    errors++;
    cases.push(
      [
        `    <testcase classname="${escapeAttr(`edgeproof.${result.scenario.name}`)}" name="run" time="${seconds(result.durationMs)}">`,
        `      <error message="${escapeAttr(problem.message)}" type="${escapeAttr(problem.type)}">${escapeText(problem.body.join('\n'))}</error>`,
        '    </testcase>',
      ].join('\n'),
    );
  }
  const tests = cases.length;
  const time = seconds(result.durationMs);
  const timestamp = junitTimestamp(result.startedAt);
  const props: [string, string][] = [
    ['scenario', result.scenario.name],
    ['scenario.file', result.scenario.file],
    ['scenario.digest', result.scenario.digest],
    ['seed', String(result.seed)],
    ['backend', result.backend],
    ['status', result.status],
    ['exit-code', String(result.exitCode)],
    ...result.components.map((c): [string, string] => [`component.${c.name}`, c.version]),
    ['faults', `${result.faults.ran} of ${result.faults.planned} ran, ${result.faults.errors} failed`],
    ['replay', replay],
  ];
  if (result.partial !== undefined) props.push(['partial', `${result.partial.reason}: ${oneLine(result.partial.note)}`]);
  if (result.edgeproofVersion !== undefined) props.push(['edgeproof.version', result.edgeproofVersion]);
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`;
  const suiteOut = [
    `scenario ${result.scenario.name} (${result.scenario.file}), seed ${result.seed}, backend ${result.backend}: ${result.status}`,
    ...result.verdicts.map((v) => `${v.verdict.padEnd(11)} ${v.id}: ${oneLine(v.summary)}`),
    `replay: ${replay}`,
  ].join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="edgeproof" ${counts}>`,
    `  <testsuite name="${escapeAttr(result.scenario.name)}" ${counts} timestamp="${timestamp}" hostname="${escapeAttr(options.hostname ?? hostname())}" id="0" package="${escapeAttr(`edgeproof.${result.scenario.name}`)}">`,
    '    <properties>',
    ...props.map(([name, value]) => `      <property name="${escapeAttr(name)}" value="${escapeAttr(value)}"/>`),
    '    </properties>',
    ...cases,
    `    <system-out>${escapeText(suiteOut)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
