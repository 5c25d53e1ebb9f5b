/**
 * The guarantees a scenario may assert (README §4) and the bounds each takes, with their defaults. The
 * loader reads `guarantees:` against this table; scenarios/schema.json lists the same ids and parameters
 * (a test keeps the two in step).
 */
import type { GuaranteeBounds, GuaranteeId } from './types.ts';

export type BoundUnit = 'duration' | 'size';

export interface BoundSpec {
  /** Field name in the loaded bounds (withinMs, cloudMemoryBytes, …). */
  readonly field: string;
  readonly unit: BoundUnit;
  /** Default as written in a scenario. */
  readonly default: string;
  readonly description: string;
}

export interface GuaranteeSpec {
  readonly id: GuaranteeId;
  readonly summary: string;
  /** Parameter name in the scenario file → its spec. */
  readonly bounds: Readonly<Record<string, BoundSpec>>;
}

const within = (dflt: string, what: string): BoundSpec => ({ field: 'withinMs', unit: 'duration', default: dflt, description: what });
/** The checkers' in-flight allowance (sim/evidence/bounds.ts: SyncController loops every 5 s, ×2). */
const lagBound = (what: string): BoundSpec => ({ field: 'lagMs', unit: 'duration', default: '10s', description: what });

export const guaranteeSpecs: Readonly<Record<GuaranteeId, GuaranteeSpec>> = {
  'sync.converge': {
    id: 'sync.converge',
    summary: "after faults heal, every edge's local copy of every object it should hold equals the cloud's",
    bounds: {
      within: within('60s', 'deadline after the last heal by which every edge has converged'),
      lag: lagBound('how far behind the cloud an edge copy may be at the deadline (a change made this shortly before may still be in flight)'),
    },
  },
  'sync.monotonic': { id: 'sync.monotonic', summary: 'an edge never applies an older version of an object after a newer one', bounds: {} },
  'sync.no-lost-delete': {
    id: 'sync.no-lost-delete',
    summary: 'an object deleted while an edge was offline is gone from it after reconnect',
    bounds: {
      within: within('60s', 'deadline after reconnect by which the delete has reached the edge'),
      lag: lagBound('how far behind the cloud an edge copy may be at the deadline'),
    },
  },
  'autonomy.keep-running': {
    id: 'autonomy.keep-running',
    summary: 'a partitioned edge keeps its pods running and its devices served',
    bounds: { deviceAnswer: { field: 'deviceAnswerMs', unit: 'duration', default: '5s', description: 'a device request during a partition must be answered this soon' } },
  },
  'autonomy.restart-offline': {
    id: 'autonomy.restart-offline',
    summary: 'an edge restarted while offline restores its pods from local state alone',
    bounds: { within: within('60s', 'how long after the offline restart its pods must run again') },
  },
  'autonomy.no-eviction': {
    id: 'autonomy.no-eviction',
    summary: 'the cloud does not evict or reschedule pods of a partitioned edge within the tolerance',
    bounds: { tolerance: { field: 'toleranceMs', unit: 'duration', default: '300s', description: 'no eviction may happen earlier than this after the partition starts' } },
  },
  'twin.converge': {
    id: 'twin.converge',
    summary: 'desired device properties reach the device register; reported values reach the cloud',
    bounds: {
      within: within('30s', 'deadline for desired and reported values to agree'),
      lag: lagBound('how far behind a desired or reported value may be at the deadline'),
    },
  },
  'status.fresh': {
    id: 'status.fresh',
    summary: "a connected node's status in the cloud is no older than its report period plus slack",
    bounds: { slack: { field: 'slackMs', unit: 'duration', default: '20s', description: 'allowed age beyond the node status report period' } },
  },
  'storm.recover': {
    id: 'storm.recover',
    summary: 'after mass churn every node is Ready again within the bound, cloud memory within its budget',
    bounds: {
      within: within('120s', 'deadline after the churn for every node to be Ready again'),
      cloudMemory: { field: 'cloudMemoryBytes', unit: 'size', default: '4Gi', description: 'peak resident memory the cloud (CloudCore) may use' },
    },
  },
  'app.hot-update': {
    id: 'app.hot-update',
    summary: 'a rolling app update reaches every vehicle once covered, the old version never stopping before the new one runs',
    bounds: { within: within('5m', 'deadline after the rollout (and the vehicle being covered) for the new version to run') },
  },
};

export const guaranteeIds = Object.keys(guaranteeSpecs) as GuaranteeId[];

export function isGuaranteeId(id: string): id is GuaranteeId {
  return Object.hasOwn(guaranteeSpecs, id);
}

/** Type helper: the bounds of one guarantee, as the loader builds them. */
export type BoundsOf<K extends GuaranteeId> = GuaranteeBounds[K];
