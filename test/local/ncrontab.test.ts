import { matches, NcrontabError, nextOccurrence, parseNcrontab } from '../../src/local/ncrontab';

const at = (iso: string): Date => new Date(iso);
const next = (expression: string, after: string): string => nextOccurrence(parseNcrontab(expression), at(after)).toISOString();

describe('parseNcrontab', () => {
  it("reads *, steps (also NCrontab's 5/20), ranges, ranged steps, lists and names", () => {
    const schedule = parseNcrontab('5/20 */15 1-10/3 1,15 JAN,jul-Aug MON-FRI');
    // 2026-01-15 is a Thursday, 2026-07-01 a Wednesday.
    expect(matches(schedule, at('2026-01-15T04:30:25Z'))).toBe(true);
    expect(matches(schedule, at('2026-07-01T10:45:45Z'))).toBe(true);
    expect(matches(schedule, at('2026-01-15T04:30:26Z'))).toBe(false); // second 26
    expect(matches(schedule, at('2026-01-15T05:30:25Z'))).toBe(false); // hour 5
    expect(matches(schedule, at('2026-03-02T04:30:25Z'))).toBe(false); // March
    expect(matches(schedule, at('2026-08-15T04:30:25Z'))).toBe(false); // a Saturday
  });

  it('reads 7 as Sunday, like 0', () => {
    expect(matches(parseNcrontab('0 0 0 * * 7'), at('2026-11-08T00:00:00Z'))).toBe(true);
    expect(matches(parseNcrontab('0 0 0 * * 5-7'), at('2026-11-08T00:00:00Z'))).toBe(true);
    expect(matches(parseNcrontab('0 0 0 * * 5-7'), at('2026-11-09T00:00:00Z'))).toBe(false);
  });

  it('tolerates surrounding and repeated whitespace', () => {
    expect(matches(parseNcrontab('  0   */30 * * * *  '), at('2026-11-02T09:30:00Z'))).toBe(true);
  });

  it.each([
    ['', /expected 6 fields .*got 0/],
    ['0 */15 * * *', /expected 6 fields .*got 5/],
    ['0 0 */15 * * * *', /expected 6 fields .*got 7/],
    ['60 * * * * *', /second: 60/],
    ['* 60 * * * *', /minute: 60/],
    ['* * 24 * * *', /hour: 24/],
    ['* * * 32 * *', /day/],
    ['* * * * 13 *', /month/],
    ['* * * * * 8', /dayOfWeek/],
    ['*/0 * * * * *', /stepping: 0/],
    ['5-1 * * * * *', /larger than/],
    ['1,,2 * * * * *', /empty/],
    ['abc * * * * *', /illegal characters/],
    ['0 0 0 L * *', /extension/],
    ['0 0 0 15W * *', /extension/],
    ['0 0 0 * * 5#2', /extension/],
    ['0 0 0 ? * *', /extension/],
  ])('rejects %j', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(NcrontabError);
    expect(() => parseNcrontab(expression)).toThrow(message);
  });
});

describe('matches', () => {
  const every15 = parseNcrontab('0 */15 * * * *');

  it('matches the second of an occurrence, in UTC, ignoring milliseconds', () => {
    expect(matches(every15, at('2026-11-02T09:30:00.000Z'))).toBe(true);
    expect(matches(every15, at('2026-11-02T09:30:00.999Z'))).toBe(true);
    expect(matches(every15, at('2026-11-02T09:30:01.000Z'))).toBe(false);
    expect(matches(every15, at('2026-11-02T09:31:00.000Z'))).toBe(false);
  });

  it('requires day of month AND day of week (NCrontab), not either (Vixie cron)', () => {
    const fridayThe13th = parseNcrontab('0 0 0 13 * 5');
    expect(matches(fridayThe13th, at('2026-02-13T00:00:00Z'))).toBe(true); // a Friday
    expect(matches(fridayThe13th, at('2026-01-13T00:00:00Z'))).toBe(false); // a Tuesday
    expect(matches(fridayThe13th, at('2026-11-06T00:00:00Z'))).toBe(false); // a Friday, the 6th
  });

  it('matches Sunday written as 7', () => {
    expect(matches(parseNcrontab('0 0 12 * * 7'), at('2026-11-08T12:00:00Z'))).toBe(true);
  });
});

describe('nextOccurrence', () => {
  it('finds the next quarter hour, strictly after the given time', () => {
    expect(next('0 */15 * * * *', '2026-11-02T09:30:00.000Z')).toBe('2026-11-02T09:45:00.000Z');
    expect(next('0 */15 * * * *', '2026-11-02T09:44:59.999Z')).toBe('2026-11-02T09:45:00.000Z');
    expect(next('0 */15 * * * *', '2026-11-02T09:29:59.500Z')).toBe('2026-11-02T09:30:00.000Z');
  });

  it('rolls over the day, the month and the year', () => {
    expect(next('0 */15 * * * *', '2026-11-02T23:50:00Z')).toBe('2026-11-03T00:00:00.000Z');
    expect(next('0 0 0 1 * *', '2026-11-02T09:30:00Z')).toBe('2026-12-01T00:00:00.000Z');
    expect(next('30 15 10 1 JAN *', '2026-11-02T09:30:00Z')).toBe('2027-01-01T10:15:30.000Z');
  });

  it('steps seconds within a minute', () => {
    expect(next('*/10 * * * * *', '2026-11-02T09:30:05.500Z')).toBe('2026-11-02T09:30:10.000Z');
    expect(next('*/10 * * * * *', '2026-11-02T09:30:55Z')).toBe('2026-11-02T09:31:00.000Z');
  });

  it('skips to the next weekday', () => {
    // 2026-11-06 is a Friday.
    expect(next('0 0 9 * * 1-5', '2026-11-06T10:00:00Z')).toBe('2026-11-09T09:00:00.000Z');
  });

  it('finds a leap day years ahead and a rare day-and-weekday combination', () => {
    expect(next('0 0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 0 13 * FRI', '2026-01-01T00:00:00Z')).toBe('2026-02-13T00:00:00.000Z');
  });

  it('throws for a schedule that never fires', () => {
    expect(() => next('0 0 0 31 2 *', '2026-01-01T00:00:00Z')).toThrow(/never fires/);
  });

  it.each(['0 */15 * * * *', '*/7 * * * * *', '15,45 3-5 */6 * * *', '0 0 0 * * 0', '0 0 12 1-3 * *'])(
    'agrees with an exhaustive search (every second, or every minute when it fires on second 0) for %j',
    (expression) => {
      const schedule = parseNcrontab(expression);
      // Second by second; a schedule whose seconds field is 0 can only fire on a whole minute, so the
      // search for it visits whole minutes only (weeks of seconds took most of the suite's time).
      const step = expression.startsWith('0 ') ? 60_000 : 1000;
      let cursor = at('2026-11-02T09:30:17.250Z');
      for (let occurrence = 0; occurrence < 5; occurrence++) {
        const found = nextOccurrence(schedule, cursor);
        let brute = Math.floor(cursor.getTime() / step) * step + step;
        while (!matches(schedule, new Date(brute))) brute += step;
        expect(found.toISOString()).toBe(new Date(brute).toISOString());
        cursor = found;
      }
    },
  );
});
