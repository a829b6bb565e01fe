/**
 * Every piece of I/O the domain needs, as types. Adapters in src/adapters implement them; only
 * src/app.ts knows which adapter serves which port.
 */
import type { MetaBusiness, MetaPhoneNumber, MetaWaba } from './meta';
import type { Change, HistoryEntry, Registration, VerificationMethod } from './registration';
import type { OutgoingEvent } from './outgoing-event';
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
  addPhoneNumber(wabaId: string, input: { countryCode: string; phoneNumber: string; verifiedName: string }): Promise<{ id: string }>;
  requestVerificationCode(phoneNumberId: string, method: VerificationMethod, language: string): Promise<void>;
  verifyCode(phoneNumberId: string, code: string): Promise<void>;
  /** Registers the number on the Cloud API with its two-step PIN, which the adapter derives and never stores. */
  registerPhoneNumber(phoneNumberId: string): Promise<void>;
  subscribeApp(wabaId: string): Promise<void>;
  /** WABA ids the token is still granted `whatsapp_business_management` on (`debug_token`). */
  grantedWabaIds(): Promise<string[]>;
  /**
   * `POST /{phone-number-id}` with `new_display_name`: asks Meta to review a new display name (its
   * `new_name_status` then follows the review). A name Meta refuses throws a `rejected` MetaGraphError.
   */
  requestDisplayNameChange(phoneNumberId: string, newDisplayName: string): Promise<void>;
  /** The ids of the apps subscribed to the WABA's webhooks (`GET /{waba}/subscribed_apps`). */
  subscribedAppIds(wabaId: string): Promise<string[]>;
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
  /**
   * The registration as the caller just read it from this repository (a list or a WABA group).
   * When it is still current the update skips its own read; when it is not, the write is refused
   * by the store and the update reads and re-applies as usual.
   */
  basis?: Registration;
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
  /** When the counts were last brought up to date. */
  asOf: string;
}

export interface RegistrationRepository {
  /**
   * A new registration id. The repository chooses it so that the registration is stored next to
   * what finds it by phone number (events name the number, not the id).
   */
  newId(phoneNumber: string): string;
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
  /** Counts by status and stage (every value present, zeros included); `owner` narrows to one owner's. */
  summarize(scope: { owner?: string }): Promise<RegistrationSummary>;
  /** Throws when storage does not answer. */
  ping(): Promise<void>;
}

export interface IdempotencyStore {
  /**
   * Binds an Idempotency-Key to a registration id and a fingerprint of the request, or returns the
   * binding a previous request made.
   */
  claim(
    key: string,
    binding: { registrationId: string; fingerprint: string },
  ): Promise<{
    registrationId: string;
    fingerprint: string;
    claimedNow: boolean;
  }>;
}

/** Defined below the registration model, which builds these events; named here with the other ports. */
export type { OutgoingEvent } from './outgoing-event';

/** The outgoing events of one committed change, and what to acknowledge once they are out. */
export interface OutboxEntry {
  events: OutgoingEvent[];
  ref: string;
}

/**
 * The transactional outbox. `RegistrationRepository.create/update` write one outbox entry per
 * change in the same transaction as the change; the dispatcher moves their events to the feed
 * (insert-if-absent, so a crash between steps never duplicates a feed entry), publishes them,
 * and acknowledges the entries.
 */
export interface OutboxStore {
  /** Entries not yet acknowledged, any registration (crash recovery). */
  pending(limit: number): Promise<OutboxEntry[]>;
  /** Same, for one registration. */
  pendingFor(registrationId: string): Promise<OutboxEntry[]>;
  /** Insert-if-absent into the feed read by `GET /api/events`. */
  appendToFeed(events: OutgoingEvent[]): Promise<void>;
  /** Removes entries whose events are in the feed (and published); acknowledging twice is fine. */
  acknowledge(refs: string[]): Promise<void>;
  /**
   * The feed, oldest first; `after` is the cursor returned by a previous page. With `owner`, only
   * the events of that owner's registrations (its cursors are interchangeable with the full feed's).
   */
  feed(after: string | undefined, limit: number, owner?: string): Promise<Page<OutgoingEvent>>;
  /** Called with each entry this process commits, right after its change: no read needed to dispatch it. */
  subscribe(listener: (entry: OutboxEntry) => void): void;
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

/**
 * What a channel probe found: the channel exists, or ACS itself said it does not (`status` and
 * `code` are the evidence, kept for the log and the history; null when no call was made).
 */
export type AcsChannelProbe = { exists: true } | { exists: false; status: number | null; code: string | null };

export interface AcsChannels {
  /**
   * Whether the ACS Advanced Messaging channel registration still exists (listing its templates
   * answers 404 with a service error body when it does not). Throws for anything else.
   */
  probe(channelRegistrationId: string): Promise<AcsChannelProbe>;
}

/** The registrations of one WABA, as reconcile visits them. */
export interface WabaGroup {
  wabaId: string;
  registrationIds: string[];
  /**
   * The registrations as stored when the group was read, in `registrationIds` order: reconcile
   * compares Meta with these and writes only those that differ (passing each as `basis`).
   */
  registrations?: Registration[];
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
  /** Registrations whose Meta reads Meta refused as malformed: not retried before their wait is over (docs/adr/0032). */
  needsAttention?: number;
  /** WABAs whose app subscription this run restored. */
  subscriptionsRestored?: number;
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
