import { deriveStatus, STATUS_DETAILS, type AccountFacts, type StatusDetails } from './account-status';
import { deriveMessaging, type Messaging } from './messaging';
import { ANONYMOUS_CALLER_ID, SYSTEM_ACTOR } from './actors';
import type { MetaCallState } from './meta-call-state';
import type { OutgoingEvent } from './outgoing-event';
import type { AccountStatus, Cause, Stage } from './stages';

export type PhoneNumberSource = 'acs' | 'byo';
export type VerificationMethod = 'SMS' | 'VOICE';

export interface CompanyDetails {
  companyName: string;
  website: string;
  businessEmail: string;
  businessPhone: string;
}

export interface BusinessAccount {
  /** Meta's business id; null while the business is still to be created in Embedded Signup. */
  id: string | null;
  name: string | null;
  /** Details recorded to prefill Embedded Signup when the business does not exist yet. */
  toCreate?: CompanyDetails;
}

export interface WhatsAppProfile {
  category?: string;
  description?: string;
  website?: string;
  email?: string;
}

export interface Verification {
  method: VerificationMethod;
  language: string;
  requestedAt: string;
  attempts: number;
  verifiedAt: string | null;
  rejectedCodes: number;
  /** Set after too many wrong codes: no code goes to Meta before this time. */
  lockedUntil?: string | null;
}

/** Progress of `POST /{phone}/register` after the code was verified. */
export interface MetaRegistration {
  registeredAt: string | null;
  attempts: number;
  lastError: string | null;
  /** Set after 133016 (72 h) or a provisioning delay: no register call before this time. */
  notBefore: string | null;
}

/**
 * Meta refused a read or call for this registration as malformed (`request-refused`): a fault on our
 * side that no retry fixes by itself, so it waits (growing, capped) instead of being retried every
 * run, and shows as "needs attention" until a call succeeds again (docs/adr/0032).
 */
export interface MetaRefusal {
  /** What Meta refused, e.g. `read WABA`. */
  operation: string;
  code: number | null;
  subcode: number | null;
  since: string;
  lastAt: string;
  /** Refusals in a row. */
  count: number;
  /** No automatic retry before this time. */
  notBefore: string;
}

export interface SmsCapability {
  send: 'unknown' | 'pending' | 'confirmed' | 'failed';
  checkedAt: string | null;
  detail: string | null;
  /** When the last probe was claimed: the per-registration cooldown counts from here. */
  probeSentAt?: string | null;
  /** ACS's id of the last probe sent: only its delivery report counts. */
  probeMessageId?: string | null;
}

export interface AcsChannel {
  channelRegistrationId: string;
  reachable: boolean | null;
  checkedAt: string | null;
}

/** Where a display-name change asked for by API stands (docs/design.md §5, display-name). */
export type DisplayNameChangeState = 'Pending' | 'Approved' | 'Rejected';

export interface DisplayNameChange {
  /** The name Meta was asked to review (`new_display_name`). */
  requested: string;
  /** When Meta accepted the request. */
  requestedAt: string;
  state: DisplayNameChangeState;
  /** When Meta's decision was true at the source (webhook time, or when we read Meta). */
  decidedAt: string | null;
  /** Meta's reason for a rejection, when it gave one. */
  rejectionReason: string | null;
  /** The display name before the change. */
  previous: string | null;
  /**
   * After an approval Meta requires the number to be registered again: its progress (null until
   * approved). Same retry rules as the first registration (Meta counts both).
   */
  registerAgain: MetaRegistration | null;
}

export interface Registration {
  id: string;
  phoneNumber: string;
  phoneNumberSource: PhoneNumberSource;
  stage: Stage;
  /** Derived from `facts` whenever the stage is Connected; stored so it can be indexed. */
  status: AccountStatus | null;
  businessAccount: BusinessAccount | null;
  whatsAppBusinessAccountId: string | null;
  phoneNumberId: string | null;
  displayName: string | null;
  profile: WhatsAppProfile | null;
  verification: Verification | null;
  metaRegistration: MetaRegistration | null;
  facts: AccountFacts;
  messagingLimit: string | null;
  qualityRating: string | null;
  smsCapability: SmsCapability | null;
  acsChannel: AcsChannel | null;
  /** The caller id that created it (docs/design.md §5.1); never changes. */
  owner: string;
  /** The Meta call claimed for this registration, if any (see meta-call.ts). */
  metaCall?: MetaCallState | null;
  /** The last display-name change asked for by API, if any (display-name-change.ts). */
  displayNameChange?: DisplayNameChange | null;
  /** Set while Meta refuses our requests for it as malformed; cleared by the next success. */
  metaRefusal?: MetaRefusal | null;
  createdAt: string;
  updatedAt: string;
  /** Incremented by every saved change; the HTTP ETag. */
  version: number;
}

export interface StageAndStatus {
  stage: Stage;
  status: AccountStatus | null;
}

export interface HistoryEntry {
  at: string;
  from: StageAndStatus;
  to: StageAndStatus;
  cause: Cause;
  /** The Event Grid / webhook event id, or the HTTP request id, that caused the change. */
  eventId?: string;
  /** The caller id when the change served an API call, `system` for events and the timer. */
  actor: string;
  detail: string;
}

export interface ChangeContext {
  cause: Cause;
  at: string;
  eventId?: string;
  /** Who asked for the change; absent when no caller did (events, the timer: recorded as `system`). */
  actor?: string;
}

export function statusDetailsOf(status: AccountStatus | null): StatusDetails | null {
  return status ? STATUS_DETAILS[status] : null;
}

/** What the client sees of sending ability (messaging.ts); before Connected nothing can be sent. */
export function messagingOf(registration: Pick<Registration, 'stage' | 'status' | 'facts'>): Messaging {
  return deriveMessaging(registration);
}

export function newRegistration(input: {
  id: string;
  phoneNumber: string;
  phoneNumberSource: PhoneNumberSource;
  /** The creating caller's id; `anonymous` when none is known. */
  owner?: string;
  at: string;
}): Registration {
  return {
    id: input.id,
    phoneNumber: input.phoneNumber,
    phoneNumberSource: input.phoneNumberSource,
    stage: 'SignupStarted',
    status: null,
    businessAccount: null,
    whatsAppBusinessAccountId: null,
    phoneNumberId: null,
    displayName: null,
    profile: null,
    verification: null,
    metaRegistration: null,
    facts: {},
    messagingLimit: null,
    qualityRating: null,
    smsCapability: null,
    acsChannel: null,
    owner: input.owner ?? ANONYMOUS_CALLER_ID,
    createdAt: input.at,
    updatedAt: input.at,
    version: 0,
  };
}

/**
 * The result of applying a command: the new state and the history entries that describe it.
 * A command that changes nothing visible returns no entries (and may return the same object).
 */
export interface Change {
  next: Registration;
  history: HistoryEntry[];
}

export const unchanged = (registration: Registration): Change => ({ next: registration, history: [] });

/**
 * Builds the next state, recomputing status from facts when Connected, and records a history
 * entry when stage or status moved. Every command goes through here so that no code path can
 * change the stage or the facts without the status and the history following.
 */
export function evolve(
  current: Registration,
  patch: Partial<Omit<Registration, 'id' | 'version' | 'createdAt' | 'status' | 'owner'>>,
  context: ChangeContext,
  detail: string,
  /** `always`: a step worth its own entry even when stage and status stay (a display-name change). */
  record: 'when-moved' | 'always' = 'when-moved',
): Change {
  const merged: Registration = { ...current, ...patch, owner: current.owner, updatedAt: context.at };
  const status = merged.stage === 'Connected' ? deriveStatus(merged.facts) : null;
  const next: Registration = { ...merged, status };
  const moved = next.stage !== current.stage || next.status !== current.status;
  if (!moved && record === 'when-moved') return { next, history: [] };
  const entry: HistoryEntry = {
    at: context.at,
    from: { stage: current.stage, status: current.status },
    to: { stage: next.stage, status: next.status },
    cause: context.cause,
    actor: context.actor ?? SYSTEM_ACTOR,
    detail,
    ...(context.eventId ? { eventId: context.eventId } : {}),
  };
  return { next, history: [entry] };
}

/** Chains a second change after a first, keeping both history entries. */
export function andThen(first: Change, second: (registration: Registration) => Change): Change {
  const after = second(first.next);
  return { next: after.next, history: [...first.history, ...after.history] };
}

/** The outgoing CloudEvents a history entry implies: one per moved stage, one per moved status. */
export function outgoingEventsOf(registrationId: string, version: number, entries: HistoryEntry[]): OutgoingEvent[] {
  const events: OutgoingEvent[] = [];
  const moves = [
    ['stage', 'Registration.StageChanged'],
    ['status', 'Registration.StatusChanged'],
  ] as const;
  entries.forEach((entry) => {
    for (const [field, type] of moves) {
      const from = entry.from[field];
      const to = entry.to[field];
      if (from === to) continue;
      events.push({
        source: `/registrations/${registrationId}`,
        subject: registrationId,
        time: entry.at,
        id: `${registrationId}:${version}:${events.length}`,
        type,
        data: { registrationId, from, to, cause: entry.cause, at: entry.at },
      });
    }
  });
  return events;
}
