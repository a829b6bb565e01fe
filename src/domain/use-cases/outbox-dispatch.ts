import type { EventPublisher, Logger, OutboxStore, OutgoingEvent, RegistrationRepository } from '../ports';

/**
 * Moves outgoing events from the outbox to the feed, publishes them, then removes them from the
 * outbox. Each step is repeatable: the feed insert is insert-if-absent and events keep their ids,
 * so a crash anywhere loses nothing and never duplicates a feed entry.
 */
export function createOutboxDispatcher(deps: { outbox: OutboxStore; publisher: EventPublisher | null; log: Logger }) {
  const dispatch = async (pending: Array<{ event: OutgoingEvent; ref: string }>): Promise<number> => {
    if (pending.length === 0) return 0;
    for (const { event } of pending) await deps.outbox.appendToFeed(event);
    if (deps.publisher) {
      await deps.publisher.publish(pending.map(({ event }) => ({ id: event.id, type: event.type, source: event.source, subject: event.subject, time: event.time, data: { ...event.data } })));
    }
    await Promise.all(pending.map(({ ref }) => deps.outbox.acknowledge(ref)));
    return pending.length;
  };
  return {
    /** Right after a change: only that registration's rows, no scan. Failures wait for the next sweep. */
    async drain(registrationId: string): Promise<void> {
      try {
        await dispatch(await deps.outbox.pendingFor(registrationId));
      } catch (error) {
        deps.log.warn('Outgoing events not dispatched yet; the next sweep retries', { registrationId, error: error instanceof Error ? error.message : String(error) });
      }
    },
    /** Crash recovery: whatever is left in any outbox. */
    async sweep(limit = 500): Promise<number> {
      return dispatch(await deps.outbox.pending(limit));
    },
  };
}

export type OutboxDispatcher = ReturnType<typeof createOutboxDispatcher>;

/**
 * The repository, publishing each change's outgoing events right after it is committed. The
 * events are already safe in the outbox by then; this only makes them visible sooner.
 */
export function dispatchingAfterChanges(repository: RegistrationRepository, dispatcher: OutboxDispatcher): RegistrationRepository {
  return {
    create: async (registration, history) => {
      const stored = await repository.create(registration, history);
      await dispatcher.drain(stored.id);
      return stored;
    },
    update: async (id, mutate, options) => {
      // Only a change that moved stage or status has outgoing events: skip the outbox read otherwise.
      let moved = false;
      const result = await repository.update(
        id,
        (current) => {
          const change = mutate(current);
          moved = change.history.length > 0;
          return change;
        },
        options,
      );
      if (result.changed && moved) await dispatcher.drain(id);
      return result;
    },
    get: (id) => repository.get(id),
    history: (id) => repository.history(id),
    list: (filter, page) => repository.list(filter, page),
    listByWaba: (wabaId) => repository.listByWaba(wabaId),
    summarize: (scope) => repository.summarize(scope),
    listByPhoneNumber: (phoneNumber) => repository.listByPhoneNumber(phoneNumber),
    ping: () => repository.ping(),
  };
}
