/**
 * The numbers a scenario promises, one group per guarantee area. Checkers read nothing else: every tolerance a
 * verdict depends on is here, and the bench records the bounds it ran with as a `bounds` journal entry so that
 * `edgeproof replay` / `report` can re-judge a history.jsonl on its own.
 *
 * All durations are milliseconds of the injected clock (the journal's `t`).
 */
export interface GuaranteeBounds {
  readonly sync: {
    /**
     * sync.converge, sync.no-lost-delete: how far an edge may lag the cloud at the deadline. A cloud change made
     * less than `lagMs` before the deadline may still be in flight, so an edge copy equal to any version the cloud
     * held during [deadline − lagMs, deadline] is accepted. KubeEdge's SyncController loops every 5 s.
     */
    readonly lagMs: number;
  };
  readonly autonomy: {
    /** autonomy.no-eviction: no pod of a partitioned node may be deleted or moved this soon after the partition began. */
    readonly evictionToleranceMs: number;
    /** autonomy.restart-offline: an edge restarted while offline must have its pods running again this soon. */
    readonly restoreMs: number;
    /** autonomy.keep-running: a device request during a partition must be answered this soon. */
    readonly deviceAnswerMs: number;
  };
  readonly twin: {
    /** twin.converge: like sync.lagMs, for desired values (cloud → register) and reported values (register → cloud). */
    readonly lagMs: number;
  };
  readonly status: {
    /** status.fresh: the node status report period (edged nodeStatusUpdateFrequency, 10 s by default) … */
    readonly periodMs: number;
    /** … plus this slack is the oldest a connected node's Ready=True may be in the cloud. */
    readonly slackMs: number;
  };
  readonly storm: {
    /** storm.recover: every node of a churn wave must be Ready in the cloud this soon after the wave returns. */
    readonly recoverMs: number;
    /** storm.recover: CloudCore RSS ceiling during a wave (until recoverMs after its return). Absent: not checked. */
    readonly rssBudgetBytes?: number;
  };
  readonly app: {
    /** app.hot-update: a vehicle covered (online) for this long in total after a rollout must run the new version. */
    readonly hotUpdateMs: number;
  };
}

/**
 * Defaults taken from upstream behaviour (kubeedge-protocol.md): SyncController 5 s loop (×2), default
 * NoExecute toleration 300 s, edged status every 10 s, README §6's 120 s resync for a 50 % churn.
 */
export const defaultBounds: GuaranteeBounds = {
  sync: { lagMs: 10_000 },
  autonomy: { evictionToleranceMs: 300_000, restoreMs: 60_000, deviceAnswerMs: 5_000 },
  twin: { lagMs: 10_000 },
  status: { periodMs: 10_000, slackMs: 10_000 },
  storm: { recoverMs: 120_000 },
  app: { hotUpdateMs: 120_000 },
};

/** Why `value` is not a GuaranteeBounds, or undefined when it is one (used by the journal reader and runCheckers). */
export function boundsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'bounds must be an object';
  const groups: Record<string, readonly string[]> = {
    sync: ['lagMs'],
    autonomy: ['evictionToleranceMs', 'restoreMs', 'deviceAnswerMs'],
    twin: ['lagMs'],
    status: ['periodMs', 'slackMs'],
    storm: ['recoverMs'],
    app: ['hotUpdateMs'],
  };
  const v = value as Record<string, unknown>;
  for (const [group, keys] of Object.entries(groups)) {
    const g = v[group];
    if (typeof g !== 'object' || g === null) return `bounds.${group} missing`;
    const gv = g as Record<string, unknown>;
    for (const k of keys) {
      const n = gv[k];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return `bounds.${group}.${k} must be a finite number ≥ 0`;
    }
  }
  const storm = v['storm'] as Record<string, unknown>;
  const budget = storm['rssBudgetBytes'];
  if (budget !== undefined && (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0)) {
    return 'bounds.storm.rssBudgetBytes must be a finite number ≥ 0 when present';
  }
  return undefined;
}
