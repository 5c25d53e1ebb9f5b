/**
 * report.html: self-contained, every verdict present with its evidence, charts drawn as well-formed inline SVG,
 * hostile strings escaped, no `undefined`/`NaN` leaking onto the page — for a full run, a partial one and one
 * with no history at all.
 */
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../sim/evidence/verdict.ts';
import { analyzeHistory } from '../../reports/history-stats.ts';
import { buildHtmlReport } from '../../reports/html.ts';
import { buildRunResult } from '../../reports/run-result.ts';
import { sampleIdentity, sampleRun, T0 } from './sample-run.ts';
import { childElements, parseXml, textOf, type XmlElement } from './xml-check.ts';

const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'wbr', 'area', 'base', 'col', 'source', 'track', 'embed']);

/** Tags of the page nest properly (void elements and SVG self-closing tags aside); returns the tag count. */
function checkNesting(html: string): number {
  const body = html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<!DOCTYPE html>/i, '');
  const stack: string[] = [];
  let count = 0;
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name = '', , selfClose] = m;
    count++;
    const n = name.toLowerCase();
    if (close === '/') {
      const top = stack.pop();
      if (top !== n) throw new Error(`</${n}> closes <${top ?? 'nothing'}> at ${m.index}`);
    } else if (selfClose !== '/' && !VOID.has(n)) stack.push(n);
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return count;
}

/** Every <svg> block parses as XML. */
function svgs(html: string): XmlElement[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => parseXml(m[0]));
}

function visibleText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

function checkClean(html: string): void {
  expect(checkNesting(html)).toBeGreaterThan(50);
  const text = visibleText(html);
  for (const word of ['undefined', 'NaN', 'Infinity', '[object Object]']) expect(text, word).not.toContain(word);
  for (const attr of html.matchAll(/\s(?:d|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g)) expect(attr[1]).not.toMatch(/NaN|undefined|Infinity/);
  // self-contained: nothing fetched from elsewhere
  expect(html).not.toMatch(/<script|<link|<img|src=|url\(|@import|href="(https?:)?\/\//);
}

describe('buildHtmlReport', () => {
  const s = sampleRun();
  const stats = analyzeHistory(s.history, { timeZero: s.execution.startTime });
  const html = buildHtmlReport({ result: s.result, stats, schedule: s.schedule, records: s.execution.records, executionStartTime: s.execution.startTime, runDir: 'runs/sample' });

  it('is a clean, self-contained page', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    checkClean(html);
  });

  it('shows every guarantee with its verdict, and the evidence of the violated one open', () => {
    for (const v of s.verdicts) {
      const row = new RegExp(`<tr class="${v.verdict}" id="g-${v.id.replace('.', '\\.')}">`);
      expect(html).toMatch(row);
    }
    const storm = s.verdicts.find((v) => v.id === 'storm.recover') as Verdict;
    expect(html).toContain('<details open><summary>evidence (4 lines)</summary>');
    for (const ev of storm.evidence) expect(html).toContain(`history.jsonl:${ev.line}`);
    expect(html).toContain('<span class="status failed">FAILED</span>');
    expect(html).toContain('cloudcore</b> v1.18.1');
  });

  it('draws the fault timeline, the node counts and cloud memory as inline SVG', () => {
    const charts = svgs(html);
    expect(charts.length).toBeGreaterThanOrEqual(3);
    const titles = charts.map((c) => textOf(childElements(c).find((e) => e.name === 'text') as XmlElement));
    expect(titles.slice(0, 3)).toEqual(['Faults over time', 'Edge nodes', 'Cloud memory']);
    const [faults, nodes, memory] = charts as [XmlElement, XmlElement, XmlElement];
    const lanes = childElements(faults).filter((e) => e.attrs['class'] === 'lane').map(textOf);
    expect(lanes).toEqual(expect.arrayContaining(['partition', 'heal', 'node-offline', 'kill-component', 'violations']));
    expect(childElements(faults).filter((e) => e.attrs['class']?.startsWith('act ')).length).toBe(s.schedule.entries.length);
    expect(childElements(faults).filter((e) => e.attrs['class'] === 'act failed').length).toBe(1);
    expect(childElements(faults).filter((e) => e.attrs['class'] === 'marker').length).toBe(4);
    const lines = (c: XmlElement): XmlElement[] => childElements(c).filter((e) => e.name === 'path' && (e.attrs['class'] ?? '').startsWith('line'));
    expect(lines(nodes).map((p) => textOf(p))).toEqual(['connected to CloudCore', 'Ready in the cloud']);
    expect(lines(memory).map((p) => textOf(p))).toEqual(['cloudcore_rss_bytes', 'kube_apiserver_rss_bytes']);
    expect(textOf(memory)).toContain('budget 900 MiB');
    // the CloudCore gap (killed, no samples) breaks the line instead of bridging it
    expect((lines(memory)[0]?.attrs['d'] ?? '').slice(1)).toContain('M');
  });

  it('charts what the run sampler journals by unit: cloud CPU, link throughput, API latency; counters not at all', () => {
    const charts = svgs(html);
    const byTitle = new Map(charts.map((c) => [textOf(childElements(c).find((e) => e.name === 'text') as XmlElement), c]));
    const lines = (title: string): string[] =>
      childElements(byTitle.get(title) as XmlElement)
        .filter((e) => e.name === 'path' && (e.attrs['class'] ?? '').startsWith('line'))
        .map(textOf);
    expect(lines('Cloud CPU (cores)')).toEqual(['cloudcore_cpu_cores', 'kube_apiserver_cpu_cores']);
    expect(lines('Link throughput, all uplinks (edge ends)')).toEqual(['link_down_bytes_per_second', 'link_up_bytes_per_second']);
    expect(lines('Kube API latency')).toEqual(['kube_api_probe_ms', 'kube_api_read_ms', 'kube_api_write_ms']);
    expect(textOf(byTitle.get('Link throughput, all uplinks (edge ends)') as XmlElement)).toMatch(/KiB\/s/);
    expect([...byTitle.keys()].filter((t) => /_total|_cores|_per_second|kube_api/.test(t))).toEqual([]);
    expect(html).toMatch(/kube_api_probe_ms<\/b>/);
    expect(html).toMatch(/link_down_bytes_per_second_max<\/div><div class="mvalue">\d+(\.\d+)? KiB\/s/);
    expect(html).toMatch(/cloudcore_cpu_cores_mean<\/div><div class="mvalue">0\.\d\d cores/);
  });

  it('lists latencies and figures in readable units', () => {
    expect(html).toContain('edge_reconnect_after_heal_ms');
    expect(html).toMatch(/cloudcore_rss_bytes_max<\/div><div class="mvalue">9\d\d MiB/);
    expect(html).toContain('toxiproxy: PUT /proxies/cellular-v-0003/toxics: 503 Service Unavailable');
  });

  it('renders a partial run with no schedule and a cut line, and a run with no history at all', () => {
    const cut = s.history.filter((e) => e.t < T0 + 200_000);
    const partial = buildRunResult(sampleIdentity(), { partial: { reason: 'interrupted', note: 'Ctrl-C at 3m20s', atMs: 200_000 } });
    const page = buildHtmlReport({ result: partial, stats: analyzeHistory(cut) });
    checkClean(page);
    expect(page).toContain('This run was cut short (interrupted');
    expect(page).toContain('class="cut"');
    expect(textOf(svgs(page)[0] as XmlElement)).toContain('churn');
    const bare = buildHtmlReport({ result: buildRunResult(sampleIdentity(), { error: new Error('kaput') }) });
    checkClean(bare);
    expect(bare).toContain('No history could be read');
    expect(bare).toContain('no faults in this run');
    expect(bare).toContain('<span class="status error">ERROR</span>');
  });

  it('escapes hostile strings everywhere they appear', () => {
    const nasty = '<script>alert("x")</script>&amp;';
    const v: Verdict = { id: 'sync.converge', verdict: 'violated', summary: nasty, checked: 1, violations: 1, skipped: 0, evidence: [{ line: 1, t: T0, node: nasty, object: nasty, note: nasty }] };
    const r = buildRunResult({ ...sampleIdentity(), scenario: { name: nasty, file: nasty, digest: `sha256:${'0'.repeat(64)}` }, components: [{ name: nasty, version: nasty }] }, { verdicts: [v], metrics: { x_ms: 3 } });
    const page = buildHtmlReport({ result: r, stats: analyzeHistory(s.history.slice(0, 50)), runDir: nasty });
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert("x")&lt;/script&gt;&amp;amp;');
    checkClean(page);
  });
});
