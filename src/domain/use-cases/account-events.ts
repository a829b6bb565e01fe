import type { AccountFacts } from '../account-status';
import { displayNameReviewFrom } from '../account-status';
import { andThen, applyObservation } from '../commands';
import { decideDisplayNameChange, nameChangeOutcomeOf, type NameChangeDecision } from '../display-name-change';
import { cannotBeOrdered } from '../event-ordering';
import { readOutsideTime } from '../outside-time';
import { toAccountChangeEvents } from '../meta-webhook';
import { toE164 } from '../phone-number';
import type { Registration } from '../registration';
import { contextOf, type Ports, type Trigger } from './dependencies';
import { registerAgainAfterNameChange } from './display-name';
import type { makeReconcileRegistration } from './reconcile-registration';

/** A WhatsApp account-change event as published by the Meta webhook function (docs/design.md §6). */
export interface AccountChange {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

interface Effect {
  facts: Partial<AccountFacts>;
  messagingLimit?: string | null;
  /** Phone-level changes apply to the registration of this number only. */
  phoneNumber?: string | null;
  /** A decision about a display name: it also settles a change asked for by API (display-name-change.ts). */
  nameDecision?: NameChangeDecision;
  /**
   * The event says something changed without saying what it now means for sending (a restriction,
   * a flag lifted): the registration is reconciled, which reads the phone status and health_status.
   */
  confirmWithMeta?: boolean;
  detail: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/** Meta documents `waba_ban_state` as an array (`["DISABLE"]`); a single string is accepted too. */
const banStateOf = (value: unknown): string | null => text(Array.isArray(value) ? value.find((item) => text(item) !== null) : value);

const REVOKING = new Set(['ACCOUNT_DELETED', 'PARTNER_REMOVED', 'PARTNER_APP_UNINSTALLED', 'ACCOUNT_OFFBOARDED']);
const RESTORING = new Set(['PARTNER_ADDED', 'PARTNER_APP_INSTALLED', 'ACCOUNT_RECONNECTED']);
/** Account changes whose meaning for sending only Meta's health_status and review tell (docs/adr/0031). */
const READ_AGAIN = new Set(['ACCOUNT_RESTRICTION', 'ACCOUNT_VIOLATION']);

/** docs/design.md §2.2 for webhook content: which fact the event speaks of, and what it says. */
export function effectOf(change: AccountChange, at: string): Effect | null {
  const data = change.data;
  switch (change.type) {
    case 'WhatsApp.AccountUpdate': {
      const event = (text(data.event) ?? '').toUpperCase();
      if (REVOKING.has(event)) return { facts: { wabaAccess: { value: 'revoked', at, suspicions: 0 } }, detail: `account_update ${event}` };
      if (RESTORING.has(event)) return { facts: { wabaAccess: { value: 'ok', at, suspicions: 0 } }, detail: `account_update ${event}` };
      if (READ_AGAIN.has(event)) return { facts: {}, confirmWithMeta: true, detail: `account_update ${event}` };
      if (event === 'DISABLED_UPDATE') {
        const banInfo = (data.ban_info ?? {}) as Record<string, unknown>;
        const state = (banStateOf(banInfo.waba_ban_state) ?? '').toUpperCase();
        return state ? { facts: { accountBan: { value: state, at } }, detail: `account_update DISABLED_UPDATE ${state}` } : null;
      }
      return null;
    }
    case 'WhatsApp.AccountReviewUpdate': {
      const decision = (text(data.decision) ?? '').toUpperCase();
      return decision ? { facts: { accountReview: { value: decision, at } }, detail: `account_review_update ${decision}` } : null;
    }
    case 'WhatsApp.PhoneNumberNameUpdate': {
      const review = displayNameReviewFrom(text(data.decision));
      const outcome = nameChangeOutcomeOf(text(data.decision));
      const source = `phone_number_name_update ${text(data.decision)}`;
      return review
        ? {
            facts: { displayName: { value: review, at } },
            phoneNumber: toE164(text(data.display_phone_number) ?? ''),
            ...(outcome
              ? {
                  nameDecision: {
                    outcome,
                    name: text(data.requested_verified_name),
                    reason: outcome === 'Rejected' ? text(data.rejection_reason) : null,
                    at,
                    precision: 'second' as const,
                    source,
                  },
                }
              : {}),
            detail: source,
          }
        : null;
    }
    case 'WhatsApp.PhoneNumberQualityUpdate': {
      const limit =
        text(data.max_daily_conversations_per_business) ??
        text(data.current_limit) ??
        (typeof data.max_daily_conversations_per_business === 'number' ? String(data.max_daily_conversations_per_business) : null);
      const event = (text(data.event) ?? '').toUpperCase();
      return {
        // FLAGGED is the phone status Meta now reports; what follows UNFLAGGED is read from Meta.
        facts: event === 'FLAGGED' ? { phoneStatus: { value: 'FLAGGED', at } } : {},
        ...(event === 'UNFLAGGED' ? { confirmWithMeta: true } : {}),
        messagingLimit: limit,
        phoneNumber: toE164(text(data.display_phone_number) ?? ''),
        detail: `phone_number_quality_update ${event}`.trim(),
      };
    }
    default:
      return null;
  }
}

/**
 * Applies one account-change event to every connected registration it concerns. Each fact keeps
 * the time of the newest information applied, so an older event never rolls a newer one back, and
 * the event id is recorded with the change, so a redelivery changes nothing.
 */
export const makeApplyAccountEvent =
  (deps: Pick<Ports, 'registrations' | 'clock' | 'meta' | 'ids'> & { reconcileRegistration: ReturnType<typeof makeReconcileRegistration> }) =>
  async (change: AccountChange, trigger: Trigger): Promise<{ applied: number; duplicates: number; concerned: number }> => {
    const wabaId = text(change.data.wabaId);
    const now = deps.clock.now();
    let at = now.toISOString();
    if (change.data.occurredAt !== undefined && change.data.occurredAt !== null) {
      const occurred = readOutsideTime(change.data.occurredAt, now);
      if (!occurred.ok) {
        trigger.log.warn('Account event dropped: malformed occurredAt', { eventId: change.id, reason: occurred.reason });
        return { applied: 0, duplicates: 0, concerned: 0 };
      }
      if (occurred.clamped) trigger.log.warn('Account event occurredAt is in the future: applied as now', { eventId: change.id });
      at = occurred.iso;
    }
    const effect = effectOf(change, at);
    if (!wabaId || !effect) return { applied: 0, duplicates: 0, concerned: 0 };
    // A number-level change needs only that number's registrations, not the whole WABA's.
    const candidates = effect.phoneNumber ? await deps.registrations.listByPhoneNumber(effect.phoneNumber) : await deps.registrations.listByWaba(wabaId);
    const concerned = candidates.filter(
      (registration: Registration) =>
        registration.stage === 'Connected' &&
        registration.whatsAppBusinessAccountId === wabaId &&
        (!effect.phoneNumber || registration.phoneNumber === effect.phoneNumber),
    );
    let applied = 0;
    let duplicates = 0;
    for (const registration of concerned) {
      if (effect.confirmWithMeta || cannotBeOrdered(registration.facts, effect.facts)) {
        const why = effect.confirmWithMeta
          ? `${effect.detail}: reading the number and the account from Meta`
          : 'Account event in the same second as what is known: confirming with Meta';
        trigger.log.info(why, { eventId: change.id, registrationId: registration.id });
        const before = registration.version;
        let reconciled = await deps.reconcileRegistration({ id: registration.id }, trigger);
        // The decision about a requested name has its own order (the request's time): it still applies.
        if (effect.nameDecision) reconciled = await applyNameDecision(deps, reconciled, effect.nameDecision, change.id, trigger);
        if (reconciled.version !== before) applied += 1;
        continue;
      }
      const decision = effect.nameDecision;
      const result = await deps.registrations.update(
        registration.id,
        (current) => {
          const observed = applyObservation(
            current,
            { facts: effect.facts, ...(effect.messagingLimit ? { messagingLimit: effect.messagingLimit } : {}) },
            contextOf(trigger, deps.clock),
            effect.detail,
          );
          return decision ? andThen(observed, (next) => decideDisplayNameChange(next, decision, contextOf(trigger, deps.clock))) : observed;
        },
        // The copy just read saves the update its own read; a stale one only costs a retry.
        { eventId: change.id, basis: registration },
      );
      if (result.duplicate) duplicates += 1;
      else if (result.changed) applied += 1;
      // An approved name asks for the number to be registered again; a redelivery finds it done (or deferred).
      if (decision && !result.duplicate) await registerAgainAfterNameChange(deps, result.registration, trigger);
    }
    return { applied, duplicates, concerned: concerned.length };
  };

/** A display-name decision on its own (marked with the event), then the register it may call for. */
async function applyNameDecision(
  deps: Pick<Ports, 'registrations' | 'clock' | 'meta' | 'ids'>,
  registration: Registration,
  decision: NameChangeDecision,
  eventId: string,
  trigger: Trigger,
): Promise<Registration> {
  const result = await deps.registrations.update(registration.id, (current) => decideDisplayNameChange(current, decision, contextOf(trigger, deps.clock)), {
    eventId: `${eventId}:name`,
  });
  return result.duplicate ? result.registration : registerAgainAfterNameChange(deps, result.registration, trigger);
}

/**
 * Each account change in a webhook delivery becomes one WhatsApp.* event, published for
 * accountEvents to apply (the signature was checked on the raw bytes before this).
 */
export const makePublishAccountChanges =
  (deps: Pick<Ports, 'clock' | 'accountEventSink'>) =>
  async (envelope: unknown): Promise<{ published: number; ignored: number }> => {
    const { events, ignored } = toAccountChangeEvents(envelope, deps.clock.now());
    if (events.length > 0) await deps.accountEventSink.publish(events);
    return { published: events.length, ignored: ignored.length };
  };
