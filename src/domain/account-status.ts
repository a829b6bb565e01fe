import type { AccountStatus } from './stages';

/**
 * What the service knows about a connected account, one fact per question, each with the time
 * of the information it came from. Status is derived from facts (never stored on its own as the
 * source of truth), so an event can update one fact without knowing the others, and an older
 * event can be refused per fact (docs/design.md §3).
 */
export interface Fact<T> {
  value: T;
  /** When the information was true at the source (event time, or when we read Meta). */
  at: string;
}

export type WabaAccess = 'ok' | 'suspect' | 'revoked';
export type PhonePresence = 'present' | 'deleted';
/**
 * `Expired` is `name_status` `EXPIRED`: the display name's certificate ran out, so no approved name
 * and no review under way; it shows as `DisplayNameReviewNotStarted` (docs/adr/0031).
 */
export type DisplayNameReview = 'Approved' | 'Pending' | 'Rejected' | 'NotStarted' | 'Expired';

/** One error of Meta's `health_status`, named by the entity it is about (`PHONE_NUMBER 1234`). */
export interface HealthBlocker {
  entity: string;
  code: number | null;
  description: string | null;
  possibleSolution: string | null;
}

/**
 * Meta's `health_status` as kept for one registration: the `can_send_message` that applies to it
 * (raw: `AVAILABLE`, `LIMITED`, `BLOCKED` or a value Meta adds later) and the errors Meta gave,
 * sorted so that the same answer read again is the same fact.
 */
export interface HealthFact {
  canSendMessage: string;
  blockedBy: HealthBlocker[];
}

export interface AccountFacts {
  /** Disconnected on our side (sticky until reconnect). */
  disconnected?: Fact<boolean>;
  wabaAccess?: Fact<WabaAccess> & { suspicions?: number };
  phone?: Fact<PhonePresence>;
  /** Meta's account review decision (`account_review_status` / `account_review_update`). */
  accountReview?: Fact<string>;
  /** `DISABLED_UPDATE` ban state: `DISABLE`, `REINSTATE`, `SCHEDULE_FOR_DISABLE`. */
  accountBan?: Fact<string>;
  displayName?: Fact<DisplayNameReview>;
  /** The phone node's `status` as Meta gives it, upper-cased (`CONNECTED`, `FLAGGED`, `PENDING`…). */
  phoneStatus?: Fact<string>;
  /** The phone number's `health_status`. */
  phoneHealth?: Fact<HealthFact>;
  /** The WABA's `health_status`, without the entities of the WABA's other numbers. */
  wabaHealth?: Fact<HealthFact>;
}

export type FactName = keyof AccountFacts;

/** docs/design.md §2.2: the first status in this list whose condition holds wins. */
export function deriveStatus(facts: AccountFacts): AccountStatus {
  if (facts.disconnected?.value) return 'Disconnected';
  if (facts.wabaAccess?.value === 'revoked') return 'Revoked';
  if (facts.phone?.value === 'deleted') return 'PhoneNumberDeleted';
  if (facts.accountReview?.value === 'REJECTED' || facts.accountBan?.value === 'DISABLE') {
    return 'BusinessAccountReviewRejected';
  }
  switch (facts.displayName?.value) {
    case 'Rejected':
      return 'DisplayNameReviewRejected';
    case 'Pending':
      return 'DisplayNameReviewPending';
    case 'NotStarted':
    case 'Expired':
      return 'DisplayNameReviewNotStarted';
    default:
      return 'Active';
  }
}

export interface StatusDetails {
  label: string;
  meaning: string;
  suggestedAction: string | null;
  canSend: boolean;
  limited: boolean;
}

const LIMITED_ACTION =
  'Nothing is required to start; until the display name is approved the business can send a limited number of messages to a limited number of recipients a day.';

export const STATUS_DETAILS: Record<AccountStatus, StatusDetails> = {
  Active: {
    label: 'Active',
    meaning: 'The number is registered and ready to send and receive WhatsApp messages.',
    suggestedAction: null,
    canSend: true,
    limited: false,
  },
  Revoked: {
    label: 'Revoked',
    meaning: 'The WhatsApp Business Account was unshared with this service or deleted on the WhatsApp side.',
    suggestedAction:
      'If the account is no longer wanted, disconnect it. To use it again, disconnect and then reconnect to redo the registration (share the account with the app again first).',
    canSend: false,
    limited: false,
  },
  Disconnected: {
    label: 'Disconnected',
    meaning: 'The number was disconnected on the Azure Communication Services side; the WhatsApp Business Account itself was not deleted.',
    suggestedAction: 'To finish leaving, unshare or delete the account in WhatsApp Manager. To use the number again, reconnect.',
    canSend: false,
    limited: false,
  },
  PhoneNumberDeleted: {
    label: 'Phone number deleted',
    meaning: 'The phone number was deleted from the WhatsApp Business Account on the WhatsApp side.',
    suggestedAction: 'Disconnect it, or reconnect to add the same number to the account again.',
    canSend: false,
    limited: false,
  },
  BusinessAccountReviewRejected: {
    label: 'Business account review rejected',
    meaning: 'WhatsApp disabled the business account for not complying with its Commerce Policy.',
    suggestedAction: 'Check the account in WhatsApp Manager, and request a review there if the decision is wrong.',
    canSend: false,
    limited: false,
  },
  DisplayNameReviewNotStarted: {
    label: 'Display name review not started',
    meaning: 'The display name review has not started, usually because Meta Business Verification is not finished.',
    suggestedAction: LIMITED_ACTION,
    canSend: true,
    limited: true,
  },
  DisplayNameReviewPending: {
    label: 'Display name review pending',
    meaning: 'Meta is reviewing the display name.',
    suggestedAction: LIMITED_ACTION,
    canSend: true,
    limited: true,
  },
  DisplayNameReviewRejected: {
    label: 'Display name review rejected',
    meaning: 'Meta rejected the display name.',
    suggestedAction: 'Submit a new display name in WhatsApp Manager. Until one is approved the business can send a limited number of messages a day.',
    canSend: true,
    limited: true,
  },
};

/** `name_status` of the phone node, and `phone_number_name_update` decisions, as one review state. */
export function displayNameReviewFrom(raw: string | null | undefined): DisplayNameReview | null {
  switch ((raw ?? '').toUpperCase()) {
    case 'APPROVED':
    case 'AVAILABLE_WITHOUT_REVIEW':
      return 'Approved';
    case 'PENDING_REVIEW':
    case 'PENDING':
    case 'DEFERRED':
      return 'Pending';
    case 'DECLINED':
    case 'REJECTED':
      return 'Rejected';
    case 'NONE':
      return 'NotStarted';
    case 'EXPIRED':
      return 'Expired';
    default:
      return null;
  }
}
