/**
 * The scenario loader: YAML text → a validated Scenario, or EdgeproofError E_BAD_SCENARIO (exit 2) naming
 * `file:line:col`, the path inside the document, what was expected and how to fix it. Nothing runs on bad
 * input: selectors, profile names, workload and cell references are all checked against the fleet the
 * scenario builds (sim/fleet/topology.ts) before a run starts. The format is documented in
 * scenarios/schema.json and scenarios/README.md.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeproofError, isEdgeproofError, messageOf } from '../core/errors.ts';
import { YamlInput, parseCpuMillis } from '../core/yaml-input.ts';
import { parseReconnectPolicy, type ReconnectPolicy } from '../edge/backoff.ts';
import { loadHardwareProfiles, type Arch, type HardwareProfile } from '../edge/profile.ts';
import { buildFleet, type Fleet } from '../fleet/topology.ts';
import { loadLinkProfiles, type LinkProfile } from '../network/link-profile.ts';
import type { OutageMode } from '../network/uplink.ts';
import { guaranteeIds, guaranteeSpecs, isGuaranteeId } from './guarantees.ts';
import { dnsLabel, field, isMapping, Reader, suggestion, type Mapping, type Path } from './reader.ts';
import { alternativeMatches, checkSelector, parseSelector, placementProblem, SelectorError, type Selector, type SelectUnit } from './selector.ts';
import type {
  BackendText,
  ChurnMode,
  CloudCoreOverrides,
  CloudSpec,
  ComponentTarget,
  ControlPlaneOverrides,
  DeviceGroupSpec,
  DeviceKind,
  DeviceProtocol,
  EdgeSettings,
  FleetSpec,
  GuaranteeSet,
  ImageSpec,
  LinksSpec,
  ProvinceSpec,
  RouteSpec,
  Scenario,
  Share,
  TimelineAction,
  TimelineEntry,
  Toleration,
  VehicleGroupSpec,
  WorkloadSpec,
} from './types.ts';
import { formatDuration, parseDurationRange } from './units.ts';
import { deviceKinds, type PropertyType } from '../devices/kinds.ts';
import { simulatorKind } from './devices.ts';

/** First line of every shipped scenario: editors (yaml-language-server) validate against the schema. */
export const schemaComment = '# yaml-language-server: $schema=./schema.json';

export const topLevelKeys = ['name', 'description', 'seed', 'duration', 'cloud', 'fleet', 'links', 'workloads', 'devices', 'timeline', 'guarantees'] as const;
export const timelineActionKeys = ['partition', 'heal', 'degrade', 'restore', 'churn', 'restart-edges', 'kill', 'restart-component', 'rollout', 'delete', 'apply', 'mark', 'set-desired'] as const;
export const componentTargets: readonly ComponentTarget[] = ['cloudcore', 'kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler', 'mosquitto'];
export const deviceProtocols: Readonly<Record<DeviceKind, DeviceProtocol>> = {
  'barrier-gate': 'modbus',
  weighbridge: 'modbus',
  'smoke-alarm': 'modbus',
  'flood-alarm': 'modbus',
  camera: 'mqtt',
  alarm: 'mqtt',
};
/** Writable (ReadWrite) properties of each device kind and their types: what `set-desired` may set. */
const desiredProperties: Readonly<Record<DeviceKind, Readonly<Record<string, PropertyType>>>> = Object.fromEntries(
  (Object.keys(deviceProtocols) as DeviceKind[]).map((kind) => {
    const profile = deviceKinds[simulatorKind(kind)];
    return [kind, Object.fromEntries(profile.properties.filter((p) => p.accessMode === 'ReadWrite').map((p) => [p.name, p.type]))];
  }),
) as Record<DeviceKind, Record<string, PropertyType>>;
const arches: readonly Arch[] = ['amd64', 'arm64', 'arm'];
const outageModes: readonly OutageMode[] = ['blackhole', 'stall', 'refuse'];
const churnModes: readonly ChurnMode[] = ['disconnect', 'power-off'];

/** Most nodes a scenario may describe (KubeEdge's largest published test: 100,000). */
export const maxNodes = 200_000;
/** Most vehicle cell changes a scenario may produce (each is a schedule action). */
export const maxVehicleMoves = 2_000_000;

export interface LoadOptions {
  /** Hardware profiles by name (default: fixtures/hardware). */
  readonly hardwareProfiles?: ReadonlyMap<string, HardwareProfile>;
  /** Link profiles by name (default: fixtures/links). */
  readonly linkProfiles?: ReadonlyMap<string, LinkProfile>;
  /** Check selectors against the fleet of this seed (default: the scenario's own; pass a run's --seed). */
  readonly seed?: number;
}

export function defaultHardwareProfileDir(): string {
  return fileURLToPath(new URL('../../fixtures/hardware/', import.meta.url));
}

/** Read and load a scenario file. */
export function loadScenario(file: string, opts: LoadOptions = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new EdgeproofError('E_BAD_SCENARIO', `cannot read the scenario: ${messageOf(e)}`, {
      where: file,
      fix: 'check the path; shipped scenarios are in scenarios/ (e.g. scenarios/quickstart.yaml)',
    });
  }
  return parseScenario(file, text, opts);
}

/** Load a scenario from its text. Throws EdgeproofError (category input) on any mistake. */
export function parseScenario(file: string, text: string, opts: LoadOptions = {}): Scenario {
  const input = readYaml(file, text);
  const hardware = opts.hardwareProfiles ?? loadHardwareProfiles(defaultHardwareProfileDir());
  const links = opts.linkProfiles ?? loadLinkProfiles();
  return new ScenarioLoader(new Reader(input), text, hardware, links, opts.seed).load();
}

function readYaml(file: string, text: string): YamlInput {
  try {
    return YamlInput.parse(file, text, 'E_BAD_SCENARIO');
  } catch (e) {
    if (isEdgeproofError(e)) throw e;
    // the yaml library throws (rather than reports) for alias bombs and some malformed documents
    throw new EdgeproofError('E_BAD_SCENARIO', `YAML: ${messageOf(e).split('\n')[0] ?? ''}`, {
      where: `${file}:1:1`,
      fix: 'write plain YAML: mappings, lists and scalars (no alias chains or custom tags)',
    });
  }
}

const selectorGrammar = 'write space-separated terms such as all, gate, vehicle, province=p01, station=p01-s003, gate!=g01, nodes=[a,b], share=50%, count=10; "|" between alternatives (scenarios/README.md: Selectors)';

const dotted = (path: Path): string => (path.length === 0 ? '(document)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '['));

const labelKeyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const reservedNodeLabelPrefixes = ['edgeproof.io/', 'kubernetes.io/', 'topology.kubernetes.io/', 'node-role.kubernetes.io/', 'node.kubernetes.io/'];
const imagePattern = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Partial1 {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly durationMs: number;
}

class ScenarioLoader {
  private readonly doc: Mapping;
  private fleetSpec!: FleetSpec;
  private linksSpec!: LinksSpec;
  private fleet!: Fleet;
  private head!: Partial1;
  private readonly images = new Map<string, { spec: ImageSpec; path: Path }>();

  constructor(
    private readonly r: Reader,
    private readonly text: string,
    private readonly hardware: ReadonlyMap<string, HardwareProfile>,
    private readonly linkProfiles: ReadonlyMap<string, LinkProfile>,
    private readonly seedOverride: number | undefined,
  ) {
    this.doc = r.mapping([], r.input.value, topLevelKeys, 'name: my-scenario, duration: 3m, fleet: { … } (see scenarios/quickstart.yaml)', ['duration', 'fleet']);
  }

  load(): Scenario {
    const r: Reader = this.r;
    const d = this.doc;
    const base = basename(r.file, extname(r.file));
    const name = field(d, 'name') === undefined ? (dnsLabel.test(base) ? base : 'scenario') : r.string(['name'], field(d, 'name'), 'a scenario name (letters, digits, ".", "_", "-")', 'name: toll-province', /^[A-Za-z0-9][A-Za-z0-9._-]*$/, 63);
    const descRaw = field(d, 'description');
    const description = descRaw === undefined ? '' : typeof descRaw === 'string' ? descRaw : r.fail(['description'], `expected text, got a ${Array.isArray(descRaw) ? 'list' : typeof descRaw}`, 'quote it: description: "…"');
    const seed = field(d, 'seed') === undefined ? 1 : r.int(['seed'], field(d, 'seed'), 0, 0xffffffff, 'seed: 42');
    const durationMs = r.duration(['duration'], field(d, 'duration'), 'duration: 5m');
    this.head = { name, description, seed, durationMs };

    const cloud = this.cloud(field(d, 'cloud'));
    this.fleetSpec = this.fleetSection(field(d, 'fleet'));
    this.linksSpec = this.linksSection(field(d, 'links'));
    this.resolveUplinks();
    this.checkRouteCells();
    this.fleet = buildFleet({ fleet: this.fleetSpec, links: this.linksSpec, hardwareProfiles: this.hardware }, this.seedOverride ?? seed);
    const workloads = this.workloads(field(d, 'workloads'));
    const devices = this.devices(field(d, 'devices'));
    const timeline = this.timeline(field(d, 'timeline'), workloads, devices);
    const guarantees = this.guarantees(field(d, 'guarantees'));
    return {
      file: r.file,
      text: this.text,
      name,
      description,
      seed,
      durationMs,
      cloud,
      fleet: this.fleetSpec,
      links: this.linksSpec,
      workloads,
      devices,
      timeline,
      guarantees,
      hardwareProfiles: this.hardware,
      linkProfiles: this.linkProfiles,
    };
  }

  // ---------------------------------------------------------------- cloud
  private cloud(raw: unknown): CloudSpec {
    const r: Reader = this.r;
    const m = r.optMapping(['cloud'], raw, ['backend', 'cloudcore', 'controlPlane'], 'cloud: { backend: auto }');
    const backendRaw = field(m, 'backend') ?? 'auto';
    let backend: BackendText;
    if (backendRaw === 'auto' || backendRaw === 'local' || backendRaw === 'testcontainers') backend = backendRaw;
    else if (typeof backendRaw === 'string' && backendRaw.startsWith('kubeconfig:') && backendRaw.length > 'kubeconfig:'.length) backend = backendRaw as `kubeconfig:${string}`;
    else r.fail(['cloud', 'backend'], `unknown backend ${JSON.stringify(backendRaw)}`, 'use auto, local, testcontainers or kubeconfig:/path/to/kubeconfig');

    const cc = r.optMapping(['cloud', 'cloudcore'], field(m, 'cloudcore'), ['nodeLimit', 'keepaliveInterval', 'nodeUpdateFrequency', 'writeTimeout', 'tokenRefresh', 'deviceStatusWorkers'], 'cloudcore: { nodeLimit: 12000, keepaliveInterval: 30s }');
    const p = (k: string): Path => ['cloud', 'cloudcore', k];
    const cloudcore: CloudCoreOverrides = {
      ...(field(cc, 'nodeLimit') !== undefined ? { nodeLimit: r.int(p('nodeLimit'), field(cc, 'nodeLimit'), 1, 1_000_000, 'nodeLimit: 12000') } : {}),
      ...(field(cc, 'keepaliveInterval') !== undefined ? { keepaliveIntervalSeconds: r.wholeDuration(p('keepaliveInterval'), field(cc, 'keepaliveInterval'), '30s', 1000, 'seconds') } : {}),
      ...(field(cc, 'nodeUpdateFrequency') !== undefined ? { nodeUpdateFrequencySeconds: r.wholeDuration(p('nodeUpdateFrequency'), field(cc, 'nodeUpdateFrequency'), '10s', 1000, 'seconds') } : {}),
      ...(field(cc, 'writeTimeout') !== undefined ? { writeTimeoutSeconds: r.wholeDuration(p('writeTimeout'), field(cc, 'writeTimeout'), '30s', 1000, 'seconds') } : {}),
      ...(field(cc, 'tokenRefresh') !== undefined ? { tokenRefreshHours: r.wholeDuration(p('tokenRefresh'), field(cc, 'tokenRefresh'), '12h', 3_600_000, 'hours') } : {}),
      ...(field(cc, 'deviceStatusWorkers') !== undefined ? { deviceStatusWorkers: r.int(p('deviceStatusWorkers'), field(cc, 'deviceStatusWorkers'), 1, 1_000, 'deviceStatusWorkers: 4') } : {}),
    };
    const cp = r.optMapping(['cloud', 'controlPlane'], field(m, 'controlPlane'), ['nodeMonitorGracePeriod', 'nodeMonitorPeriod', 'defaultUnreachableToleration', 'defaultNotReadyToleration'], 'controlPlane: { nodeMonitorGracePeriod: 40s }');
    const q = (k: string): Path => ['cloud', 'controlPlane', k];
    const sec = (k: string, example: string): number => r.wholeDuration(q(k), field(cp, k), example, 1000, 'seconds');
    const controlPlane: ControlPlaneOverrides = {
      ...(field(cp, 'nodeMonitorGracePeriod') !== undefined ? { nodeMonitorGracePeriodSeconds: sec('nodeMonitorGracePeriod', '40s') } : {}),
      ...(field(cp, 'nodeMonitorPeriod') !== undefined ? { nodeMonitorPeriodSeconds: sec('nodeMonitorPeriod', '5s') } : {}),
      ...(field(cp, 'defaultUnreachableToleration') !== undefined ? { defaultUnreachableTolerationSeconds: sec('defaultUnreachableToleration', '300s') } : {}),
      ...(field(cp, 'defaultNotReadyToleration') !== undefined ? { defaultNotReadyTolerationSeconds: sec('defaultNotReadyToleration', '300s') } : {}),
    };
    return { backend, cloudcore, controlPlane };
  }

  // ---------------------------------------------------------------- fleet
  private fleetSection(raw: unknown): FleetSpec {
    const r: Reader = this.r;
    const f = r.mapping(['fleet'], raw, ['provinces', 'gatesPerStation', 'serversPerStation', 'gateHardware', 'serverHardware', 'vehicles', 'edge'], 'fleet: { provinces: [{ name: p01, stations: 3 }], gateHardware: arm-gate-4c-1g }');
    const gatesDefault = field(f, 'gatesPerStation') === undefined ? 10 : r.int(['fleet', 'gatesPerStation'], field(f, 'gatesPerStation'), 0, 999, 'gatesPerStation: 10');
    const serversDefault = field(f, 'serversPerStation') === undefined ? 0 : r.int(['fleet', 'serversPerStation'], field(f, 'serversPerStation'), 0, 9, 'serversPerStation: 1');
    const provinces = this.provinces(r.list(['fleet', 'provinces'], field(f, 'provinces'), 'provinces: [{ name: p01, region: east, stations: 3 }]'), gatesDefault, serversDefault);
    const gates = provinces.reduce((n, p) => n + p.stations * p.gatesPerStation, 0);
    const servers = provinces.reduce((n, p) => n + p.stations * p.serversPerStation, 0);
    const gateHardware = gates === 0 && field(f, 'gateHardware') === undefined ? [] : this.mix(['fleet', 'gateHardware'], field(f, 'gateHardware'), 'hardware', 'gateHardware: { arm-gate-4c-1g: 70%, x86-ipc-8c-16g: 30% }');
    const serverHardware = servers === 0 && field(f, 'serverHardware') === undefined ? [] : this.mix(['fleet', 'serverHardware'], field(f, 'serverHardware'), 'hardware', 'serverHardware: x86-ipc-8c-16g');
    const vehicles = this.vehicleGroups(r.list(['fleet', 'vehicles'], field(f, 'vehicles'), 'vehicles: [{ group: v, count: 100, hardware: vehicle-computer-arm-8c-8g, routes: … }]'));
    const total = gates + servers + vehicles.reduce((n, v) => n + v.count, 0);
    if (total === 0) r.fail(['fleet'], 'the fleet has no node', 'add provinces with stations and gates, or vehicles');
    if (total > maxNodes) r.fail(['fleet'], `the fleet has ${total} nodes; at most ${maxNodes} are supported`, 'make the fleet smaller');
    return { provinces, gateHardware, serverHardware, vehicles, edge: this.edge(field(f, 'edge')) };
  }

  private provinces(items: readonly unknown[], gatesDefault: number, serversDefault: number): ProvinceSpec[] {
    const r: Reader = this.r;
    const keys = ['name', 'count', 'prefix', 'region', 'stations', 'gatesPerStation', 'serversPerStation', 'uplink', 'labels'];
    // generated names: numbering per prefix continues across entries; width from the prefix's total
    const prefixTotals = new Map<string, number>();
    const parsed = items.map((item, i) => {
      const path: Path = ['fleet', 'provinces', i];
      const m = r.mapping(path, item, keys, '{ name: p01, region: east, stations: 300 }', ['stations']);
      const hasName = field(m, 'name') !== undefined;
      const hasCount = field(m, 'count') !== undefined;
      if (hasName === hasCount) r.fail(path, hasName ? 'give either name or count, not both' : 'a province needs a name (or a count of provinces to generate)', 'write name: p01, or count: 34 (named p01 … p34)');
      const prefix = field(m, 'prefix') === undefined ? 'p' : r.string([...path, 'prefix'], field(m, 'prefix'), 'a name prefix (lower-case letters, digits, "-")', 'prefix: p', /^[a-z][a-z0-9-]{0,15}$/);
      if (hasName && field(m, 'prefix') !== undefined) r.fail([...path, 'prefix'], 'prefix only applies with count', 'remove prefix, or use count instead of name', true);
      const count = hasCount ? r.int([...path, 'count'], field(m, 'count'), 1, 1000, 'count: 34') : 1;
      if (hasCount) prefixTotals.set(prefix, (prefixTotals.get(prefix) ?? 0) + count);
      return { m, path, hasName, prefix, count };
    });
    const next = new Map<string, number>();
    const out: ProvinceSpec[] = [];
    const seen = new Map<string, string>();
    for (const { m, path, hasName, prefix, count } of parsed) {
      const region = field(m, 'region') === undefined ? 'default' : r.name([...path, 'region'], field(m, 'region'), 'a region name', 'region: east');
      const stations = r.int([...path, 'stations'], field(m, 'stations'), 1, 99_999, 'stations: 300');
      const gatesPerStation = field(m, 'gatesPerStation') === undefined ? gatesDefault : r.int([...path, 'gatesPerStation'], field(m, 'gatesPerStation'), 0, 999, 'gatesPerStation: 10');
      const serversPerStation = field(m, 'serversPerStation') === undefined ? serversDefault : r.int([...path, 'serversPerStation'], field(m, 'serversPerStation'), 0, 9, 'serversPerStation: 1');
      if (gatesPerStation + serversPerStation === 0) r.fail(path, 'its stations have no node (no gates, no servers)', 'set gatesPerStation (or serversPerStation) above 0');
      const uplinkOverride = field(m, 'uplink') === undefined ? '' : this.linkProfileName([...path, 'uplink'], field(m, 'uplink'));
      const labels = this.nodeLabels([...path, 'labels'], field(m, 'labels'));
      const names: string[] = [];
      if (hasName) names.push(r.name([...path, 'name'], field(m, 'name'), 'a province name', 'name: p01', 20));
      else {
        const width = Math.max(2, String(prefixTotals.get(prefix) ?? count).length);
        const start = next.get(prefix) ?? 1;
        for (let k = 0; k < count; k++) names.push(`${prefix}${String(start + k).padStart(width, '0')}`);
        next.set(prefix, start + count);
      }
      for (const name of names) {
        const earlier = seen.get(name);
        if (earlier !== undefined) r.fail(path, `province "${name}" is defined twice (also at ${earlier})`, 'give every province its own name (generated names are <prefix>01, <prefix>02, …)');
        seen.set(name, r.where(path));
        out.push({ name, region, stations, gatesPerStation, serversPerStation, uplink: uplinkOverride, labels, where: r.where(path) });
      }
    }
    return out;
  }

  private vehicleGroups(items: readonly unknown[]): VehicleGroupSpec[] {
    const r: Reader = this.r;
    const seen = new Set<string>();
    return items.map((item, i) => {
      const path: Path = ['fleet', 'vehicles', i];
      const m = r.mapping(path, item, ['group', 'count', 'region', 'hardware', 'routes', 'phase', 'labels'], '{ group: v, count: 100, hardware: vehicle-computer-arm-8c-8g, routes: [{ name: commute, legs: [{ cell: city, for: 5m }] }] }', ['group', 'count', 'hardware', 'routes']);
      const group = r.string([...path, 'group'], field(m, 'group'), 'a vehicle group name (a lower-case letter, then letters, digits, "-")', 'group: v', /^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/, 20);
      if (seen.has(group)) r.fail([...path, 'group'], `vehicle group "${group}" is defined twice`, 'give every group its own name');
      seen.add(group);
      const count = r.int([...path, 'count'], field(m, 'count'), 1, maxNodes, 'count: 500');
      const region = field(m, 'region') === undefined ? 'default' : r.name([...path, 'region'], field(m, 'region'), 'a region name', 'region: east');
      const hardware = this.mix([...path, 'hardware'], field(m, 'hardware'), 'hardware', 'hardware: vehicle-computer-arm-8c-8g');
      const phase = field(m, 'phase') === undefined ? 'spread' : r.oneOf([...path, 'phase'], field(m, 'phase'), ['spread', 'aligned'] as const, 'a route phase');
      const routesRaw = r.list([...path, 'routes'], field(m, 'routes'), 'routes: [{ name: commute, legs: [{ cell: city, for: 5m }] }]', { min: 1, max: 100 });
      const routes = routesRaw.map((rr, k) => this.route([...path, 'routes', k], rr, routesRaw.length));
      const names = new Set<string>();
      for (const [k, rt] of routes.entries()) {
        if (names.has(rt.name)) r.fail([...path, 'routes', k, 'name'], `route "${rt.name}" is defined twice in this group`, 'give every route its own name');
        names.add(rt.name);
      }
      const sum = routes.reduce((s, rt) => s + rt.percent, 0);
      if (Math.abs(sum - 100) > 1e-6) r.fail([...path, 'routes'], `route shares add up to ${+sum.toFixed(4)}%, not 100%`, 'adjust the share: of each route so they add up to 100%');
      return { group, count, region, hardware, routes, phase, labels: this.nodeLabels([...path, 'labels'], field(m, 'labels')), where: r.where(path) };
    });
  }

  private route(path: Path, raw: unknown, siblings: number): RouteSpec {
    const r: Reader = this.r;
    const m = r.mapping(path, raw, ['name', 'share', 'loop', 'legs'], '{ name: commute, share: 50%, legs: [{ cell: city, for: 5m }, { cell: tunnel, for: 30s }] }', ['name', 'legs']);
    const name = r.name([...path, 'name'], field(m, 'name'), 'a route name', 'name: commute');
    if (field(m, 'share') === undefined && siblings > 1) r.fail(path, 'with several routes each needs a share', 'add share: 50% (the shares of a group add up to 100%)');
    const percent = field(m, 'share') === undefined ? 100 : r.percent([...path, 'share'], field(m, 'share'));
    const loop = field(m, 'loop') === undefined ? true : r.bool([...path, 'loop'], field(m, 'loop'), 'loop: true');
    const legsRaw = r.list([...path, 'legs'], field(m, 'legs'), 'legs: [{ cell: city, for: 5m }]', { min: 1, max: 1000 });
    const legs = legsRaw.map((lr, k) => {
      const lp: Path = [...path, 'legs', k];
      const lm = r.mapping(lp, lr, ['cell', 'for'], '{ cell: tunnel, for: 30s }', ['cell', 'for']);
      const cell = r.name([...lp, 'cell'], field(lm, 'cell'), 'a coverage cell name', 'cell: tunnel');
      const forMs = r.duration([...lp, 'for'], field(lm, 'for'), '30s');
      if (forMs < 1000) r.fail([...lp, 'for'], `a leg of ${formatDuration(forMs)} is shorter than the 1s a cell change takes to apply`, 'use at least 1s');
      return { cell, forMs };
    });
    return { name, percent, loop, legs, where: r.where(path) };
  }

  private edge(raw: unknown): EdgeSettings {
    const r: Reader = this.r;
    const m = r.optMapping(['fleet', 'edge'], raw, ['heartbeat', 'reconnect', 'nodeStatusPeriod', 'slimStatus', 'deviceReports'], 'edge: { heartbeat: 15s, reconnect: edgecore }');
    const heartbeatMs = field(m, 'heartbeat') === undefined ? 15_000 : r.duration(['fleet', 'edge', 'heartbeat'], field(m, 'heartbeat'), '15s');
    const nodeStatusPeriodMs = field(m, 'nodeStatusPeriod') === undefined ? 10_000 : r.duration(['fleet', 'edge', 'nodeStatusPeriod'], field(m, 'nodeStatusPeriod'), '10s');
    const slimStatus = field(m, 'slimStatus') === undefined ? true : r.bool(['fleet', 'edge', 'slimStatus'], field(m, 'slimStatus'), 'slimStatus: true');
    const reconnect = this.reconnect(['fleet', 'edge', 'reconnect'], field(m, 'reconnect'), { kind: 'edgecore', heartbeatMs }, heartbeatMs);
    const deviceReports =
      field(m, 'deviceReports') === undefined ? 'report-cycle' : r.oneOf(['fleet', 'edge', 'deviceReports'], field(m, 'deviceReports'), ['report-cycle', 'collect-cycle'] as const, 'when mappers report');
    return { heartbeatMs, reconnect, nodeStatusPeriodMs, slimStatus, deviceReports };
  }

  private reconnect(path: Path, raw: unknown, fallback: ReconnectPolicy, heartbeatMs: number): ReconnectPolicy {
    if (raw === undefined) return fallback;
    const policy = typeof raw === 'string' ? parseReconnectPolicy(raw) : undefined;
    if (policy === undefined) {
      this.r.fail(path, `${JSON.stringify(raw)} is not a reconnect policy`, 'use edgecore (2 × heartbeat, no jitter), fixed:5s, exponential:1s:60s[:2] or jittered:1s:60s[:2] (BASE:MAX[:FACTOR])');
    }
    return policy.kind === 'edgecore' ? { kind: 'edgecore', heartbeatMs } : policy;
  }

  /** A hardware mix: a profile name (100 %) or { profile: share, … } adding up to 100 %. */
  private mix(path: Path, raw: unknown, _what: 'hardware', example: string): Share[] {
    const r: Reader = this.r;
    if (raw === undefined) r.fail(path, 'a hardware profile (or a mix of them) is missing', `add ${example}`);
    if (typeof raw === 'string') return [{ name: this.hardwareName(path, raw, false), percent: 100 }];
    if (!isMapping(raw) || Object.keys(raw).length === 0) r.fail(path, 'expected a hardware profile name or a mapping of profile names to shares', `write ${example}`);
    const out: Share[] = [];
    for (const [name, share] of Object.entries(raw)) {
      this.hardwareName([...path, name], name, true);
      out.push({ name, percent: r.percent([...path, name], share) });
    }
    const sum = out.reduce((s, x) => s + x.percent, 0);
    if (Math.abs(sum - 100) > 1e-6) r.fail(path, `shares add up to ${+sum.toFixed(4)}%, not 100%`, 'adjust the shares so they add up to 100%');
    return out;
  }

  private hardwareName(path: Path, name: string, atKey: boolean): string {
    if (!this.hardware.has(name)) {
      this.r.fail(path, `unknown hardware profile "${name}"`, `${suggestion(name, this.hardware.keys())}use one of ${[...this.hardware.keys()].join(', ')} (fixtures/hardware/*.yaml)`, atKey);
    }
    return name;
  }

  private linkProfileName(path: Path, raw: unknown, atKey = false): string {
    const name = this.r.string(path, raw, 'a link profile name', 'toll-uplink-3mbit-lossy');
    if (!this.linkProfiles.has(name)) {
      this.r.fail(path, `unknown link profile "${name}"`, `${suggestion(name, this.linkProfiles.keys())}use one of ${[...this.linkProfiles.keys()].join(', ')} (fixtures/links/*.yaml)`, atKey);
    }
    return name;
  }

  private labels(path: Path, raw: unknown, reserved: (key: string) => string | undefined): Record<string, string> {
    const r: Reader = this.r;
    if (raw === undefined) return {};
    if (!isMapping(raw)) r.fail(path, `expected a mapping of label keys to values, got ${Array.isArray(raw) ? 'a list' : typeof raw}`, 'labels: { team: tolling }');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (!labelKeyPattern.test(k) || k.length > 316) r.fail([...path, k], `"${k}" is not a Kubernetes label key`, 'use [prefix/]name with letters, digits, "-", "_", "." (name at most 63 characters)', true);
      const why = reserved(k);
      if (why !== undefined) r.fail([...path, k], `label "${k}" is reserved: ${why}`, 'use a key of your own, e.g. example.com/team', true);
      if (typeof v !== 'string' || v.length > 63 || !labelValuePattern.test(v)) {
        r.fail([...path, k], `label values are text of at most 63 letters, digits, "-", "_", "."; got ${JSON.stringify(v)}`, `quote it: ${k}: "value"`);
      }
      out[k] = v;
    }
    return out;
  }

  private nodeLabels(path: Path, raw: unknown): Record<string, string> {
    return this.labels(path, raw, (k) => (reservedNodeLabelPrefixes.some((p) => k.startsWith(p)) ? 'the fleet sets it from the topology' : undefined));
  }

  // ---------------------------------------------------------------- links
  private linksSection(raw: unknown): LinksSpec {
    const r: Reader = this.r;
    const m = r.optMapping(['links'], raw, ['stationUplink', 'cells'], 'links: { stationUplink: toll-uplink-3mbit-lossy, cells: { city: lte, tunnel: no-coverage } }');
    const needsUplink = this.fleetSpec.provinces.some((p) => p.uplink === '');
    if (needsUplink && field(m, 'stationUplink') === undefined) {
      r.fail(raw === undefined ? [] : ['links'], 'links.stationUplink is missing: every toll station needs the link profile of its shared uplink', 'add links: { stationUplink: toll-uplink-3mbit-lossy }');
    }
    const stationUplink = field(m, 'stationUplink') === undefined ? '' : this.linkProfileName(['links', 'stationUplink'], field(m, 'stationUplink'));
    const cells = new Map<string, string>();
    const cellsRaw = field(m, 'cells');
    if (cellsRaw !== undefined) {
      if (!isMapping(cellsRaw)) r.fail(['links', 'cells'], 'expected a mapping of coverage cells to link profiles', 'cells: { city: lte, rural: 3g, tunnel: no-coverage }');
      for (const [cell, profile] of Object.entries(cellsRaw)) {
        if (!dnsLabel.test(cell) || cell.length > 63) r.fail(['links', 'cells', cell], `"${cell}" is not a cell name (lower-case letters, digits, "-")`, 'rename it, e.g. city-lte', true);
        cells.set(cell, this.linkProfileName(['links', 'cells', cell], profile));
      }
    }
    if (this.fleetSpec.vehicles.length > 0 && cells.size === 0) r.fail(raw === undefined ? [] : ['links'], 'the fleet has vehicles but links.cells is missing: their routes run through coverage cells', 'add links: { cells: { city: lte, rural: 3g, tunnel: no-coverage } }');
    return { stationUplink, cells };
  }

  private resolveUplinks(): void {
    this.fleetSpec = { ...this.fleetSpec, provinces: this.fleetSpec.provinces.map((p) => (p.uplink === '' ? { ...p, uplink: this.linksSpec.stationUplink } : p)) };
  }

  private checkRouteCells(): void {
    const r: Reader = this.r;
    let moves = 0;
    this.fleetSpec.vehicles.forEach((g, gi) => {
      let shortest = Infinity;
      g.routes.forEach((rt, ri) => {
        rt.legs.forEach((leg, li) => {
          if (!this.linksSpec.cells.has(leg.cell)) {
            r.fail(['fleet', 'vehicles', gi, 'routes', ri, 'legs', li, 'cell'], `unknown cell "${leg.cell}"`, `${suggestion(leg.cell, this.linksSpec.cells.keys())}declare it under links.cells (known: ${[...this.linksSpec.cells.keys()].join(', ')})`);
          }
          shortest = Math.min(shortest, leg.forMs);
        });
      });
      moves += g.count * Math.ceil(this.head.durationMs / shortest);
    });
    if (moves > maxVehicleMoves) {
      r.fail(['fleet', 'vehicles'], `the routes would move vehicles between cells up to ${moves} times in ${formatDuration(this.head.durationMs)} (at most ${maxVehicleMoves})`, 'use longer legs, fewer vehicles or a shorter duration');
    }
  }

  // ---------------------------------------------------------------- selectors
  private selector(path: Path, raw: unknown, unit: SelectUnit, example: string): Selector {
    const r: Reader = this.r;
    const text = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
    if (typeof text !== 'string' || text.trim() === '') r.fail(path, `expected a selector, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`, `write e.g. select: "${example}" (see scenarios/README.md: selectors)`);
    let sel: Selector;
    try {
      sel = parseSelector(text, r.where(path));
    } catch (e) {
      if (e instanceof SelectorError) throw this.selectorError(path, text, e.pos, `bad selector "${text}": ${e.message}`, selectorGrammar);
      throw e;
    }
    const problem = checkSelector(sel, this.fleet, unit);
    if (problem !== undefined) throw this.selectorError(path, text, problem.pos, `selector "${text}": ${problem.message}`, problem.fix);
    return sel;
  }

  /** An error pointing at the offending character inside a selector when the source shows it verbatim. */
  private selectorError(path: Path, text: string, pos: number, message: string, fix: string): EdgeproofError {
    const base = this.r.where(path);
    const m = /^(.*):(\d+):(\d+)$/.exec(base);
    let where = base;
    if (m !== null) {
      const line = this.text.split('\n')[Number(m[2]) - 1] ?? '';
      const col = Number(m[3]) - 1;
      const start = line[col] === '"' || line[col] === "'" ? col + 1 : col;
      if (line.slice(start).startsWith(text.slice(0, pos))) where = `${m[1] ?? ''}:${m[2] ?? ''}:${start + pos + 1}`;
    }
    return new EdgeproofError('E_BAD_SCENARIO', `${dotted(path)}: ${message}`, { where, fix });
  }

  // ---------------------------------------------------------------- workloads
  private image(path: Path, raw: unknown, inherit?: ImageSpec): ImageSpec {
    const r: Reader = this.r;
    let spec: ImageSpec;
    if (typeof raw === 'string' && inherit !== undefined) {
      spec = { ...inherit, name: r.string(path, raw, 'an image reference', 'registry.local/tolling:2.0', imagePattern, 255) };
    } else {
      const m = r.mapping(path, raw, ['name', 'size', 'arch'], '{ name: registry.local/tolling:1.0, size: 50MB, arch: [amd64, arm64] }', inherit === undefined ? ['name', 'size', 'arch'] : ['name']);
      const name = r.string([...path, 'name'], field(m, 'name'), 'an image reference', 'registry.local/tolling:1.0', imagePattern, 255);
      const sizeBytes = field(m, 'size') === undefined && inherit !== undefined ? inherit.sizeBytes : r.size([...path, 'size'], field(m, 'size'), '50MB');
      let arch: readonly Arch[];
      if (field(m, 'arch') === undefined && inherit !== undefined) arch = inherit.arch;
      else {
        const list = r.list([...path, 'arch'], field(m, 'arch'), 'arch: [amd64, arm64]', { min: 1, max: 3 });
        const set = new Set<Arch>();
        list.forEach((a, k) => {
          const v = r.oneOf([...path, 'arch', k], a, arches, 'an architecture');
          if (set.has(v)) r.fail([...path, 'arch', k], `"${v}" is listed twice`, 'list each architecture once');
          set.add(v);
        });
        arch = [...set].sort();
      }
      spec = { name, sizeBytes, arch };
    }
    const earlier = this.images.get(spec.name);
    if (earlier !== undefined && (earlier.spec.sizeBytes !== spec.sizeBytes || earlier.spec.arch.join() !== spec.arch.join())) {
      r.fail(path, `image ${spec.name} is also declared at ${r.where(earlier.path)} with another size or arch list`, 'one image name has one size and one set of architectures: give the new version its own tag');
    }
    this.images.set(spec.name, { spec, path });
    return spec;
  }

  private workloads(raw: unknown): WorkloadSpec[] {
    const r: Reader = this.r;
    const items = r.list(['workloads'], raw, 'workloads: [{ name: tolling, kind: DaemonSet, select: gate, image: { name: registry.local/tolling:1.0, size: 50MB, arch: [amd64, arm64] } }]');
    const keys = ['name', 'kind', 'namespace', 'replicas', 'copies', 'select', 'image', 'resources', 'autonomy', 'tolerations', 'pinArch', 'maxSurge', 'maxUnavailable', 'deferred', 'labels'];
    const names = new Set<string>();
    const instances = new Set<string>();
    return items.map((item, i) => {
      const path: Path = ['workloads', i];
      const m = r.mapping(path, item, keys, '{ name: tolling, kind: DaemonSet, select: gate, image: { name: registry.local/tolling:1.0, size: 50MB, arch: [amd64, arm64] } }', ['name', 'kind', 'image']);
      const name = r.name([...path, 'name'], field(m, 'name'), 'a workload name', 'name: tolling', 50);
      if (names.has(name)) r.fail([...path, 'name'], `workload "${name}" is defined twice`, 'give every workload its own name');
      names.add(name);
      const kind = r.oneOf([...path, 'kind'], field(m, 'kind'), ['Deployment', 'DaemonSet'] as const, 'a workload kind');
      const namespace = field(m, 'namespace') === undefined ? 'default' : r.name([...path, 'namespace'], field(m, 'namespace'), 'a namespace', 'namespace: tolling');
      if (kind === 'DaemonSet' && field(m, 'replicas') !== undefined) r.fail([...path, 'replicas'], 'a DaemonSet has no replicas: it runs one pod on every selected node', 'remove replicas, or use kind: Deployment', true);
      const replicas = kind === 'Deployment' ? (field(m, 'replicas') === undefined ? 1 : r.int([...path, 'replicas'], field(m, 'replicas'), 0, 1_000_000, 'replicas: 3')) : undefined;
      const copies = field(m, 'copies') === undefined ? 1 : r.int([...path, 'copies'], field(m, 'copies'), 1, 1000, 'copies: 10');
      const selector = this.selector([...path, 'select'], field(m, 'select') ?? 'all', 'node', 'province=p01 role=gate');
      const placement = placementProblem(selector);
      if (placement !== undefined) {
        throw this.selectorError([...path, 'select'], selector.text, placement.pos, `selector "${selector.text}": ${placement.message}`, 'place pods with label terms only (province=p01, gate, station=p01-s001,p01-s002, region!=west); sample in the timeline instead');
      }
      const image = this.image([...path, 'image'], field(m, 'image'));
      const pinArch = field(m, 'pinArch') === undefined ? true : r.bool([...path, 'pinArch'], field(m, 'pinArch'), 'pinArch: true');
      if (pinArch) {
        const archesHere = new Set(this.fleet.nodes.filter((n) => selector.alternatives.some((alt) => alternativeMatches(alt, n))).map((n) => n.arch));
        if (!image.arch.some((a) => archesHere.has(a))) {
          r.fail([...path, 'image', 'arch'], `no selected node can run it: the image is built for ${image.arch.join(', ')}, the selected nodes are ${[...archesHere].sort().join(', ')}`, 'add the nodes’ architecture to image.arch, select other nodes, or set pinArch: false to provoke pull failures');
        }
      }
      const res = r.optMapping([...path, 'resources'], field(m, 'resources'), ['cpu', 'memory'], 'resources: { cpu: 100m, memory: 64Mi }');
      const cpuRaw = field(res, 'cpu') ?? '100m';
      const cpuMillis = typeof cpuRaw === 'string' || typeof cpuRaw === 'number' ? parseCpuMillis(cpuRaw) : undefined;
      if (cpuMillis === undefined || cpuMillis <= 0) r.fail([...path, 'resources', 'cpu'], `expected a CPU quantity such as 100m or 0.5, got ${JSON.stringify(cpuRaw)}`, 'write cpu: 100m');
      const memRaw = field(res, 'memory') ?? '64Mi';
      const memoryBytes = r.size([...path, 'resources', 'memory'], memRaw, '64Mi');
      if (typeof memRaw === 'string' && /B$/.test(memRaw) && !/^\d+B$/.test(memRaw)) {
        r.fail([...path, 'resources', 'memory'], `"${memRaw}" is not a Kubernetes quantity`, 'write 64Mi or 64M (Kubernetes has no MB/GB suffixes)');
      }
      const autonomy = field(m, 'autonomy') === undefined ? false : r.bool([...path, 'autonomy'], field(m, 'autonomy'), 'autonomy: true');
      const tolerations = r.list([...path, 'tolerations'], field(m, 'tolerations'), 'tolerations: [{ key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, for: 600s }]').map((t, k) => this.toleration([...path, 'tolerations', k], t));
      const maxSurge = this.intOrPercent([...path, 'maxSurge'], field(m, 'maxSurge'), 1);
      const maxUnavailable = this.intOrPercent([...path, 'maxUnavailable'], field(m, 'maxUnavailable'), 0);
      if ((maxSurge === 0 || maxSurge === '0%') && (maxUnavailable === 0 || maxUnavailable === '0%')) {
        r.fail(path, 'maxSurge and maxUnavailable are both 0: a rolling update could never make progress', 'set maxSurge: 1 (new pod first, as a hot update needs) or maxUnavailable: 1');
      }
      const deferred = field(m, 'deferred') === undefined ? false : r.bool([...path, 'deferred'], field(m, 'deferred'), 'deferred: true');
      const labels = this.labels([...path, 'labels'], field(m, 'labels'), (k) =>
        k.startsWith('edgeproof.io/') ? 'the builder sets edgeproof.io/workload and edgeproof.io/instance' : k === 'app-offline.kubeedge.io' ? 'write autonomy: true instead' : undefined,
      );
      const spec: WorkloadSpec = { name, kind, namespace, replicas, copies, selector, image, requests: { cpuMillis, memoryBytes }, autonomy, tolerations, pinArch, maxSurge, maxUnavailable, deferred, labels, where: r.where(path) };
      for (const inst of copies === 1 ? [name] : Array.from({ length: copies }, (_, k) => `${name}-${String(k + 1).padStart(Math.max(2, String(copies).length), '0')}`)) {
        if (instances.has(inst)) r.fail([...path, 'name'], `workload object "${inst}" would be created twice (another template's copies use that name)`, 'rename one of the workloads');
        instances.add(inst);
      }
      return spec;
    });
  }

  private intOrPercent(path: Path, raw: unknown, fallback: number): number | string {
    if (raw === undefined) return fallback;
    if (typeof raw === 'number') return this.r.int(path, raw, 0, 1_000_000, '1');
    if (typeof raw === 'string' && /^\d{1,3}%$/.test(raw) && Number(raw.slice(0, -1)) <= 100) return raw;
    return this.r.fail(path, `expected a number of pods or a percentage, got ${JSON.stringify(raw)}`, 'write e.g. 1 or 25%');
  }

  private toleration(path: Path, raw: unknown): Toleration {
    const r: Reader = this.r;
    const m = r.mapping(path, raw, ['key', 'operator', 'value', 'effect', 'for'], '{ key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, for: 600s }');
    const operator = field(m, 'operator') === undefined ? 'Equal' : r.oneOf([...path, 'operator'], field(m, 'operator'), ['Exists', 'Equal'] as const, 'an operator');
    const key = field(m, 'key') === undefined ? undefined : r.string([...path, 'key'], field(m, 'key'), 'a taint key', 'key: node.kubernetes.io/unreachable', labelKeyPattern);
    const value = field(m, 'value') === undefined ? undefined : r.string([...path, 'value'], field(m, 'value'), 'a taint value', 'value: "true"', labelValuePattern, 63);
    if (operator === 'Exists' && value !== undefined) r.fail([...path, 'value'], 'operator Exists takes no value', 'remove value, or use operator: Equal', true);
    if (operator === 'Equal' && key === undefined) r.fail(path, 'operator Equal needs a key', 'add key: …, or use operator: Exists to tolerate everything');
    const effect = field(m, 'effect') === undefined ? undefined : r.oneOf([...path, 'effect'], field(m, 'effect'), ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const, 'a taint effect');
    const forMs = field(m, 'for') === undefined ? undefined : r.duration([...path, 'for'], field(m, 'for'), '600s', false);
    if (forMs !== undefined && effect !== 'NoExecute') r.fail([...path, 'for'], 'a toleration time only applies to effect NoExecute', 'add effect: NoExecute or remove for', true);
    if (forMs !== undefined && forMs % 1000 !== 0) r.fail([...path, 'for'], 'Kubernetes counts toleration time in whole seconds', 'round it to seconds');
    return { operator, ...(key !== undefined ? { key } : {}), ...(value !== undefined ? { value } : {}), ...(effect !== undefined ? { effect } : {}), ...(forMs !== undefined ? { tolerationSeconds: forMs / 1000 } : {}) };
  }

  // ---------------------------------------------------------------- devices
  private devices(raw: unknown): DeviceGroupSpec[] {
    const r: Reader = this.r;
    const kinds = Object.keys(deviceProtocols) as DeviceKind[];
    return r.list(['devices'], raw, 'devices: [{ kind: barrier-gate, count: 1, collectCycle: 1s, reportCycle: 5s }]').map((item, i) => {
      const path: Path = ['devices', i];
      const m = r.mapping(path, item, ['kind', 'count', 'collectCycle', 'reportCycle', 'select'], '{ kind: barrier-gate, count: 1, collectCycle: 1s, reportCycle: 5s }', ['kind']);
      const kind = r.oneOf([...path, 'kind'], field(m, 'kind'), kinds, 'a device kind');
      const count = field(m, 'count') === undefined ? 1 : r.int([...path, 'count'], field(m, 'count'), 1, 1000, 'count: 2');
      const collectCycleMs = field(m, 'collectCycle') === undefined ? 1000 : r.duration([...path, 'collectCycle'], field(m, 'collectCycle'), '1s');
      const reportCycleMs = field(m, 'reportCycle') === undefined ? 1000 : r.duration([...path, 'reportCycle'], field(m, 'reportCycle'), '5s');
      const selector = this.selector([...path, 'select'], field(m, 'select') ?? 'gate', 'node', 'gate');
      return { kind, protocol: deviceProtocols[kind], count, collectCycleMs, reportCycleMs, selector, where: r.where(path) };
    });
  }

  // ---------------------------------------------------------------- timeline
  private timeline(raw: unknown, workloads: readonly WorkloadSpec[], devices: readonly DeviceGroupSpec[]): TimelineEntry[] {
    const r: Reader = this.r;
    const items = r.list(['timeline'], raw, 'timeline: [{ at: 30s, partition: { select: "station=p01-s001", for: 1m } }]', { max: 10_000 });
    const ids = new Set<string>();
    return items.map((item, index) => {
      const path: Path = ['timeline', index];
      const m = r.mapping(path, item, ['at', 'id', 'repeat', ...timelineActionKeys], '{ at: 30s, partition: { select: "province=p01 share=50%", for: 1m } }', ['at']);
      const actions = timelineActionKeys.filter((k) => field(m, k) !== undefined || Object.hasOwn(m, k));
      if (actions.length !== 1) {
        r.fail(path, actions.length === 0 ? 'the entry has no action' : `the entry has ${actions.length} actions (${actions.join(', ')}); one entry does one thing`, `give it exactly one of ${timelineActionKeys.join(', ')} (use several entries with the same at: for simultaneous actions)`);
      }
      const kind = actions[0] as (typeof timelineActionKeys)[number];
      const atMs = r.duration([...path, 'at'], field(m, 'at'), '30s', false);
      if (atMs >= this.head.durationMs) r.fail([...path, 'at'], `at ${formatDuration(atMs)} is not before the end of the scenario (duration ${formatDuration(this.head.durationMs)})`, 'move the entry earlier or lengthen duration');
      const id = field(m, 'id') === undefined ? undefined : r.string([...path, 'id'], field(m, 'id'), 'an entry id (letters, digits, ".", "_", "-")', 'id: storm-1', idPattern, 63);
      if (id !== undefined) {
        if (ids.has(id)) r.fail([...path, 'id'], `id "${id}" is used twice`, 'give every entry its own id');
        ids.add(id);
      }
      let repeat: TimelineEntry['repeat'];
      if (field(m, 'repeat') !== undefined) {
        const rm = r.mapping([...path, 'repeat'], field(m, 'repeat'), ['every', 'times'], 'repeat: { every: 1m, times: 3 }', ['every', 'times']);
        repeat = { everyMs: r.duration([...path, 'repeat', 'every'], field(rm, 'every'), '1m'), times: r.int([...path, 'repeat', 'times'], field(rm, 'times'), 1, 10_000, 'times: 3') };
      }
      const action = this.action([...path, kind], kind, field(m, kind), workloads, devices);
      const span = actionSpanMs(action);
      const lastAt = atMs + (repeat === undefined ? 0 : (repeat.times - 1) * repeat.everyMs);
      if (lastAt >= this.head.durationMs) r.fail([...path, 'repeat'], `the last repetition starts at ${formatDuration(lastAt)}, not before the end (duration ${formatDuration(this.head.durationMs)})`, 'use fewer times, a shorter every, or a longer duration');
      if (lastAt + span > this.head.durationMs) {
        r.fail([...path, kind], `it lasts until ${formatDuration(lastAt + span)}, after the scenario ends at ${formatDuration(this.head.durationMs)}`, 'shorten it (for/offline/over), start it earlier, or lengthen duration — checkers need the heal inside the run');
      }
      return { index, id, atMs, repeat, action, where: r.where(path) };
    });
  }

  private action(path: Path, kind: (typeof timelineActionKeys)[number], raw: unknown, workloads: readonly WorkloadSpec[], devices: readonly DeviceGroupSpec[]): TimelineAction {
    const r: Reader = this.r;
    const sel = (m: Mapping, unit: SelectUnit, example: string): Selector => {
      if (field(m, 'select') === undefined) r.fail(path, '"select" is missing', `add select: "${example}"`);
      return this.selector([...path, 'select'], field(m, 'select'), unit, example);
    };
    const optFor = (m: Mapping): number | undefined => (field(m, 'for') === undefined ? undefined : r.duration([...path, 'for'], field(m, 'for'), '1m'));
    const workload = (m: Mapping): string => {
      const name = r.string([...path, 'workload'], field(m, 'workload'), 'a workload name', 'workload: tolling');
      if (!workloads.some((w) => w.name === name)) r.fail([...path, 'workload'], `unknown workload "${name}"`, `${suggestion(name, workloads.map((w) => w.name))}use one of the workloads: ${workloads.map((w) => w.name).join(', ') || '(none defined)'}`);
      return name;
    };
    const component = (m: Mapping): ComponentTarget => r.oneOf([...path, 'component'], field(m, 'component'), componentTargets, 'a component');
    switch (kind) {
      case 'partition': {
        const m = r.mapping(path, raw, ['select', 'for', 'mode'], '{ select: "station=p01-s001", for: 1m }', ['select']);
        const mode = field(m, 'mode') === undefined ? 'blackhole' : r.oneOf([...path, 'mode'], field(m, 'mode'), outageModes, 'an outage mode');
        return { kind, selector: sel(m, 'link', 'station=p01-s001'), forMs: optFor(m), mode };
      }
      case 'heal':
        return { kind, selector: sel(r.mapping(path, raw, ['select'], '{ select: all }', ['select']), 'link', 'all') };
      case 'degrade': {
        const m = r.mapping(path, raw, ['select', 'profile', 'for'], '{ select: "province=p01", profile: 3g, for: 2m }', ['select', 'profile']);
        return { kind, selector: sel(m, 'link', 'province=p01'), profile: this.linkProfileName([...path, 'profile'], field(m, 'profile')), forMs: optFor(m) };
      }
      case 'restore':
        return { kind, selector: sel(r.mapping(path, raw, ['select'], '{ select: all }', ['select']), 'link', 'all') };
      case 'churn': {
        const m = r.mapping(path, raw, ['select', 'over', 'offline', 'mode', 'reconnect', 'batches'], '{ select: "vehicle share=50%", over: 30s, offline: 1m..3m, reconnect: "jittered:1s:60s" }', ['select', 'over']);
        const overMs = r.duration([...path, 'over'], field(m, 'over'), '30s', false);
        const offlineRaw = field(m, 'offline');
        let offline: { minMs: number; maxMs: number } | undefined;
        if (offlineRaw !== undefined) {
          offline = r.parsed([...path, 'offline'], parseDurationRange(offlineRaw), 'write a duration (2m) or a range (1m..3m)');
          if (offline.minMs === 0) r.fail([...path, 'offline'], 'nodes must stay offline for more than 0s', 'use e.g. offline: 1m or 30s..2m');
        }
        const mode = field(m, 'mode') === undefined ? 'disconnect' : r.oneOf([...path, 'mode'], field(m, 'mode'), churnModes, 'a churn mode');
        const batches = field(m, 'batches') === undefined ? undefined : r.int([...path, 'batches'], field(m, 'batches'), 1, 100_000, 'batches: 10');
        return { kind, selector: sel(m, 'node', 'vehicle share=50%'), overMs, batches, offline, mode, reconnect: this.reconnect([...path, 'reconnect'], field(m, 'reconnect'), this.fleetSpec.edge.reconnect, this.fleetSpec.edge.heartbeatMs) };
      }
      case 'restart-edges': {
        const m = r.mapping(path, raw, ['select', 'offline', 'restartAfter', 'downtime', 'reconnect'], '{ select: "station=p01-s001", offline: 2m }', ['select']);
        const offlineMs = field(m, 'offline') === undefined ? undefined : r.duration([...path, 'offline'], field(m, 'offline'), '2m');
        if (offlineMs === undefined && field(m, 'restartAfter') !== undefined) r.fail([...path, 'restartAfter'], 'restartAfter only applies with offline', 'add offline: 2m or remove restartAfter', true);
        const restartAfterMs = field(m, 'restartAfter') === undefined ? 10_000 : r.duration([...path, 'restartAfter'], field(m, 'restartAfter'), '10s', false);
        const downtimeMs = field(m, 'downtime') === undefined ? 0 : r.duration([...path, 'downtime'], field(m, 'downtime'), '5s', false);
        if (offlineMs !== undefined && restartAfterMs + downtimeMs >= offlineMs) {
          r.fail([...path, 'offline'], `the edges would come back online (after ${formatDuration(offlineMs)}) before they have restarted (restartAfter ${formatDuration(restartAfterMs)} + downtime ${formatDuration(downtimeMs)})`, 'lengthen offline, or shorten restartAfter/downtime');
        }
        return { kind, selector: sel(m, 'node', 'station=p01-s001'), offlineMs, restartAfterMs, downtimeMs, reconnect: this.reconnect([...path, 'reconnect'], field(m, 'reconnect'), this.fleetSpec.edge.reconnect, this.fleetSpec.edge.heartbeatMs) };
      }
      case 'kill': {
        const m = r.mapping(path, raw, ['component', 'for'], '{ component: cloudcore, for: 30s }', ['component']);
        return { kind, component: component(m), forMs: optFor(m) };
      }
      case 'restart-component':
        return { kind, component: component(r.mapping(path, raw, ['component'], '{ component: cloudcore }', ['component'])) };
      case 'rollout': {
        const m = r.mapping(path, raw, ['workload', 'image'], '{ workload: nav, image: registry.local/nav:2.0 }', ['workload', 'image']);
        const name = workload(m);
        const w = workloads.find((x) => x.name === name) as WorkloadSpec;
        const image = this.image([...path, 'image'], field(m, 'image'), w.image);
        if (image.name === w.image.name) r.fail([...path, 'image'], `the workload already runs ${image.name}`, 'roll out a new tag, e.g. registry.local/nav:2.0');
        return { kind, workload: name, image };
      }
      case 'delete': {
        const m = r.mapping(path, raw, ['workload', 'force'], '{ workload: tolling, force: true }', ['workload']);
        const force = field(m, 'force') === undefined ? false : r.bool([...path, 'force'], field(m, 'force'), 'force: true');
        return { kind, workload: workload(m), force };
      }
      case 'apply':
        return { kind, workload: workload(r.mapping(path, raw, ['workload'], '{ workload: tolling }', ['workload'])) };
      case 'set-desired': {
        const example = '{ select: "station=p01-s001", device: barrier-gate, property: open, value: "true" }';
        const m = r.mapping(path, raw, ['select', 'device', 'property', 'value'], example, ['select', 'device', 'property', 'value']);
        const placed = [...new Set(devices.map((g) => g.kind))];
        const device = r.oneOf([...path, 'device'], field(m, 'device'), placed, 'a device kind placed in the devices section');
        const writable = desiredProperties[device];
        const property = r.oneOf([...path, 'property'], field(m, 'property'), Object.keys(writable), `a writable property of ${device}`);
        const rawValue = field(m, 'value');
        const value = typeof rawValue === 'boolean' || typeof rawValue === 'number' ? String(rawValue) : r.string([...path, 'value'], rawValue, 'a value', 'value: "true"');
        const type = writable[property];
        if (type === 'BOOLEAN' && value !== 'true' && value !== 'false') r.fail([...path, 'value'], `${device}.${property} is a boolean; "${value}" is not true or false`, 'value: "true" or value: "false"');
        if (type === 'INT' && !/^-?\d+$/.test(value)) r.fail([...path, 'value'], `${device}.${property} is an integer; "${value}" is not`, 'value: "1"');
        return { kind, selector: sel(m, 'node', 'station=p01-s001'), device, property, value };
      }
      case 'mark': {
        const m = r.mapping(path, raw, ['label'], '{ label: quiet-period }', ['label']);
        return { kind, label: r.string([...path, 'label'], field(m, 'label'), 'a marker label', 'label: quiet-period', idPattern, 63) };
      }
    }
  }

  // ---------------------------------------------------------------- guarantees
  private guarantees(raw: unknown): GuaranteeSet {
    const r: Reader = this.r;
    const out: Record<string, Record<string, number>> = {};
    if (raw === undefined) return out;
    if (!isMapping(raw)) r.fail(['guarantees'], 'expected a mapping of guarantee ids to their bounds', 'guarantees: { sync.converge: { within: 60s }, status.fresh: { slack: 20s } }');
    for (const [id, value] of Object.entries(raw)) {
      if (!isGuaranteeId(id)) r.fail(['guarantees', id], `unknown guarantee "${id}"`, `${suggestion(id, guaranteeIds)}use one of ${guaranteeIds.join(', ')}`, true);
      const spec = guaranteeSpecs[id];
      const names = Object.keys(spec.bounds);
      const m = r.optMapping(['guarantees', id], value, names, names.length === 0 ? `${id}: {}` : `${id}: { ${names.map((n) => `${n}: ${spec.bounds[n]?.default ?? ''}`).join(', ')} }`);
      const bounds: Record<string, number> = {};
      for (const [name, b] of Object.entries(spec.bounds)) {
        const v = field(m, name) ?? b.default;
        bounds[b.field] = b.unit === 'duration' ? r.duration(['guarantees', id, name], v, b.default) : r.size(['guarantees', id, name], v, b.default);
      }
      out[id] = bounds;
    }
    return out;
  }
}

/** How long after its start an action keeps effects the schedule must still undo. */
export function actionSpanMs(a: TimelineAction): number {
  switch (a.kind) {
    case 'partition':
    case 'degrade':
    case 'kill':
      return a.forMs ?? 0;
    case 'churn':
      return a.overMs + (a.offline?.maxMs ?? 0);
    case 'restart-edges':
      return a.offlineMs ?? a.downtimeMs;
    default:
      return 0;
  }
}
