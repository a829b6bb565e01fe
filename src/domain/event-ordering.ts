import type { AccountFacts, Fact } from './account-status';

const secondOf = (ms: number): number => Math.floor(ms / 1000);

/**
 * Meta's webhook times have whole-second resolution; what we read from Meta is timed to the
 * millisecond. A whole-second event that contradicts a fact read later in that same second
 * cannot be ordered against it: taking the event as the start of its second (and dropping it)
 * loses a real change, taking it as the end of its second lets a stale event undo a newer read.
 * Neither guess is safe, so such an event is settled by reading Meta now (only in this rare case).
 */
export function cannotBeOrdered(known: AccountFacts, observed: Partial<AccountFacts>): boolean {
  return (Object.keys(observed) as Array<keyof AccountFacts>).some((name) => {
    const incoming = observed[name] as Fact<unknown> | undefined;
    const current = known[name] as Fact<unknown> | undefined;
    if (!incoming || !current || JSON.stringify(current.value) === JSON.stringify(incoming.value)) return false;
    const incomingMs = Date.parse(incoming.at);
    const currentMs = Date.parse(current.at);
    return incomingMs % 1000 === 0 && secondOf(currentMs) === secondOf(incomingMs) && currentMs > incomingMs;
  });
}
