import type { EventPublisher, Logger, OutboxEntry, OutboxStore } from '../ports';

export interface DispatcherOptions {
  /** How long committed entries wait to be dispatched together; a full batch goes at once. */
  windowMs?: number;
  maxBatch?: number;
}

/**
 * Moves outgoing events from the outbox to the feed, publishes them, then acknowledges their
 * outbox entries. Off the hot path: a change only hands its entry over, and entries committed
 * within `windowMs` go out together, so the storage work per event shrinks as the load grows.
 * Each step is repeatable (the feed insert is insert-if-absent, events keep their ids), so a
 * crash anywhere loses nothing: what a process did not dispatch, the reconcile timer's sweep does.
 */
export function createOutboxDispatcher(deps: { outbox: OutboxStore; publisher: EventPublisher | null; log: Logger }, options: DispatcherOptions = {}) {
  const windowMs = options.windowMs ?? 1000;
  const maxBatch = options.maxBatch ?? 500;
  let queue: OutboxEntry[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> = Promise.resolve();

  const dispatch = async (entries: OutboxEntry[]): Promise<number> => {
    if (entries.length === 0) return 0;
    const events = entries.flatMap((entry) => entry.events);
    if (events.length > 0) {
      await deps.outbox.appendToFeed(events);
      if (deps.publisher) {
        await deps.publisher.publish(
          events.map((event) => ({ id: event.id, type: event.type, source: event.source, subject: event.subject, time: event.time, data: { ...event.data } })),
        );
      }
    }
    await deps.outbox.acknowledge(entries.map((entry) => entry.ref));
    return events.length;
  };

  const flushQueued = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const entries = queue;
    queue = [];
    // One dispatch at a time: the next takes whatever arrived meanwhile.
    running = running.then(async () => {
      try {
        await dispatch(entries);
      } catch (error) {
        deps.log.warn('Outgoing events not dispatched yet; the next sweep retries', {
          count: entries.length,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    });
    return running;
  };

  const dispatcher = {
    /** A committed change's entry: dispatched with the others of the same window. */
    enqueue(entry: OutboxEntry): void {
      queue.push(entry);
      if (queue.length >= maxBatch) {
        void flushQueued();
        return;
      }
      if (!timer) {
        timer = setTimeout(() => void flushQueued(), windowMs);
        timer.unref?.();
      }
    },
    /** Dispatches everything this process committed so far (before reading the feed, or shutting down). */
    flush(): Promise<void> {
      return flushQueued();
    },
    /** Crash recovery: whatever is left in any outbox. */
    async sweep(limit = 500): Promise<number> {
      await flushQueued();
      return dispatch(await deps.outbox.pending(limit));
    },
  };
  deps.outbox.subscribe((entry) => dispatcher.enqueue(entry));
  return dispatcher;
}

export type OutboxDispatcher = ReturnType<typeof createOutboxDispatcher>;
