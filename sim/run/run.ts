import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseBackend, startStack, type BackendChoice, type StartedStack } from '../components/stack.ts';
import { sleepUnlessAborted, systemClock } from '../core/clock.ts';
import { EdgeproofError, isEdgeproofError, messageOf } from '../core/errors.ts';
import type { Progress } from '../core/progress.ts';
import { seededRandom } from '../core/random.ts';
import type { EdgeDefects } from '../edge/edge-node.ts';
import { FileJournal, readJournal } from '../evidence/journal.ts';
import { runCheckers } from '../evidence/index.ts';
import type { Verdict } from '../evidence/verdict.ts';
import { runSchedule, type ExecutionReport } from '../faults/executor.ts';
import { writeRunInputs } from '../faults/replay.ts';
import { buildSchedule, type Schedule } from '../faults/schedule.ts';
import { RunningFleet, type FleetMember } from '../fleet/running-fleet.ts';
import { buildFleet, type Fleet as FleetTopology } from '../fleet/topology.ts';
import { Network } from '../network/network.ts';
import type { Scenario } from '../scenario/types.ts';
import { imageCatalog, initialManifests, workloadPath } from '../scenario/workloads.ts';
import { assertedGuarantees, convergeWithinMs, evidenceBounds } from './bounds.ts';
import { CloudObserver } from './cloud-observer.ts';
import { edgeEventToJournal } from './edge-journal.ts';
import { MetricsSampler, runMetricsSources } from './metrics-sampler.ts';
import { RealFaultTargets } from './fault-targets.ts';
import { RunDevices } from './run-devices.ts';
import { deviceLoad, devicePlacements } from '../scenario/devices.ts';
import { describeOutOfCoverage, warmupPlan, workloadReady, type WarmupPlan } from './warmup.ts';

export interface RunOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly outDir: string;
  /** Overrides the scenario's cloud.backend. */
  readonly backend?: BackendChoice;
  readonly progress: Progress;
  /** Abort (Ctrl-C) to stop early: the run still ends in a partial result. */
  readonly signal?: AbortSignal;
  /** Test-only: deliberate edge defects, to prove the checkers catch them on the live system. */
  readonly defects?: (node: string) => EdgeDefects | undefined;
}

export type RunStatus = 'passed' | 'failed' | 'partial' | 'error';

export interface RunOutcome {
  readonly status: RunStatus;
  readonly verdicts: readonly Verdict[];
  readonly schedule: Schedule;
  readonly execution: ExecutionReport | undefined;
  readonly topology: FleetTopology;
  readonly components: readonly { readonly name: string; readonly version: string }[];
  readonly backend: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly historyFile: string;
  readonly error?: EdgeproofError;
  readonly partialReason?: 'interrupted' | 'component-died' | 'error';
  readonly figures: Readonly<Record<string, number>>;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => sleepUnlessAborted(systemClock, ms, signal);

/** Every initial workload is ready on the nodes in coverage it can run on (see workloadReady). */
async function waitWorkloadsReady(stack: StartedStack, plan: WarmupPlan, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && signal?.aborted !== true) {
    let ready = true;
    for (const w of plan.workloads) {
      if (w.reachableNodes === 0) continue;
      const obj = await stack.controlPlane.kube.find(workloadPath(w.workload, w.instance));
      if (!workloadReady(w, obj?.['status'] ?? {})) {
        ready = false;
        break;
      }
    }
    if (ready) return true;
    await sleep(1000, signal);
  }
  return false;
}

/**
 * Create the scenario's Devices once the nodes are connected and wait for each to join its node's twin:
 * KubeEdge 1.23.1 loses the twin membership of a Device created while its node is not connected (README
 * "Facts"), so a run that created them before the fleet connected would judge that race,
 * not the scenario. Devices of nodes out of coverage at t = 0 are created anyway and named.
 */
async function bindDevices(devices: RunDevices, fleet: RunningFleet, p: Progress, signal?: AbortSignal): Promise<void> {
  const t0 = Date.now();
  await devices.createObjects();
  const { missing, offline } = await devices.awaitMembership(
    (node, id) => fleet.node(node).devices?.twin.deviceIds().includes(id) ?? false,
    (node) => fleet.node(node).connected,
    120_000,
    signal,
  );
  const list = (names: readonly string[]): string => `${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
  if (offline.length > 0) p.step('run', `warning: ${offline.length} device(s) created while their node was not connected; KubeEdge 1.23.1 will not make them members of their node's twin: ${list(offline)}`);
  if (missing.length > 0) p.step('run', `warning: ${missing.length} device(s) not in their node's twin after 2 min: ${list(missing)}`);
  else p.step('run', `devices joined their nodes' twins after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * One scenario run against the real system: the stack and CloudCore, the fleet behind its links, the
 * workloads, the fault schedule on the wall clock, the journal fed by the cloud's watches, every edge node and
 * every fault, then the checkers. Whatever happens — a violated guarantee, Ctrl-C, a component that dies —
 * the run ends with a journal and verdicts over what was recorded.
 */
export async function runScenario(opts: RunOptions): Promise<RunOutcome> {
  const { scenario, seed, progress: p } = opts;
  const startedAt = Date.now();
  mkdirSync(opts.outDir, { recursive: true });
  const topology = buildFleet(scenario, seed);
  const schedule = buildSchedule(scenario, seed, topology);
  writeRunInputs(opts.outDir, scenario, schedule);
  const historyFile = join(opts.outDir, 'history.jsonl');
  const journal = FileJournal.create(historyFile, { clock: systemClock });
  const bounds = evidenceBounds(scenario);
  journal.append({ source: 'bench', op: 'run-start', value: { scenario: scenario.name, seed } });
  journal.append({ source: 'bench', op: 'bounds', value: bounds });

  let stack: StartedStack | undefined;
  let fleet: RunningFleet | undefined;
  let observer: CloudObserver | undefined;
  let devices: RunDevices | undefined;
  let metrics: MetricsSampler | undefined;
  let execution: ExecutionReport | undefined;
  let error: EdgeproofError | undefined;
  let partialReason: RunOutcome['partialReason'];
  const figures: Record<string, number> = {};
  try {
    const backend = opts.backend ?? parseBackend(scenario.cloud.backend);
    stack = await startStack({
      backend,
      cloud: 'kubeedge',
      stateDir: join(opts.outDir, 'state'),
      controlPlane: scenario.cloud.controlPlane,
      cloudcore: { ...scenario.cloud.cloudcore, nodeLimit: Math.max(scenario.cloud.cloudcore.nodeLimit ?? 0, topology.nodes.length + 100, 1000) },
      progress: p,
    });
    const cloudcore = stack.cloudcore;
    if (cloudcore === undefined) throw new EdgeproofError('E_COMPONENT_START', 'CloudCore did not start', { where: 'cloudcore' });
    const members: FleetMember[] = topology.nodes.map((n) => {
      const profile = scenario.hardwareProfiles.get(n.hardware);
      if (profile === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `node ${n.name} uses unknown hardware profile "${n.hardware}"`, { where: scenario.file, fix: 'use a profile from fixtures/hardware' });
      return { name: n.name, profile, uplink: n.link, labels: n.labels };
    });
    const placements = devicePlacements(scenario, topology);
    observer = new CloudObserver(stack.controlPlane.kube, journal, topology.nodes.map((n) => n.name), { devices: placements.length > 0 });
    await observer.start();
    const edge = scenario.fleet.edge;
    devices = await RunDevices.start({ placements, kube: stack.controlPlane.kube, mqttUrl: stack.mqtt.url, journal, clock: systemClock, random: seededRandom(seed).fork('devices') });
    if (devices !== undefined) {
      // the nominal load, so a capacity run says what it asked of the mappers and of CloudCore
      const load = deviceLoad(placements, edge.deviceReports);
      p.step('run', `${placements.length} device simulators started: ${Math.round(load.readsPerSecond)} Modbus reads/s and ${Math.round(load.reportsPerSecond)} twin reports/s nominal`);
    }
    fleet = await RunningFleet.create({
      members,
      cloud: cloudcore,
      network: new Network(stack.toxiproxy),
      uplinkProfile: (link) => {
        const name = topology.linkById.get(link)?.profile;
        return name !== undefined ? scenario.linkProfiles.get(name) : undefined;
      },
      stateDir: join(opts.outDir, 'state', 'fleet'),
      clock: systemClock,
      random: seededRandom(seed).fork('fleet'),
      reconnect: edge.reconnect,
      heartbeatMs: edge.heartbeatMs,
      nodeStatusPeriodMs: edge.nodeStatusPeriodMs,
      slimStatus: edge.slimStatus,
      credentials: topology.nodes.length > 200 ? 'shared' : 'per-node',
      images: imageCatalog(scenario),
      ...(opts.defects !== undefined ? { defects: opts.defects } : {}),
      ...(devices !== undefined ? { devices: { ...devices.edgeOptions, reportOn: edge.deviceReports } } : {}),
      onEvent: (node, e) => {
        const entry = edgeEventToJournal(node, e);
        if (entry !== undefined) journal.append(entry);
      },
      progress: p,
    });
    const kube = stack.controlPlane.kube;
    for (const m of initialManifests(scenario)) {
      const w = scenario.workloads.find((x) => x.name === m.metadata?.labels?.['edgeproof.io/workload']);
      if (w !== undefined) await kube.create(workloadPath(w), m);
    }
    p.step('run', `starting ${members.length} edge nodes behind ${fleet.uplinks.size} links`);
    await fleet.startAll(p);
    // warm-up: faults start on a running system, so wait for the nodes in coverage to connect and the initial
    // workloads to be ready on them; nodes out of coverage at t = 0 cannot connect before the timeline moves them
    const plan = warmupPlan(scenario, topology);
    const outOfCoverage = describeOutOfCoverage(plan);
    if (outOfCoverage !== undefined) p.step('run', outOfCoverage);
    for (const w of plan.workloads) if (w.reachableNodes === 0) p.step('run', `warm-up: not waiting for ${w.instance}: none of the nodes it runs on is in coverage at t = 0`);
    const running = fleet;
    const notConnected = await running.waitConnected(300_000, plan.reachable, opts.signal);
    figures['fleet_connect_seconds'] = (Date.now() - startedAt) / 1000;
    if (notConnected > 0 && opts.signal?.aborted !== true) p.step('run', `warning: ${notConnected} of ${plan.reachable.length} nodes in coverage not connected after 5 min`);
    const warm = await waitWorkloadsReady(stack, plan, 600_000, opts.signal);
    figures['warmup_seconds'] = (Date.now() - startedAt) / 1000;
    p.step('run', warm ? `workloads ready after ${figures['warmup_seconds'].toFixed(0)} s` : 'warning: workloads not all ready after 10 min; starting the timeline anyway');
    if (devices !== undefined) await bindDevices(devices, running, p, opts.signal);
    metrics = new MetricsSampler({ journal, clock: systemClock, sources: runMetricsSources(stack, fleet) });
    metrics.start();

    const targets = new RealFaultTargets(stack, fleet, topology, scenario, scenario.linkProfiles, journal);
    const t0 = Date.now();
    p.step('run', `timeline: ${schedule.entries.length} actions over ${Math.round(schedule.durationMs / 1000)} s`);
    execution = await runSchedule(schedule, {
      clock: systemClock,
      targets,
      startTime: t0,
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      onAction: (r) => {
        journal.append({ source: 'fault', op: 'action', action: r.action, targets: [...r.targets], outcome: r.outcome, value: r.source });
        p.step('fault', `${(r.at / 1000).toFixed(1)}s ${r.action} ${r.targets.slice(0, 3).join(', ')}${r.targets.length > 3 ? ` (+${r.targets.length - 3})` : ''}: ${r.outcome}${r.error !== undefined ? ` — ${r.error.message}` : ''}`);
      },
    });
    // the deadline: the scenario's end, or the last heal plus the time edges get to converge
    const lastHeal = Math.max(0, ...execution.records.filter((r) => r.action === 'heal' || r.action === 'node-online' || r.action === 'start-component' || r.action === 'start-edges').map((r) => r.endedAt));
    const deadline = Math.max(t0 + schedule.durationMs, lastHeal > 0 ? t0 + lastHeal + convergeWithinMs(scenario) : 0);
    if (opts.signal?.aborted !== true) {
      p.step('run', `waiting ${Math.round(Math.max(0, deadline - Date.now()) / 1000)} s for the deadline`);
      await sleep(Math.max(0, deadline - Date.now()), opts.signal);
    }
    if (execution.cancelled || opts.signal?.aborted === true) partialReason = 'interrupted';
    else journal.append({ source: 'bench', op: 'deadline', value: 'end of scenario' });
    const dead = stack.components().filter((c) => c.pid === undefined && c.name !== 'k3s');
    if (dead.length > 0 && partialReason === undefined && execution.records.every((r) => r.action !== 'kill-component')) partialReason = 'component-died';
  } catch (e) {
    error = isEdgeproofError(e) ? e : new EdgeproofError('E_INTERNAL', messageOf(e), { where: 'run', cause: e });
    partialReason = 'error';
  } finally {
    metrics?.stop();
    // a saturated simulator answers late for its edges: say so, since timing verdicts then describe the bench
    const worstDelay = metrics?.worstEventLoopDelayMs ?? 0;
    if (worstDelay >= 1000) {
      p.step('run', `warning: the simulator itself was saturated (event-loop delay p99 up to ${(worstDelay / 1000).toFixed(1)} s): its edges answered late, so timing verdicts may describe the bench, not the platform — run fewer nodes or devices per core`);
    }
    observer?.stop();
    try {
      await fleet?.stopAll();
    } catch {
      // already failing
    }
    await devices?.stop().catch(() => undefined);
    journal.close();
  }
  const components = stack?.components().map((c) => ({ name: c.name, version: c.version })) ?? [];
  const backendName = stack?.backend ?? 'none';
  await stack?.stop().catch(() => undefined);

  const history = readJournal(historyFile).entries;
  const verdicts = runCheckers(history, bounds, assertedGuarantees(scenario));
  const status: RunStatus = error !== undefined && (error.category === 'environment' || error.category === 'input' || error.category === 'internal') && execution === undefined
    ? 'error'
    : partialReason !== undefined
      ? 'partial'
      : verdicts.some((v) => v.verdict === 'violated')
        ? 'failed'
        : 'passed';
  return {
    status,
    verdicts,
    schedule,
    execution,
    topology,
    components,
    backend: backendName,
    startedAt,
    endedAt: Date.now(),
    historyFile,
    ...(error !== undefined ? { error } : {}),
    ...(partialReason !== undefined ? { partialReason } : {}),
    figures,
  };
}
