/**
 * Fault sequences against one shared real stack: what the property-based fault schedules (issue 7 item 5) run
 * on. Starting the control plane and CloudCore costs tens of seconds, so one stack serves every sequence of a
 * fast-check run; each sequence gets a fleet of its own — fresh node, uplink and workload names (a province of
 * its own, see faultScenarioYaml) — so a sequence that broke an edge (a deliberate defect, or a real bug) cannot
 * leak into the next one, and shrinking re-runs start from the same clean state as the first run.
 *
 * A session does what runScenario does for one scenario — journal fed by the cloud's watches, every edge and
 * every fault; warm-up; the schedule on the wall clock through the same executor and RealFaultTargets; a
 * deadline; the checkers — except that the schedule grows one step at a time as fast-check hands steps over,
 * and the deadline comes as soon as the system has converged (bounded by the scenario's own convergence time).
 * Every step is parsed from the scenario text the run directory finally holds, so `edgeproof replay` of that
 * directory regenerates exactly the schedule that ran (checked before the directory is written).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildRunResult, scenarioRef, writeRunReports } from '../../reports/index.ts';
import { startStack, type StartedStack } from '../components/stack.ts';
import { systemClock } from '../core/clock.ts';
import { EdgeproofError, messageOf } from '../core/errors.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import { seededRandom } from '../core/random.ts';
import type { EdgeDefects } from '../edge/edge-node.ts';
import { loadHardwareProfiles, type HardwareProfile } from '../edge/profile.ts';
import { FileJournal, readJournal, runCheckers, type GuaranteeBounds, type Verdict } from '../evidence/index.ts';
import { runSchedule, type ActionRecord, type ExecutionReport } from '../faults/executor.ts';
import { faultConvergeS, faultScenarioYaml, faultWorkloads, SequencePlan, workloadName, type FaultNames, type FaultStep, type StepRunner } from '../faults/fault-steps.ts';
import { writeRunInputs } from '../faults/replay.ts';
import type { Schedule } from '../faults/schedule.ts';
import { RunningFleet, type FleetMember } from '../fleet/running-fleet.ts';
import type { Fleet as FleetTopology } from '../fleet/topology.ts';
import { loadLinkProfiles, type LinkProfile } from '../network/link-profile.ts';
import { Network } from '../network/network.ts';
import { defaultHardwareProfileDir, parseScenario } from '../scenario/loader.ts';
import { imageCatalog, initialManifests, workloadInstances, workloadPath } from '../scenario/workloads.ts';
import { assertedGuarantees, evidenceBounds } from './bounds.ts';
import { CloudObserver } from './cloud-observer.ts';
import { edgeEventToJournal } from './edge-journal.ts';
import { RealFaultTargets } from './fault-targets.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Condition {
  type: string;
  status: string;
}

export interface SessionOutcome {
  readonly runDir: string;
  readonly verdicts: readonly Verdict[];
  /** Executed actions that failed (a component that would not restart…): the sequence did not run as written. */
  readonly actionErrors: readonly string[];
  /** `converged`: every edge connected, every node Ready, no checker objecting; `bound`: the bound ran out first. */
  readonly deadline: 'converged' | 'bound';
  readonly schedule: Schedule;
  readonly steps: readonly FaultStep[];
  readonly seconds: number;
}

/** The stack every session of a property run shares. */
export class FaultBench {
  private sessions = 0;
  private readonly hardware: ReadonlyMap<string, HardwareProfile>;
  private readonly links: ReadonlyMap<string, LinkProfile>;

  private constructor(
    readonly stack: StartedStack,
    readonly network: Network,
    /** Run directories go under here, one per session. */
    readonly outDir: string,
    private readonly progress: Progress,
  ) {
    this.hardware = loadHardwareProfiles(defaultHardwareProfileDir());
    this.links = loadLinkProfiles();
  }

  /**
   * Start the stack as runScenario would for a fault-sequence scenario (local backend, its cloud section), so a
   * replay meets the same control plane and CloudCore configuration.
   */
  static async start(opts: { readonly outDir: string; readonly progress?: Progress }): Promise<FaultBench> {
    const progress = opts.progress ?? silentProgress;
    const outDir = resolve(opts.outDir);
    mkdirSync(outDir, { recursive: true });
    const probe = parseScenario('fault-sequence.yaml', faultScenarioYaml({ names: { province: 'f00' }, timeline: [], durationS: 60 }));
    const stack = await startStack({
      backend: { kind: 'local' },
      cloud: 'kubeedge',
      stateDir: join(outDir, 'stack'),
      controlPlane: probe.cloud.controlPlane,
      cloudcore: { ...probe.cloud.cloudcore, nodeLimit: Math.max(probe.cloud.cloudcore.nodeLimit ?? 0, 1000) },
      progress,
    });
    if (stack.cloudcore === undefined) {
      await stack.stop();
      throw new EdgeproofError('E_COMPONENT_START', 'CloudCore did not start', { where: 'cloudcore' });
    }
    return new FaultBench(stack, new Network(stack.toxiproxy), outDir, progress);
  }

  /** A fresh fleet (names of its own) behind fresh uplinks, its workloads created and ready: ready for steps. */
  async session(opts: { readonly defects?: (node: string) => EdgeDefects | undefined; readonly comment?: readonly string[] } = {}): Promise<FaultSession> {
    const n = ++this.sessions;
    const names: FaultNames = { province: `f${String(n).padStart(2, '0')}` };
    const runDir = join(this.outDir, names.province);
    const s = new FaultSession(this, names, runDir, this.hardware, this.links, this.progress, opts.comment ?? []);
    try {
      await s.begin(opts.defects);
    } catch (e) {
      // a half-started fleet would keep redialling into the next session's cloud
      await s.close();
      throw e;
    }
    return s;
  }

  async stop(): Promise<void> {
    await this.stack.stop();
  }
}

/** One fault sequence: a fleet, a journal, and the steps carried out on the wall clock. */
export class FaultSession implements StepRunner {
  private readonly plan: SequencePlan;
  private readonly records: ActionRecord[] = [];
  private t0 = 0;
  private readonly topology: FleetTopology;
  private readonly bounds: GuaranteeBounds;
  private readonly journal: FileJournal;
  private readonly historyFile: string;
  private fleet: RunningFleet | undefined;
  private observer: CloudObserver | undefined;
  private targets: RealFaultTargets | undefined;
  private closed = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly bench: FaultBench,
    readonly names: FaultNames,
    readonly runDir: string,
    hardwareProfiles: ReadonlyMap<string, HardwareProfile>,
    linkProfiles: ReadonlyMap<string, LinkProfile>,
    private readonly progress: Progress,
    comment: readonly string[],
  ) {
    mkdirSync(runDir, { recursive: true });
    this.plan = new SequencePlan({ names, file: join(runDir, 'scenario.yaml'), comment, hardwareProfiles, linkProfiles });
    this.topology = this.plan.topology;
    this.bounds = evidenceBounds(this.plan.scenario);
    this.historyFile = join(runDir, 'history.jsonl');
    this.journal = FileJournal.create(this.historyFile, { clock: systemClock });
  }

  private get kube(): StartedStack['controlPlane']['kube'] {
    return this.bench.stack.controlPlane.kube;
  }

  /** Journal, fleet, workloads, warm-up: t = 0 of the timeline is when the workloads run everywhere. */
  async begin(defects: ((node: string) => EdgeDefects | undefined) | undefined): Promise<void> {
    const stack = this.bench.stack;
    const cloudcore = stack.cloudcore;
    if (cloudcore === undefined) throw new EdgeproofError('E_COMPONENT_START', 'CloudCore did not start', { where: 'cloudcore' });
    const scenario = this.plan.scenario;
    this.journal.append({ source: 'bench', op: 'run-start', value: { scenario: scenario.name, seed: scenario.seed } });
    this.journal.append({ source: 'bench', op: 'bounds', value: this.bounds });
    const members: FleetMember[] = this.topology.nodes.map((n) => {
      const profile = scenario.hardwareProfiles.get(n.hardware);
      if (profile === undefined) throw new EdgeproofError('E_INTERNAL', `no hardware profile "${n.hardware}"`, { where: 'fault-session' });
      return { name: n.name, profile, uplink: n.link, labels: n.labels };
    });
    this.observer = new CloudObserver(this.kube, this.journal, members.map((m) => m.name));
    await this.observer.start();
    const edge = scenario.fleet.edge;
    this.fleet = await RunningFleet.create({
      members,
      cloud: cloudcore,
      network: this.bench.network,
      uplinkProfile: (link) => {
        const name = this.topology.linkById.get(link)?.profile;
        return name !== undefined ? scenario.linkProfiles.get(name) : undefined;
      },
      stateDir: join(this.runDir, 'state', 'fleet'),
      clock: systemClock,
      random: seededRandom(scenario.seed).fork('fleet'),
      reconnect: edge.reconnect,
      heartbeatMs: edge.heartbeatMs,
      nodeStatusPeriodMs: edge.nodeStatusPeriodMs,
      slimStatus: edge.slimStatus,
      credentials: 'per-node',
      // rollout images are in the scenario only once their step is: ask the latest one
      images: (image) => imageCatalog(this.plan.scenario)(image),
      ...(defects !== undefined ? { defects } : {}),
      onEvent: (node, e) => {
        const entry = edgeEventToJournal(node, e);
        if (entry !== undefined && !this.closed) this.journal.append(entry);
      },
    });
    this.targets = new RealFaultTargets(stack, this.fleet, this.topology, scenario, scenario.linkProfiles, this.journal);
    for (const m of initialManifests(scenario)) {
      const w = scenario.workloads.find((x) => x.name === m.metadata?.labels?.['edgeproof.io/workload']);
      if (w !== undefined) await this.kube.create(workloadPath(w), m);
    }
    await this.fleet.startAll();
    await this.until(60_000, 'every edge connected and every workload ready on every gate', async () => this.allConnected() && (await this.workloadsReady()));
    this.t0 = Date.now();
    this.progress.step('fault-session', `${this.names.province}: ${members.length} gates ready; steps start`);
  }

  private allConnected(): boolean {
    return this.fleet !== undefined && [...this.fleet.nodes.values()].every((n) => n.running && n.connected);
  }

  private async workloadsReady(): Promise<boolean> {
    for (const w of this.plan.scenario.workloads) {
      const obj = await this.kube.find(workloadPath(w, workloadInstances(w)[0]));
      const st = (obj?.['status'] ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
      if ((st.desiredNumberScheduled ?? 0) < this.topology.nodes.length || st.numberReady !== st.desiredNumberScheduled) return false;
    }
    return true;
  }

  private async nodesReady(): Promise<boolean> {
    const list = await this.kube.list('/api/v1/nodes');
    const ready = new Set(list.items.filter((n) => ((n['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata?.name ?? ''));
    return this.topology.nodes.every((n) => ready.has(n.name));
  }

  private async until(timeoutMs: number, what: string, ok: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok().catch(() => false))) {
      if (Date.now() > deadline) throw new EdgeproofError('E_TIMEOUT', `${this.names.province}: not ${what} after ${Math.round(timeoutMs / 1000)} s`, { where: 'fault-session', fix: `see the stack logs under ${this.bench.outDir}/stack` });
      await sleep(500);
    }
  }

  async apply(step: FaultStep, version: number): Promise<void> {
    if (this.targets === undefined) throw new EdgeproofError('E_INTERNAL', 'apply before begin', { where: 'fault-session' });
    const { id, atS, spanS, entries } = this.plan.add(step, version);
    this.progress.step('fault-session', `${this.names.province} t+${atS}s ${id}: ${entries.map((e) => `${e.action}[${e.targets.join(',')}]`).join(' ')}`);
    const report = await runSchedule(entries, {
      clock: systemClock,
      targets: this.targets,
      startTime: this.t0,
      onAction: (r) => {
        this.journal.append({ source: 'fault', op: 'action', action: r.action, targets: [...r.targets], outcome: r.outcome, value: r.source });
      },
    });
    this.records.push(...report.records);
    // the step's span is over when its last action has run; wait out the rest of it
    const wait = this.t0 + (atS + spanS) * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  }

  /**
   * Close every open fault (heal-all when a station is still cut), wait until the system converged — every edge
   * connected, every node Ready, the checkers finding nothing with no lag allowed — or the convergence bound ran
   * out, put the deadline there, judge, and write the run directory.
   */
  async finish(): Promise<SessionOutcome> {
    if (this.plan.openStations.size > 0) await this.apply({ kind: 'heal-all' }, 0);
    const ids = assertedGuarantees(this.plan.scenario);
    const strict: GuaranteeBounds = { ...this.bounds, sync: { lagMs: 0 } };
    const boundAt = Date.now() + faultConvergeS * 1000;
    let deadline: SessionOutcome['deadline'] = 'bound';
    // a little time for in-flight messages before the first look
    await sleep(3000);
    while (Date.now() < boundAt) {
      if (this.allConnected() && (await this.nodesReady().catch(() => false))) {
        this.journal.flush();
        const history = readJournal(this.historyFile).entries;
        if (runCheckers(history, strict, ids).every((v) => v.verdict !== 'violated')) {
          deadline = 'converged';
          break;
        }
      }
      await sleep(2000);
    }
    this.journal.append({ source: 'bench', op: 'deadline', value: deadline === 'converged' ? 'converged' : 'convergence bound' });
    this.journal.flush();
    const verdicts = runCheckers(readJournal(this.historyFile).entries, this.bounds, ids);
    // the scenario as it will be replayed: every step, and the deadline a replay waits for (the bound after the last step)
    const { scenario, schedule } = this.plan.final();
    writeRunInputs(this.runDir, scenario, schedule);
    const execution: ExecutionReport = {
      records: this.records,
      completed: true,
      cancelled: false,
      notRun: 0,
      errors: this.records.filter((r) => r.outcome === 'error').length,
      startTime: this.t0,
      hookErrors: [],
    };
    await this.close();
    const result = buildRunResult(
      { scenario: scenarioRef(scenario), seed: scenario.seed, startedAt: this.startedAt, backend: this.bench.stack.backend, components: this.bench.stack.components().map((c) => ({ name: c.name, version: c.version })), guarantees: ids, runDir: this.runDir },
      { endedAt: Date.now(), verdicts, schedule, execution, metrics: {} },
    );
    writeRunReports(this.runDir, { result, execution, schedule, runDirLabel: this.runDir });
    return {
      runDir: this.runDir,
      verdicts,
      actionErrors: this.records.filter((r) => r.outcome === 'error').map((r) => `${r.action} [${r.targets.join(', ')}]: ${r.error?.message ?? 'failed'}`),
      deadline,
      schedule,
      steps: [...this.plan.steps],
      seconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }

  /**
   * Stop this session's fleet and take its objects out of the cloud (workloads, Nodes), so the next session's
   * cloud holds nothing of it. Idempotent; errors are swallowed — cleanup must not hide the verdicts.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.observer?.stop();
    try {
      await this.fleet?.stopAll();
    } catch (e) {
      this.progress.step('fault-session', `${this.names.province}: stopping the fleet: ${messageOf(e)}`);
    }
    try {
      this.journal.close();
    } catch {
      // the verdicts were read already
    }
    const kube = this.kube;
    for (const w of this.plan.scenario.workloads.filter((x) => faultWorkloads.some((f) => workloadName(this.names, f) === x.name))) {
      for (const i of workloadInstances(w)) await kube.delete(workloadPath(w, i)).catch(() => undefined);
    }
    for (const n of this.topology.nodes) await kube.delete(`/api/v1/nodes/${n.name}`).catch(() => undefined);
  }
}
