import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type BackendChoice } from '../components/stack.ts';
import { systemClock } from '../core/clock.ts';
import { forEachLine } from '../core/lines.ts';
import type { Progress } from '../core/progress.ts';
import { seededRandom } from '../core/random.ts';
import type { JournalInput, JournalSink } from '../evidence/journal.ts';
import { loadHardwareProfile } from '../edge/profile.ts';
import { RunningFleet, type FleetMember } from '../fleet/running-fleet.ts';
import { Network } from '../network/network.ts';
import { desiredValuePatch } from '../devices/crd.ts';
import { deviceKinds } from '../devices/kinds.ts';
import { RunDevices, DEVICES_API_PATH } from '../run/run-devices.ts';
import { deviceLoad, type DevicePlacement } from '../scenario/devices.ts';
import type { DeviceKind } from '../scenario/types.ts';
import { cpuCores, percentile, sampleProcess, type PerfData, type ProcSample } from './proc-stats.ts';

export interface DeviceBenchOptions {
  readonly devices: number;
  readonly nodes: number;
  /** Nodes per station uplink. */
  readonly perUplink: number;
  readonly holdSeconds: number;
  /** Desired-value changes made through the API during the hold (spread over it). */
  readonly desiredChanges: number;
  readonly collectCycleMs: number;
  readonly reportCycleMs: number;
  /** When the mappers report readings (mapper-framework: every collect cycle). */
  readonly reportOn: 'report-cycle' | 'collect-cycle';
  /** CloudCore's deviceController.load.updateDeviceStatusWorkers (KubeEdge's default: 1). */
  readonly deviceStatusWorkers: number;
  readonly backend: BackendChoice;
  readonly outDir: string;
  readonly progress: Progress;
}

export interface DeviceBenchResult {
  readonly devices: number;
  readonly nodes: number;
  readonly collectCycleMs: number;
  readonly reportCycleMs: number;
  readonly reportOn: 'report-cycle' | 'collect-cycle';
  /** From the Devices' creation to every DeviceStatus holding a reported value. */
  readonly secondsToAllReported: number;
  /** Mapper reads per second during the hold, and what they could be (properties / collect cycle). */
  readonly pollsPerSecond: number;
  readonly pollsPerSecondNominal: number;
  readonly pollFailures: number;
  /** Reported values CloudCore wrote into DeviceStatus objects per second during the hold (their changes seen by a watch-less list diff). */
  readonly statusUpdatesPerSecond: number;
  /** API patch of a Device's desired value → the coil changes on the simulator. */
  readonly desiredToRegisterMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly count: number; readonly lost: number };
  /** Reports the edges' twins still hold for resending because CloudCore never confirmed them (it dropped them). */
  readonly unconfirmedReports: number;
  readonly benchCpuCores: number;
  readonly benchRssBytes: number;
  readonly benchRssPerDeviceBytes: number;
  readonly cloudcore: { readonly rssBytes: number; readonly cpuCores: number; readonly droppedReports: number };
}

const KIND_MIX: readonly DeviceKind[] = ['barrier-gate', 'barrier-gate', 'barrier-gate', 'barrier-gate', 'weighbridge', 'weighbridge', 'smoke-alarm', 'smoke-alarm', 'flood-alarm', 'flood-alarm'];

const silentJournal: JournalSink = { append: (_e: JournalInput) => 0 };

/**
 * N Modbus devices on M simulated nodes under the real CloudCore, the way a run creates them: one simulator per
 * device behind a per-node Modbus gateway, DeviceModels and Devices in the real API, each node's mapper polling
 * and its twin reporting through CloudCore into DeviceStatus. Measures sustained polls, what the cloud keeps up
 * with, the bench's own cost, and how long a desired value set in the API takes to reach the register.
 */
export async function runDeviceBench(opts: DeviceBenchOptions): Promise<DeviceBenchResult> {
  const p = opts.progress;
  const stack = await startStack({ backend: opts.backend, cloud: 'kubeedge', cloudcore: { nodeLimit: Math.max(1000, opts.nodes + 100), deviceStatusWorkers: opts.deviceStatusWorkers }, progress: p });
  let devices: RunDevices | undefined;
  let fleet: RunningFleet | undefined;
  try {
    const cloudcore = stack.cloudcore;
    if (cloudcore === undefined) throw new Error('CloudCore did not start');
    const kube = stack.controlPlane.kube;
    const profile = loadHardwareProfile('fixtures/hardware/arm-gate-4c-1g.yaml');
    const nodeName = (i: number): string => `bench-gate-${String(i).padStart(4, '0')}`;
    const members: FleetMember[] = Array.from({ length: opts.nodes }, (_, i) => ({ name: nodeName(i), profile, uplink: `station-${String(Math.floor(i / opts.perUplink)).padStart(4, '0')}` }));
    const placements: DevicePlacement[] = Array.from({ length: opts.devices }, (_, i) => {
      const kind = KIND_MIX[i % KIND_MIX.length] ?? 'barrier-gate';
      return { name: `bench-dev-${String(i).padStart(5, '0')}`, node: nodeName(i % opts.nodes), kind, protocol: 'modbus', collectCycleMs: opts.collectCycleMs, reportCycleMs: opts.reportCycleMs, group: 0 };
    });
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    devices = await RunDevices.start({ placements, kube, mqttUrl: stack.mqtt.url, journal: silentJournal, clock: systemClock, random: seededRandom(1) });
    if (devices === undefined) throw new Error('no devices');
    fleet = await RunningFleet.create({
      members,
      cloud: cloudcore,
      network: new Network(stack.toxiproxy),
      stateDir: join(stack.stateDir, 'fleet'),
      clock: systemClock,
      random: seededRandom(2),
      credentials: 'shared',
      inMemoryStores: true,
      slimStatus: true,
      startConcurrency: 100,
      devices: { ...devices.edgeOptions, reportOn: opts.reportOn },
      progress: p,
    });
    p.step('bench', `starting ${opts.nodes} nodes`);
    await fleet.startAll(p);
    // KubeEdge 1.23.1 never makes a Device created while its node is not connected a member of the node's twin
    // (README "Facts")
    const notConnected = await fleet.waitConnected(300_000);
    if (notConnected > 0) throw new Error(`only ${opts.nodes - notConnected}/${opts.nodes} nodes connected after 5 minutes`);
    const created = Date.now();
    p.step('bench', `creating ${opts.devices} Devices in the API`);
    await devices.createObjects();
    const names = new Set(placements.map((d) => d.name));
    const reportedStatus = async (): Promise<Map<string, string>> => {
      const list = await kube.list(`${DEVICES_API_PATH}/namespaces/default/devicestatuses`);
      const out = new Map<string, string>();
      for (const s of list.items) {
        const twins = ((s['status'] as { twins?: { propertyName?: string; reported?: { value?: string } }[] } | undefined)?.twins ?? []);
        const reported = twins.filter((t) => (t.reported?.value ?? '') !== '');
        if (reported.length > 0 && names.has(s.metadata?.name ?? '')) out.set(s.metadata?.name ?? '', JSON.stringify(reported.map((t) => [t.propertyName, t.reported?.value])));
      }
      return out;
    };
    for (;;) {
      const n = (await reportedStatus()).size;
      if (n >= opts.devices) break;
      if (Date.now() - created > 600_000) throw new Error(`only ${n}/${opts.devices} DeviceStatus objects reported after 10 minutes`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const allReported = Date.now();
    p.step('bench', `every DeviceStatus reported after ${((allReported - created) / 1000).toFixed(1)} s; holding ${opts.holdSeconds} s`);

    // the hold: polls, status updates, and desired values set through the API timed to the register
    const polls0 = mapperTotals(fleet);
    const self0 = sampleProcess(process.pid);
    const cc0 = sampleProcess(cloudcore.pid ?? -1);
    const statusBefore = await reportedStatus();
    const gates = placements.filter((d) => d.kind === 'barrier-gate');
    // deviceFor lists a kind's properties in its profile's order, so the patch is computed once, without a GET
    const openPatch = desiredValuePatch(deviceKinds['barrier-gate'].properties, 'open', 'true', 'barrier-gate');
    const latencies: number[] = [];
    let lost = 0;
    const changes = Math.min(opts.desiredChanges, gates.length);
    const spacing = (opts.holdSeconds * 1000 * 0.6) / Math.max(1, changes);
    const pendingWrites: Promise<void>[] = [];
    const holdStart = Date.now();
    for (let i = 0; i < changes; i++) {
      const gate = gates[i];
      if (gate === undefined) break;
      const bank = devices.modbus(gate.name).bank;
      const t0 = Date.now();
      pendingWrites.push(
        new Promise<void>((resolve) => {
          let settled = false;
          const off = bank.onWrite((type, address, value) => {
            if (settled || type !== 'CoilRegister' || address !== 0 || value !== 1) return;
            settled = true;
            latencies.push(Date.now() - t0);
            off();
            resolve();
          });
          setTimeout(() => {
            if (settled) return;
            settled = true;
            lost++;
            off();
            resolve();
          }, 60_000);
        }),
      );
      await kube.patch(`${DEVICES_API_PATH}/namespaces/default/devices/${gate.name}`, [openPatch], 'json');
      await new Promise((r) => setTimeout(r, spacing));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, holdStart + opts.holdSeconds * 1000 - Date.now())));
    const polls1 = mapperTotals(fleet);
    const self1 = sampleProcess(process.pid);
    const cc1 = sampleProcess(cloudcore.pid ?? -1);
    const statusAfter = await reportedStatus();
    await Promise.all(pendingWrites);
    const heldSeconds = (Date.now() - holdStart) / 1000;
    let changedStatus = 0;
    for (const [name, v] of statusAfter) if (statusBefore.get(name) !== v) changedStatus++;
    const rss = process.memoryUsage().rss;
    const sorted = [...latencies].sort((a, b) => a - b);
    const cores = (a: ProcSample | undefined, b: ProcSample | undefined): number => (a !== undefined && b !== undefined ? cpuCores(a, b) : 0);
    const nominal = deviceLoad(placements, opts.reportOn).readsPerSecond;
    const result: DeviceBenchResult = {
      devices: opts.devices,
      collectCycleMs: opts.collectCycleMs,
      reportCycleMs: opts.reportCycleMs,
      reportOn: opts.reportOn,
      nodes: opts.nodes,
      secondsToAllReported: (allReported - created) / 1000,
      pollsPerSecond: (polls1.polls - polls0.polls) / heldSeconds,
      pollsPerSecondNominal: nominal,
      pollFailures: polls1.failures - polls0.failures,
      statusUpdatesPerSecond: changedStatus / heldSeconds,
      desiredToRegisterMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? 0, count: sorted.length, lost },
      unconfirmedReports: [...fleet.nodes.values()].reduce((sum, n) => sum + (n.devices?.twin.unconfirmed ?? 0), 0),
      benchCpuCores: cores(self0, self1),
      benchRssBytes: rss,
      benchRssPerDeviceBytes: Math.round((rss - rss0) / opts.devices),
      cloudcore: { rssBytes: cc1?.rssBytes ?? 0, cpuCores: cores(cc0, cc1), droppedReports: countInLog(cloudcore.logFile, 'The module devicecontroller message channel is full') },
    };
    writeResults(opts.outDir, result, opts);
    return result;
  } finally {
    await fleet?.stopAll().catch(() => undefined);
    await devices?.stop().catch(() => undefined);
    await stack.stop();
  }
}

/** Lines of a log that contain `text` (0 when the log cannot be read). Streamed: CloudCore's log reaches
 * hundreds of MiB in a device run. */
function countInLog(file: string, text: string): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 0;
  }
  try {
    let n = 0;
    const last = forEachLine(fd, (line) => {
      if (line.includes(text)) n++;
    });
    return last.includes(text) ? n + 1 : n;
  } finally {
    closeSync(fd);
  }
}

function mapperTotals(fleet: RunningFleet): { polls: number; failures: number } {
  let polls = 0;
  let failures = 0;
  for (const n of fleet.nodes.values()) {
    const s = n.devices?.mapper.stats;
    if (s === undefined) continue;
    polls += s.polls;
    failures += s.pollFailures;
  }
  return { polls, failures };
}

function writeResults(outDir: string, r: DeviceBenchResult, opts: DeviceBenchOptions): void {
  mkdirSync(outDir, { recursive: true });
  const labels = { Metric: '', Devices: String(r.devices), Nodes: String(r.nodes) };
  const perf: PerfData = {
    version: 'v1',
    dataItems: [
      { data: { Perc50: r.desiredToRegisterMs.p50, Perc90: r.desiredToRegisterMs.p90, Perc99: r.desiredToRegisterMs.p99 }, unit: 'ms', labels: { ...labels, Metric: 'DesiredToRegister' } },
      { data: { Value: r.pollsPerSecond }, unit: '1/s', labels: { ...labels, Metric: 'MapperPolls' } },
      { data: { Value: r.statusUpdatesPerSecond }, unit: '1/s', labels: { ...labels, Metric: 'DeviceStatusUpdates' } },
      { data: { Value: r.benchRssPerDeviceBytes / 1024 }, unit: 'KiB', labels: { ...labels, Metric: 'SimulatorRssPerDevice' } },
    ],
  };
  writeFileSync(join(outDir, `devices-${r.devices}-perfdata.json`), `${JSON.stringify(perf, null, 2)}\n`);
  writeFileSync(join(outDir, `devices-${r.devices}-result.json`), `${JSON.stringify({ options: { ...opts, progress: undefined }, result: r }, null, 2)}\n`);
}

export function formatDeviceBench(r: DeviceBenchResult): string {
  const d = r.desiredToRegisterMs;
  return [
    `device bench: ${r.devices} Modbus devices on ${r.nodes} simulated edge nodes, real CloudCore; collect ${r.collectCycleMs} ms, reports ${r.reportOn === 'collect-cycle' ? 'every reading (mapper-framework)' : `every ${r.reportCycleMs} ms`}`,
    `  every DeviceStatus reported:  ${r.secondsToAllReported.toFixed(1)} s after the Devices were created`,
    `  mapper polls sustained:       ${r.pollsPerSecond.toFixed(0)}/s of ${r.pollsPerSecondNominal.toFixed(0)}/s nominal (${r.pollFailures} failed)`,
    `  DeviceStatus changes:         ${r.statusUpdatesPerSecond.toFixed(1)} objects/s changed in the API during the hold`,
    `  desired (API) → register:     p50 ${d.p50} ms, p90 ${d.p90} ms, p99 ${d.p99} ms, max ${d.max} ms (${d.count} changes, ${d.lost} lost)`,
    `  unconfirmed reports held:     ${r.unconfirmedReports} (edge twins keep what CloudCore never confirmed, for resending)`,
    `  bench process:                ${r.benchCpuCores.toFixed(2)} cores, ${(r.benchRssBytes / 2 ** 20).toFixed(0)} MiB RSS (${(r.benchRssPerDeviceBytes / 1024).toFixed(1)} KiB per device incl. its node share)`,
    `  CloudCore:                    ${(r.cloudcore.rssBytes / 2 ** 20).toFixed(0)} MiB RSS, ${r.cloudcore.cpuCores.toFixed(2)} cores; device reports dropped ("devicecontroller message channel is full"): ${r.cloudcore.droppedReports}`,
  ].join('\n');
}
