import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeproofError, ManualClock } from '../core/index.ts';
import { defaultBounds } from './bounds.ts';
import { entryProblem, FileJournal, MemoryJournal, OPS, parseJournal, readJournal, type JournalInput } from './journal.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeproof-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `history-${++n}.jsonl`);

/** One input of every op, so round trips cover the whole vocabulary. */
const everyOp: JournalInput[] = [
  { source: 'bench', op: 'run-start', value: { scenario: 'ci/smoke.yaml', seed: 42 } },
  { source: 'bench', op: 'bounds', value: defaultBounds },
  { source: 'cloud', op: 'object-upsert', kind: 'Pod', namespace: 'default', name: 'nginx', uid: 'u1', rv: '18446744073709551615', targets: ['n1'] },
  { source: 'cloud', op: 'object-upsert', kind: 'Pod', namespace: 'default', name: 'nginx', uid: 'u1', rv: '19', targets: ['n1'], deleting: true },
  { source: 'cloud', op: 'object-delete', kind: 'Pod', namespace: 'default', name: 'nginx', uid: 'u1', rv: '20' },
  { source: 'cloud', op: 'node-ready', node: 'n1', value: 'True', heartbeatT: 1_700_000_000_000 },
  { source: 'cloud', op: 'device-desired', node: 'n1', namespace: 'default', name: 'gate-1', property: 'barrier', value: 'open' },
  { source: 'cloud', op: 'device-reported', node: 'n1', name: 'gate-1', property: 'barrier', value: 'open' },
  { source: 'cloud', op: 'metric', metric: 'cloudcore_rss_bytes', value: 123_456_789 },
  { source: 'edge', op: 'metric', metric: 'edge_rss_bytes', value: 40_000, node: 'n1' },
  { source: 'edge', op: 'metric', metric: 'link_up_bytes_total', value: 5_120, link: 'uplink-p01-s001' },
  { source: 'edge', op: 'apply', node: 'n1', kind: 'ConfigMap', namespace: 'kube-system', name: 'cfg', uid: 'c1', rv: '7' },
  { source: 'edge', op: 'delete', node: 'n1', kind: 'ConfigMap', namespace: 'kube-system', name: 'cfg' },
  { source: 'edge', op: 'ack', node: 'n1', kind: 'Node', name: 'n1', rv: '3' },
  { source: 'edge', op: 'connect', node: 'n1' },
  { source: 'edge', op: 'disconnect', node: 'n1', value: 'keepalive timeout' },
  { source: 'edge', op: 'start', node: 'n1', value: 'restart' },
  { source: 'edge', op: 'pod-state', node: 'n1', namespace: 'toll', name: 'tolling-0', value: 'running', app: 'tolling', version: 'v2' },
  { source: 'edge', op: 'status-report', node: 'n1', value: 'True' },
  { source: 'edge', op: 'twin-write', node: 'n1', name: 'gate-1', property: 'barrier', value: 'open' },
  { source: 'edge', op: 'device-read', node: 'n1', name: 'gate-1', property: 'barrier', value: 'open' },
  { source: 'edge', op: 'twin-reject', node: 'n1', namespace: 'default', name: 'gate-1', value: 'not a member of this node' },
  { source: 'device', op: 'register-value', node: 'n1', name: 'gate-1', property: 'barrier', value: 'open', cause: 'write', reportToCloud: false },
  { source: 'device', op: 'device-request', node: 'n1', name: 'gate-1', reqId: 'r1', value: 'twin/get' },
  { source: 'edge', op: 'device-answer', node: 'n1', name: 'gate-1', reqId: 'r1' },
  { source: 'fault', op: 'partition', fault: 'f1', nodes: ['n1', 'n2'], value: 'station-7' },
  { source: 'fault', op: 'heal', fault: 'f1' },
  { source: 'fault', op: 'churn', wave: 'w1', phase: 'drop', nodes: ['n1'] },
  { source: 'fault', op: 'kill', component: 'edge', nodes: ['n1'] },
  { source: 'fault', op: 'restart', component: 'cloudcore' },
  { source: 'fault', op: 'update-rollout', app: 'tolling', version: 'v2', nodes: ['n1'] },
  { source: 'fault', op: 'action', action: 'degrade', targets: ['uplink-p01-s002'], outcome: 'ok', value: 'timeline[1]' },
  { source: 'bench', op: 'deadline', value: 'last heal + 120 s' },
  { source: 'bench', op: 'api-delete', kind: 'Pod', namespace: 'default', name: 'nginx' },
];

describe('journal vocabulary', () => {
  it('the sample above uses every op, and every sample is a valid entry', () => {
    expect(new Set(everyOp.map((e) => e.op))).toEqual(new Set(OPS));
    everyOp.forEach((input, i) => expect(entryProblem({ seq: i + 1, t: i, ...input })).toBeUndefined());
  });

  it('rejects what producers get wrong, naming the field', () => {
    const ok = { seq: 1, t: 0, source: 'edge', op: 'apply', node: 'n1', kind: 'Pod', name: 'p', uid: 'u', rv: '5' };
    expect(entryProblem({ ...ok, op: 'upsert' })).toMatch(/unknown op "upsert"/);
    expect(entryProblem({ ...ok, source: 'cloud' })).toMatch(/needs source edge/);
    expect(entryProblem({ ...ok, rv: '05' })).toMatch(/"rv" must be a decimal/);
    expect(entryProblem({ ...ok, rv: 5 })).toMatch(/"rv" must be a decimal/);
    const { uid: _uid, ...noUid } = ok;
    expect(entryProblem(noUid)).toMatch(/needs "uid"/);
    expect(entryProblem({ ...ok, uid: undefined })).toMatch(/"uid" must be a string/);
    expect(entryProblem({ ...ok, colour: 'red' })).toMatch(/no field "colour"/);
    expect(entryProblem({ ...ok, seq: 0 })).toMatch(/seq/);
    expect(entryProblem({ ...ok, t: 'now' })).toMatch(/"t"/);
    expect(entryProblem([])).toMatch(/not a JSON object/);
    expect(entryProblem({ seq: 1, t: 0, source: 'cloud', op: 'node-ready', node: 'n1', value: 'true' })).toMatch(/one of True, False, Unknown/);
    const metric = { seq: 1, t: 0, source: 'edge', op: 'metric', metric: 'link_up_bytes_total', value: 1 };
    expect(entryProblem({ ...metric, link: 7 })).toMatch(/"link" must be a string/);
    expect(entryProblem({ ...metric, uplink: 'a' })).toMatch(/no field "uplink"/);
    expect(entryProblem({ ...metric, value: Number.NaN })).toMatch(/"value" must be a finite number/);
    expect(entryProblem({ seq: 1, t: 0, source: 'bench', op: 'bounds', value: { ...defaultBounds, status: { periodMs: -1, slackMs: 0 } } })).toMatch(/status\.periodMs/);
  });
});

describe('FileJournal and readJournal', () => {
  it('round-trips every op: seq 1, 2, …, t from the injected clock, payload unchanged', async () => {
    const clock = new ManualClock(1000);
    const path = fresh();
    const j = FileJournal.create(path, { clock });
    for (const input of everyOp) {
      j.append(input);
      await clock.advance(7);
    }
    j.close();
    const { entries, tornLastLine } = readJournal(path);
    expect(tornLastLine).toBeUndefined();
    expect(entries).toEqual(everyOp.map((input, i) => ({ seq: i + 1, t: 1000 + 7 * i, ...input })));
    // seq and t lead each line, so a human (or grep) reads them first
    expect(readFileSync(path, 'utf8').split('\n')[0]).toMatch(/^\{"seq":1,"t":1000,"source":"bench","op":"run-start"/);
  });

  it('flushes on its own at the end of the event-loop turn (no close needed for lines to be on disk)', async () => {
    const path = fresh();
    const j = FileJournal.create(path, { clock: new ManualClock(5) });
    j.append({ source: 'edge', op: 'connect', node: 'n1' });
    j.append({ source: 'edge', op: 'connect', node: 'n2' });
    expect(readFileSync(path, 'utf8')).toBe(''); // still buffered within this turn
    await new Promise((r) => setImmediate(r));
    expect(readJournal(path).entries.map((e) => e.seq)).toEqual([1, 2]);
    j.close();
  });

  it("sync mode writes each line before append returns; t never goes backwards when the clock does", () => {
    const path = fresh();
    let now = 100;
    const j = FileJournal.create(path, { clock: { now: () => now, setTimeout: () => ({ cancel: () => undefined }), sleep: () => Promise.resolve() }, mode: 'sync' });
    j.append({ source: 'edge', op: 'connect', node: 'n1' });
    now = 50; // wall clock stepped back
    j.append({ source: 'edge', op: 'disconnect', node: 'n1' });
    expect(readJournal(path).entries.map((e) => e.t)).toEqual([100, 100]);
    j.close();
    j.close(); // idempotent
    expect(() => j.append({ source: 'edge', op: 'connect', node: 'n1' })).toThrow(/closed/);
  });

  it('refuses inputs that already carry seq or t (they would be written twice)', () => {
    const j = FileJournal.create(fresh(), { clock: new ManualClock(0) });
    const entry = { seq: 9, t: 9, source: 'edge', op: 'connect', node: 'n1' } as const;
    expect(() => j.append(entry)).toThrow(/must not carry seq or t/);
    expect(() => new MemoryJournal().append(entry)).toThrow(/must not carry seq or t/);
    j.close();
  });

  it('flushes when the buffer fills, in order, and reads files bigger than one read chunk with multi-byte text', () => {
    const path = fresh();
    const j = FileJournal.create(path, { clock: new ManualClock(0), maxBufferBytes: 4096 });
    const count = 12_000; // ~1.7 MB: several 1 MiB read chunks, so chunk borders fall inside lines and characters
    for (let i = 0; i < count; i++) j.append({ source: 'edge', op: 'disconnect', node: `n${i}`, value: `Zeitüberschreitung — 链路中断 ${i} 😀` });
    j.close();
    const { entries } = readJournal(path);
    expect(entries).toHaveLength(count);
    expect(entries[count - 1]).toMatchObject({ seq: count, node: `n${count - 1}`, value: `Zeitüberschreitung — 链路中断 ${count - 1} 😀` });
  });

  it('never appends to or rewrites an existing history', () => {
    const path = fresh();
    writeFileSync(path, '{"seq":1}\n');
    const err = (() => {
      try {
        FileJournal.create(path, { clock: new ManualClock() });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(EdgeproofError);
    expect((err as EdgeproofError).code).toBe('E_BAD_FLAG');
    expect(readFileSync(path, 'utf8')).toBe('{"seq":1}\n');
  });

  it('tolerates a torn last line (a crash mid-write) and reports it', () => {
    const path = fresh();
    const j = FileJournal.create(path, { clock: new ManualClock(0), mode: 'sync' });
    j.append({ source: 'edge', op: 'connect', node: 'n1' });
    j.append({ source: 'edge', op: 'connect', node: 'n2' });
    j.close();
    appendFileSync(path, '{"seq":3,"t":0,"source":"edge","op":"conn');
    const read = readJournal(path);
    expect(read.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(read.tornLastLine).toEqual({ line: 3, text: '{"seq":3,"t":0,"source":"edge","op":"conn' });
  });

  it('accepts a complete last line whose newline was lost', () => {
    const text = '{"seq":1,"t":0,"source":"edge","op":"connect","node":"n1"}\n{"seq":2,"t":1,"source":"edge","op":"connect","node":"n2"}';
    expect(parseJournal(text).entries).toHaveLength(2);
    expect(parseJournal(text).tornLastLine).toBeUndefined();
  });

  it('reports a malformed middle line with file and line number (E_BAD_MESSAGE)', () => {
    const path = fresh();
    writeFileSync(
      path,
      [
        '{"seq":1,"t":0,"source":"edge","op":"connect","node":"n1"}',
        '{"seq":2,"t":1,"source":"edge","op":"connect","node":"n2"}',
        '{"seq":3,"t":2,"source":"edge","op":"conn',
        '{"seq":4,"t":3,"source":"edge","op":"connect","node":"n4"}',
        '',
      ].join('\n'),
    );
    let err: unknown;
    try {
      readJournal(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EdgeproofError);
    const e = err as EdgeproofError;
    expect(e.code).toBe('E_BAD_MESSAGE');
    expect(e.exitCode).toBe(2);
    expect(e.where).toBe(`${path}:3`);
    expect(e.message).toMatch(/^history line 3: not JSON/);
  });

  it('a torn line followed by a newline is no longer the last line: it is malformed', () => {
    expect(() => parseJournal('{"seq":1,"t":0,"source":"edge","op":"conn\n', 'h.jsonl')).toThrow(/history line 1: not JSON/);
  });

  it('reports valid JSON that is not an entry, and out-of-order lines, by line number', () => {
    const good = '{"seq":1,"t":5,"source":"edge","op":"connect","node":"n1"}';
    expect(() => parseJournal(`${good}\n{"seq":2,"t":6,"source":"edge","op":"connect"}\n`, 'h.jsonl')).toThrow(/history line 2: op "connect" needs "node"/);
    expect(() => parseJournal(`${good}\n${good}\n`, 'h.jsonl')).toThrow(/history line 2: seq 1 does not follow 1/);
    expect(() => parseJournal(`${good}\n{"seq":2,"t":4,"source":"edge","op":"connect","node":"n1"}\n`, 'h.jsonl')).toThrow(/history line 2: t 4 is earlier/);
    expect(() => parseJournal(`${good}\n\n${good.replace('"seq":1', '"seq":2')}\n`, 'h.jsonl')).toThrow(/history line 2: not JSON/);
  });

  it('an empty file is an empty history', () => {
    const path = fresh();
    writeFileSync(path, '');
    expect(readJournal(path)).toEqual({ entries: [] });
  });
});

describe('MemoryJournal', () => {
  it('stamps seq and t from its clock, or at explicit times, never going back', async () => {
    const clock = new ManualClock(10);
    const j = new MemoryJournal(clock);
    expect(j.append({ source: 'edge', op: 'connect', node: 'n1' })).toBe(1);
    await clock.advance(5);
    j.append({ source: 'edge', op: 'connect', node: 'n2' });
    const e = j.appendAt(3, { source: 'edge', op: 'connect', node: 'n3' });
    expect(j.entries.map((x) => [x.seq, x.t])).toEqual([
      [1, 10],
      [2, 15],
      [3, 15],
    ]);
    expect(e.seq).toBe(3);
  });
});
