/**
 * Six-field NCRONTAB (`sec min hour day month dow`), the timer-trigger format of Azure Functions,
 * on top of croner. What is ours is the dialect, chosen to match NCrontab (the library the Functions
 * host uses) so a schedule that runs here also runs in Azure:
 * - exactly six fields; `5/20` style steps are allowed (NCrontab reads them as `5-59/20`);
 * - day-of-month AND day-of-week must both match (Vixie cron ORs them when both are restricted);
 * - croner's extensions that NCrontab refuses (`L`, `W`, `#`, `?`) are refused here too;
 * - times are evaluated in UTC, the Functions host's default when WEBSITE_TIME_ZONE is unset.
 */
import { Cron } from 'croner';

export class NcrontabError extends Error {
  override readonly name = 'NcrontabError';
}

export interface NcrontabSchedule {
  readonly expression: string;
  readonly cron: Cron;
}

/** What a field may hold once month and day names are set aside: NCrontab's syntax, no extensions. */
const NCRONTAB_FIELD = /^[0-9*,\-/]+$/;

export function parseNcrontab(expression: string): NcrontabSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 || fields[0] === '') {
    throw new NcrontabError(`"${expression}": expected 6 fields (second minute hour day month day-of-week), got ${fields[0] === '' ? 0 : fields.length}`);
  }
  for (const field of fields) {
    if (!NCRONTAB_FIELD.test(field.replace(/[A-Z]{3}/gi, '0'))) {
      throw new NcrontabError(`"${expression}": "${field}" uses a cron extension the Functions host does not accept`);
    }
  }
  try {
    const cron = new Cron(fields.join(' '), { mode: '6-part', timezone: 'Etc/UTC', domAndDow: true, sloppyRanges: true, paused: true });
    return { expression, cron };
  } catch (error) {
    throw new NcrontabError(`"${expression}": ${error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error)}`);
  }
}

/** Whether the schedule fires in the second `date` falls in. */
export const matches = (schedule: NcrontabSchedule, date: Date): boolean => schedule.cron.match(date);

/** The first occurrence strictly after `after`. */
export function nextOccurrence(schedule: NcrontabSchedule, after: Date): Date {
  const next = schedule.cron.nextRun(after);
  if (next === null) throw new NcrontabError(`"${schedule.expression}" never fires`);
  return next;
}
