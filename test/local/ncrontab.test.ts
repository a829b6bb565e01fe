import { matches, NcrontabError, nextOccurrence, parseNcrontab } from '../../src/local/ncrontab';

const at = (iso: string): Date => new Date(iso);
const next = (expression: string, after: string): string => nextOccurrence(parseNcrontab(expression), at(after)).toISOString();

describe('parseNcrontab', () => {
  it('expands *, steps, ranges, ranged steps, lists and names', () => {
    const schedule = parseNcrontab('5/20 */15 1-10/3 1,15 JAN,jul-Aug MON-FRI');
    expect([...schedule.seconds]).toEqual([5, 25, 45]);
    expect([...schedule.minutes]).toEqual([0, 15, 30, 45]);
    expect([...schedule.hours]).toEqual([1, 4, 7, 10]);
    expect([...schedule.days]).toEqual([1, 15]);
    expect([...schedule.months]).toEqual([1, 7, 8]);
    expect([...schedule.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads 7 as Sunday, like 0', () => {
    expect([...parseNcrontab('0 0 0 * * 7').daysOfWeek]).toEqual([0]);
    expect([...parseNcrontab('0 0 0 * * 5-7').daysOfWeek].sort()).toEqual([0, 5, 6]);
  });

  it('tolerates surrounding and repeated whitespace', () => {
    expect([...parseNcrontab('  0   */30 * * * *  ').minutes]).toEqual([0, 30]);
  });

  it.each([
    ['', /expected 6 fields/],
    ['0 */15 * * *', /expected 6 fields .*got 5/],
    ['0 0 */15 * * * *', /expected 6 fields .*got 7/],
    ['60 * * * * *', /second 60 is outside 0-59/],
    ['* 60 * * * *', /minute 60/],
    ['* * 24 * * *', /hour 24/],
    ['* * * 0 * *', /day of month 0/],
    ['* * * 32 * *', /day of month 32/],
    ['* * * * 13 *', /month 13/],
    ['* * * * 0 *', /month 0/],
    ['* * * * * 8', /day of week 8/],
    ['*/0 * * * * *', /step "0"/],
    ['*/x * * * * *', /step "x"/],
    ['5-1 * * * * *', /runs backwards/],
    ['1,,2 * * * * *', /empty list item/],
    ['abc * * * * *', /"abc" is not a valid second/],
    ['1-2-3 * * * * *', /not a valid second range/],
    ['*/5/2 * * * * *', /not a valid second/],
    ['-1 * * * * *', /not a valid second/],
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
    'agrees with a second-by-second search for %j',
    (expression) => {
      const schedule = parseNcrontab(expression);
      let cursor = at('2026-11-02T09:30:17.250Z');
      for (let occurrence = 0; occurrence < 5; occurrence++) {
        const found = nextOccurrence(schedule, cursor);
        let brute = Math.floor(cursor.getTime() / 1000) * 1000 + 1000;
        while (!matches(schedule, new Date(brute))) brute += 1000;
        expect(found.toISOString()).toBe(new Date(brute).toISOString());
        cursor = found;
      }
    },
  );
});
