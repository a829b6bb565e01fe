/**
 * Fires timer functions on their NCRONTAB schedules, checked once a second, without overlapping
 * runs of one timer; stopped when the host closes.
 */
import type { FunctionRunner } from './function-runner';
import type { LogLine } from './invocation';
import { matches } from './ncrontab';

/** Returns the function that stops the clock. */
export function startTimerClock(runner: FunctionRunner, log: LogLine): () => void {
  let tickTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastChecked = Math.floor(Date.now() / 1000) * 1000;
  const tick = (): void => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    // Seconds missed while the event loop was busy still fire (at most a minute back), once each.
    for (let second = Math.max(lastChecked + 1000, now - 60_000); second <= now; second += 1000) {
      const at = new Date(second);
      for (const state of runner.timers.values()) {
        if (!matches(state.schedule, at)) continue;
        if (state.active > 0) {
          log(`[${new Date().toISOString()}] Timer '${state.fn.name}' is still running; skipping the ${at.toISOString()} occurrence`);
          continue;
        }
        runner.runTimer(state, `Timer fired at ${at.toISOString()}`).catch(() => undefined); // invoke() has logged it
      }
    }
    lastChecked = Math.max(lastChecked, now);
    schedule();
  };
  const schedule = (): void => {
    if (closed) return;
    // Just past the next second boundary, so Date.now() inside tick() is in the second it fires for.
    tickTimer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
    tickTimer.unref();
  };
  schedule();
  return () => {
    closed = true;
    if (tickTimer) clearTimeout(tickTimer);
  };
}
