/**
 * Meta's WhatsApp Business webhooks (docs/meta-graph.md "Webhooks"): the signature check, the
 * subscription handshake, and the translation of account-level changes into the CloudEvents the
 * `POST /api/meta/webhook` function publishes (docs/design.md §6). Pure: no I/O, only hashing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { clampToNow } from './outside-time';
import type { PublishedEvent } from './ports';

export const META_SIGNATURE_HEADER = 'x-hub-signature-256';
export const WHATSAPP_WEBHOOK_OBJECT = 'whatsapp_business_account';

export const ACCOUNT_UPDATE_EVENT = 'WhatsApp.AccountUpdate';
export const ACCOUNT_REVIEW_UPDATE_EVENT = 'WhatsApp.AccountReviewUpdate';
export const PHONE_NUMBER_NAME_UPDATE_EVENT = 'WhatsApp.PhoneNumberNameUpdate';
export const PHONE_NUMBER_QUALITY_UPDATE_EVENT = 'WhatsApp.PhoneNumberQualityUpdate';

export const WHATSAPP_EVENT_TYPES = [
  ACCOUNT_UPDATE_EVENT,
  ACCOUNT_REVIEW_UPDATE_EVENT,
  PHONE_NUMBER_NAME_UPDATE_EVENT,
  PHONE_NUMBER_QUALITY_UPDATE_EVENT,
] as const;
export type WhatsAppEventType = (typeof WHATSAPP_EVENT_TYPES)[number];

/** Webhook field → CloudEvent type. Fields not listed here (messages, templates…) are ignored. */
export const WHATSAPP_EVENT_TYPE_BY_FIELD = {
  account_update: ACCOUNT_UPDATE_EVENT,
  account_review_update: ACCOUNT_REVIEW_UPDATE_EVENT,
  phone_number_name_update: PHONE_NUMBER_NAME_UPDATE_EVENT,
  phone_number_quality_update: PHONE_NUMBER_QUALITY_UPDATE_EVENT,
} as const satisfies Record<string, WhatsAppEventType>;
export type AccountChangeField = keyof typeof WHATSAPP_EVENT_TYPE_BY_FIELD;

export const whatsAppEventSource = (wabaId: string): string => `/whatsapp/business-accounts/${wabaId}`;

// ---------------------------------------------------------------------------------------------
// Signature and handshake

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * `X-Hub-Signature-256: sha256=<hex>` over the raw request bytes. The bytes must be the ones
 * received: Meta escapes non-ASCII as `\u00e4`, so a parsed and re-serialised body hashes
 * differently. The regex fixes the digest length, so `timingSafeEqual` always gets equal-length
 * buffers and never throws.
 */
export function verifyMetaSignature(rawBody: Uint8Array, header: string | null | undefined, appSecret: string): boolean {
  if (!appSecret || typeof header !== 'string') return false;
  const match = SIGNATURE.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Compares secrets without leaking their content or length through timing. */
function constantTimeEquals(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}

export interface HandshakeQuery {
  /** `hub.mode` */
  mode: string | null | undefined;
  /** `hub.verify_token` */
  verifyToken: string | null | undefined;
  /** `hub.challenge` */
  challenge: string | null | undefined;
}

/**
 * The challenge is echoed back, so it is limited to a short run of URL-safe characters: Meta sends
 * an integer, and markup is not worth reflecting.
 */
const CHALLENGE = /^[A-Za-z0-9._~-]{1,256}$/;

export function verifyHandshake(query: HandshakeQuery, expectedToken: string | null | undefined): { ok: true; challenge: string } | { ok: false } {
  // An unset token must not turn into "any empty token matches".
  if (!expectedToken) return { ok: false };
  if (query.mode !== 'subscribe') return { ok: false };
  if (typeof query.verifyToken !== 'string' || typeof query.challenge !== 'string') return { ok: false };
  if (!CHALLENGE.test(query.challenge)) return { ok: false };
  return constantTimeEquals(query.verifyToken, expectedToken) ? { ok: true, challenge: query.challenge } : { ok: false };
}

// ---------------------------------------------------------------------------------------------
// Envelope → CloudEvents

/** JSON with object keys sorted at every depth, so equal content always hashes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined) sorted[key] = sortKeys(record[key]);
    }
    return sorted;
  }
  return value;
}

/** Meta ids are digit strings; numbers are taken only while they are exact. */
const metaId = z.union([
  z
    .string()
    .trim()
    .regex(/^\d{1,32}$/, 'must be a Meta id (digits)'),
  z
    .number()
    .int()
    .nonnegative()
    .refine((n) => Number.isSafeInteger(n), 'is too large to be exact')
    .transform(String),
]);

const text = z.string().trim().min(1);

const envelopeSchema = z.looseObject({
  object: z.string(),
  entry: z.array(z.unknown()),
});

/** 9999-12-31T23:59:59Z: beyond it `Date#toISOString` throws. */
const MAX_UNIX_SECONDS = 253_402_300_799;

/** Unix seconds; a value in milliseconds (13 digits) is recognised rather than read as year 57000. */
const unixTime = z
  .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int().nonnegative())
  .transform((n) => (n >= 1e11 ? Math.floor(n / 1000) : n))
  .pipe(z.number().max(MAX_UNIX_SECONDS));

const entrySchema = z.looseObject({
  id: metaId,
  // Missing or broken: the change is still worth publishing (it may revoke an account), so the
  // receipt time stands in; see toAccountChangeEvents.
  time: unixTime.optional().catch(undefined),
  changes: z.array(z.unknown()),
});

const changeSchema = z.looseObject({
  field: z.string(),
  value: z.record(z.string(), z.unknown()),
});

const wabaInfo = z.looseObject({ waba_id: metaId });

const valueSchemas = {
  account_update: z.looseObject({
    event: text,
    // Only checked here when present; PARTNER_* events require it (below).
    waba_info: z.unknown().optional(),
  }),
  account_review_update: z.looseObject({ decision: text }),
  phone_number_name_update: z.looseObject({
    display_phone_number: text,
    decision: text,
  }),
  phone_number_quality_update: z.looseObject({
    display_phone_number: text,
    event: text,
  }),
} as const satisfies Record<AccountChangeField, z.ZodType>;

const isAccountChangeField = (field: string): field is AccountChangeField => Object.hasOwn(WHATSAPP_EVENT_TYPE_BY_FIELD, field);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

type ChangeOutcome = { ok: true; event: PublishedEvent } | { ok: false; reason: string };

function toEvent(field: AccountChangeField, value: Record<string, unknown>, entryId: string, time: number | undefined, receivedAt: Date): ChangeOutcome {
  const parsed = valueSchemas[field].safeParse(value);
  if (!parsed.success) return { ok: false, reason: `${field}: ${describeIssues(parsed.error)}` };

  let wabaId = entryId;
  if (field === 'account_update') {
    const event = String(value.event);
    const info = wabaInfo.safeParse(value.waba_info);
    if (info.success) {
      // For partner events entry.id is the partner's business, not the WABA.
      wabaId = info.data.waba_id;
    } else if (event.startsWith('PARTNER_')) {
      return { ok: false, reason: `account_update ${event}: waba_info.waba_id is missing or invalid` };
    }
  }

  // A time in the future is never taken as such (it would pin the fact): it becomes the receipt time.
  const occurredAtIso = time !== undefined ? clampToNow(time * 1000, receivedAt).iso : receivedAt.toISOString();
  const id = createHash('sha256')
    .update(canonicalJson({ wabaId, field, time: time ?? null, value }), 'utf8')
    .digest('hex');

  const phoneLevel = field === 'phone_number_name_update' || field === 'phone_number_quality_update';
  const phoneDigits = phoneLevel ? String(value.display_phone_number).replace(/\D/g, '') : '';
  // Subjects nest under the WABA so one `subjectBeginsWith` filter selects a whole account.
  const subject = phoneDigits ? `${wabaId}/phone-numbers/${phoneDigits}` : wabaId;

  return {
    ok: true,
    event: {
      id,
      type: WHATSAPP_EVENT_TYPE_BY_FIELD[field],
      source: whatsAppEventSource(wabaId),
      subject,
      time: occurredAtIso,
      data: { ...value, wabaId, occurredAt: occurredAtIso },
    },
  };
}

/**
 * One CloudEvent per account-level change of a webhook envelope. Lenient by design: Meta adds
 * fields and values without notice, and one malformed change must not cost the others, so a bad
 * entry or change is skipped and described in `ignored` (paths and zod messages only, no payload
 * values). `id` is a hash of the change's content (WABA, field, time, value), so Meta's
 * redeliveries of a change carry the same id and consumers dedupe them.
 *
 * `receivedAt` stands in for `entry.time` only when Meta omits it; the id then hashes `time: null`,
 * so redeliveries still match.
 */
export function toAccountChangeEvents(envelope: unknown, receivedAt: Date): { events: PublishedEvent[]; ignored: string[] } {
  if (Number.isNaN(receivedAt.getTime())) throw new TypeError('receivedAt must be a valid Date');
  const events: PublishedEvent[] = [];
  const ignored: string[] = [];

  const parsed = envelopeSchema.safeParse(envelope);
  if (!parsed.success) return { events, ignored: [`envelope: ${describeIssues(parsed.error)}`] };
  if (parsed.data.object !== WHATSAPP_WEBHOOK_OBJECT) {
    return { events, ignored: [`envelope: object "${parsed.data.object.slice(0, 64)}" is not ${WHATSAPP_WEBHOOK_OBJECT}`] };
  }

  parsed.data.entry.forEach((rawEntry, entryIndex) => {
    const entry = entrySchema.safeParse(rawEntry);
    if (!entry.success) {
      ignored.push(`entry[${entryIndex}]: ${describeIssues(entry.error)}`);
      return;
    }
    entry.data.changes.forEach((rawChange, changeIndex) => {
      const where = `entry[${entryIndex}].changes[${changeIndex}]`;
      const change = changeSchema.safeParse(rawChange);
      if (!change.success) {
        ignored.push(`${where}: ${describeIssues(change.error)}`);
        return;
      }
      const { field, value } = change.data;
      if (!isAccountChangeField(field)) {
        ignored.push(`${where}: field "${field.slice(0, 64)}" is not an account change`);
        return;
      }
      const outcome = toEvent(field, value, entry.data.id, entry.data.time, receivedAt);
      if (outcome.ok) events.push(outcome.event);
      else ignored.push(`${where}: ${outcome.reason}`);
    });
  });

  return { events, ignored };
}
