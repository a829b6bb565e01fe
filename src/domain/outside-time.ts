/**
 * Times that come from outside (event times, webhook times, delivery-report times) decide which
 * information is newer, so one bad value could pin a fact for ever (a `9999-12-31` revocation is
 * never "older" than anything). They are read here and nowhere else: a value that is not an ISO
 * 8601 date-time is malformed; one later than now plus a small clock skew is clamped to now.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

export type OutsideTime = { ok: true; iso: string; clamped: boolean } | { ok: false; reason: string };

/** `ms` since the epoch, clamped to `now` when it lies beyond the allowed skew. */
export function clampToNow(ms: number, now: Date): { iso: string; clamped: boolean } {
  if (ms > now.getTime() + CLOCK_SKEW_MS) return { iso: now.toISOString(), clamped: true };
  return { iso: new Date(ms).toISOString(), clamped: false };
}

export function readOutsideTime(value: unknown, now: Date): OutsideTime {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value.trim())) return { ok: false, reason: 'not an ISO 8601 date-time' };
  const ms = Date.parse(value.trim());
  if (Number.isNaN(ms)) return { ok: false, reason: 'not a valid date-time' };
  return { ok: true, ...clampToNow(ms, now) };
}
