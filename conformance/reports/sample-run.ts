/**
 * A hand-built, deterministic run for the report tests (and for looking at report.html): 72 edge nodes (3 toll
 * stations of 20 gates, 12 vehicles) boot, a station uplink is cut and healed, half the fleet churns, CloudCore is
 * killed and restarted, an app is rolled out — with the history lines, schedule, executor records and verdicts
 * such a run would leave. storm.recover is violated (3 nodes late, CloudCore over its memory budget).
 */
import { seededRandom } from '../../sim/core/random.ts';
import { HistoryBuilder } from '../../sim/evidence/history-builder.ts';
import type { JournalEntry, JournalInput } from '../../sim/evidence/journal.ts';
import { GUARANTEE_IDS, type Verdict } from '../../sim/evidence/verdict.ts';
import type { ActionRecord, ExecutionReport } from '../../sim/faults/executor.ts';
import { scheduleFormat, type Schedule, type ScheduleEntry } from '../../sim/faults/schedule.ts';
import { buildRunResult, scenarioDigest, type RunIdentity, type RunResult } from '../../reports/run-result.ts';

export const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);
const MiB = 2 ** 20;

export interface SampleRun {
  readonly identity: RunIdentity;
  readonly history: readonly JournalEntry[];
  readonly schedule: Schedule;
  readonly execution: ExecutionReport;
  readonly verdicts: readonly Verdict[];
  readonly result: RunResult;
}

const gates = [1, 2, 3].flatMap((s) => Array.from({ length: 20 }, (_, g) => `p01-s00${s}-g${String(g + 1).padStart(2, '0')}`));
const vehicles = Array.from({ length: 12 }, (_, i) => `v-${String(i + 1).padStart(4, '0')}`);
export const sampleNodes = [...gates, ...vehicles];

const reconnect = { kind: 'jittered', baseMs: 1000, maxMs: 30_000, factor: 2 } as const;

export function sampleSchedule(): Schedule {
  const storm = sampleNodes.filter((_, i) => i % 2 === 0);
  const batches = [0, 1, 2, 3, 4].map((b) => storm.slice(Math.floor((b * storm.length) / 5), Math.floor(((b + 1) * storm.length) / 5)).sort());
  const drafts: Omit<ScheduleEntry, 'seq'>[] = [
    { at: 30_000, action: 'apply-workload', targets: ['gate-config'], params: { workload: 'gate-config' }, source: 'timeline[0]' },
    { at: 40_000, action: 'move-vehicles', targets: vehicles.slice(0, 6), params: { cell: 'tunnel', profile: 'tunnel-dead' }, source: 'routes' },
    { at: 55_000, action: 'move-vehicles', targets: vehicles.slice(0, 6), params: { cell: 'rural', profile: '3g-lossy' }, source: 'routes' },
    { at: 60_000, action: 'partition', targets: ['uplink-p01-s002'], params: { mode: 'blackhole' }, source: 'station-cut' },
    { at: 85_000, action: 'move-vehicles', targets: vehicles.slice(0, 6), params: { cell: 'city', profile: 'lte' }, source: 'routes' },
    { at: 105_000, action: 'heal', targets: ['uplink-p01-s002'], params: {}, source: 'station-cut' },
    { at: 120_000, action: 'degrade', targets: ['uplink-p01-s003'], params: { profile: 'toll-uplink-3mbit-lossy' }, source: 'timeline[2]' },
    { at: 140_000, action: 'restore', targets: ['uplink-p01-s003'], params: { profile: 'toll-uplink-10mbit' }, source: 'timeline[2]' },
    ...batches.map((targets, b): Omit<ScheduleEntry, 'seq'> => ({ at: 150_000 + b * 2000, action: 'node-offline', targets, params: { mode: 'disconnect', reconnect }, source: 'storm' })),
    { at: 190_000, action: 'node-online', targets: [...storm].sort(), params: { mode: 'disconnect', reconnect }, source: 'storm' },
    { at: 200_000, action: 'mark', targets: [], params: { label: 'storm returned' }, source: 'timeline[4]' },
    { at: 240_000, action: 'kill-component', targets: ['cloudcore'], params: {}, source: 'timeline[5]' },
    { at: 250_000, action: 'start-component', targets: ['cloudcore'], params: {}, source: 'timeline[5]' },
    { at: 270_000, action: 'rollout', targets: ['plate-reader'], params: { workload: 'plate-reader', image: { name: 'plate-reader:v2', sizeBytes: 48 * MiB, arch: ['arm64', 'amd64'] } }, source: 'timeline[6]' },
  ];
  drafts.sort((a, b) => a.at - b.at);
  return { format: scheduleFormat, scenario: 'sample-storm', seed: 7, durationMs: 300_000, entries: drafts.map((d, seq) => ({ seq, ...d }) as ScheduleEntry) };
}

function sampleExecution(schedule: Schedule): ExecutionReport {
  const took: Partial<Record<ScheduleEntry['action'], number>> = { partition: 140, heal: 90, 'node-offline': 320, 'node-online': 610, 'kill-component': 45, 'start-component': 4200, rollout: 1800, degrade: 60, restore: 55, 'move-vehicles': 35, 'apply-workload': 900 };
  let errors = 0;
  const records: ActionRecord[] = schedule.entries.map((e) => {
    const startedAt = e.at + 3;
    const failed = e.action === 'move-vehicles' && e.at === 55_000;
    if (failed) errors++;
    return {
      ...e,
      startedAt,
      endedAt: startedAt + (took[e.action] ?? 5),
      lateMs: 3,
      outcome: failed ? 'error' : 'ok',
      ...(failed ? { error: { message: 'toxiproxy: PUT /proxies/cellular-v-0003/toxics: 503 Service Unavailable', code: 'E_COMPONENT_UNHEALTHY' } } : {}),
    };
  });
  return { records, completed: true, cancelled: false, notRun: 0, errors, startTime: T0, hookErrors: [] };
}

/** The history of the sample run, in journal order. */
export function sampleHistory(): JournalEntry[] {
  const r = seededRandom(7);
  const ev: { t: number; i: number; input: JournalInput }[] = [];
  let order = 0;
  const at = (ms: number, input: JournalInput): void => {
    ev.push({ t: T0 + Math.round(ms), i: order++, input });
  };
  const between = (lo: number, hi: number): number => lo + r.next() * (hi - lo);
  at(0, { source: 'bench', op: 'run-start', value: { scenario: 'sample-storm', seed: 7 } });
  at(1, {
    source: 'bench',
    op: 'bounds',
    value: {
      sync: { lagMs: 10_000 },
      autonomy: { evictionToleranceMs: 300_000, restoreMs: 60_000, deviceAnswerMs: 5000 },
      twin: { lagMs: 10_000 },
      status: { periodMs: 10_000, slackMs: 10_000 },
      storm: { recoverMs: 30_000, rssBudgetBytes: 900 * MiB },
      app: { hotUpdateMs: 120_000 },
    },
  });
  const connected = new Set<string>();
  const up = (node: string, t: number, readyLag: number): void => {
    at(t, { source: 'edge', op: 'connect', node });
    at(t + readyLag, { source: 'cloud', op: 'node-ready', node, value: 'True' });
    connected.add(node);
  };
  // boot
  for (const node of sampleNodes) {
    const t = between(500, 9000);
    at(t, { source: 'edge', op: 'start', node, value: 'boot' });
    up(node, t + between(300, 1500), between(800, 2500));
  }
  // a ConfigMap reaches every gate
  at(30_050, { source: 'cloud', op: 'object-upsert', kind: 'ConfigMap', namespace: 'toll', name: 'gate-config', uid: 'u-gc', rv: '1201', targets: gates });
  for (const node of gates) {
    at(30_050 + between(120, 2200), { source: 'edge', op: 'apply', node, kind: 'ConfigMap', namespace: 'toll', name: 'gate-config', uid: 'u-gc', rv: '1201' });
  }
  // station s002 cut off 60–105 s
  const s002 = gates.filter((g) => g.startsWith('p01-s002'));
  at(60_003, { source: 'fault', op: 'partition', fault: 'station-cut', nodes: s002, value: 'uplink-p01-s002' });
  for (const node of s002) {
    at(60_003 + between(2000, 15_000), { source: 'edge', op: 'disconnect', node, value: 'keepalive timeout' });
    at(100_000 + between(0, 3000), { source: 'cloud', op: 'node-ready', node, value: 'Unknown' });
  }
  at(105_003, { source: 'fault', op: 'heal', fault: 'station-cut' });
  for (const node of s002) up(node, 105_003 + between(900, 6500), between(700, 2400));
  // churn: half the fleet drops 150–160 s, returns at 190 s; three come back late
  const storm = sampleNodes.filter((_, i) => i % 2 === 0);
  at(150_003, { source: 'fault', op: 'churn', wave: 'storm', phase: 'drop', nodes: storm });
  const late = new Set(storm.slice(3, 6));
  storm.forEach((node, i) => {
    at(150_003 + Math.floor(i / (storm.length / 5)) * 2000 + between(0, 400), { source: 'edge', op: 'disconnect', node, value: 'connection reset' });
    at(188_000 + between(0, 4000), { source: 'cloud', op: 'node-ready', node, value: 'Unknown' });
  });
  at(190_003, { source: 'fault', op: 'churn', wave: 'storm', phase: 'return', nodes: storm });
  for (const node of storm) {
    if (late.has(node)) up(node, 190_003 + between(36_000, 44_000), between(1500, 3000));
    else up(node, 190_003 + between(800, 22_000), between(600, 2600));
  }
  // CloudCore killed at 240 s, back at 250 s: every node reconnects
  at(240_003, { source: 'fault', op: 'kill', component: 'cloudcore' });
  for (const node of sampleNodes) at(240_050 + between(0, 600), { source: 'edge', op: 'disconnect', node, value: 'closed by peer' });
  at(254_200, { source: 'fault', op: 'restart', component: 'cloudcore' });
  for (const node of sampleNodes) at(254_300 + between(500, 9000), { source: 'edge', op: 'connect', node });
  // rollout to the vehicles
  at(270_003, { source: 'fault', op: 'update-rollout', app: 'plate-reader', version: 'v2', nodes: vehicles });
  for (const node of vehicles) {
    const t = 272_000 + between(0, 15_000);
    at(t, { source: 'edge', op: 'pod-state', node, namespace: 'apps', name: 'plate-reader-v2', value: 'running', app: 'plate-reader', version: 'v2' });
    at(t + 400, { source: 'edge', op: 'pod-state', node, namespace: 'apps', name: 'plate-reader-v1', value: 'stopped', app: 'plate-reader', version: 'v1' });
  }
  // device requests now and then
  for (let k = 0; k < 40; k++) {
    const node = gates[k % gates.length] as string;
    const t = 20_000 + k * 6500;
    at(t, { source: 'edge', op: 'device-request', node, name: 'barrier', reqId: `q${k}`, value: 'read position' });
    at(t + between(4, 90), { source: 'edge', op: 'device-answer', node, name: 'barrier', reqId: `q${k}` });
  }
  // cloud memory every 5 s: grows with the fleet, spikes in the reconnect storm, drops when CloudCore restarts
  for (let t = 0; t <= 300_000; t += 5000) {
    let rss = 380 * MiB + 2.2 * MiB * Math.min(1, t / 12_000) * sampleNodes.length;
    if (t >= 190_000 && t < 240_000) rss += 430 * MiB * Math.exp(-Math.max(0, t - 200_000) / 18_000);
    if (t >= 240_000 && t < 255_000) continue; // killed: nothing to sample
    if (t >= 255_000) rss = 300 * MiB + 2.0 * MiB * sampleNodes.length * Math.min(1, (t - 255_000) / 10_000);
    at(t + 2, { source: 'cloud', op: 'metric', metric: 'cloudcore_rss_bytes', value: Math.round(rss + between(-8, 8) * MiB) });
    at(t + 3, { source: 'cloud', op: 'metric', metric: 'kube_apiserver_rss_bytes', value: Math.round(520 * MiB + t * 300 + between(-5, 5) * MiB) });
    at(t + 4, { source: 'cloud', op: 'metric', metric: 'cloud_api_mutating_p99_ms', value: Math.round(80 + between(0, 60) + (t >= 190_000 && t < 215_000 ? 600 : 0)) });
  }
  // what the run's metrics sampler adds (its own random stream, so the lines above stay as they were): CPU of both
  // processes, an API probe per sample, link totals and rates fleet-wide and per station uplink, the bench's calls
  const m = seededRandom(11);
  const jitter = (lo: number, hi: number): number => lo + m.next() * (hi - lo);
  const stations = ['uplink-p01-s001', 'uplink-p01-s002', 'uplink-p01-s003'];
  const linkTotals = new Map(stations.map((l) => [l, { up: 0, down: 0 }]));
  let fleetUp = 0;
  let fleetDown = 0;
  for (let t = 0; t <= 300_000; t += 5000) {
    const storm = t >= 190_000 && t < 240_000;
    if (t < 240_000 || t >= 255_000) at(t + 5, { source: 'cloud', op: 'metric', metric: 'cloudcore_cpu_cores', value: Math.round((storm ? 1.4 : 0.25) * jitter(0.8, 1.2) * 1000) / 1000 });
    at(t + 6, { source: 'cloud', op: 'metric', metric: 'kube_apiserver_cpu_cores', value: Math.round((storm ? 0.9 : 0.3) * jitter(0.8, 1.2) * 1000) / 1000 });
    at(t + 7, { source: 'cloud', op: 'metric', metric: 'kube_api_probe_ms', value: Math.round(jitter(3, 9) + (storm ? 40 : 0)) });
    let up = 0;
    let down = 0;
    for (const l of stations) {
      const tot = linkTotals.get(l) as { up: number; down: number };
      const cut = l === 'uplink-p01-s002' && t >= 60_000 && t < 90_000;
      const du = cut ? 0 : Math.round(jitter(2000, 3000) * (storm ? 6 : 1));
      const dd = cut ? 0 : Math.round(jitter(4000, 6000) * (storm ? 10 : 1));
      tot.up += du;
      tot.down += dd;
      up += du;
      down += dd;
      if (du > 0 || dd > 0) {
        at(t + 9, { source: 'edge', op: 'metric', metric: 'link_up_bytes_total', value: tot.up, link: l });
        at(t + 9, { source: 'edge', op: 'metric', metric: 'link_down_bytes_total', value: tot.down, link: l });
      }
    }
    fleetUp += up;
    fleetDown += down;
    at(t + 8, { source: 'edge', op: 'metric', metric: 'link_up_bytes_total', value: fleetUp });
    at(t + 8, { source: 'edge', op: 'metric', metric: 'link_down_bytes_total', value: fleetDown });
    if (t > 0) {
      at(t + 8, { source: 'edge', op: 'metric', metric: 'link_up_bytes_per_second', value: up / 5 });
      at(t + 8, { source: 'edge', op: 'metric', metric: 'link_down_bytes_per_second', value: down / 5 });
    }
  }
  at(30_020, { source: 'cloud', op: 'metric', metric: 'kube_api_write_ms', value: 14.5 });
  at(270_020, { source: 'cloud', op: 'metric', metric: 'kube_api_write_ms', value: 22.25 });
  at(30_030, { source: 'cloud', op: 'metric', metric: 'kube_api_read_ms', value: 3.5 });
  at(290_003, { source: 'bench', op: 'deadline', value: 'last heal + 60s' });
  at(299_990, { source: 'edge', op: 'status-report', node: gates[0] as string, value: 'True' });
  ev.sort((a, b) => a.t - b.t || a.i - b.i);
  const h = new HistoryBuilder();
  for (const e of ev) h.add(e.t, e.input);
  return [...h.entries];
}

/** The verdicts of the sample run; storm.recover's evidence points at real lines of the history. */
export function sampleVerdicts(history: readonly JournalEntry[]): Verdict[] {
  const returnLine = history.find((e) => e.op === 'churn' && e.phase === 'return');
  const returnT = returnLine?.t ?? T0;
  const lateReady = history.filter((e) => e.op === 'node-ready' && e.value === 'True' && e.t - returnT > 30_000 && e.t - returnT < 60_000);
  const rssPeak = history
    .filter((e): e is Extract<JournalEntry, { op: 'metric' }> => e.op === 'metric' && e.metric === 'cloudcore_rss_bytes')
    .reduce<Extract<JournalEntry, { op: 'metric' }> | undefined>((m, e) => (m === undefined || e.value > m.value ? e : m), undefined);
  const evidence = [
    ...(rssPeak !== undefined
      ? [{ line: rssPeak.seq, t: rssPeak.t, note: `CloudCore RSS ${(rssPeak.value / MiB).toFixed(0)} MiB over the 900 MiB budget during wave "storm"` }]
      : []),
    ...lateReady.map((e) => ({
      line: e.seq,
      related: returnLine !== undefined ? [returnLine.seq] : [],
      ...(e.op === 'node-ready' ? { node: e.node } : {}),
      object: 'Node',
      t: e.t,
      note: `Ready ${((e.t - returnT) / 1000).toFixed(1)} s after the wave returned — bound 30 s`,
    })),
  ];
  const v = (id: Verdict['id'], verdict: Verdict['verdict'], summary: string, checked: number, violations = 0, ev: Verdict['evidence'] = []): Verdict => ({
    id,
    verdict,
    summary,
    checked,
    violations,
    skipped: 0,
    evidence: ev,
  });
  return [
    v('sync.converge', 'held', 'every edge copy of the 61 objects it should hold equals the cloud at the deadline', 61),
    v('sync.monotonic', 'held', 'no edge applied an older version after a newer one (60 applies)', 60),
    v('sync.no-lost-delete', 'not-checked', 'no object was deleted while an edge it targets was offline', 0),
    v('autonomy.keep-running', 'held', 'the 20 partitioned nodes kept their pods running and devices answered', 20),
    v('autonomy.restart-offline', 'not-checked', 'no edge was restarted while offline', 0),
    v('autonomy.no-eviction', 'held', 'no pod of a partitioned node was evicted within the 300 s tolerance', 20),
    v('twin.converge', 'held', 'desired and reported values agree at the deadline for 40 properties', 40),
    v('status.fresh', 'held', 'every connected node’s Ready status stayed fresher than 20 s', 72),
    v('storm.recover', 'violated', `${lateReady.length} of 36 nodes were not Ready within 30 s of the wave returning; CloudCore exceeded its memory budget`, 37, evidence.length, evidence),
    v('app.hot-update', 'held', 'plate-reader v2 reached all 12 vehicles without a gap', 12),
  ];
}

export function sampleIdentity(): RunIdentity {
  const text = 'name: sample-storm\nseed: 7\nduration: 5m\n';
  return {
    scenario: { name: 'sample-storm', file: 'scenarios/ci/sample-storm.yaml', digest: scenarioDigest(text) },
    seed: 7,
    startedAt: T0 - 42_000,
    backend: 'local',
    components: [
      { name: 'kube-apiserver', version: 'v1.30.4' },
      { name: 'etcd', version: '3.5.15' },
      { name: 'cloudcore', version: 'v1.18.1' },
      { name: 'toxiproxy', version: '2.9.0' },
      { name: 'mosquitto', version: '2.0.18' },
    ],
    guarantees: [...GUARANTEE_IDS],
    runDir: 'runs/sample-storm-20240501T080000',
    edgeproofVersion: '0.1.0',
  };
}

export function sampleRun(): SampleRun {
  const identity = sampleIdentity();
  const history = sampleHistory();
  const schedule = sampleSchedule();
  const execution = sampleExecution(schedule);
  const verdicts = sampleVerdicts(history);
  const result = buildRunResult(identity, { endedAt: T0 + 305_000, verdicts, schedule, execution, metrics: { edge_nodes: sampleNodes.length } });
  return { identity, history, schedule, execution, verdicts, result };
}
