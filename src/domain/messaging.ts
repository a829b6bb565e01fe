/**
 * "Can this number send, and if not, why" (docs/design.md §5, docs/adr/0031): Meta's finer answer,
 * derived from the facts the service keeps. The account status (§2.2) says what happened to the
 * account; this says whether WhatsApp lets the number send now: the phone node's `status` must be
 * `CONNECTED`, and neither the number's nor the WABA's `health_status` may be `BLOCKED`.
 */
import { STATUS_DETAILS, type AccountFacts, type HealthBlocker, type HealthFact } from './account-status';
import type { AccountStatus, Stage } from './stages';

export interface Messaging {
  canSend: boolean;
  /** True when the number can send, but Meta caps it (health `LIMITED`, account review, display name not approved). */
  limited: boolean;
  /** Why it cannot send or is limited, naming Meta's value; null when it can send without limits. */
  reason: string | null;
  /** Meta's `health_status` errors, with Meta's possible solutions. */
  blockedBy: HealthBlocker[];
  /** What to do about `reason`, when there is something to do. */
  suggestedAction: string | null;
}

interface Finding {
  reason: string;
  suggestedAction: string | null;
}

/** Phone `status` values, as Meta names them, and what each means for sending. */
const PHONE_STATUS_FINDINGS: Record<string, Finding> = {
  PENDING: {
    reason: 'Meta reports the number PENDING: it is not registered on the WhatsApp Cloud API yet.',
    suggestedAction: 'Reconcile later; if it stays PENDING, check the number in WhatsApp Manager.',
  },
  UNVERIFIED: {
    reason: 'Meta reports the number UNVERIFIED: its verification is not complete.',
    suggestedAction: 'Check the number in WhatsApp Manager; it may need to be verified again.',
  },
  FLAGGED: {
    reason: 'Meta reports the number FLAGGED: its quality rating is low and Meta may lower its messaging limit.',
    suggestedAction: 'Improve message quality (fewer blocks and reports); see the quality rating in WhatsApp Manager.',
  },
  RESTRICTED: {
    reason: 'Meta reports the number RESTRICTED: Meta restricted what it may send.',
    suggestedAction: 'Check the number and the account in WhatsApp Manager for the restriction and when it ends.',
  },
  BANNED: {
    reason: 'Meta reports the number BANNED.',
    suggestedAction: 'Check the number in WhatsApp Manager and request a review if the decision is wrong.',
  },
  DISCONNECTED: {
    reason: 'Meta reports the number DISCONNECTED: it is no longer registered on the WhatsApp Cloud API.',
    suggestedAction: 'Check the number in WhatsApp Manager; disconnect and reconnect it here to register it again.',
  },
  RATE_LIMITED: {
    reason: 'Meta reports the number RATE_LIMITED: Meta is throttling what it sends.',
    suggestedAction: 'Send less for a while; Meta lifts the limit by itself.',
  },
  MIGRATED: {
    reason: 'Meta reports the number MIGRATED: it was moved to another account or platform.',
    suggestedAction: 'Check in WhatsApp Manager where the number is now; reconnect it here if it should be used again.',
  },
};

const REVIEW_FINDINGS: Record<string, Finding> = {
  RESTRICTED: {
    reason: "Meta reports the WhatsApp Business Account's review as RESTRICTED: the account may send only within Meta's restrictions.",
    suggestedAction: 'Check the account in WhatsApp Manager for the restriction and request a review if it is wrong.',
  },
  LIMIT_REACHED: {
    reason: "Meta reports the WhatsApp Business Account's review as LIMIT_REACHED: the account reached the limit Meta set for it.",
    suggestedAction: 'Check the account in WhatsApp Manager; the limit rises with Meta Business Verification and good quality.',
  },
};

const DISPLAY_NAME_FINDINGS: Partial<Record<AccountStatus, Finding>> = {
  DisplayNameReviewPending: {
    reason: 'The display name is under review by Meta: sending is capped per day until it is approved.',
    suggestedAction: null,
  },
  DisplayNameReviewRejected: {
    reason: 'Meta rejected the display name: sending is capped per day until a display name is approved.',
    suggestedAction: 'Submit a new display name in WhatsApp Manager.',
  },
  DisplayNameReviewNotStarted: {
    reason: 'The display name is not approved and no review is under way: sending is capped per day until it is approved.',
    suggestedAction: 'Finish Meta Business Verification so that the display-name review can start.',
  },
};

const EXPIRED_NAME: Finding = {
  reason: "Meta reports the display name's certificate EXPIRED: the name is no longer approved and sending is capped per day.",
  suggestedAction: 'Submit the display name again in WhatsApp Manager (or request a display-name change here).',
};

const NOT_READ: Finding = {
  reason: "Meta's status of the number has not been read yet.",
  suggestedAction: 'Reconcile the registration to read it from Meta.',
};

const phoneFinding = (status: string): Finding =>
  PHONE_STATUS_FINDINGS[status] ?? {
    reason: `Meta reports the number's status as ${status}, which is not CONNECTED.`,
    suggestedAction: 'Check the number in WhatsApp Manager.',
  };

const healthFinding = (what: string, health: HealthFact): Finding => {
  const first = health.blockedBy.find((blocker) => blocker.description) ?? health.blockedBy[0];
  const detail = first?.description ? ` (${first.description.replace(/\.$/, '')})` : '';
  return {
    reason: `Meta's health status of the ${what} is ${health.canSendMessage}${detail}.`,
    suggestedAction: first?.possibleSolution ?? 'Check the account in WhatsApp Manager.',
  };
};

/** Errors of both health answers, once each (the number's answer repeats the WABA, business and app). */
function blockersOf(facts: AccountFacts): HealthBlocker[] {
  const seen = new Set<string>();
  const all: HealthBlocker[] = [];
  for (const blocker of [...(facts.phoneHealth?.value.blockedBy ?? []), ...(facts.wabaHealth?.value.blockedBy ?? [])]) {
    const key = `${blocker.entity}|${blocker.code ?? ''}|${blocker.description ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    all.push(blocker);
  }
  return all;
}

export function deriveMessaging(registration: { stage: Stage; status: AccountStatus | null; facts: AccountFacts }): Messaging {
  const { stage, status, facts } = registration;
  const blockedBy = blockersOf(facts);
  const blocked = (finding: Finding): Messaging => ({ canSend: false, limited: false, blockedBy, ...finding });

  if (stage !== 'Connected' || status === null) {
    return blocked({ reason: `Onboarding is not finished (stage ${stage}): the number cannot send yet.`, suggestedAction: null });
  }
  const details = STATUS_DETAILS[status];
  // The account status comes first: a revoked or disconnected account cannot send, whatever Meta's number says.
  if (!details.canSend) return blocked({ reason: `The account is ${details.label}: ${details.meaning}`, suggestedAction: details.suggestedAction });

  const phoneStatus = facts.phoneStatus?.value;
  if (phoneStatus === undefined) return blocked(NOT_READ);
  if (phoneStatus !== 'CONNECTED') return blocked(phoneFinding(phoneStatus));
  if (facts.phoneHealth?.value.canSendMessage === 'BLOCKED') return blocked(healthFinding('number', facts.phoneHealth.value));
  if (facts.wabaHealth?.value.canSendMessage === 'BLOCKED') return blocked(healthFinding('WhatsApp Business Account', facts.wabaHealth.value));

  const limit = limitFinding(status, facts);
  return limit ? { canSend: true, limited: true, blockedBy, ...limit } : { canSend: true, limited: false, reason: null, blockedBy, suggestedAction: null };
}

function limitFinding(status: AccountStatus, facts: AccountFacts): Finding | null {
  // Meta's review value names the cause; a LIMITED health answer is often its consequence, so the review speaks first.
  const review = REVIEW_FINDINGS[facts.accountReview?.value ?? ''];
  if (review) return review;
  if (facts.phoneHealth?.value.canSendMessage === 'LIMITED') return healthFinding('number', facts.phoneHealth.value);
  if (facts.wabaHealth?.value.canSendMessage === 'LIMITED') return healthFinding('WhatsApp Business Account', facts.wabaHealth.value);
  if (facts.displayName?.value === 'Expired') return EXPIRED_NAME;
  return DISPLAY_NAME_FINDINGS[status] ?? null;
}

export interface StatusDescription {
  label: string;
  meaning: string;
  suggestedAction: string | null;
}

/**
 * The status as the API words it, kept consistent with `messaging`: a status that allows sending
 * (Active, the display-name reviews) never says "ready to send" while Meta blocks or caps the number.
 */
export function describeStatus(status: AccountStatus, messaging: Messaging): StatusDescription {
  const { label, meaning, suggestedAction, canSend } = STATUS_DETAILS[status];
  if (!canSend || messaging.reason === null) return { label, meaning, suggestedAction };
  if (!messaging.canSend) {
    const opening = status === 'Active' ? 'The account is connected, but the number cannot send now:' : `${meaning} The number cannot send now:`;
    return { label, meaning: `${opening} ${messaging.reason}`, suggestedAction: messaging.suggestedAction };
  }
  if (status === 'Active') {
    return { label, meaning: `The number is registered and can send, within limits: ${messaging.reason}`, suggestedAction: messaging.suggestedAction };
  }
  return { label, meaning, suggestedAction };
}
