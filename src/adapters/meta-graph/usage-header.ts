import { z } from 'zod';
import type { BusinessUseCaseUsage } from '../../domain/meta';

/**
 * `X-Business-Use-Case-Usage` (docs/meta-graph.md "Rate limits"): JSON keyed by business
 * object id (the WABA for WhatsApp management calls), each a list of
 * `{ type, call_count, total_cputime, total_time, estimated_time_to_regain_access }`.
 * The first three are percentages of the limit, the last is minutes (0 = not blocked).
 *
 * Parsing is lenient: a header we cannot read yields no entries rather than failing the call
 * whose answer it came with, and numbers sent as strings are accepted.
 */
export const USAGE_HEADER = 'x-business-use-case-usage';

const lenientNumber = z.preprocess((value) => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : 0;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return 0;
}, z.number());

const entrySchema = z.looseObject({
  type: z.string().catch('unknown'),
  call_count: lenientNumber,
  total_cputime: lenientNumber,
  total_time: lenientNumber,
  estimated_time_to_regain_access: lenientNumber,
});

const headerSchema = z.record(z.string(), z.array(z.unknown()));

export function parseBusinessUseCaseUsage(header: string | null | undefined): BusinessUseCaseUsage[] {
  if (!header) return [];
  let json: unknown;
  try {
    json = JSON.parse(header);
  } catch {
    return [];
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) return [];
  const usage: BusinessUseCaseUsage[] = [];
  for (const [objectId, entries] of Object.entries(parsed.data)) {
    for (const raw of entries) {
      const entry = entrySchema.safeParse(raw);
      if (!entry.success) continue;
      usage.push({
        objectId,
        type: entry.data.type,
        callCount: entry.data.call_count,
        totalCpuTime: entry.data.total_cputime,
        totalTime: entry.data.total_time,
        estimatedTimeToRegainAccess: entry.data.estimated_time_to_regain_access,
      });
    }
  }
  return usage;
}

/**
 * Seconds until access is regained: the largest `estimated_time_to_regain_access` (minutes) × 60,
 * or undefined when Meta gave none above zero (the caller then backs off on its own).
 */
export function retryAfterSecondsFromUsage(usage: readonly BusinessUseCaseUsage[]): number | undefined {
  const minutes = usage.reduce((max, entry) => Math.max(max, entry.estimatedTimeToRegainAccess), 0);
  return minutes > 0 ? Math.ceil(minutes * 60) : undefined;
}
