/**
 * A new display name asked for by API (`PUT /api/registrations/{id}/display-name`, docs/design.md
 * §5): Meta is asked to review it, then decides (webhook `phone_number_name_update`, or the phone's
 * `new_name_status` read by reconcile). An approval makes it the registration's display name and
 * calls for registering the number again, once, as Meta requires after a name change. Pure rules:
 * the use cases (use-cases/display-name.ts) apply them inside conditional writes.
 */
import { displayNameReviewFrom } from './account-status';
import { DomainError, invalidTransition } from './errors';
import type { MetaPhoneNumber, MetaWaba } from './meta';
import { released } from './meta-call';
import { findPhoneOnWaba } from './observations';
import { evolve, unchanged, type Change, type ChangeContext, type DisplayNameChange, type Registration } from './registration';
import { RECONNECTABLE_STATUSES } from './stages';

/** A change is in progress while Meta reviews it, and after an approval until the number is registered again. */
export function changeInProgress(registration: Registration): boolean {
  const change = registration.displayNameChange;
  if (!change) return false;
  return change.state === 'Pending' || (change.state === 'Approved' && change.registerAgain !== null && change.registerAgain.registeredAt === null);
}

export function assertCanChangeDisplayName(registration: Registration): void {
  if (registration.stage !== 'Connected' || !registration.status || RECONNECTABLE_STATUSES.includes(registration.status)) {
    throw invalidTransition(
      `Cannot change the display name while the registration is ${registration.stage}${registration.status ? ` (${registration.status})` : ''}: only a connected number that is not Disconnected, Revoked or PhoneNumberDeleted can.`,
    );
  }
  if (changeInProgress(registration)) {
    const pending = registration.displayNameChange!;
    throw new DomainError(
      'operation-in-progress',
      pending.state === 'Pending'
        ? `Meta is still reviewing the display name "${pending.requested}" requested at ${pending.requestedAt}.`
        : `The display name "${pending.requested}" was approved; the number is still to be registered again with Meta.`,
      { suggestedAction: 'Wait for Meta’s decision (the registration shows it in displayNameChange), then submit another name if needed.' },
    );
  }
}

/** Meta accepted the request: the change is Pending, and the claim of the call is over. */
export function recordDisplayNameRequested(registration: Registration, requested: string, context: ChangeContext, token: string): Change {
  assertCanChangeDisplayName(registration);
  const change: DisplayNameChange = {
    requested,
    requestedAt: context.at,
    state: 'Pending',
    decidedAt: null,
    rejectionReason: null,
    previous: registration.displayName,
    registerAgain: null,
  };
  return evolve(
    registration,
    { displayNameChange: change, metaCall: released(registration, token) },
    context,
    `New display name "${requested}" submitted to Meta for review`,
    'always',
  );
}

/** What Meta decided about a requested name, as one of ours. */
export interface NameChangeDecision {
  outcome: 'Approved' | 'Rejected';
  /** The name the decision is about, when Meta says (webhooks do; the phone node does not). */
  name: string | null;
  reason: string | null;
  /** When the decision was true at the source. */
  at: string;
  /** Whole-second times (webhooks) are compared by the second; readings of Meta by the millisecond. */
  precision: 'second' | 'millisecond';
  /** e.g. `phone_number_name_update APPROVED`. */
  source: string;
}

/**
 * `new_name_status` and `phone_number_name_update` decisions that end a review. An EXPIRED request
 * was never approved: it ends like a rejection, so that another name can be submitted.
 */
export function nameChangeOutcomeOf(raw: string | null | undefined): NameChangeDecision['outcome'] | null {
  if ((raw ?? '').toUpperCase() === 'EXPIRED') return 'Rejected';
  const review = displayNameReviewFrom(raw);
  return review === 'Approved' || review === 'Rejected' ? review : null;
}

/** Names compared as a reviewer would: case, and runs of spaces, do not make another name. */
const sameName = (a: string, b: string): boolean => a.trim().replace(/\s+/g, ' ').toLowerCase() === b.trim().replace(/\s+/g, ' ').toLowerCase();

/** Whether the decision can be about the pending request: not older than it, and about that name. */
function concernsPending(change: DisplayNameChange, decision: NameChangeDecision): boolean {
  if (decision.name !== null && !sameName(decision.name, change.requested)) return false;
  const decided = Date.parse(decision.at);
  const requested = Date.parse(change.requestedAt);
  if (decision.precision === 'second') return Math.floor(decided / 1000) >= Math.floor(requested / 1000);
  return decided > requested;
}

/**
 * Applies Meta's decision to the pending change. A decision that finds no pending change (a
 * redelivery, a reordered event, a decision already applied) or that is about another or an
 * earlier request changes nothing. An approval makes the name the registration's and asks for the
 * number to be registered again.
 */
export function decideDisplayNameChange(registration: Registration, decision: NameChangeDecision, context: ChangeContext): Change {
  const change = registration.displayNameChange;
  if (registration.stage !== 'Connected' || !change || change.state !== 'Pending' || !concernsPending(change, decision)) return unchanged(registration);
  if (decision.outcome === 'Approved') {
    return evolve(
      registration,
      {
        displayName: change.requested,
        displayNameChange: {
          ...change,
          state: 'Approved',
          decidedAt: decision.at,
          registerAgain: { registeredAt: null, attempts: 0, lastError: null, notBefore: null },
        },
      },
      context,
      `New display name "${change.requested}" approved by Meta (${decision.source}); the number is to be registered again`,
      'always',
    );
  }
  return evolve(
    registration,
    { displayNameChange: { ...change, state: 'Rejected', decidedAt: decision.at, rejectionReason: decision.reason } },
    context,
    `New display name "${change.requested}" rejected by Meta (${decision.source})${decision.reason ? `: ${decision.reason}` : ''}`,
    'always',
  );
}

/** Reconcile's reading: the phone's `new_name_status`, read no earlier than `readAt`. */
export function reconcileDisplayNameChange(registration: Registration, waba: MetaWaba, readAt: string, context: ChangeContext): Change {
  if (registration.displayNameChange?.state !== 'Pending') return unchanged(registration);
  const phone: MetaPhoneNumber | null = findPhoneOnWaba(waba, registration);
  const outcome = nameChangeOutcomeOf(phone?.newNameStatus);
  if (!phone || !outcome) return unchanged(registration);
  return decideDisplayNameChange(
    registration,
    {
      outcome,
      name: null,
      reason: outcome === 'Rejected' ? `new_name_status ${phone.newNameStatus}` : null,
      at: readAt,
      precision: 'millisecond',
      source: `new_name_status ${phone.newNameStatus}`,
    },
    context,
  );
}

/** The number is due to be registered again after an approved name (and its last failure's wait is over). */
export function registerAgainDue(registration: Registration, now: Date): boolean {
  const again = registration.displayNameChange?.state === 'Approved' ? registration.displayNameChange.registerAgain : null;
  if (registration.stage !== 'Connected' || !again || again.registeredAt !== null) return false;
  return !(again.notBefore && Date.parse(again.notBefore) > now.getTime());
}

/** Registered again: the change is complete, and the claim of the register call is over. */
export function recordRegisteredAgain(registration: Registration, context: ChangeContext, token: string): Change {
  const change = registration.displayNameChange;
  const again = change?.registerAgain;
  if (!change || !again || again.registeredAt !== null) return unchanged(registration);
  return evolve(
    registration,
    {
      displayNameChange: { ...change, registerAgain: { ...again, registeredAt: context.at, attempts: again.attempts + 1, lastError: null, notBefore: null } },
      metaCall: released(registration, token),
    },
    context,
    `Number registered again on the Cloud API after the display name change to "${change.requested}"`,
    'always',
  );
}

/** The register call failed: no second call before `notBefore` (reconcile tries again then), and the claim is over. */
export function recordRegisterAgainFailed(
  registration: Registration,
  failure: { reason: string; notBefore: string },
  context: ChangeContext,
  token: string,
): Change {
  const change = registration.displayNameChange;
  const again = change?.registerAgain;
  if (!change || !again || again.registeredAt !== null) return unchanged(registration);
  const held = registration.metaCall?.claim?.token === token;
  return evolve(
    registration,
    {
      displayNameChange: { ...change, registerAgain: { ...again, attempts: again.attempts + 1, lastError: failure.reason, notBefore: failure.notBefore } },
      ...(held ? { metaCall: { claim: null, lastFailure: { step: 'register' as const, at: context.at, reason: failure.reason } } } : {}),
    },
    context,
    `Registering the number again after the display name change deferred until ${failure.notBefore}: ${failure.reason}`,
    'always',
  );
}
