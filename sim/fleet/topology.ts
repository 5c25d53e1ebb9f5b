/**
 * The fleet a scenario describes, as a pure function of the scenario and the seed: every node's name,
 * hardware profile, labels and the link it sits behind; every link (one shared uplink per toll station, one
 * cellular link per vehicle); every vehicle's route as a time series of coverage cells. No I/O, no clock:
 * the same scenario and seed give the same fleet, so a run and its replay build identical fleets.
 *
 * Names (zero-padded so that sorting by name is sorting by number):
 *   gate          <province>-s<NNN>-g<NN>    p01-s003-g07
 *   station server <province>-s<NNN>-srv<N>  p01-s003-srv1
 *   vehicle       <group>-<NNNN>             v-0042
 *   station uplink  uplink-<station>         uplink-p01-s003
 *   cellular link   cellular-<vehicle>       cellular-v-0042
 */
import { EdgeproofError } from '../core/errors.ts';
import { seededRandom, type Random } from '../core/random.ts';
import type { Arch } from '../edge/profile.ts';
import type { FleetSpec, HardwareInfo, LinksSpec, RouteSpec, Share } from '../scenario/types.ts';

export type NodeRole = 'gate' | 'server' | 'vehicle';

/** Label keys the fleet puts on every node (and the selector language and workload placement use). */
export const fleetLabel = {
  role: 'edgeproof.io/role',
  region: 'edgeproof.io/region',
  province: 'edgeproof.io/province',
  station: 'edgeproof.io/station',
  gate: 'edgeproof.io/gate',
  group: 'edgeproof.io/vehicle-group',
  route: 'edgeproof.io/route',
  hardware: 'edgeproof.io/hardware',
  link: 'edgeproof.io/link',
  arch: 'kubernetes.io/arch',
  hostname: 'kubernetes.io/hostname',
  topologyRegion: 'topology.kubernetes.io/region',
  /** The province: kube-controller-manager's node-lifecycle controller judges disruption per zone. */
  topologyZone: 'topology.kubernetes.io/zone',
} as const;

export interface FleetNode {
  readonly name: string;
  readonly role: NodeRole;
  /** Hardware profile name (fixtures/hardware). */
  readonly hardware: string;
  readonly arch: Arch;
  readonly region: string;
  readonly province: string | undefined;
  readonly station: string | undefined;
  /** Vehicle group, for vehicles. */
  readonly group: string | undefined;
  /** Id of the link it sits behind. */
  readonly link: string;
  /**
   * Every label the node's Node object carries besides the node-role ones: the hardware profile's labels,
   * the scenario's extra labels and the topology labels (fleetLabel). Pass them as registrationNode's
   * extraLabels.
   */
  readonly labels: Readonly<Record<string, string>>;
}

export type LinkKind = 'station-uplink' | 'cellular';

export interface FleetLink {
  readonly id: string;
  readonly kind: LinkKind;
  /** Link profile at the start (a vehicle's follows its route afterwards: see cellAt). */
  readonly profile: string;
  /** Nodes behind it, sorted. */
  readonly nodes: readonly string[];
  readonly station: string | undefined;
  readonly vehicle: string | undefined;
}

export interface FleetStation {
  readonly name: string;
  readonly province: string;
  readonly region: string;
  readonly uplink: string;
  readonly gates: readonly string[];
  readonly servers: readonly string[];
}

export interface RouteLegAt {
  readonly cell: string;
  readonly profile: string;
  /** Offset of the leg's start within one pass of the route. */
  readonly startMs: number;
  readonly forMs: number;
}

export interface VehicleRoute {
  readonly name: string;
  readonly loop: boolean;
  /** Length of one pass. */
  readonly periodMs: number;
  /** At t = 0 the vehicle is this far into its route (whole seconds). */
  readonly phaseMs: number;
  readonly legs: readonly RouteLegAt[];
}

export interface FleetVehicle {
  readonly name: string;
  readonly group: string;
  readonly link: string;
  readonly route: VehicleRoute;
}

export interface Fleet {
  readonly seed: number;
  /** Sorted by name. */
  readonly nodes: readonly FleetNode[];
  /** Sorted by id. */
  readonly links: readonly FleetLink[];
  readonly stations: readonly FleetStation[];
  /** Sorted by name. */
  readonly vehicles: readonly FleetVehicle[];
  readonly nodeByName: ReadonlyMap<string, FleetNode>;
  readonly linkById: ReadonlyMap<string, FleetLink>;
  readonly vehicleByName: ReadonlyMap<string, FleetVehicle>;
  /** Every value each label key takes somewhere in the fleet (selector validation). */
  readonly labelValues: ReadonlyMap<string, ReadonlySet<string>>;
}

/** What the topology needs of a scenario (a loaded Scenario satisfies it). */
export interface TopologyInput {
  readonly fleet: FleetSpec;
  readonly links: LinksSpec;
  readonly hardwareProfiles: ReadonlyMap<string, HardwareInfo>;
}

export const stationUplinkId = (station: string): string => `uplink-${station}`;
export const cellularLinkId = (vehicle: string): string => `cellular-${vehicle}`;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const widthFor = (count: number, min: number): number => Math.max(min, String(count).length);

/**
 * Exact counts for a mix: floor of each share, the remainder to the largest fractions (ties: first listed).
 * 3 gates at 70/30 → 2 and 1; 3000 gates → 2100 and 900.
 */
export function apportion(total: number, shares: readonly Share[]): number[] {
  const raw = shares.map((s) => (total * s.percent) / 100);
  const counts = raw.map((r) => Math.floor(r + 1e-9));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r + 1e-9) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0 && order.length > 0; k = (k + 1) % order.length, left--) {
    const slot = order[k];
    if (slot !== undefined) counts[slot.i] = (counts[slot.i] ?? 0) + 1;
  }
  return counts;
}

/** Fisher–Yates with a seeded Random (in place). */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/** `total` picks from a mix in seeded order with exact shares. */
function deal(total: number, shares: readonly Share[], random: Random): string[] {
  const counts = apportion(total, shares);
  const out: string[] = [];
  shares.forEach((s, i) => {
    for (let k = 0; k < (counts[i] ?? 0); k++) out.push(s.name);
  });
  return shuffle(out, random);
}

/** Build the fleet. Pure: same input and seed, same fleet (deep-equal). */
export function buildFleet(input: TopologyInput, seed: number): Fleet {
  const { fleet, links } = input;
  const root = seededRandom(seed >>> 0);
  const nodes: FleetNode[] = [];
  const fleetLinks: FleetLink[] = [];
  const stations: FleetStation[] = [];
  const vehicles: FleetVehicle[] = [];

  const hardwareOf = (name: string, where: string): HardwareInfo => {
    const hw = input.hardwareProfiles.get(name);
    if (hw === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `unknown hardware profile "${name}"`, { where, fix: `use one of ${[...input.hardwareProfiles.keys()].join(', ')}` });
    return hw;
  };

  // ---- toll stations: provinces → stations → gates (+ station servers) ----
  const gateCount = fleet.provinces.reduce((n, p) => n + p.stations * p.gatesPerStation, 0);
  const serverCount = fleet.provinces.reduce((n, p) => n + p.stations * p.serversPerStation, 0);
  const gateHw = gateCount > 0 ? deal(gateCount, fleet.gateHardware, root.fork('fleet/gate-hardware')) : [];
  const serverHw = serverCount > 0 ? deal(serverCount, fleet.serverHardware, root.fork('fleet/server-hardware')) : [];
  let gateIdx = 0;
  let serverIdx = 0;
  for (const p of fleet.provinces) {
    const sw = widthFor(p.stations, 3);
    const gw = widthFor(p.gatesPerStation, 2);
    for (let s = 1; s <= p.stations; s++) {
      const station = `${p.name}-s${pad(s, sw)}`;
      const uplink = stationUplinkId(station);
      const gates: string[] = [];
      const servers: string[] = [];
      const common = (hwName: string, role: NodeRole, name: string, extra: Record<string, string>): FleetNode => {
        const hw = hardwareOf(hwName, p.where);
        const labels: Record<string, string> = {
          ...hw.labels,
          ...p.labels,
          [fleetLabel.hostname]: name,
          [fleetLabel.arch]: hw.arch,
          [fleetLabel.role]: role,
          [fleetLabel.region]: p.region,
          [fleetLabel.topologyRegion]: p.region,
          [fleetLabel.province]: p.name,
          [fleetLabel.topologyZone]: p.name,
          [fleetLabel.station]: station,
          [fleetLabel.hardware]: hw.name,
          [fleetLabel.link]: uplink,
          ...extra,
        };
        return { name, role, hardware: hw.name, arch: hw.arch, region: p.region, province: p.name, station, group: undefined, link: uplink, labels };
      };
      for (let g = 1; g <= p.gatesPerStation; g++) {
        const gate = `g${pad(g, gw)}`;
        const name = `${station}-${gate}`;
        nodes.push(common(gateHw[gateIdx++] ?? '', 'gate', name, { [fleetLabel.gate]: gate }));
        gates.push(name);
      }
      for (let k = 1; k <= p.serversPerStation; k++) {
        const name = `${station}-srv${k}`;
        nodes.push(common(serverHw[serverIdx++] ?? '', 'server', name, {}));
        servers.push(name);
      }
      stations.push({ name: station, province: p.name, region: p.region, uplink, gates, servers });
      fleetLinks.push({ id: uplink, kind: 'station-uplink', profile: p.uplink, nodes: [...gates, ...servers].sort(), station, vehicle: undefined });
    }
  }

  // ---- vehicles: groups, each vehicle on one route through coverage cells ----
  for (const g of fleet.vehicles) {
    const width = widthFor(g.count, 4);
    const groupRandom = root.fork(`fleet/vehicles/${g.group}`);
    const hwDeal = deal(g.count, g.hardware, groupRandom.fork('hardware'));
    const routeDeal = deal(g.count, g.routes.map((r) => ({ name: r.name, percent: r.percent })), groupRandom.fork('routes'));
    const routeByName = new Map(g.routes.map((r) => [r.name, resolveRoute(r, links.cells, g.where)]));
    for (let i = 1; i <= g.count; i++) {
      const name = `${g.group}-${pad(i, width)}`;
      const hw = hardwareOf(hwDeal[i - 1] ?? '', g.where);
      const base = routeByName.get(routeDeal[i - 1] ?? '');
      if (base === undefined) throw new EdgeproofError('E_INTERNAL', `vehicle ${name} got no route`, { where: g.where });
      const phaseMs = g.phase === 'aligned' ? 0 : groupRandom.fork(`phase/${name}`).int(0, Math.max(0, Math.ceil(base.periodMs / 1000) - 1)) * 1000;
      const route: VehicleRoute = { ...base, phaseMs };
      const link = cellularLinkId(name);
      const start = cellAt(route, 0);
      nodes.push({
        name,
        role: 'vehicle',
        hardware: hw.name,
        arch: hw.arch,
        region: g.region,
        province: undefined,
        station: undefined,
        group: g.group,
        link,
        labels: {
          ...hw.labels,
          ...g.labels,
          [fleetLabel.hostname]: name,
          [fleetLabel.arch]: hw.arch,
          [fleetLabel.role]: 'vehicle',
          [fleetLabel.region]: g.region,
          [fleetLabel.topologyRegion]: g.region,
          [fleetLabel.group]: g.group,
          [fleetLabel.route]: route.name,
          [fleetLabel.hardware]: hw.name,
          [fleetLabel.link]: link,
        },
      });
      vehicles.push({ name, group: g.group, link, route });
      fleetLinks.push({ id: link, kind: 'cellular', profile: start.profile, nodes: [name], station: undefined, vehicle: name });
    }
  }

  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  nodes.sort(byName);
  vehicles.sort(byName);
  stations.sort(byName);
  fleetLinks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const nodeByName = new Map<string, FleetNode>();
  const labelValues = new Map<string, Set<string>>();
  for (const n of nodes) {
    if (nodeByName.has(n.name)) {
      throw new EdgeproofError('E_BAD_SCENARIO', `two nodes would both be named "${n.name}"`, { where: 'fleet', fix: 'give provinces and vehicle groups distinct names' });
    }
    nodeByName.set(n.name, n);
    for (const [k, v] of Object.entries(n.labels)) {
      let set = labelValues.get(k);
      if (set === undefined) labelValues.set(k, (set = new Set()));
      set.add(v);
    }
  }
  return {
    seed: seed >>> 0,
    nodes,
    links: fleetLinks,
    stations,
    vehicles,
    nodeByName,
    linkById: new Map(fleetLinks.map((l) => [l.id, l])),
    vehicleByName: new Map(vehicles.map((v) => [v.name, v])),
    labelValues,
  };
}

function resolveRoute(r: RouteSpec, cells: ReadonlyMap<string, string>, where: string): Omit<VehicleRoute, 'phaseMs'> {
  let start = 0;
  const legs = r.legs.map((leg) => {
    const profile = cells.get(leg.cell);
    if (profile === undefined) throw new EdgeproofError('E_BAD_SCENARIO', `route ${r.name}: unknown cell "${leg.cell}"`, { where, fix: 'declare the cell under links.cells' });
    const out: RouteLegAt = { cell: leg.cell, profile, startMs: start, forMs: leg.forMs };
    start += leg.forMs;
    return out;
  });
  return { name: r.name, loop: r.loop, periodMs: start, legs };
}

export interface CellAt {
  readonly cell: string;
  readonly profile: string;
  readonly leg: number;
  /** Time (ms from the start of the run) at which this leg ends; Infinity once a non-looping route is done. */
  readonly untilMs: number;
}

/** Where a vehicle on `route` is at `tMs` (ms from the start of the run). */
export function cellAt(route: VehicleRoute, tMs: number): CellAt {
  const pos = tMs + route.phaseMs;
  const last = route.legs.length - 1;
  if (!route.loop && pos >= route.periodMs) {
    const leg = route.legs[last] as RouteLegAt;
    return { cell: leg.cell, profile: leg.profile, leg: last, untilMs: Infinity };
  }
  const within = route.loop ? ((pos % route.periodMs) + route.periodMs) % route.periodMs : pos;
  const passStart = pos - within;
  let i = 0;
  while (i < last && within >= (route.legs[i + 1] as RouteLegAt).startMs) i++;
  const leg = route.legs[i] as RouteLegAt;
  const end = leg.startMs + leg.forMs;
  const untilMs = !route.loop && i === last ? Infinity : passStart + end - route.phaseMs;
  return { cell: leg.cell, profile: leg.profile, leg: i, untilMs };
}

export interface CellSegment {
  readonly fromMs: number;
  /** Exclusive; Infinity when the vehicle stays in the cell for good. */
  readonly toMs: number;
  readonly cell: string;
  readonly profile: string;
}

/**
 * The vehicle's route between fromMs and toMs as a time series of cells; consecutive legs in the same cell
 * are merged. The first segment starts at fromMs, the last may end after toMs.
 */
export function routeSegments(route: VehicleRoute, fromMs: number, toMs: number): CellSegment[] {
  const out: CellSegment[] = [];
  let t = fromMs;
  for (;;) {
    const here = cellAt(route, t);
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.cell === here.cell) out[out.length - 1] = { ...prev, toMs: here.untilMs };
    else out.push({ fromMs: t, toMs: here.untilMs, cell: here.cell, profile: here.profile });
    if (here.untilMs >= toMs || !Number.isFinite(here.untilMs)) return out;
    t = here.untilMs;
  }
}

export interface FleetSummary {
  readonly nodes: number;
  readonly byRole: Readonly<Record<string, number>>;
  readonly byHardware: Readonly<Record<string, number>>;
  readonly byArch: Readonly<Record<string, number>>;
  readonly stations: number;
  readonly links: number;
  readonly vehicles: number;
}

/** Counts for progress lines and reports ("3,000 nodes: 2,100 arm-gate-4c-1g, 900 x86-ipc-8c-16g"). */
export function summarizeFleet(fleet: Fleet): FleetSummary {
  const count = (key: (n: FleetNode) => string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const n of fleet.nodes) out[key(n)] = (out[key(n)] ?? 0) + 1;
    return out;
  };
  return {
    nodes: fleet.nodes.length,
    byRole: count((n) => n.role),
    byHardware: count((n) => n.hardware),
    byArch: count((n) => n.arch),
    stations: fleet.stations.length,
    links: fleet.links.length,
    vehicles: fleet.vehicles.length,
  };
}
