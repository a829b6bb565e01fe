import { ownerScopeOf, scopedFilter, type Caller } from '../access';
import type { OutboxStore, OutgoingEvent, Page, RegistrationFilter, RegistrationRepository, RegistrationSummary } from '../ports';
import type { HistoryEntry, Registration } from '../registration';
import { loadRegistration } from './dependencies';

/** What a caller reads: only what §5.1 lets it see, with the same answers for "not yours" as for "none". */

export const getRegistration = (deps: { registrations: RegistrationRepository }, id: string, caller: Caller): Promise<Registration> =>
  loadRegistration(deps.registrations, id, { caller });

export async function registrationHistory(deps: { registrations: RegistrationRepository }, id: string, caller: Caller): Promise<HistoryEntry[]> {
  const registration = await loadRegistration(deps.registrations, id, { caller });
  return deps.registrations.history(registration.id);
}

export async function listRegistrations(
  deps: { registrations: RegistrationRepository },
  filter: RegistrationFilter,
  page: { limit: number; cursor?: string },
  caller: Caller,
): Promise<Page<Registration>> {
  const scoped = scopedFilter(caller, filter);
  if (scoped === null) return { items: [], nextCursor: null };
  return deps.registrations.list(scoped, page);
}

export const listEvents = (deps: { outbox: OutboxStore }, after: string | undefined, limit: number, caller: Caller): Promise<Page<OutgoingEvent>> =>
  deps.outbox.feed(after, limit, ownerScopeOf(caller));

/** Counts over what the caller may see: all registrations for ops, its own for a Write-only caller. */
export const summarizeRegistrations = (deps: { registrations: RegistrationRepository }, caller: Caller): Promise<RegistrationSummary> =>
  deps.registrations.summarize({ owner: ownerScopeOf(caller) });
