/**
 * Every kind of scenario mistake is bad input: EdgeproofError E_BAD_SCENARIO, exit code 2, naming the exact
 * `file:line:col`, the path in the document, what was expected and a fix. The line/column pairs below were
 * checked by hand against the text of `base` (conformance/scenarios/support.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../sim/core/errors.ts';
import { loadScenario } from '../../sim/scenario/loader.ts';
import { base, failure, insertAfter, parse, withLine } from './support.ts';

interface Case {
  readonly name: string;
  readonly text: string;
  /** Expected where (file:line:col). */
  readonly where: string;
  /** Substrings of the message. */
  readonly says: readonly string[];
  /** Substring of the fix. */
  readonly fix?: string;
}

const cases: Record<string, readonly Case[]> = {
  'wrong type': [
    { name: 'a bare number as a duration', text: withLine(4, 'duration: 5'), where: 's.yaml:4:11', says: ['duration:', 'bare number 5'], fix: '5m' },
    { name: 'text where a count goes', text: withLine(7, '    - { name: p01, region: east, stations: three, gatesPerStation: 3 }'), where: 's.yaml:7:44', says: ['fleet.provinces[0].stations', 'whole number', '"three"'] },
    { name: 'a list where a mapping goes', text: withLine(19, '  cells: [lte, 3g]'), where: 's.yaml:19:10', says: ['links.cells', 'mapping'] },
    { name: 'a mapping where a selector goes', text: withLine(27, '    partition: { select: { province: p01 }, for: 1m }'), where: 's.yaml:27:26', says: ['timeline[0].partition.select', 'expected a selector'] },
    { name: 'a negative seed', text: withLine(3, 'seed: -1'), where: 's.yaml:3:7', says: ['seed', 'out of range'] },
    { name: 'a string where a boolean goes', text: insertAfter(22, '    autonomy: yes'), where: 's.yaml:23:15', says: ['workloads[0].autonomy', 'true or false'] },
    { name: 'an unknown mapper report mode', text: insertAfter(9, '  edge: { deviceReports: sometimes }'), where: 's.yaml:10:26', says: ['fleet.edge.deviceReports', '"sometimes"', 'collect-cycle'] },
  ],
  'unknown key': [
    { name: 'top level, with a suggestion', text: insertAfter(24, 'timelime: []'), where: 's.yaml:25:1', says: ['unknown key "timelime"'], fix: 'did you mean "timeline"?' },
    { name: 'inside an action', text: withLine(27, '    partition: { select: "province=p01 share=50%", fro: 1m }'), where: 's.yaml:27:52', says: ['timeline[0].partition.fro', 'unknown key "fro"'], fix: 'select, for, mode' },
    { name: 'a guarantee bound', text: withLine(31, '  sync.converge: { whithin: 60s }'), where: 's.yaml:31:20', says: ['guarantees.sync.converge.whithin'], fix: 'did you mean "within"?' },
    { name: 'an entry with two actions', text: insertAfter(29, '  - at: 2m\n    heal: { select: all }\n    mark: { label: x }'), where: 's.yaml:30:5', says: ['timeline[2]', '2 actions (heal, mark)'] },
  ],
  'bad selector': [
    { name: 'syntax: the column of the offending character', text: withLine(27, '    partition: { select: "province==p01", for: 1m }'), where: 's.yaml:27:36', says: ['bad selector "province==p01"', 'where a value should be'] },
    { name: 'an unknown key', text: withLine(27, '    partition: { select: "provence=p01", for: 1m }'), where: 's.yaml:27:27', says: ['unknown key "provence"', 'did you mean "province"?'] },
    { name: 'a station the fleet does not have', text: withLine(27, '    partition: { select: "station=p01-s009", for: 1m }'), where: 's.yaml:27:27', says: ['unknown station "p01-s009"', 'p01-s001, p01-s002, p01-s003'] },
    { name: 'a node the fleet does not have', text: withLine(27, '    partition: { select: "nodes=[p01-s001-g01, p01-s001-g09]", for: 1m }'), where: 's.yaml:27:27', says: ['unknown node "p01-s001-g09"'] },
    { name: 'terms that select nothing together', text: withLine(27, '    partition: { select: "province=p01 region=west", for: 1m }'), where: 's.yaml:27:27', says: ['selects no link'] },
    { name: 'share of 0 % (plain scalar: column still exact)', text: withLine(27, '    partition: { select: province=p01 share=0%, for: 1m }'), where: 's.yaml:27:45', says: ['share= needs a percentage above 0%'] },
    { name: 'count above what matches', text: withLine(27, '    partition: { select: "province=p02 count=5", for: 1m }'), where: 's.yaml:27:27', says: ['count=5 but only 2 links match'] },
    { name: 'a wildcard that matches nothing', text: withLine(27, '    partition: { select: "station=p09-*", for: 1m }'), where: 's.yaml:27:27', says: ['station=p09-* matches no station'] },
    { name: 'sampling in a workload placement', text: withLine(23, '    select: gate share=50%'), where: 's.yaml:23:13', says: ['workloads[0].select', 'cannot place pods'] },
    { name: 'an empty selector', text: withLine(27, '    partition: { select: "", for: 1m }'), where: 's.yaml:27:26', says: ['expected a selector'] },
  ],
  'unknown profile': [
    { name: 'a station uplink', text: withLine(18, '  stationUplink: toll-uplink-3mbit'), where: 's.yaml:18:18', says: ['links.stationUplink', 'unknown link profile "toll-uplink-3mbit"'], fix: 'toll-uplink-3mbit-lossy' },
    { name: 'a hardware profile in a mix (at the key)', text: withLine(9, '  gateHardware: { arm-gate-4c-2g: 50%, x86-ipc-8c-16g: 50% }'), where: 's.yaml:9:19', says: ['unknown hardware profile "arm-gate-4c-2g"'], fix: 'did you mean "arm-gate-4c-1g"?' },
    { name: 'a degrade target profile', text: insertAfter(29, '  - at: 2m\n    degrade: { select: all, profile: 4g }'), where: 's.yaml:31:38', says: ['timeline[2].degrade.profile', 'unknown link profile "4g"'] },
    { name: 'a coverage cell profile', text: withLine(19, '  cells: { city: 5g, tunnel: no-coverage }'), where: 's.yaml:19:18', says: ['links.cells.city', 'unknown link profile "5g"'] },
    { name: 'a route through an undeclared cell', text: withLine(16, '          legs: [{ cell: city, for: 30s }, { cell: tunel, for: 10s }]'), where: 's.yaml:16:52', says: ['legs[1].cell', 'unknown cell "tunel"'], fix: 'did you mean "tunnel"?' },
  ],
  'negative or zero duration': [
    { name: 'a negative at', text: withLine(26, '  - at: -5s'), where: 's.yaml:26:9', says: ['timeline[0].at', '"-5s" is negative'] },
    { name: 'a negative for', text: withLine(27, '    partition: { select: "province=p01", for: -30s }'), where: 's.yaml:27:47', says: ['timeline[0].partition.for', 'negative'] },
    { name: 'a zero scenario duration', text: withLine(4, 'duration: 0s'), where: 's.yaml:4:11', says: ['duration', 'zero duration'] },
    { name: 'a zero for', text: withLine(27, '    partition: { select: "province=p01", for: 0s }'), where: 's.yaml:27:47', says: ['zero duration'] },
    { name: 'a fraction', text: withLine(4, 'duration: 1.5m'), where: 's.yaml:4:11', says: ['fraction'], fix: '5m' },
    { name: 'a range that ends before it starts', text: withLine(29, '    churn: { select: "vehicle share=50%", over: 10s, offline: 40s..20s }'), where: 's.yaml:29:63', says: ['ends before it starts'] },
    { name: 'an entry after the end', text: withLine(28, '  - at: 3m'), where: 's.yaml:28:9', says: ['not before the end of the scenario'] },
    { name: 'a heal after the end', text: withLine(27, '    partition: { select: "province=p01", for: 3m }'), where: 's.yaml:27:16', says: ['lasts until 3m30s, after the scenario ends at 3m'] },
  ],
  'YAML syntax': [
    { name: 'an unclosed flow mapping', text: withLine(27, '    partition: { select: "province=p01", for: 1m'), where: 's.yaml:28:3', says: ['YAML syntax'] },
    { name: 'a tab as indentation', text: withLine(4, '\tduration: 3m'), where: 's.yaml:4:1', says: ['YAML syntax', 'Tabs'] },
    { name: 'a duplicate key', text: insertAfter(4, 'duration: 4m'), where: 's.yaml:5:1', says: ['YAML syntax', 'unique'] },
    { name: 'two documents', text: `${base}---\nname: x\n`, where: 's.yaml:32:1', says: ['YAML syntax', 'multiple documents'] },
    { name: 'an alias bomb', text: 'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n', where: 's.yaml:1:1', says: ['YAML'] },
    { name: 'an empty file', text: '', where: 's.yaml:1:1', says: ['expected a mapping'] },
  ],
  'unknown guarantee and references': [
    { name: 'an unknown guarantee id', text: withLine(31, '  sync.convergence: { within: 60s }'), where: 's.yaml:31:3', says: ['unknown guarantee "sync.convergence"'], fix: 'did you mean "sync.converge"?' },
    { name: 'an unknown workload', text: insertAfter(29, '  - at: 2m\n    rollout: { workload: toling, image: registry.local/tolling:2.0 }'), where: 's.yaml:31:26', says: ['unknown workload "toling"'], fix: 'did you mean "tolling"?' },
    { name: 'shares that do not add up', text: withLine(9, '  gateHardware: { arm-gate-4c-1g: 50%, x86-ipc-8c-16g: 40% }'), where: 's.yaml:9:17', says: ['shares add up to 90%'] },
    { name: 'replicas on a DaemonSet', text: insertAfter(22, '    replicas: 3'), where: 's.yaml:23:5', says: ['a DaemonSet has no replicas'] },
    { name: 'a bad reconnect policy', text: withLine(29, '    churn: { select: "vehicle share=50%", over: 10s, offline: 20s..40s, reconnect: jitter:1s }'), where: 's.yaml:29:84', says: ['not a reconnect policy'], fix: 'jittered:1s:60s' },
    { name: 'an image no selected node can run', text: withLine(24, '    image: { name: registry.local/tolling:1.0, size: 50MB, arch: [arm] }'), where: 's.yaml:24:66', says: ['no selected node can run it'] },
  ],
};

describe('scenario mistakes are bad input with file:line:col, the path and a fix', () => {
  for (const [kind, list] of Object.entries(cases)) {
    describe(kind, () => {
      for (const c of list) {
        it(c.name, () => {
          const e = failure(c.text);
          expect(e.code).toBe('E_BAD_SCENARIO');
          expect(e.category).toBe('input');
          expect(e.exitCode).toBe(ExitCode.badInput);
          expect(e.where).toBe(c.where);
          for (const s of c.says) expect(e.message).toContain(s);
          expect(e.fix).toBeTruthy();
          if (c.fix !== undefined) expect(e.fix).toContain(c.fix);
          expect(e.oneLine()).toMatch(/^edgeproof: s\.yaml:\d+:\d+: .+ — fix: .+ \[E_BAD_SCENARIO\]$/s);
        });
      }
    });
  }

  it('the base scenario itself is valid (the cases above each break one thing)', () => {
    expect(parse(base).name).toBe('base');
  });

  it('an unreadable file is bad input too', () => {
    const e = (() => {
      try {
        loadScenario('/nonexistent/edgeproof/scenario.yaml');
      } catch (err) {
        return err as { exitCode: number; where: string };
      }
      throw new Error('expected an error');
    })();
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe('/nonexistent/edgeproof/scenario.yaml');
  });

  it('as a process: exit code 2 and one stderr line naming file:line:col (what the CLI does with the error)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeproof-bad-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, withLine(27, '    partition: { select: "station=p01-s009", for: 1m }'));
    const script = `
      import { loadScenario } from ${JSON.stringify(join(process.cwd(), 'sim/scenario/loader.ts'))};
      import { isEdgeproofError } from ${JSON.stringify(join(process.cwd(), 'sim/core/errors.ts'))};
      try { loadScenario(${JSON.stringify(file)}); process.exit(0); }
      catch (e) { if (isEdgeproofError(e)) { process.stderr.write(e.oneLine() + '\\n'); process.exit(e.exitCode); } throw e; }`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(res.status).toBe(2);
    expect(res.stderr.trim()).toBe(
      `edgeproof: ${file}:27:27: timeline[0].partition.select: selector "station=p01-s009": unknown station "p01-s009"; did you mean "p01-s001"? (this fleet has: p01-s001, p01-s002, p01-s003, p02-s001, p02-s002) — fix: use a station the fleet has, a list (station=a,b) or a wildcard (station=p01-*) [E_BAD_SCENARIO]`,
    );
  });
});
