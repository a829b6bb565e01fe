/**
 * The registration's transition rules as pure functions: (state, input, context) → Change.
 * Use cases do the I/O and then apply one of these inside a conditional write, so the rules are
 * checked again against the freshest state. Anything docs/design.md §2.1 does not allow is
 * `invalid-transition`.
 */
import type { AccountFacts } from './account-status';
import { SYSTEM_ACTOR } from './actors';
import { DomainError, invalidTransition } from './errors';
import type { MetaWaba } from './meta';
import { CLAIM_LEASE_MS, released } from './meta-call';
import { mergeFacts, observeWaba, observeWabaMissing } from './observations';
import {
  andThen,
  evolve,
  type BusinessAccount,
  type Change,
  type ChangeContext,
  type HistoryEntry,
  type MetaRefusal,
  type Registration,
  type VerificationMethod,
  type WhatsAppProfile,
} from './registration';
import { RECONNECTABLE_STATUSES, type Stage } from './stages';

function requireStage(registration: Registration, allowed: readonly Stage[], action: string): void {
  if (allowed.includes(registration.stage)) return;
  throw invalidTransition(`Cannot ${action} while the registration is ${registration.stage}${registration.status ? ` (${registration.status})` : ''}.`);
}

const BEFORE_CODE: readonly Stage[] = ['SignupStarted', 'BusinessAccountSelected', 'ProfileSelected'];

export const assertCanSelectBusinessAccount = (registration: Registration): void => requireStage(registration, BEFORE_CODE, 'select the business account');

export function selectBusinessAccount(registration: Registration, businessAccount: BusinessAccount, context: ChangeContext): Change {
  assertCanSelectBusinessAccount(registration);
  // Choosing another business invalidates the profile chosen under the previous one.
  const keepsProfile = registration.businessAccount?.id != null && registration.businessAccount.id === businessAccount.id;
  return evolve(
    registration,
    keepsProfile
      ? { businessAccount }
      : { businessAccount, stage: 'BusinessAccountSelected', whatsAppBusinessAccountId: null, phoneNumberId: null, displayName: null, profile: null },
    context,
    businessAccount.id ? `Business account ${businessAccount.id} selected` : 'Details of a new business account recorded',
  );
}

export interface ProfileSelection {
  whatsAppBusinessAccountId: string;
  displayName: string;
  profile: WhatsAppProfile;
  phoneNumberId: string;
  facts: Partial<AccountFacts>;
  messagingLimit: string | null;
  qualityRating: string | null;
}

export const assertCanSelectProfile = (registration: Registration): void =>
  requireStage(registration, ['BusinessAccountSelected', 'ProfileSelected'], 'select the WhatsApp business profile');

export function selectProfile(registration: Registration, selection: ProfileSelection, context: ChangeContext): Change {
  assertCanSelectProfile(registration);
  return evolve(
    registration,
    {
      stage: 'ProfileSelected',
      whatsAppBusinessAccountId: selection.whatsAppBusinessAccountId,
      displayName: selection.displayName,
      profile: selection.profile,
      phoneNumberId: selection.phoneNumberId,
      facts: mergeFacts(registration.facts, selection.facts),
      messagingLimit: selection.messagingLimit,
      qualityRating: selection.qualityRating,
    },
    context,
    `WhatsApp business profile selected on WABA ${selection.whatsAppBusinessAccountId}`,
  );
}

/** Stages from which the result of Embedded Signup is taken (docs/design.md §5.2). */
export const assertCanTakeEmbeddedSignup = (registration: Registration): void =>
  requireStage(registration, ['SignupStarted', 'BusinessAccountSelected', 'ProfileSelected', 'CodeRequested'], 'take the result of Embedded Signup');

export interface EmbeddedSignupResult extends Omit<ProfileSelection, 'profile'> {
  businessAccount: BusinessAccount;
  /** Meta says the number was verified in the signup: registration with Meta follows at once. */
  numberVerified: boolean;
}

/**
 * Business, WABA and number chosen in Embedded Signup, all at once: CodeVerified when the number
 * was verified there (the caller then registers it), else ProfileSelected, where a code is
 * requested as usual. A code requested earlier no longer counts: the signup replaced it.
 */
export function recordEmbeddedSignup(registration: Registration, result: EmbeddedSignupResult, context: ChangeContext): Change {
  assertCanTakeEmbeddedSignup(registration);
  return evolve(
    registration,
    {
      stage: result.numberVerified ? 'CodeVerified' : 'ProfileSelected',
      businessAccount: result.businessAccount,
      whatsAppBusinessAccountId: result.whatsAppBusinessAccountId,
      displayName: result.displayName,
      profile: registration.profile ?? {},
      phoneNumberId: result.phoneNumberId,
      facts: mergeFacts(registration.facts, result.facts),
      messagingLimit: result.messagingLimit,
      qualityRating: result.qualityRating,
      verification: null,
      metaRegistration: result.numberVerified ? { registeredAt: null, attempts: 0, lastError: null, notBefore: null } : null,
    },
    context,
    `Embedded Signup finished on WABA ${result.whatsAppBusinessAccountId}${result.numberVerified ? ', number verified there' : ''}`,
  );
}

/** Seconds to wait before the n-th resend; grows so that no client can loop on request_code. */
const RESEND_COOLDOWN_SECONDS = [60, 120, 300, 600, 1800] as const;

export function codeRequestCooldown(registration: Registration, now: Date): number {
  const verification = registration.verification;
  if (registration.stage !== 'CodeRequested' || !verification) return 0;
  const index = Math.min(verification.attempts - 1, RESEND_COOLDOWN_SECONDS.length - 1);
  const waitUntil = Date.parse(verification.requestedAt) + RESEND_COOLDOWN_SECONDS[Math.max(index, 0)]! * 1000;
  return Math.max(0, Math.ceil((waitUntil - now.getTime()) / 1000));
}

export function assertCanRequestCode(registration: Registration, now: Date): void {
  requireStage(registration, ['ProfileSelected', 'CodeRequested'], 'request a verification code');
  const wait = codeRequestCooldown(registration, now);
  if (wait > 0) {
    throw new DomainError('verification-cooldown', `A code was requested recently; wait ${wait} s before requesting another.`, {
      retryAfterSeconds: wait,
      suggestedAction: 'Enter the code already sent, or try again after the cooldown.',
    });
  }
}

export function recordCodeRequested(registration: Registration, request: { method: VerificationMethod; language: string }, context: ChangeContext): Change {
  assertCanRequestCode(registration, new Date(context.at));
  const previous = registration.stage === 'CodeRequested' ? registration.verification : null;
  const attempts = previous ? previous.attempts + 1 : 1;
  return evolve(
    registration,
    {
      stage: 'CodeRequested',
      // Wrong codes count across resends: a new code must not reset the lock that guards the number.
      verification: {
        method: request.method,
        language: request.language,
        requestedAt: context.at,
        attempts,
        verifiedAt: null,
        rejectedCodes: previous?.rejectedCodes ?? 0,
        lockedUntil: previous?.lockedUntil ?? null,
      },
      metaCall: released(registration),
    },
    context,
    `Verification code requested by ${request.method} (request ${attempts})`,
  );
}

/** Wrong codes accepted before the lock; Meta itself locks a number after repeated failures. */
export const MAX_WRONG_CODES = 5;
export const WRONG_CODE_LOCK_MS = 60 * 60_000;

export function assertCanSubmitCode(registration: Registration, now?: Date): void {
  requireStage(registration, ['CodeRequested'], 'verify a code');
  const lockedUntil = registration.verification?.lockedUntil;
  if (now && lockedUntil && Date.parse(lockedUntil) > now.getTime()) {
    const wait = Math.ceil((Date.parse(lockedUntil) - now.getTime()) / 1000);
    throw new DomainError('verification-locked', `Too many wrong codes; no code is checked for ${wait} s.`, {
      retryAfterSeconds: wait,
      suggestedAction: 'Check the code in the latest SMS or call, and submit it after the lock ends.',
    });
  }
}

/** Counts a wrong code (releasing the claim of its verify call); every MAX_WRONG_CODES-th locks submissions. */
export function recordCodeRejected(registration: Registration, context: ChangeContext, token?: string): Change {
  assertCanSubmitCode(registration);
  const verification = registration.verification!;
  const rejectedCodes = verification.rejectedCodes + 1;
  const lockedUntil =
    rejectedCodes % MAX_WRONG_CODES === 0 ? new Date(Date.parse(context.at) + WRONG_CODE_LOCK_MS).toISOString() : (verification.lockedUntil ?? null);
  return evolve(
    registration,
    { verification: { ...verification, rejectedCodes, lockedUntil }, metaCall: released(registration, token) },
    context,
    'Code rejected',
  );
}

/** Meta accepted the code; the claim of the verify call, when given, carries on to register the number. */
export function recordCodeVerified(registration: Registration, context: ChangeContext, token?: string): Change {
  assertCanSubmitCode(registration);
  const claim = token ? { step: 'register' as const, token, until: new Date(Date.parse(context.at) + CLAIM_LEASE_MS).toISOString() } : null;
  return evolve(
    registration,
    {
      stage: 'CodeVerified',
      verification: { ...registration.verification!, verifiedAt: context.at },
      metaRegistration: { registeredAt: null, attempts: 0, lastError: null, notBefore: null },
      metaCall: { claim, lastFailure: registration.metaCall?.lastFailure ?? null },
    },
    context,
    'Meta accepted the verification code',
  );
}

/** The number was registered on the Cloud API but the rest of the connection is not done yet. */
export function recordRegisteredWithMeta(registration: Registration, context: ChangeContext): Change {
  requireStage(registration, ['CodeVerified'], 'record the registration with Meta');
  const previous = registration.metaRegistration ?? { registeredAt: null, attempts: 0, lastError: null, notBefore: null };
  return evolve(
    registration,
    { metaRegistration: { ...previous, registeredAt: context.at, attempts: previous.attempts + 1, lastError: null, notBefore: null } },
    context,
    'Registered with Meta',
  );
}

export function recordMetaRegistrationFailed(
  registration: Registration,
  failure: { reason: string; notBefore: string; countsAsAttempt: boolean },
  context: ChangeContext,
): Change {
  requireStage(registration, ['CodeVerified'], 'record a registration failure');
  const previous = registration.metaRegistration ?? { registeredAt: null, attempts: 0, lastError: null, notBefore: null };
  return evolve(
    registration,
    {
      metaRegistration: {
        ...previous,
        attempts: previous.attempts + (failure.countsAsAttempt ? 1 : 0),
        lastError: failure.reason,
        notBefore: failure.notBefore,
      },
      metaCall: released(registration),
    },
    context,
    `Registration with Meta deferred: ${failure.reason}`,
  );
}

export function recordConnected(
  registration: Registration,
  observed: { facts: Partial<AccountFacts>; messagingLimit: string | null; qualityRating: string | null },
  context: ChangeContext,
): Change {
  requireStage(registration, ['CodeVerified'], 'connect');
  return evolve(
    registration,
    {
      stage: 'Connected',
      facts: mergeFacts({}, observed.facts),
      messagingLimit: observed.messagingLimit ?? registration.messagingLimit,
      qualityRating: observed.qualityRating ?? registration.qualityRating,
      metaCall: released(registration),
    },
    context,
    'Number registered on the WhatsApp Cloud API and app subscribed to the WABA',
  );
}

/** Applies what Meta or an event says about a connected account; status follows from the facts. */
export function applyObservation(
  registration: Registration,
  observed: { facts: Partial<AccountFacts>; messagingLimit?: string | null; qualityRating?: string | null },
  context: ChangeContext,
  detail: string,
): Change {
  if (registration.stage !== 'Connected') return { next: registration, history: [] };
  const facts = mergeFacts(registration.facts, observed.facts);
  const patch: Partial<Registration> = { facts };
  if (observed.messagingLimit) patch.messagingLimit = observed.messagingLimit;
  if (observed.qualityRating) patch.qualityRating = observed.qualityRating;
  const same =
    JSON.stringify(facts) === JSON.stringify(registration.facts) &&
    (patch.messagingLimit ?? registration.messagingLimit) === registration.messagingLimit &&
    (patch.qualityRating ?? registration.qualityRating) === registration.qualityRating;
  if (same) return { next: registration, history: [] };
  return evolve(registration, patch, context, detail);
}

/** What reading the WABA from Meta gave: the account, or 100/33 (confirmed by debug_token or not). */
export type MetaReading = { waba: MetaWaba } | { missing: true; confirmed: boolean };

/**
 * docs/design.md §2.2 for one registration against one reading of its WABA. Applied inside the
 * conditional write, so the suspicion count of a missing WABA is always the freshest one.
 */
export function reconcileWithMeta(registration: Registration, reading: MetaReading, context: ChangeContext): Change {
  if (registration.stage !== 'Connected' || registration.whatsAppBusinessAccountId === null) return { next: registration, history: [] };
  if ('waba' in reading) {
    const observation = observeWaba(reading.waba, registration, context.at);
    return applyObservation(
      registration,
      { facts: observation.facts, messagingLimit: observation.phone?.messagingLimit ?? null, qualityRating: observation.phone?.qualityRating ?? null },
      context,
      'Reconciled with Meta',
    );
  }
  return applyObservation(
    registration,
    { facts: observeWabaMissing(registration.facts, context.at, reading.confirmed) },
    context,
    reading.confirmed ? 'WABA no longer granted to the app (debug_token)' : 'Meta does not return the WABA (100/33)',
  );
}

export function disconnect(registration: Registration, context: ChangeContext, detail = 'Disconnected on request'): Change {
  requireStage(registration, ['Connected'], 'disconnect');
  if (registration.facts.disconnected?.value) return { next: registration, history: [] };
  return evolve(registration, { facts: { ...registration.facts, disconnected: { value: true, at: context.at } } }, context, detail);
}

export function assertCanReconnect(registration: Registration): void {
  if (registration.stage !== 'Connected' || !registration.status || !RECONNECTABLE_STATUSES.includes(registration.status)) {
    throw invalidTransition(
      `Cannot reconnect a registration that is ${registration.stage}${registration.status ? ` (${registration.status})` : ''}: only Disconnected, Revoked or PhoneNumberDeleted accounts reconnect.`,
    );
  }
}

/** Back to ProfileSelected with a clean slate of facts: onboarding continues from there. */
export function reconnect(registration: Registration, phoneNumberId: string, context: ChangeContext): Change {
  assertCanReconnect(registration);
  return evolve(
    registration,
    { stage: 'ProfileSelected', phoneNumberId, facts: {}, verification: null, metaRegistration: null, metaCall: null },
    context,
    `Reconnecting from ${registration.status}`,
  );
}

export function cancel(registration: Registration, context: ChangeContext): Change {
  if (registration.stage === 'Cancelled') return { next: registration, history: [] };
  if (registration.stage === 'Connected') {
    throw invalidTransition('A connected registration cannot be cancelled.', 'Disconnect it instead.');
  }
  return evolve(registration, { stage: 'Cancelled' }, context, 'Registration cancelled');
}

export { andThen };

const HOUR_MS = 60 * 60_000;
/** The wait after the first refusal; it doubles with each refusal in a row, up to the cap. */
export const REFUSAL_FIRST_WAIT_MS = HOUR_MS;
export const REFUSAL_MAX_WAIT_MS = 24 * HOUR_MS;

export const refusalWaitMs = (count: number): number => Math.min(REFUSAL_MAX_WAIT_MS, REFUSAL_FIRST_WAIT_MS * 2 ** Math.max(0, count - 1));

/** Whether an automatic retry must still wait after Meta refused a request as malformed. */
export const heldOffByRefusal = (registration: Registration, now: Date): boolean =>
  registration.metaRefusal != null && Date.parse(registration.metaRefusal.notBefore) > now.getTime();

/** The refusal as it stands after one more; the stage and status do not move (Meta said nothing about the account). */
export function nextRefusal(
  previous: MetaRefusal | null | undefined,
  refusal: { operation: string; code?: number | undefined; subcode?: number | undefined },
  at: string,
): MetaRefusal {
  const count = (previous?.count ?? 0) + 1;
  return {
    operation: refusal.operation,
    code: refusal.code ?? null,
    subcode: refusal.subcode ?? null,
    since: previous?.since ?? at,
    lastAt: at,
    count,
    notBefore: new Date(Date.parse(at) + refusalWaitMs(count)).toISOString(),
  };
}

export function recordMetaRefused(
  registration: Registration,
  refusal: { operation: string; code?: number | undefined; subcode?: number | undefined },
  context: ChangeContext,
): Change {
  return evolve(registration, { metaRefusal: nextRefusal(registration.metaRefusal, refusal, context.at) }, context, `Meta refused ${refusal.operation}`);
}

/** A call Meta answered: whatever it refused before is over. */
export const clearMetaRefusal = (registration: Registration): Change =>
  registration.metaRefusal ? { next: { ...registration, metaRefusal: null }, history: [] } : { next: registration, history: [] };

/**
 * Reconcile subscribed the app to the WABA again (Meta no longer listed it, so webhooks had stopped).
 * Nothing about the registration's stage or status moved, but it is a change of its account worth
 * its history: one entry with from = to (docs/adr/0032). Only connected registrations receive webhooks.
 */
export function recordSubscriptionRestored(registration: Registration, context: ChangeContext): Change {
  if (registration.stage !== 'Connected') return { next: registration, history: [] };
  const state = { stage: registration.stage, status: registration.status };
  const entry: HistoryEntry = {
    at: context.at,
    from: state,
    to: state,
    cause: context.cause,
    actor: context.actor ?? SYSTEM_ACTOR,
    detail: `Subscription of this app to WABA ${registration.whatsAppBusinessAccountId ?? ''} restored: Meta no longer listed it, so webhooks had stopped`,
    ...(context.eventId ? { eventId: context.eventId } : {}),
  };
  return { next: { ...registration, updatedAt: context.at }, history: [entry] };
}
