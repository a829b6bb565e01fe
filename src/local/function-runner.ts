/**
 * Runs the non-HTTP functions (timers and Event Grid) the way the Functions host does, whoever
 * asks: the timer clock, the Event Grid endpoint, the admin endpoint or a test. It also keeps the
 * runs it started, so that closing the host can wait for them.
 */
import type { Timer } from '@azure/functions';
import type { EventGridFunction, FunctionDefinition, TimerFunction } from '../functions/definitions';
import { EventPayloadError, parseEventGridPayload } from './event-grid-endpoint';
import { invoke, type LogLine } from './invocation';
import { nextOccurrence, parseNcrontab, type NcrontabSchedule } from './ncrontab';

export const MANUAL_REASON = 'This function was programmatically called via the host APIs.';

export interface TimerState {
  fn: TimerFunction;
  schedule: NcrontabSchedule;
  /** Runs queued or running; a scheduled tick is skipped while this is non-zero. */
  active: number;
  tail: Promise<void>;
  lastRun: Date;
}

class UnknownFunctionError extends Error {
  override readonly name = 'UnknownFunctionError';
}

export type FunctionRunner = ReturnType<typeof createFunctionRunner>;

/** Fails for two functions of one name, or a timer schedule that never fires, so that start-up fails. */
export function createFunctionRunner(functions: readonly FunctionDefinition[], log: LogLine, startedAt: Date) {
  const byName = new Map<string, FunctionDefinition>();
  for (const fn of functions) {
    const key = fn.name.toLowerCase();
    if (byName.has(key)) throw new Error(`Two functions are named "${fn.name}"`);
    byName.set(key, fn);
  }
  const timers = new Map<string, TimerState>();
  for (const fn of functions) {
    if (fn.kind !== 'timer') continue;
    const schedule = parseNcrontab(fn.schedule);
    nextOccurrence(schedule, startedAt);
    timers.set(fn.name.toLowerCase(), { fn, schedule, active: 0, tail: Promise.resolve(), lastRun: startedAt });
  }

  const background = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    background.add(settled);
    void settled.then(() => background.delete(settled));
    return promise;
  };

  const dispatchEvent = (fn: EventGridFunction, event: unknown, reason: string): Promise<void> =>
    invoke({ functionName: fn.name, triggerType: 'eventGridTrigger', log, reason }, (context) => fn.handler(event, context));

  // Runs of one timer queue behind each other, as the Functions host never overlaps them.
  const runTimer = (state: TimerState, reason: string): Promise<void> => {
    state.active++;
    const run = state.tail
      .catch(() => undefined)
      .then(() => {
        const now = new Date();
        const timer: Timer = {
          isPastDue: false,
          schedule: { adjustForDST: true },
          scheduleStatus: {
            last: state.lastRun.toISOString(),
            next: nextOccurrence(state.schedule, now).toISOString(),
            lastUpdated: now.toISOString(),
          },
        };
        state.lastRun = now;
        return invoke({ functionName: state.fn.name, triggerType: 'timerTrigger', log, reason }, (context) => state.fn.handler(timer, context));
      })
      .finally(() => {
        state.active--;
      });
    state.tail = run;
    return track(run);
  };

  const eventsFromInput = (input: unknown): unknown[] => {
    if (input === undefined || input === null || input === '') {
      throw new EventPayloadError('An Event Grid function needs an event as input');
    }
    if (typeof input === 'string') return parseEventGridPayload(input);
    return Array.isArray(input) ? input : [input];
  };

  // Function names are case-insensitive in the Functions host.
  const find = (name: string): FunctionDefinition | undefined => byName.get(name.toLowerCase());

  return {
    find,
    timers: timers as ReadonlyMap<string, TimerState>,
    runTimer,
    dispatchEvent,
    eventsFromInput,
    async runFunction(name: string, input?: unknown, reason = MANUAL_REASON): Promise<void> {
      const fn = find(name);
      if (!fn || fn.kind === 'http') throw new UnknownFunctionError(`No timer or Event Grid function named '${name}'`);
      if (fn.kind === 'timer') {
        await runTimer(timers.get(fn.name.toLowerCase()) as TimerState, reason);
        return;
      }
      const events = eventsFromInput(input);
      const run = (async () => {
        for (const event of events) await dispatchEvent(fn, event, reason);
      })();
      await track(run);
    },
    /** Resolves when every run started so far has settled. */
    async settled(): Promise<void> {
      await Promise.all([...background]);
    },
  };
}
