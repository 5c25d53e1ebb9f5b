/**
 * What a run's warm-up waits for before the timeline starts (faults start on a running system).
 *
 * Only what can be ready: nodes whose link has coverage at t = 0, and the initial workloads on those nodes.
 * A vehicle whose route starts in a no-coverage cell (a tunnel) cannot reach the cloud until the timeline
 * moves it — its route clock starts with the timeline — so waiting for it could only end at the timeout. It
 * joins when its route reaches coverage, like a vehicle switched on in a tunnel, and whatever the guarantees
 * say about that is judged on the timeline as for any other node.
 *
 * Pure functions of the scenario and its topology, so the choice is testable without a stack.
 */
import { cellAt, type Fleet, type FleetNode, type VehicleRoute } from '../fleet/topology.ts';
import { alternativeMatches } from '../scenario/selector.ts';
import type { Scenario, WorkloadSpec } from '../scenario/types.ts';
import { workloadInstances } from '../scenario/workloads.ts';

export interface OutOfCoverage {
  readonly node: string;
  /** The link profile it starts with (no coverage). */
  readonly profile: string;
  /** The coverage cell, for a vehicle. */
  readonly cell: string | undefined;
  /** Timeline time (ms) its route first reaches a cell with coverage; Infinity if never (or not a vehicle). */
  readonly coveredAtMs: number;
}

export interface WarmupWorkload {
  readonly workload: WorkloadSpec;
  /** The object's name (see workloadInstances). */
  readonly instance: string;
  /** Nodes in coverage at t = 0 its pods can be placed on (DaemonSet: how many must be ready). */
  readonly reachableNodes: number;
}

export interface WarmupPlan {
  /** Nodes the warm-up waits to see connected, sorted. */
  readonly reachable: readonly string[];
  /** Nodes it does not wait for: their link has no coverage at t = 0. */
  readonly outOfCoverage: readonly OutOfCoverage[];
  /** Every initial (not deferred) workload instance, in file order. */
  readonly workloads: readonly WarmupWorkload[];
}

/** Whether a workload's pods may be placed on a node: its selector (the nodeSelector/affinity it becomes) and the arch pin. */
export function placesOn(w: Pick<WorkloadSpec, 'selector' | 'pinArch' | 'image'>, node: Pick<FleetNode, 'labels' | 'arch'>): boolean {
  const selected = w.selector.alternatives.some((alt) => alt.terms.length === 0 || alternativeMatches(alt, node));
  return selected && (!w.pinArch || w.image.arch.includes(node.arch));
}

/** When a vehicle on `route` first enters a cell with coverage (timeline ms), or Infinity. */
function firstCoverageMs(route: VehicleRoute, covered: (profile: string) => boolean): number {
  let t = 0;
  // one pass of the route visits every leg; a leg after that repeats one already seen
  for (let i = 0; i <= route.legs.length; i++) {
    const at = cellAt(route, t);
    if (covered(at.profile)) return t;
    if (!Number.isFinite(at.untilMs)) return Infinity;
    t = at.untilMs;
  }
  return Infinity;
}

export function warmupPlan(scenario: Pick<Scenario, 'workloads' | 'linkProfiles'>, fleet: Fleet): WarmupPlan {
  const covered = (profile: string): boolean => scenario.linkProfiles.get(profile)?.coverage !== false;
  const reachable: FleetNode[] = [];
  const outOfCoverage: OutOfCoverage[] = [];
  for (const n of fleet.nodes) {
    const profile = fleet.linkById.get(n.link)?.profile;
    // an unknown profile leaves the link unshaped (RunningFleet): reachable
    if (profile === undefined || covered(profile)) {
      reachable.push(n);
      continue;
    }
    const route = fleet.vehicleByName.get(n.name)?.route;
    outOfCoverage.push({ node: n.name, profile, cell: route !== undefined ? cellAt(route, 0).cell : undefined, coveredAtMs: route !== undefined ? firstCoverageMs(route, covered) : Infinity });
  }
  const workloads = scenario.workloads
    .filter((w) => !w.deferred)
    .flatMap((w) => {
      const reachableNodes = reachable.filter((n) => placesOn(w, n)).length;
      return workloadInstances(w).map((instance) => ({ workload: w, instance, reachableNodes }));
    });
  return { reachable: reachable.map((n) => n.name), outOfCoverage, workloads };
}

export interface WorkloadStatus {
  readonly replicas?: number;
  readonly readyReplicas?: number;
  readonly desiredNumberScheduled?: number;
  readonly numberReady?: number;
}

/**
 * Whether one workload instance is ready enough for the timeline to start. A DaemonSet must want at least
 * every reachable node it can run on (CloudCore labels a Node in a second call, so the controller's count
 * lags registration) and be ready on all it wants. A workload with no reachable node to run on cannot become
 * ready before the timeline: it is not waited for.
 */
export function workloadReady(w: WarmupWorkload, status: WorkloadStatus): boolean {
  if (w.reachableNodes === 0) return true;
  if (w.workload.kind === 'Deployment') return (status.readyReplicas ?? 0) >= (w.workload.replicas ?? 1);
  const desired = status.desiredNumberScheduled ?? 0;
  return desired >= w.reachableNodes && (status.numberReady ?? 0) >= desired;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** One progress line naming the nodes not waited for, or undefined when every node is in coverage. */
export function describeOutOfCoverage(plan: WarmupPlan, max = 6): string | undefined {
  const out = plan.outOfCoverage;
  if (out.length === 0) return undefined;
  const one = (o: OutOfCoverage): string => `${o.node} (${o.cell ?? o.profile}${Number.isFinite(o.coveredAtMs) ? ` until t+${seconds(o.coveredAtMs)}` : ', no coverage on its route'})`;
  const listed = out.slice(0, max).map(one).join(', ') + (out.length > max ? ` and ${out.length - max} more` : '');
  return `warm-up: ${out.length} node(s) start out of coverage and join when the timeline brings them into coverage: ${listed}`;
}
