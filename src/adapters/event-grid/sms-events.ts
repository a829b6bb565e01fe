/**
 * The `data` of ACS SMS events (docs/azure-events.md "SMS events"). Keys are read
 * case-insensitively because older payloads and documentation use PascalCase (`From`, `To`,
 * `Message`), and numbers arrive with or without `+`. Only the fields read are validated; the
 * rest (segmentCount, deliveryAttempts, whatever comes next) passes.
 */
import { z } from 'zod';
import { toE164, type E164 } from '../../domain/phone-number';

export const SMS_RECEIVED_EVENT = 'Microsoft.Communication.SMSReceived';
export const SMS_DELIVERY_REPORT_RECEIVED_EVENT = 'Microsoft.Communication.SMSDeliveryReportReceived';

export interface SmsReceived {
  messageId: string;
  /** E.164 when it is a phone number; a short code or alphanumeric sender id as given (trimmed). */
  from: string;
  /** The ACS number that received the SMS: for a WhatsApp code, the number being registered. */
  to: E164;
  message: string;
  receivedTimestamp: string | null;
}

export interface SmsDeliveryReport {
  messageId: string;
  /** The ACS sender: E.164 when it is a phone number, else as given (short code). */
  from: string;
  to: E164;
  /** `Delivered`, `Failed`, …: kept as a string, ACS adds values. */
  deliveryStatus: string;
  deliveryStatusDetails: string | null;
  receivedTimestamp: string | null;
  /** The tag given at send time (`sms-probe:{registrationId}`), null when none. */
  tag: string | null;
}

export type SmsReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A copy of `data` whose wanted keys carry their canonical spelling. An exact match wins over a
 * differently-cased duplicate, so `{ to, To }` reads `to`.
 */
function canonicaliseKeys(names: readonly string[]): (data: unknown) => unknown {
  return (data) => {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
    const source = data as Record<string, unknown>;
    const byLowerCase = new Map<string, string>();
    for (const key of Object.keys(source)) {
      const lower = key.toLowerCase();
      if (!byLowerCase.has(lower)) byLowerCase.set(lower, key);
    }
    const result: Record<string, unknown> = { ...source };
    for (const name of names) {
      if (Object.hasOwn(source, name)) continue;
      const actual = byLowerCase.get(name.toLowerCase());
      if (actual !== undefined) result[name] = source[actual];
    }
    return result;
  };
}

const required = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined || issue.input === null ? `${what} is missing` : `${what} must be a string`) });

const requiredText = (what: string) => required(what).refine((value) => value.trim() !== '', `${what} must not be empty`);

/** Same characters as parsePhoneNumber accepts, so "call me 12345678" is not read as a number. */
const PHONE_LIKE = /^\s*\+?[\d\s().-]+\s*$/;

const phoneNumber = (what: string) =>
  required(what).transform((value, ctx): E164 => {
    const e164 = PHONE_LIKE.test(value) ? toE164(value) : null;
    if (!e164) {
      ctx.issues.push({ code: 'custom', message: `${what} is not a phone number`, input: value });
      return z.NEVER;
    }
    return e164;
  });

/** A sender may be a short code (`32665`, `+32665`) or a sender id: only phone numbers are normalised. */
const sender = (what: string) =>
  requiredText(what).transform((value) => {
    const trimmed = value.trim();
    return (PHONE_LIKE.test(trimmed) ? toE164(trimmed) : null) ?? trimmed;
  });

/** Informational fields: a wrong type reads as absent rather than costing the whole event. */
const informational = z
  .string()
  .nullish()
  .catch(null)
  .transform((value) => value ?? null);

const SMS_RECEIVED_KEYS = ['messageId', 'from', 'to', 'message', 'receivedTimestamp'] as const;
const DELIVERY_REPORT_KEYS = ['messageId', 'from', 'to', 'deliveryStatus', 'deliveryStatusDetails', 'receivedTimestamp', 'tag'] as const;

const dataObject = { error: 'data must be an object' };

export const smsReceivedDataSchema = z.preprocess(
  canonicaliseKeys(SMS_RECEIVED_KEYS),
  z.looseObject(
    {
      messageId: requiredText('messageId'),
      from: sender('from'),
      to: phoneNumber('to'),
      // An empty SMS is odd but well-formed; it simply holds no code.
      message: required('message'),
      receivedTimestamp: informational,
    },
    dataObject,
  ),
);

export const smsDeliveryReportDataSchema = z.preprocess(
  canonicaliseKeys(DELIVERY_REPORT_KEYS),
  z.looseObject(
    {
      messageId: requiredText('messageId'),
      from: sender('from'),
      to: phoneNumber('to'),
      deliveryStatus: requiredText('deliveryStatus'),
      deliveryStatusDetails: informational,
      receivedTimestamp: informational,
      tag: informational,
    },
    dataObject,
  ),
);

function describeIssues(error: z.ZodError): string {
  // The messages name the field already; paths would only repeat it.
  return [...new Set(error.issues.map((issue) => issue.message))].slice(0, 3).join('; ');
}

export function readSmsReceived(data: unknown): SmsReadResult<SmsReceived> {
  const parsed = smsReceivedDataSchema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: `SMSReceived: ${describeIssues(parsed.error)}` };
  const { messageId, from, to, message, receivedTimestamp } = parsed.data;
  return { ok: true, value: { messageId, from, to, message, receivedTimestamp } };
}

export function readSmsDeliveryReport(data: unknown): SmsReadResult<SmsDeliveryReport> {
  const parsed = smsDeliveryReportDataSchema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: `SMSDeliveryReportReceived: ${describeIssues(parsed.error)}` };
  const { messageId, from, to, deliveryStatus, deliveryStatusDetails, receivedTimestamp, tag } = parsed.data;
  return { ok: true, value: { messageId, from, to, deliveryStatus, deliveryStatusDetails, receivedTimestamp, tag } };
}
