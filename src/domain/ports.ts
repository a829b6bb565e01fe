/**
 * Every piece of I/O the domain needs, as types. Adapters in src/adapters implement them; only
 * src/app.ts knows which adapter serves which port.
 */
import type { MetaBusiness, MetaPhoneNumber, MetaWaba } from './meta';
import type { Change, HistoryEntry, Registration, VerificationMethod } from './registration';
import type { AccountStatus, Stage } from './stages';

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}

/** Structured logging; implementations must never receive secrets, and phone numbers go in masked. */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

export interface MetaGraph {
  getBusiness(businessId: string): Promise<MetaBusiness>;
  /** The WABA with all its phone numbers (field expansion, then paging past the first page). */
  getWhatsAppBusinessAccount(wabaId: string): Promise<MetaWaba>;
  getPhoneNumber(phoneNumberId: string): Promise<MetaPhoneNumber>;
  addPhoneNumber(
    wabaId: string,
    input: { countryCode: string; phoneNumber: string; verifiedName: string },
  ): Promise<{ id: string }>;
  requestVerificationCode(phoneNumberId: string, method: VerificationMethod, language: string): Promise<void>;
  verifyCode(phoneNumberId: string, code: string): Promise<void>;
  /** Registers the number on the Cloud API with its two-step PIN, which the adapter derives and never stores. */
  registerPhoneNumber(phoneNumberId: string): Promise<void>;
  subscribeApp(wabaId: string): Promise<void>;
  /** WABA ids the token is still granted `whatsapp_business_management` on (`debug_token`). */
  grantedWabaIds(): Promise<string[]>;
}

/** What exchanging an Embedded Signup code gave: Meta acting as the business, or a refusal. */
export type SignupCodeExchange = { refused: false; meta: MetaGraph } | { refused: true };

/**
 * Meta's Embedded Signup on the server side (docs/design.md §5.2). The business token the code
 * is exchanged for stays inside the returned MetaGraph: the domain never holds it, so it cannot
 * be stored, logged or answered.
 */
export interface EmbeddedSignup {
  /**
   * `GET /oauth/access_token` with the app's id and secret. `refused` when Meta answered HTTP 400
   * with code 100 (expired, used or unknown code); any other failure throws a MetaGraphError.
   */
  exchangeCode(code: string): Promise<SignupCodeExchange>;
  /** A keyed hash of a signup request (its code included), to recognise a retry without keeping the code. */
  fingerprint(request: string): string;
}

export interface RegistrationFilter {
  status?: AccountStatus;
  stage?: Stage;
  whatsAppBusinessAccountId?: string;
  phoneNumber?: string;
  /** The caller id that created the registration (docs/design.md §5.1). */
  owner?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface UpdateOptions {
  /** The version the client read (HTTP If-Match); a different current version fails with concurrency-conflict. */
  ifMatchVersion?: number;
  /**
   * The id of the event that causes the change. The change is skipped when this event was already
   * applied to the registration, and the event is recorded atomically with the change.
   */
  eventId?: string;
}

export interface UpdateResult {
  registration: Registration;
  changed: boolean;
  /** The event in UpdateOptions.eventId had already been applied: nothing was done. */
  duplicate: boolean;
}

/** Counts over what a caller may see; every status and stage present, zeros included. */
export interface RegistrationSummary {
  byStatus: Record<AccountStatus, number>;
  byStage: Record<Stage, number>;
  total: number;
}

export interface RegistrationRepository {
  /**
   * Stores a new registration and its first history entry, and claims its phone number.
   * Fails with `phone-number-in-use` when another registration that is not Cancelled holds the
   * number (also when several creates race: exactly one wins). Creating the same id again
   * returns the stored registration (idempotent retries).
   */
  create(registration: Registration, history: HistoryEntry[]): Promise<Registration>;
  get(id: string): Promise<Registration | null>;
  /**
   * Read, apply `mutate`, write conditionally on the etag read; on a concurrent write (412) read
   * again and re-apply, a bounded number of times. History entries and outgoing events of the
   * change are written in the same transaction. `mutate` may throw a DomainError to refuse.
   * When `mutate` returns the registration it was given, nothing is written.
   */
  update(id: string, mutate: (current: Registration) => Change, options?: UpdateOptions): Promise<UpdateResult>;
  history(id: string): Promise<HistoryEntry[]>;
  list(filter: RegistrationFilter, page: { limit: number; cursor?: string }): Promise<Page<Registration>>;
  /** Registrations on a WABA, for account-level events. */
  listByWaba(wabaId: string): Promise<Registration[]>;
  /** Registrations with this number (any stage), newest first. */
  listByPhoneNumber(phoneNumber: string): Promise<Registration[]>;
  /** Throws when storage does not answer. */
  ping(): Promise<void>;
  /** Counts by status and stage; `owner` narrows them to one caller's registrations. */
  summarize(scope: { owner?: string }): Promise<RegistrationSummary>;
}

export interface IdempotencyStore {
  /**
   * Binds an Idempotency-Key to a registration id and a fingerprint of the request, or returns the
   * binding a previous request made.
   */
  claim(key: string, binding: { registrationId: string; fingerprint: string }): Promise<{
    registrationId: string;
    fingerprint: string;
    claimedNow: boolean;
  }>;
}

/** An outgoing CloudEvent (docs/design.md §6): `Registration.StageChanged` or `Registration.StatusChanged`. */
export interface OutgoingEvent {
  /** Deterministic: `{registrationId}:{version}:{index}`, so a re-publish carries the same id. */
  id: string;
  type: 'Registration.StageChanged' | 'Registration.StatusChanged';
  source: string;
  subject: string;
  time: string;
  data: { registrationId: string; from: string | null; to: string | null; cause: string; at: string };
  /** The registration's owner: scopes `GET /api/events` to a caller's own; never published. */
  owner?: string;
}

/**
 * The transactional outbox. `RegistrationRepository.update/create` write one outbox row per
 * outgoing event in the same transaction as the change; the dispatcher moves them to the feed
 * (insert-if-absent, so a crash between steps never duplicates a feed entry), publishes them,
 * and removes the outbox rows.
 */
export interface OutboxStore {
  /** Outbox rows not yet moved to the feed, oldest first within a registration. */
  pending(limit: number): Promise<Array<{ event: OutgoingEvent; ref: string }>>;
  /** Same, for one registration: right after a change, without scanning. */
  pendingFor(registrationId: string): Promise<Array<{ event: OutgoingEvent; ref: string }>>;
  /** Insert-if-absent into the feed read by `GET /api/events`. */
  appendToFeed(event: OutgoingEvent): Promise<void>;
  /** Deletes the outbox row once its event is in the feed (and published). */
  acknowledge(ref: string): Promise<void>;
  /**
   * The feed, oldest first; `after` is the cursor returned by a previous page. With `owner`, only
   * the events of that owner's registrations (its cursors are interchangeable with the full feed's).
   */
  feed(after: string | undefined, limit: number, owner?: string): Promise<Page<OutgoingEvent>>;
}




/** A CloudEvents 1.0 event this service publishes to Event Grid. */
export interface PublishedEvent {
  id: string;
  type: string;
  source: string;
  subject?: string;
  time: string;
  data: Record<string, unknown>;
}

export interface EventPublisher {
  /** Publishes all or throws (the caller keeps them and retries). */
  publish(events: PublishedEvent[]): Promise<void>;
}

export interface SmsSender {
  /** Sends one SMS from an ACS number; `tag` comes back on its delivery report. */
  send(input: { from: string; to: string; message: string; tag: string }): Promise<{ messageId: string }>;
}

export interface AcsChannels {
  /**
   * Whether the ACS Advanced Messaging channel registration still exists (listing its templates
   * answers 404 when it does not). Throws for anything else (transient).
   */
  exists(channelRegistrationId: string): Promise<boolean>;
}

/** The registrations of one WABA, as reconcile visits them. */
export interface WabaGroup {
  wabaId: string;
  registrationIds: string[];
}

export interface ReconcileRun {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  checked: number;
  changed: number;
  failed: number;
  rateLimited: number;
  /** The WABA id after which this run started (the previous run's checkpoint), if any. */
  resumedFrom: string | null;
  /** `completed` went through to the end; the others left a checkpoint for the next run. */
  outcome: 'completed' | 'budget-exhausted' | 'credential-broken';
}

export interface ReconcileStore {
  /** Every WABA that has registrations, in WABA id order, starting after `after`; streamed page by page. */
  wabaGroups(after: string | null): AsyncIterable<WabaGroup>;
  checkpoint(): Promise<string | null>;
  saveCheckpoint(wabaId: string | null): Promise<void>;
  saveRun(run: ReconcileRun): Promise<void>;
  /** Newest first. */
  runs(limit: number): Promise<ReconcileRun[]>;
}
