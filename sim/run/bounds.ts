import { defaultBounds, type GuaranteeBounds } from '../evidence/bounds.ts';
import type { GuaranteeId as EvidenceGuaranteeId } from '../evidence/verdict.ts';
import type { Scenario } from '../scenario/types.ts';

/** The scenario's guarantees section, as the bounds the checkers judge with. */
export function evidenceBounds(scenario: Scenario): GuaranteeBounds {
  const g = scenario.guarantees;
  return {
    sync: { lagMs: g['sync.converge']?.lagMs ?? g['sync.no-lost-delete']?.lagMs ?? defaultBounds.sync.lagMs },
    autonomy: {
      evictionToleranceMs: g['autonomy.no-eviction']?.toleranceMs ?? defaultBounds.autonomy.evictionToleranceMs,
      restoreMs: g['autonomy.restart-offline']?.withinMs ?? defaultBounds.autonomy.restoreMs,
      deviceAnswerMs: g['autonomy.keep-running']?.deviceAnswerMs ?? defaultBounds.autonomy.deviceAnswerMs,
    },
    twin: { lagMs: g['twin.converge']?.lagMs ?? defaultBounds.twin.lagMs },
    status: { periodMs: scenario.fleet.edge.nodeStatusPeriodMs, slackMs: g['status.fresh']?.slackMs ?? defaultBounds.status.slackMs },
    storm: {
      recoverMs: g['storm.recover']?.withinMs ?? defaultBounds.storm.recoverMs,
      ...(g['storm.recover']?.cloudMemoryBytes !== undefined ? { rssBudgetBytes: g['storm.recover'].cloudMemoryBytes } : {}),
    },
    app: { hotUpdateMs: g['app.hot-update']?.withinMs ?? defaultBounds.app.hotUpdateMs },
  };
}

/** The guarantee ids the scenario asserts (the checkers judge only these). */
export function assertedGuarantees(scenario: Scenario): EvidenceGuaranteeId[] {
  return Object.keys(scenario.guarantees) as EvidenceGuaranteeId[];
}

/** How long after the last heal the edges get to converge before the deadline. */
export function convergeWithinMs(scenario: Scenario): number {
  return Math.max(scenario.guarantees['sync.converge']?.withinMs ?? 60_000, scenario.guarantees['sync.no-lost-delete']?.withinMs ?? 0, scenario.guarantees['twin.converge']?.withinMs ?? 0);
}
