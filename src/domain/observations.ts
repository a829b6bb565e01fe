import { displayNameReviewFrom, type AccountFacts, type Fact } from './account-status';
import type { MetaPhoneNumber, MetaWaba } from './meta';
import { toE164 } from './phone-number';

/** Facts read from Meta, plus the numbers-only details shown on the registration. */
export interface Observation {
  facts: Partial<AccountFacts>;
  phone: MetaPhoneNumber | null;
}

export function findPhoneOnWaba(waba: MetaWaba, target: { phoneNumber: string; phoneNumberId: string | null }): MetaPhoneNumber | null {
  const byId = target.phoneNumberId ? waba.phoneNumbers.find((phone) => phone.id === target.phoneNumberId) : undefined;
  return byId ?? waba.phoneNumbers.find((phone) => (phone.e164 ?? toE164(phone.displayPhoneNumber)) === target.phoneNumber) ?? null;
}

/**
 * docs/design.md §2.2 "Deriving status" for a readable WABA: the WABA is reachable, its review decision
 * applies, and the number is deleted when Meta says DELETED or no longer lists it.
 */
export function observeWaba(waba: MetaWaba, target: { phoneNumber: string; phoneNumberId: string | null }, at: string): Observation {
  const phone = findPhoneOnWaba(waba, target);
  const facts: Partial<AccountFacts> = { wabaAccess: { value: 'ok', at, suspicions: 0 } };
  if (waba.accountReviewStatus) facts.accountReview = { value: waba.accountReviewStatus.toUpperCase(), at };
  const deleted = !phone || (phone.status ?? '').toUpperCase() === 'DELETED';
  facts.phone = { value: deleted ? 'deleted' : 'present', at };
  const review = displayNameReviewFrom(phone?.nameStatus);
  if (!deleted && review) facts.displayName = { value: review, at };
  return { facts, phone: deleted ? null : phone };
}

/**
 * Merges observed facts into known ones, fact by fact. Information older than what is already
 * known for the same fact is ignored, so reordered events never roll a newer fact back.
 */
export function mergeFacts(known: AccountFacts, observed: Partial<AccountFacts>): AccountFacts {
  const merged: AccountFacts = { ...known };
  for (const name of Object.keys(observed) as Array<keyof AccountFacts>) {
    const incoming = observed[name] as Fact<unknown> | undefined;
    const current = known[name] as Fact<unknown> | undefined;
    if (!incoming) continue;
    if (current && current.at > incoming.at) continue;
    // The same answer again keeps the fact as it was: re-reading an unchanged account writes nothing.
    if (current && sameFact(current, incoming)) continue;
    (merged as Record<string, unknown>)[name] = incoming;
  }
  return merged;
}

function sameFact(a: Fact<unknown>, b: Fact<unknown>): boolean {
  const { at: _a, ...restA } = a as Fact<unknown> & Record<string, unknown>;
  const { at: _b, ...restB } = b as Fact<unknown> & Record<string, unknown>;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

/**
 * 100/33 on the WABA is ambiguous (docs/design.md §2.2): the first time it is a suspicion, the second
 * time in a row (or once, when `debug_token` confirms the grant is gone) it is a revocation.
 */
export function observeWabaMissing(known: AccountFacts, at: string, confirmed: boolean): Partial<AccountFacts> {
  const previous = known.wabaAccess;
  const suspicions = (previous?.value === 'suspect' ? (previous.suspicions ?? 1) : 0) + 1;
  const revoked = confirmed || suspicions >= 2 || previous?.value === 'revoked';
  return { wabaAccess: { value: revoked ? 'revoked' : 'suspect', at, suspicions } };
}
