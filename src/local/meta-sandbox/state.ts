import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { toE164 } from '../../domain/phone-number';
import { httpStatusFor, type MetaErrorSpec, type MissingObjectStyle } from './errors';
import { ControlError } from './http';
import type { MetaSandboxWorld } from './world';

/**
 * The sandbox's world: businesses, WABAs, their phone numbers, shares, injected failures and
 * call counters. Plain methods, so tests and the local host set it up without HTTP; the
 * `/_sandbox/...` routes call the same methods.
 *
 * The records returned are the live ones: changing a field changes what the Graph endpoints answer.
 */
/** Meta's `health_status.can_send_message` values. */
export const CAN_SEND_MESSAGE = ['AVAILABLE', 'LIMITED', 'BLOCKED'] as const;
export type CanSendMessage = (typeof CAN_SEND_MESSAGE)[number];

/** A health set by a control route: replaces what the sandbox would compute for that entity. */
export interface SandboxHealth {
  canSendMessage: CanSendMessage;
  errors: Array<{ errorCode: number; errorDescription: string; possibleSolution: string }>;
}

export interface SandboxBusiness {
  id: string;
  name: string;
}

export interface SandboxWaba {
  id: string;
  name: string;
  accountReviewStatus: string;
  businessVerificationStatus: string;
  ownershipType: string;
  businessId: string | null;
  /** False once unshared: every WABA and phone call answers 100/33 and debug_token leaves it out. */
  shared: boolean;
  /** `name_status` given to numbers added through `POST /{waba}/phone_numbers`. */
  newNumberNameStatus: string;
  subscribedApp: boolean;
  /** The WABA entity's health when a control route set it; null: computed from the account (health.ts). */
  health: SandboxHealth | null;
  /** In insertion order, removed numbers included (their records have `removed: true`). */
  phoneNumberIds: string[];
}

export interface SandboxPhoneNumber {
  id: string;
  wabaId: string;
  /** `+<digits>`. */
  e164: string;
  displayPhoneNumber: string;
  verifiedName: string;
  codeVerificationStatus: string;
  nameStatus: string;
  newNameStatus: string;
  status: string;
  qualityRating: string;
  messagingLimit: string;
  platformType: string;
  /** Deleted and gone from the WABA's list: the node answers 100/33. */
  removed: boolean;
  /** The last code requested, with the `language` the request gave (for tests: what Meta received). */
  lastCode: { code: string; method: 'SMS' | 'VOICE'; language: string; requestedAt: string } | null;
  codeRequests: number;
  registered: boolean;
  /** SHA-256 of the two-step PIN set by the first successful register (the sandbox keeps no PIN). */
  pinHash: string | null;
  registerCalls: number;
  /** The PHONE_NUMBER entity's health when a control route set it; null: computed from the number (health.ts). */
  health: SandboxHealth | null;
  /** The display name asked for with `POST /{phone} new_display_name`, until decided. */
  requestedDisplayName: string | null;
}

export type SandboxPhoneFields = Partial<
  Pick<
    SandboxPhoneNumber,
    | 'id'
    | 'verifiedName'
    | 'codeVerificationStatus'
    | 'nameStatus'
    | 'newNameStatus'
    | 'status'
    | 'qualityRating'
    | 'messagingLimit'
    | 'platformType'
    | 'registered'
  >
>;

export interface AddWabaInput {
  id?: string;
  name?: string;
  businessId?: string | null;
  accountReviewStatus?: string;
  businessVerificationStatus?: string;
  ownershipType?: string;
  /** `name_status` of numbers added later through the Graph API (default `PENDING_REVIEW`). */
  newNumberNameStatus?: string;
}

/** Graph operations as the sandbox names them, for counters and `failNext`. */
export const SANDBOX_OPERATIONS = [
  'debug_token',
  'get_business',
  'get_waba',
  'get_phone_number',
  'get_object',
  'post_object',
  'update_phone_number',
  'list_phone_numbers',
  'add_phone_number',
  'list_subscribed_apps',
  'subscribe_app',
  'unsubscribe_app',
  'request_code',
  'verify_code',
  'register',
  'deregister',
  'oauth_access_token',
  'unknown',
] as const;
export type SandboxOperation = (typeof SANDBOX_OPERATIONS)[number];

export interface FailNextOptions {
  /** How many matching calls fail (default 1). */
  times?: number;
  /** HTTP status of the failure (default: the status of the error's kind, errors.ts httpStatusFor). */
  httpStatus?: number;
  /**
   * For rate-limit codes: minutes in `estimated_time_to_regain_access` of the usage header sent with
   * the failure (default 1); the header then reports call_count 100.
   */
  estimatedTimeToRegainAccess?: number;
}

export interface InjectedFailure {
  /** An operation name, or a pattern tested against the path without version and query (`/123/register`). */
  target: SandboxOperation | RegExp;
  error: MetaErrorSpec;
  remaining: number;
  httpStatus: number;
  estimatedTimeToRegainAccess: number | undefined;
}

export interface SandboxSnapshot {
  businesses: SandboxBusiness[];
  wabas: SandboxWaba[];
  phoneNumbers: Array<
    Omit<SandboxPhoneNumber, 'lastCode' | 'pinHash'> & {
      lastCodeMethod: string | null;
      lastCodeRequestedAt: string | null;
      hasPin: boolean;
    }
  >;
  calls: Partial<Record<SandboxOperation, number>> & { total: number };
  pendingFailures: number;
}

export class SandboxControlError extends ControlError {
  override readonly name = 'SandboxControlError';
}

export const SEED_BUSINESS = { id: '100000000000001', name: 'Contoso Sandbox Business' } as const;
export const SEED_WABA = {
  id: '200000000000001',
  name: 'Contoso Sandbox',
  accountReviewStatus: 'APPROVED',
  businessVerificationStatus: 'verified',
} as const;

const HOUR_MS = 3_600_000;

export const hashPin = (pin: string): string => createHash('sha256').update(`sandbox-pin:${pin}`).digest('hex');

/** Meta's display form: `+1 425-555-0100` for NANP numbers, the international format elsewhere. */
export function formatDisplayNumber(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) {
    return `+1 ${digits.slice(1, 4)}-${digits.slice(4, 7)}-${digits.slice(7)}`;
  }
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  return parsed ? parsed.formatInternational() : `+${digits}`;
}

export class SandboxState {
  readonly businesses = new Map<string, SandboxBusiness>();
  readonly wabas = new Map<string, SandboxWaba>();
  readonly phoneNumbers = new Map<string, SandboxPhoneNumber>();
  private readonly byE164 = new Map<string, string>();
  private failures: InjectedFailure[] = [];
  private counters = new Map<string, number>();
  private readonly usageWindows = new Map<string, { start: number; calls: number }>();
  private nextIds = { business: 1, waba: 1, phone: 1, generatedNumber: 1 };
  /** How a missing object is answered (errors.ts); one run's setting, back to the default on reset. */
  missingObjectStyle: MissingObjectStyle = 'graph-100-33';

  constructor(options: { seed?: boolean } = {}) {
    if (options.seed !== false) this.seed();
  }

  /** Forgets everything (counters and failures included); seeds again unless `seed` is false. */
  reset(options: { seed?: boolean } = {}): void {
    this.businesses.clear();
    this.wabas.clear();
    this.phoneNumbers.clear();
    this.byE164.clear();
    this.failures = [];
    this.counters = new Map();
    this.usageWindows.clear();
    this.nextIds = { business: 1, waba: 1, phone: 1, generatedNumber: 1 };
    this.missingObjectStyle = 'graph-100-33';
    if (options.seed !== false) this.seed();
  }

  private seed(): void {
    this.addBusiness({ ...SEED_BUSINESS });
    this.addWaba({ ...SEED_WABA, businessId: SEED_BUSINESS.id });
  }

  private newId(kind: 'business' | 'waba' | 'phone', prefix: string, taken: Map<string, unknown>): string {
    for (;;) {
      const id = `${prefix}${String(this.nextIds[kind]++).padStart(14, '0')}`;
      if (!taken.has(id)) return id;
    }
  }

  // ---- world setup -------------------------------------------------------------------------

  addBusiness(input: { id?: string; name: string }): SandboxBusiness {
    const id = input.id ?? this.newId('business', '1', this.businesses);
    if (this.businesses.has(id)) throw new SandboxControlError(`Business ${id} already exists.`, 409);
    const business = { id, name: input.name };
    this.businesses.set(id, business);
    return business;
  }

  addWaba(input: AddWabaInput = {}): SandboxWaba {
    const id = input.id ?? this.newId('waba', '2', this.wabas);
    if (this.wabas.has(id)) throw new SandboxControlError(`WABA ${id} already exists.`, 409);
    const businessId = input.businessId === undefined ? (this.businesses.keys().next().value ?? null) : input.businessId;
    if (businessId !== null && !this.businesses.has(businessId)) {
      throw new SandboxControlError(`Business ${businessId} does not exist.`, 404);
    }
    const waba: SandboxWaba = {
      id,
      name: input.name ?? `Sandbox WABA ${id}`,
      accountReviewStatus: input.accountReviewStatus ?? 'APPROVED',
      businessVerificationStatus: input.businessVerificationStatus ?? 'verified',
      ownershipType: input.ownershipType ?? 'CLIENT_OWNED',
      businessId,
      shared: true,
      newNumberNameStatus: input.newNumberNameStatus ?? 'PENDING_REVIEW',
      subscribedApp: false,
      health: null,
      phoneNumberIds: [],
    };
    this.wabas.set(id, waba);
    return waba;
  }

  /**
   * Puts a number on a WABA directly (as if it had been added in WhatsApp Manager). Defaults describe
   * a connected, approved number; pass fields to describe another state.
   */
  addPhoneNumber(wabaId: string, phoneNumber: string, fields: SandboxPhoneFields = {}): SandboxPhoneNumber {
    const waba = this.requireWaba(wabaId);
    const e164 = toE164(phoneNumber);
    if (!e164 || !/^\+?[\d\s().-]+$/.test(phoneNumber.trim())) {
      throw new SandboxControlError('phoneNumber must be an E.164 number.');
    }
    const existing = this.findLive(e164);
    if (existing) {
      throw new SandboxControlError(`${e164} is already on WABA ${existing.wabaId} as ${existing.id}.`, 409);
    }
    // A number deleted earlier can come back; the old record (and its id) stays gone.
    const previous = this.phoneNumber(e164);
    if (previous) previous.removed = true;
    const id = fields.id ?? this.newId('phone', '3', this.phoneNumbers);
    if (this.phoneNumbers.has(id)) throw new SandboxControlError(`Phone number id ${id} already exists.`, 409);
    const phone: SandboxPhoneNumber = {
      id,
      wabaId: waba.id,
      e164,
      displayPhoneNumber: formatDisplayNumber(e164),
      verifiedName: fields.verifiedName ?? waba.name,
      codeVerificationStatus: fields.codeVerificationStatus ?? 'VERIFIED',
      nameStatus: fields.nameStatus ?? 'APPROVED',
      newNameStatus: fields.newNameStatus ?? 'NONE',
      status: fields.status ?? 'CONNECTED',
      qualityRating: fields.qualityRating ?? 'GREEN',
      messagingLimit: fields.messagingLimit ?? 'TIER_250',
      platformType: fields.platformType ?? 'CLOUD_API',
      removed: false,
      lastCode: null,
      codeRequests: 0,
      registered: fields.registered ?? (fields.status ?? 'CONNECTED') === 'CONNECTED',
      pinHash: null,
      registerCalls: 0,
      health: null,
      requestedDisplayName: null,
    };
    this.phoneNumbers.set(id, phone);
    this.byE164.set(e164, id);
    waba.phoneNumberIds.push(id);
    return phone;
  }

  /** Adds `count` numbers `+1 555-xxx-xxxx` (generated, unique) to a WABA: for paging tests and benchmarks. */
  addPhoneNumbers(wabaId: string, count: number, fields: Omit<SandboxPhoneFields, 'id'> = {}): SandboxPhoneNumber[] {
    const added: SandboxPhoneNumber[] = [];
    for (let index = 0; index < count; index += 1) {
      let e164: string;
      do {
        e164 = `+1555${String(this.nextIds.generatedNumber++).padStart(7, '0')}`;
      } while (this.byE164.has(e164));
      added.push(this.addPhoneNumber(wabaId, e164, fields));
    }
    return added;
  }

  /** Adds a number the way `POST /{waba}/phone_numbers` does: pending, not verified. */
  addPendingPhoneNumber(wabaId: string, e164: string, verifiedName: string): SandboxPhoneNumber {
    const waba = this.requireWaba(wabaId);
    return this.addPhoneNumber(wabaId, e164, {
      verifiedName,
      codeVerificationStatus: 'NOT_VERIFIED',
      nameStatus: waba.newNumberNameStatus,
      newNameStatus: 'NONE',
      status: 'PENDING',
      qualityRating: 'UNKNOWN',
      messagingLimit: 'TIER_250',
      registered: false,
    });
  }

  /**
   * Deletes a number on the WhatsApp side. `status`: it stays listed with status `DELETED`;
   * `remove`: it disappears from the WABA's list and its node answers 100/33.
   */
  deletePhoneNumber(idOrE164: string, mode: 'status' | 'remove' = 'status'): SandboxPhoneNumber {
    const phone = this.requirePhone(idOrE164);
    phone.status = 'DELETED';
    phone.registered = false;
    if (mode === 'remove') phone.removed = true;
    return phone;
  }

  /** Changes the live record, so the Graph endpoints answer the new values from the next call on. */
  private updateWaba(
    wabaId: string,
    patch: Partial<Pick<SandboxWaba, 'shared' | 'accountReviewStatus' | 'businessVerificationStatus' | 'newNumberNameStatus'>>,
  ): SandboxWaba {
    return Object.assign(this.requireWaba(wabaId), patch);
  }

  unshareWaba(wabaId: string): SandboxWaba {
    return this.updateWaba(wabaId, { shared: false });
  }

  shareWaba(wabaId: string): SandboxWaba {
    return this.updateWaba(wabaId, { shared: true });
  }

  setAccountReviewStatus(wabaId: string, accountReviewStatus: string): SandboxWaba {
    return this.updateWaba(wabaId, { accountReviewStatus });
  }

  setBusinessVerificationStatus(wabaId: string, businessVerificationStatus: string): SandboxWaba {
    return this.updateWaba(wabaId, { businessVerificationStatus });
  }

  /** `name_status` for numbers added to this WABA through the Graph API from now on. */
  setNewNumberNameStatus(wabaId: string, newNumberNameStatus: string): SandboxWaba {
    return this.updateWaba(wabaId, { newNumberNameStatus });
  }

  setNameStatus(idOrE164: string, nameStatus: string): SandboxPhoneNumber {
    return this.updatePhoneNumber(idOrE164, { nameStatus });
  }

  setPhoneStatus(idOrE164: string, status: string): SandboxPhoneNumber {
    return this.updatePhoneNumber(idOrE164, { status });
  }

  /** Sets the number's own health (`null`: computed again from its status). */
  setPhoneHealth(idOrE164: string, health: SandboxHealth | null): SandboxPhoneNumber {
    const phone = this.requirePhone(idOrE164);
    phone.health = health;
    return phone;
  }

  /** Sets the WABA entity's health (`null`: computed again from the account). */
  setWabaHealth(wabaId: string, health: SandboxHealth | null): SandboxWaba {
    const waba = this.requireWaba(wabaId);
    waba.health = health;
    return waba;
  }

  /** `POST /{phone} new_display_name`: the request waits for review; the current name stays. */
  requestDisplayName(idOrE164: string, name: string): SandboxPhoneNumber {
    const phone = this.requirePhone(idOrE164);
    phone.requestedDisplayName = name;
    phone.newNameStatus = 'PENDING_REVIEW';
    return phone;
  }

  /**
   * Meta's review of a requested display name: `APPROVED` makes it the verified name (name_status
   * APPROVED); any other decision (`DECLINED`, …) keeps the current name. `new_name_status` reads the
   * decision either way, as reconcile sees it.
   */
  decideNewName(idOrE164: string, newNameStatus: string): SandboxPhoneNumber {
    const phone = this.requirePhone(idOrE164);
    if (phone.requestedDisplayName === null) {
      throw new SandboxControlError(`Phone number ${idOrE164} has no display-name change pending.`, 409);
    }
    phone.newNameStatus = newNameStatus;
    if (newNameStatus === 'APPROVED') {
      phone.verifiedName = phone.requestedDisplayName;
      phone.nameStatus = 'APPROVED';
    }
    if (newNameStatus !== 'PENDING_REVIEW') phone.requestedDisplayName = null;
    return phone;
  }

  /** Takes the app off the WABA's webhooks, as `DELETE /{waba}/subscribed_apps` or WhatsApp Manager would. */
  unsubscribeApp(wabaId: string): SandboxWaba {
    const waba = this.requireWaba(wabaId);
    waba.subscribedApp = false;
    return waba;
  }

  updatePhoneNumber(idOrE164: string, patch: Omit<SandboxPhoneFields, 'id'>): SandboxPhoneNumber {
    const phone = this.requirePhone(idOrE164);
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) (phone as unknown as Record<string, unknown>)[key] = value;
    }
    return phone;
  }

  // ---- failures and counters ---------------------------------------------------------------

  /**
   * The next `times` Graph calls matching `target` fail with `error`. Rate-limit codes (4, 17, 32,
   * 613, 80007, 80008) come with a usage header at call_count 100 and the given
   * `estimatedTimeToRegainAccess` (minutes, default 1).
   */
  failNext(target: SandboxOperation | RegExp, error: MetaErrorSpec, timesOrOptions: number | FailNextOptions = {}): void {
    const options = typeof timesOrOptions === 'number' ? { times: timesOrOptions } : timesOrOptions;
    if (typeof target === 'string' && !(SANDBOX_OPERATIONS as readonly string[]).includes(target)) {
      throw new SandboxControlError(`Unknown operation ${target}; expected one of ${SANDBOX_OPERATIONS.join(', ')}.`);
    }
    this.failures.push({
      target,
      error,
      remaining: options.times ?? 1,
      httpStatus: options.httpStatus ?? httpStatusFor(error),
      estimatedTimeToRegainAccess: options.estimatedTimeToRegainAccess,
    });
  }

  clearFailures(): void {
    this.failures = [];
  }

  pendingFailures(): readonly InjectedFailure[] {
    return this.failures;
  }

  /** Used by the Graph routes: consumes the first injected failure matching this call. */
  takeFailure(operation: SandboxOperation, path: string): InjectedFailure | undefined {
    const index = this.failures.findIndex((failure) => (typeof failure.target === 'string' ? failure.target === operation : failure.target.test(path)));
    if (index < 0) return undefined;
    const failure = this.failures[index]!;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures.splice(index, 1);
    return failure;
  }

  recordCall(operation: SandboxOperation): void {
    this.counters.set(operation, (this.counters.get(operation) ?? 0) + 1);
  }

  /** Graph calls of one operation since the start (or the last `resetCalls`). */
  calls(operation: SandboxOperation): number {
    return this.counters.get(operation) ?? 0;
  }

  callCounts(): Partial<Record<SandboxOperation, number>> & { total: number } {
    const counts: Partial<Record<SandboxOperation, number>> = {};
    let total = 0;
    for (const [operation, count] of this.counters) {
      counts[operation as SandboxOperation] = count;
      total += count;
    }
    return { ...counts, total };
  }

  resetCalls(): void {
    this.counters = new Map();
  }

  /**
   * Counts a call against a WABA's hourly budget and returns the percentage used: 200 calls an hour
   * for a WABA without a registered number, 5,000 with one (docs/meta-graph.md "Rate limits").
   * The sandbox reports usage but does not block on it: use `failNext` to simulate a block.
   */
  countWabaCall(wabaId: string, now = Date.now()): number {
    const window = this.usageWindows.get(wabaId);
    const current = window && now - window.start < HOUR_MS ? window : { start: now, calls: 0 };
    current.calls += 1;
    this.usageWindows.set(wabaId, current);
    const waba = this.wabas.get(wabaId);
    const registered = waba?.phoneNumberIds.some((id) => this.phoneNumbers.get(id)?.registered) ?? false;
    return Math.min(100, Math.round((current.calls * 100) / (registered ? 5000 : 200)));
  }

  // ---- lookups -----------------------------------------------------------------------------

  business(id: string): SandboxBusiness | undefined {
    return this.businesses.get(id);
  }

  waba(id: string): SandboxWaba | undefined {
    return this.wabas.get(id);
  }

  /** By phone-number id, or by number (`+14255550100`, digits, or Meta's display form). */
  phoneNumber(idOrE164: string): SandboxPhoneNumber | undefined {
    const byId = this.phoneNumbers.get(idOrE164);
    if (byId) return byId;
    const e164 = toE164(idOrE164);
    const id = e164 ? this.byE164.get(e164) : undefined;
    return id ? this.phoneNumbers.get(id) : undefined;
  }

  /** Numbers listed on a WABA (removed ones left out), in insertion order. */
  listedPhoneNumbers(wabaId: string): SandboxPhoneNumber[] {
    const waba = this.wabas.get(wabaId);
    if (!waba) return [];
    return waba.phoneNumberIds.map((id) => this.phoneNumbers.get(id)).filter((phone): phone is SandboxPhoneNumber => phone !== undefined && !phone.removed);
  }

  /** The number as live on some WABA: listed and not `DELETED`. */
  findLive(e164: string): SandboxPhoneNumber | undefined {
    const phone = this.phoneNumber(e164);
    return phone && !phone.removed && phone.status !== 'DELETED' ? phone : undefined;
  }

  /** The last code requested for a number (by id or E.164), or null. */
  lastCode(idOrE164: string): string | null {
    return this.phoneNumber(idOrE164)?.lastCode?.code ?? null;
  }

  /** WABA ids the token is granted on (debug_token). */
  grantedWabaIds(): string[] {
    return [...this.wabas.values()].filter((waba) => waba.shared).map((waba) => waba.id);
  }

  requireWaba(id: string): SandboxWaba {
    const waba = this.wabas.get(id);
    if (!waba) throw new SandboxControlError(`WABA ${id} does not exist.`, 404);
    return waba;
  }

  requirePhone(idOrE164: string): SandboxPhoneNumber {
    const phone = this.phoneNumber(idOrE164);
    if (!phone) throw new SandboxControlError(`Phone number ${idOrE164} does not exist.`, 404);
    return phone;
  }

  /** The part of the state that outlives a restart (src/local/meta-sandbox/world.ts). */
  world(): MetaSandboxWorld {
    return {
      kind: 'meta-sandbox-world',
      version: 1,
      businesses: [...this.businesses.values()].map((business) => ({ ...business })),
      wabas: [...this.wabas.values()].map((waba) => ({ ...waba, phoneNumberIds: [...waba.phoneNumberIds] })),
      phoneNumbers: [...this.phoneNumbers.values()].map(({ lastCode: _code, ...phone }) => ({ ...phone })),
      nextIds: { ...this.nextIds },
    };
  }

  /** Replaces businesses, WABAs and numbers with a saved world; counters and failures start afresh. */
  restoreWorld(world: MetaSandboxWorld): void {
    this.reset({ seed: false });
    for (const business of world.businesses) this.businesses.set(business.id, { ...business });
    for (const waba of world.wabas) this.wabas.set(waba.id, { ...waba, phoneNumberIds: [...waba.phoneNumberIds] });
    // In insertion order, so a number added again after a delete maps to its newest record, as before.
    for (const phone of world.phoneNumbers) {
      this.phoneNumbers.set(phone.id, { ...phone, lastCode: null });
      this.byE164.set(phone.e164, phone.id);
    }
    this.nextIds = { ...world.nextIds };
  }

  /** Everything, for `GET /_sandbox/state`; codes and PINs left out. */
  snapshot(): SandboxSnapshot {
    return {
      businesses: [...this.businesses.values()].map((business) => ({ ...business })),
      wabas: [...this.wabas.values()].map((waba) => ({ ...waba, phoneNumberIds: [...waba.phoneNumberIds] })),
      phoneNumbers: [...this.phoneNumbers.values()].map(({ lastCode, pinHash, ...phone }) => ({
        ...phone,
        lastCodeMethod: lastCode?.method ?? null,
        lastCodeRequestedAt: lastCode?.requestedAt ?? null,
        hasPin: pinHash !== null,
      })),
      calls: this.callCounts(),
      pendingFailures: this.failures.length,
    };
  }
}
