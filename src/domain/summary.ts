import type { RegistrationSummary } from './ports';
import { ACCOUNT_STATUSES, STAGES, type AccountStatus, type Stage } from './stages';

/** Every status and stage at zero, so a summary always names all of them. */
export function emptySummary(): RegistrationSummary {
  return {
    byStatus: Object.fromEntries(ACCOUNT_STATUSES.map((status) => [status, 0])) as Record<AccountStatus, number>,
    byStage: Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>,
    total: 0,
  };
}

/** Adds one registration; values that are not a known stage or status count in the total only. */
export function countInto(summary: RegistrationSummary, stage: unknown, status: unknown, count = 1): void {
  summary.total += count;
  if ((STAGES as readonly unknown[]).includes(stage)) summary.byStage[stage as Stage] += count;
  if ((ACCOUNT_STATUSES as readonly unknown[]).includes(status)) summary.byStatus[status as AccountStatus] += count;
}
