import { cannotBeOrdered } from '../../src/domain/event-ordering';
import { exceedsJsonDepth } from '../../src/domain/json-depth';
import { CLOCK_SKEW_MS, readOutsideTime } from '../../src/domain/outside-time';

const NOW = new Date('2026-03-01T10:00:05.500Z');

describe('readOutsideTime', () => {
  it.each(['not-a-date', 'zzzz', '', '2026-03-01', '1700000000', '2026-13-45T99:99:99Z'])('calls %j malformed', (value) => {
    expect(readOutsideTime(value, NOW).ok).toBe(false);
  });

  it('reads ISO 8601 with offsets and up to 9 fractional digits', () => {
    expect(readOutsideTime('2026-03-01T09:00:00.1234567Z', NOW)).toEqual({ ok: true, iso: '2026-03-01T09:00:00.123Z', clamped: false });
    expect(readOutsideTime('2026-03-01T11:00:00+02:00', NOW)).toEqual({ ok: true, iso: '2026-03-01T09:00:00.000Z', clamped: false });
  });

  it('clamps a time beyond now plus the clock skew to now, and keeps one within it', () => {
    expect(readOutsideTime('9999-12-31T23:59:59Z', NOW)).toEqual({ ok: true, iso: NOW.toISOString(), clamped: true });
    const withinSkew = new Date(NOW.getTime() + CLOCK_SKEW_MS - 1000).toISOString();
    expect(readOutsideTime(withinSkew, NOW)).toEqual({ ok: true, iso: withinSkew, clamped: false });
  });
});

describe('exceedsJsonDepth', () => {
  const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  it('measures without recursion, up to and past the limit', () => {
    expect(exceedsJsonDepth(nested(64))).toBe(false);
    expect(exceedsJsonDepth(nested(65))).toBe(true);
    expect(exceedsJsonDepth(nested(100_000))).toBe(true);
    expect(exceedsJsonDepth('text')).toBe(false);
  });
});

describe('cannotBeOrdered', () => {
  const read = { displayName: { value: 'Pending' as const, at: '2026-03-01T10:00:05.423Z' } };
  it('holds for a whole-second event that contradicts a read later in the same second', () => {
    expect(cannotBeOrdered(read, { displayName: { value: 'Approved', at: '2026-03-01T10:00:05.000Z' } })).toBe(true);
  });
  it('does not hold when the seconds differ, the value agrees, or the event time has milliseconds', () => {
    expect(cannotBeOrdered(read, { displayName: { value: 'Approved', at: '2026-03-01T10:00:04.000Z' } })).toBe(false);
    expect(cannotBeOrdered(read, { displayName: { value: 'Approved', at: '2026-03-01T10:00:06.000Z' } })).toBe(false);
    expect(cannotBeOrdered(read, { displayName: { value: 'Pending', at: '2026-03-01T10:00:05.000Z' } })).toBe(false);
    expect(cannotBeOrdered(read, { displayName: { value: 'Approved', at: '2026-03-01T10:00:05.600Z' } })).toBe(false);
    expect(cannotBeOrdered({}, { displayName: { value: 'Approved', at: '2026-03-01T10:00:05.000Z' } })).toBe(false);
  });
});
