/**
 * How many simulated devices one process carries: N devices on M simulated nodes, each node with its own
 * Modbus mapper (and, with --stack edge, its device twin producing the edge→cloud messages, encoded as they
 * would go on the wire), polling real loopback Modbus TCP simulators for a while.
 *
 *   node --import tsx sim/devices/measure.ts [--devices 1000] [--nodes 100] [--seconds 30]
 *        [--layout gateway-per-node|server-per-device] [--stack edge|mapper|none] [--store memory|sqlite]
 *        [--collect-ms 1000] [--report-ms 1000] [--writes-per-second 5] [--persist-delay-ms 0] [--json]
 *
 * Prints: polls/s sustained (and failed/skipped polls), twin messages/s, process CPU (cores) and RSS (total and
 * per device), event-loop delay, and the time from a desired-value write request (a Device update as the
 * cloud sends it, through DMI, mapper restart and Modbus write) to the register change on the simulator,
 * p50/p90/p99. The figures also go out in clusterloader2's PerfData shape with --json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { systemClock } from '../core/clock.ts';
import { seededRandom } from '../core/random.ts';
import { encodeMessage } from '../protocol/codec.ts';
import { MessageFactory, seededIds, type Message } from '../protocol/message.ts';
import { deviceAddedMessages, deviceMessage, type CloudMessageOptions } from './cloud-messages.ts';
import { deviceFor, deviceModelFor, withDesired, type DeviceObject } from './crd.ts';
import { EdgeDevices } from './edge-devices.ts';
import { MODBUS_KINDS, type ModbusDeviceKind } from './kinds.ts';
import { ModbusMapper } from './mapper.ts';
import { DeviceSimulatorRegistry, type ModbusLayout, type SimDeviceSpec } from './registry.ts';
import { MemoryTwinStore, SqliteTwinStore, type TwinStore } from './twin-store.ts';

interface Args {
  devices: number;
  nodes: number;
  seconds: number;
  layout: ModbusLayout;
  stack: 'edge' | 'mapper' | 'none';
  store: 'memory' | 'sqlite';
  collectMs: number;
  reportMs: number;
  writesPerSecond: number;
  persistDelayMs: number;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { devices: 1_000, nodes: 100, seconds: 30, layout: 'gateway-per-node', stack: 'edge', store: 'memory', collectMs: 1_000, reportMs: 1_000, writesPerSecond: 5, persistDelayMs: 0, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    const num = (): number => {
      i++;
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${JSON.stringify(value)}`);
      return n;
    };
    switch (flag) {
      case '--devices':
        a.devices = num();
        break;
      case '--nodes':
        a.nodes = num();
        break;
      case '--seconds':
        a.seconds = num();
        break;
      case '--collect-ms':
        a.collectMs = num();
        break;
      case '--report-ms':
        a.reportMs = num();
        break;
      case '--writes-per-second':
        a.writesPerSecond = num();
        break;
      case '--persist-delay-ms':
        a.persistDelayMs = num();
        break;
      case '--layout':
        i++;
        if (value !== 'gateway-per-node' && value !== 'server-per-device') throw new Error('--layout gateway-per-node|server-per-device');
        a.layout = value;
        break;
      case '--stack':
        i++;
        if (value !== 'edge' && value !== 'mapper' && value !== 'none') throw new Error('--stack edge|mapper|none');
        a.stack = value;
        break;
      case '--store':
        i++;
        if (value !== 'memory' && value !== 'sqlite') throw new Error('--store memory|sqlite');
        a.store = value;
        break;
      case '--json':
        a.json = true;
        break;
      default:
        throw new Error(`unknown flag ${String(flag)}`);
    }
  }
  return a;
}

const progress = (text: string): void => {
  process.stderr.write(`[edgeproof] devices: ${text}\n`);
};

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const random = seededRandom(20_260_611);
  const rssBaseline = process.memoryUsage().rss;
  // a toll station's mix: gates, weighbridges, smoke and flood alarms
  const mix: ModbusDeviceKind[] = ['barrier-gate', 'barrier-gate', 'barrier-gate', 'barrier-gate', 'weighbridge', 'weighbridge', 'smoke-alarm', 'smoke-alarm', 'flood-alarm', 'flood-alarm'];
  const specs: (SimDeviceSpec & { kind: ModbusDeviceKind })[] = [];
  for (let i = 0; i < args.devices; i++) {
    const node = `gate-node-${String(i % args.nodes).padStart(4, '0')}`;
    specs.push({ name: `dev-${String(i).padStart(5, '0')}`, kind: mix[Math.floor(i / args.nodes) % mix.length] ?? 'barrier-gate', node });
  }
  progress(`starting ${args.devices} simulators (${args.layout})`);
  const reg = await DeviceSimulatorRegistry.start(specs, { clock: systemClock, random, layout: args.layout });
  const dir = args.store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'edgeproof-measure-')) : undefined;
  const cloudOpts: CloudMessageOptions = { ids: seededIds(random.fork('cloud')), now: () => Date.now() };
  let messagesOut = 0;
  let bytesOut = 0;
  let reportsOut = 0;
  const send = (m: Message): boolean => {
    messagesOut++;
    bytesOut += encodeMessage(m).length;
    return true;
  };

  interface NodeRig {
    edge?: EdgeDevices;
    mapper: ModbusMapper;
    stop(): void;
  }
  const nodes = new Map<string, NodeRig>();
  const devicesByName = new Map<string, { device: DeviceObject; node: string; open: boolean }>();
  const byNode = new Map<string, (SimDeviceSpec & { kind: ModbusDeviceKind })[]>();
  for (const s of specs) byNode.set(s.node, [...(byNode.get(s.node) ?? []), s]);
  progress(`starting ${args.nodes} nodes' ${args.stack === 'edge' ? 'twins and mappers' : 'mappers'}`);
  for (const [node, list] of byNode) {
    if (args.stack === 'none') continue; // simulators alone: their memory and CPU
    let rig: NodeRig;
    if (args.stack === 'edge') {
      let store: TwinStore = new MemoryTwinStore();
      let db: Database.Database | undefined;
      if (dir !== undefined) {
        db = new Database(join(dir, `${node}.db`));
        db.pragma('cache_size = -64');
        db.pragma('journal_mode = TRUNCATE');
        db.pragma('synchronous = OFF');
        store = new SqliteTwinStore(db);
      }
      const edge = new EdgeDevices({ nodeName: node, clock: systemClock, messages: new MessageFactory({ clock: systemClock, ids: seededIds(random.fork(node)) }), ids: seededIds(random.fork(`${node}/events`)), store, send, persistDelayMs: args.persistDelayMs });
      edge.start();
      edge.setConnected(true);
      rig = { edge, mapper: edge.mapper, stop: () => (edge.stop(), db?.close()) };
    } else {
      const mapper = new ModbusMapper({ clock: systemClock, name: node, onReport: () => reportsOut++ });
      rig = { mapper, stop: () => mapper.stop() };
    }
    const modelsSent = new Set<string>();
    for (const s of list) {
      const device = deviceFor({ name: s.name, kind: s.kind, nodeName: node, endpoint: reg.endpoint(s.name), collectCycleMs: args.collectMs, reportCycleMs: args.reportMs, stateReportCycleMs: 10_000 });
      devicesByName.set(s.name, { device, node, open: false });
      const model = modelsSent.has(s.kind) ? undefined : deviceModelFor(s.kind);
      modelsSent.add(s.kind);
      if (rig.edge !== undefined) for (const m of deviceAddedMessages(cloudOpts, device, model)) rig.edge.handleCloudMessage(m);
      else {
        if (model !== undefined) rig.mapper.upsertModel(model);
        rig.mapper.registerDevice(device);
      }
    }
    nodes.set(node, rig);
  }
  const gates = specs.filter((s) => s.kind === 'barrier-gate').map((s) => s.name);
  const props = specs.reduce((n, s) => n + (MODBUS_KINDS.includes(s.kind) ? (s.kind === 'flood-alarm' ? 3 : 4) : 0), 0);

  // warm up: let every device connect and complete a few cycles
  await new Promise((r) => setTimeout(r, Math.max(3_000, args.collectMs * 3)));
  global.gc?.();
  const rssReady = process.memoryUsage().rss;

  // desired-value writes: Device updates toggling a random gate's `open`, timed until the coil changes
  const latencies: number[] = [];
  const waiting = new Map<string, { at: number; value: boolean }>();
  for (const g of gates) {
    reg.modbus(g).bank.onWrite((type, address, value) => {
      const w = waiting.get(g);
      if (w !== undefined && type === 'CoilRegister' && address === 0 && value === (w.value ? 1 : 0)) {
        latencies.push(performance.now() - w.at);
        waiting.delete(g);
      }
    });
  }
  const writeRandom = random.fork('writes');
  let rv = 2;
  const writer = setInterval(() => {
    const g = gates[writeRandom.int(0, gates.length - 1)];
    if (g === undefined || waiting.has(g)) return;
    const entry = devicesByName.get(g);
    const rig = entry !== undefined ? nodes.get(entry.node) : undefined;
    if (entry === undefined || rig === undefined) return;
    entry.open = !entry.open;
    const updated = withDesired(entry.device, { open: String(entry.open) });
    waiting.set(g, { at: performance.now(), value: entry.open });
    if (rig.edge !== undefined) rig.edge.handleCloudMessage(deviceMessage(cloudOpts, 'update', updated, String(rv++)));
    else rig.mapper.updateDevice(updated);
  }, 1_000 / args.writesPerSecond);

  const mapperTotals = (): { polls: number; failures: number; skipped: number; reports: number } => {
    let polls = 0;
    let failures = 0;
    let skipped = 0;
    let reports = 0;
    for (const n of nodes.values()) {
      polls += n.mapper.stats.polls;
      failures += n.mapper.stats.pollFailures;
      skipped += n.mapper.stats.skippedPolls;
      reports += n.mapper.stats.reports;
    }
    return { polls, failures, skipped, reports };
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const start = mapperTotals();
  const messagesStart = messagesOut;
  const bytesStart = bytesOut;
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  let peakRss = rssReady;
  progress(`measuring for ${args.seconds} s (${props} properties, collect ${args.collectMs} ms, report ${args.reportMs} ms)`);
  for (let s = 1; s <= args.seconds; s++) {
    await new Promise((r) => setTimeout(r, 1_000));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (s % 10 === 0) progress(`${s} s: ${Math.round((mapperTotals().polls - start.polls) / ((performance.now() - t0) / 1_000))} polls/s`);
  }
  const seconds = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpuStart);
  const end = mapperTotals();
  clearInterval(writer);
  loop.disable();
  const sorted = [...latencies].sort((a, b) => a - b);
  const result = {
    devices: args.devices,
    nodes: args.nodes,
    properties: props,
    layout: args.layout,
    stack: args.stack,
    store: args.store,
    persistDelayMs: args.persistDelayMs,
    modbusServers: reg.servers.length,
    mapperConnections: [...nodes.values()].reduce((n, r) => n + r.mapper.connectionCount, 0),
    seconds: Math.round(seconds * 10) / 10,
    pollsPerSecond: Math.round((end.polls - start.polls) / seconds),
    expectedPollsPerSecond: Math.round((props * 1_000) / args.collectMs),
    failedPolls: end.failures - start.failures,
    skippedPolls: end.skipped - start.skipped,
    reportsPerSecond: Math.round((end.reports - start.reports) / seconds),
    cloudMessagesPerSecond: Math.round((messagesOut - messagesStart) / seconds),
    cloudKiBPerSecond: Math.round((bytesOut - bytesStart) / seconds / 1024),
    cpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
    rssMiB: mb(peakRss),
    rssBaselineMiB: mb(rssBaseline),
    rssPerDeviceKiB: Math.round((rssReady - rssBaseline) / args.devices / 1024),
    eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
    writeSamples: sorted.length,
    writeUnfinished: waiting.size,
    writeToRegisterMs: { p50: Math.round(percentile(sorted, 50) * 10) / 10, p90: Math.round(percentile(sorted, 90) * 10) / 10, p99: Math.round(percentile(sorted, 99) * 10) / 10, max: Math.round((sorted.at(-1) ?? Number.NaN) * 10) / 10 },
  };
  progress('stopping');
  for (const n of nodes.values()) n.stop();
  await reg.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });

  if (args.json) {
    const labels = { devices: String(args.devices), nodes: String(args.nodes), layout: args.layout, stack: args.stack, store: args.store };
    process.stdout.write(
      `${JSON.stringify({
        version: 'v1',
        dataItems: [
          { data: { Perc50: result.writeToRegisterMs.p50, Perc90: result.writeToRegisterMs.p90, Perc99: result.writeToRegisterMs.p99 }, unit: 'ms', labels: { ...labels, Metric: 'DesiredWriteToRegister' } },
          { data: { Value: result.pollsPerSecond }, unit: '1/s', labels: { ...labels, Metric: 'ModbusPolls' } },
          { data: { Value: result.cpuCores }, unit: 'cores', labels: { ...labels, Metric: 'ProcessCPU' } },
          { data: { Value: result.rssMiB }, unit: 'MiB', labels: { ...labels, Metric: 'ProcessRSS' } },
        ],
        result,
      })}\n`,
    );
  } else {
    for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(24)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`measure failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
