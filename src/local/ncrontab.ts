/**
 * Six-field NCRONTAB (`sec min hour day month dow`), the timer-trigger format of Azure Functions.
 *
 * Semantics follow NCrontab, the library the Functions host uses, rather than Vixie cron:
 * - day-of-month AND day-of-week must both match (Vixie cron ORs them when both are restricted);
 * - times are evaluated in UTC, the Functions host's default when WEBSITE_TIME_ZONE is unset.
 */

export interface NcrontabSchedule {
  readonly expression: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday; 7 in the expression is folded into 0. */
  readonly daysOfWeek: ReadonlySet<number>;
}

export class NcrontabError extends Error {
  override readonly name = 'NcrontabError';
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Index of names[0]: months are named from 1, days of the week from 0. */
  namesFrom?: number;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

function parseValue(text: string, field: FieldSpec, expression: string): number {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (field.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) {
    throw new NcrontabError(`Invalid NCRONTAB "${expression}": "${text}" is not a valid ${field.name}`);
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    throw new NcrontabError(`Invalid NCRONTAB "${expression}": ${field.name} ${value} is outside ${field.min}-${field.max}`);
  }
  return value;
}

function parseField(text: string, field: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw new NcrontabError(`Invalid NCRONTAB "${expression}": empty list item in the ${field.name} field`);
    const [rangeText, stepText, extra] = part.split('/');
    if (extra !== undefined || rangeText === undefined || rangeText === '') {
      throw new NcrontabError(`Invalid NCRONTAB "${expression}": "${part}" is not a valid ${field.name}`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new NcrontabError(`Invalid NCRONTAB "${expression}": step "${stepText}" in the ${field.name} field must be a positive integer`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === '*') {
      from = field.min;
      to = field.max;
    } else if (rangeText.includes('-')) {
      const [fromText, toText, more] = rangeText.split('-');
      if (more !== undefined || fromText === undefined || toText === undefined) {
        throw new NcrontabError(`Invalid NCRONTAB "${expression}": "${rangeText}" is not a valid ${field.name} range`);
      }
      from = parseValue(fromText, field, expression);
      to = parseValue(toText, field, expression);
      if (from > to) {
        throw new NcrontabError(`Invalid NCRONTAB "${expression}": ${field.name} range ${rangeText} runs backwards`);
      }
    } else {
      from = parseValue(rangeText, field, expression);
      // `5/10` means "from 5 to the end, every 10" (as in NCrontab and Quartz); a lone `5` is just 5.
      to = stepText === undefined ? from : field.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/** Parses a six-field NCRONTAB expression; throws NcrontabError naming the offending field. */
export function parseNcrontab(expression: string): NcrontabSchedule {
  const fields = expression.trim().split(/\s+/).filter((field) => field !== '');
  if (fields.length !== 6) {
    throw new NcrontabError(
      `Invalid NCRONTAB "${expression}": expected 6 fields (second minute hour day month day-of-week), got ${fields.length}`,
    );
  }
  const sets = fields.map((text, index) => parseField(text, FIELDS[index] as FieldSpec, expression));
  const daysOfWeek = sets[5] as Set<number>;
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  return {
    expression,
    seconds: sets[0] as Set<number>,
    minutes: sets[1] as Set<number>,
    hours: sets[2] as Set<number>,
    days: sets[3] as Set<number>,
    months: sets[4] as Set<number>,
    daysOfWeek,
  };
}

const dayMatches = (schedule: NcrontabSchedule, date: Date): boolean =>
  schedule.months.has(date.getUTCMonth() + 1) && schedule.days.has(date.getUTCDate()) && schedule.daysOfWeek.has(date.getUTCDay());

/** True when the schedule fires in the (UTC) second that contains `date`. */
export function matches(schedule: NcrontabSchedule, date: Date): boolean {
  return (
    dayMatches(schedule, date) &&
    schedule.hours.has(date.getUTCHours()) &&
    schedule.minutes.has(date.getUTCMinutes()) &&
    schedule.seconds.has(date.getUTCSeconds())
  );
}

/**
 * Long enough for the rarest satisfiable schedule: Feb 29 on a given weekday recurs within 28 years
 * (40 covers the 2100 non-leap year); anything beyond that never fires.
 */
const SEARCH_YEARS = 40;

/** The first second strictly after `after` at which the schedule fires. */
export function nextOccurrence(schedule: NcrontabSchedule, after: Date): Date {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = Date.UTC(t.getUTCFullYear() + SEARCH_YEARS, 0, 1);
  // Jump by the coarsest unit that does not match, so the loop runs at most a few times per day searched.
  while (t.getTime() < limit) {
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setTime(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
    } else if (!dayMatches(schedule, t)) {
      t.setTime(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1));
    } else if (!schedule.hours.has(t.getUTCHours())) {
      t.setTime(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours() + 1));
    } else if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setTime(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes() + 1));
    } else if (!schedule.seconds.has(t.getUTCSeconds())) {
      t.setTime(t.getTime() + 1000);
    } else {
      return t;
    }
  }
  throw new NcrontabError(`NCRONTAB "${schedule.expression}" never fires (no occurrence within ${SEARCH_YEARS} years)`);
}
