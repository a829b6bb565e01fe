import { ownerScopeOf, scopedFilter, type Caller } from '../access';
import type { OutgoingEvent, Page, ReconcileRun, RegistrationFilter, RegistrationSummary } from '../ports';
import type { HistoryEntry, Registration } from '../registration';
import { loadRegistration, type Ports } from './dependencies';

/** What a caller reads: only what §5.1 lets it see, with the same answers for "not yours" as for "none". */

export const makeGetRegistration =
  (deps: Pick<Ports, 'registrations'>) =>
  (id: string, caller: Caller): Promise<Registration> =>
    loadRegistration(deps.registrations, id, { caller });

export const makeRegistrationHistory =
  (deps: Pick<Ports, 'registrations'>) =>
  async (id: string, caller: Caller): Promise<HistoryEntry[]> => {
    const registration = await loadRegistration(deps.registrations, id, { caller });
    return deps.registrations.history(registration.id);
  };

export const makeListRegistrations =
  (deps: Pick<Ports, 'registrations'>) =>
  async (filter: RegistrationFilter, page: { limit: number; cursor?: string }, caller: Caller): Promise<Page<Registration>> => {
    const scoped = scopedFilter(caller, filter);
    if (scoped === null) return { items: [], nextCursor: null };
    return deps.registrations.list(scoped, page);
  };

export const makeListEvents =
  (deps: Pick<Ports, 'outbox'>) =>
  (after: string | undefined, limit: number, caller: Caller): Promise<Page<OutgoingEvent>> =>
    deps.outbox.feed(after, limit, ownerScopeOf(caller));

/** Counts over what the caller may see: all registrations for ops, its own for a Write-only caller. */
export const makeSummarizeRegistrations =
  (deps: Pick<Ports, 'registrations'>) =>
  (caller: Caller): Promise<RegistrationSummary> =>
    deps.registrations.summarize({ owner: ownerScopeOf(caller) });

/** Recent reconcile runs, newest first; only ops may call it, so nothing is scoped to a caller. */
export const makeListReconcileRuns =
  (deps: Pick<Ports, 'reconcileStore'>) =>
  (limit: number): Promise<ReconcileRun[]> =>
    deps.reconcileStore.runs(limit);
