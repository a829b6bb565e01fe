import { displayNameReviewFrom, type AccountFacts, type Fact, type HealthBlocker, type HealthFact } from './account-status';
import type { MetaHealthStatus, MetaPhoneNumber, MetaWaba } from './meta';
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
  if (phone?.status) facts.phoneStatus = { value: phone.status.toUpperCase(), at };
  const phoneHealth = healthFactOf(phone?.healthStatus, null);
  if (!deleted && phoneHealth) facts.phoneHealth = { value: phoneHealth, at };
  const wabaHealth = healthFactOf(waba.healthStatus, phone?.id ?? target.phoneNumberId);
  if (wabaHealth) facts.wabaHealth = { value: wabaHealth, at };
  return { facts, phone: deleted ? null : phone };
}

const SEVERITY: Record<string, number> = { AVAILABLE: 0, LIMITED: 2, BLOCKED: 3 };
/** A value Meta adds later ranks between AVAILABLE and LIMITED: shown, but neither caps nor blocks. */
const severityOf = (value: string): number => SEVERITY[value] ?? 1;

/**
 * Meta's `health_status` as one registration's fact. A WABA's answer may list its numbers as
 * `PHONE_NUMBER` entities; another number's trouble is not this one's, so those are left out and,
 * when entities remain, the answer is the most restrictive of them rather than Meta's overall value.
 * Null when Meta gave no usable answer.
 */
export function healthFactOf(health: MetaHealthStatus | null | undefined, ownPhoneId: string | null): HealthFact | null {
  if (!health) return null;
  const isOtherNumber = (entityType: string | null, id: string | null): boolean =>
    ownPhoneId !== null && (entityType ?? '').toUpperCase() === 'PHONE_NUMBER' && id !== null && id !== ownPhoneId;
  const entities = health.entities.filter((entity) => !isOtherNumber(entity.entityType, entity.id));
  const dropped = entities.length < health.entities.length;
  const values = entities.map((entity) => entity.canSendMessage?.toUpperCase()).filter((value): value is string => !!value);
  const overall = health.canSendMessage?.toUpperCase() ?? null;
  const worst = values.length > 0 ? values.reduce((most, value) => (severityOf(value) > severityOf(most) ? value : most)) : null;
  const canSendMessage = dropped ? (worst ?? overall) : (overall ?? worst);
  if (!canSendMessage) return null;
  const blockedBy: HealthBlocker[] = entities.flatMap((entity) =>
    entity.errors.map((error) => ({
      entity: [entity.entityType?.toUpperCase(), entity.id].filter(Boolean).join(' ') || 'UNKNOWN',
      code: error.code,
      description: error.description,
      possibleSolution: error.possibleSolution,
    })),
  );
  // Sorted: the same answer in another order is the same fact, so re-reading writes nothing.
  blockedBy.sort((a, b) => `${a.entity}|${a.code ?? ''}|${a.description ?? ''}`.localeCompare(`${b.entity}|${b.code ?? ''}|${b.description ?? ''}`));
  return { canSendMessage, blockedBy };
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

/** What a WABA reading says when the number is not in it yet (just added): the WABA's own facts only. */
export function wabaLevelFacts(facts: Partial<AccountFacts>): Partial<AccountFacts> {
  const { wabaAccess, accountReview, wabaHealth } = facts;
  return { ...(wabaAccess ? { wabaAccess } : {}), ...(accountReview ? { accountReview } : {}), ...(wabaHealth ? { wabaHealth } : {}) };
}
