/**
 * One event as an Event Grid trigger receives it, in either delivery schema (docs/design.md §6): the Event
 * Grid schema (`id, topic, subject, eventType, eventTime, data`) or CloudEvents 1.0 (`specversion,
 * id, source, type, subject, time, data | data_base64`). Only the fields read here are validated;
 * everything else passes, since Azure adds fields without notice.
 */
import { z } from 'zod';
import { clampToNow } from '../../domain/outside-time';

export type InboundEventSchema = 'EventGrid' | 'CloudEvents';

export interface InboundEvent {
  id: string;
  type: string;
  /** CloudEvents `source`; for the Event Grid schema, `topic` ('' when absent). */
  source: string;
  subject: string | null;
  /** ISO 8601 in UTC, millisecond precision (Event Grid sends up to 7 fractional digits). */
  time: string | null;
  /** The payload; `data_base64` decoded and parsed as JSON when it is JSON, else a Buffer. */
  data: unknown;
  schema: InboundEventSchema;
}

export type InboundEventResult = { ok: true; event: InboundEvent } | { ok: false; reason: string };

/** Checked, not trimmed: ids are compared byte for byte by the dedupe. */
const requiredText = z.string().refine((value) => value.trim() !== '', 'must not be empty');
/** `subject` may legitimately be '' (the validation event has one). */
const optionalText = z.string().nullish();
const optionalTime = z
  .string()
  .nullish()
  .refine((value) => value === null || value === undefined || value === '' || !Number.isNaN(Date.parse(value)), 'is not a date-time');

const eventGridSchema = z.looseObject({
  id: requiredText,
  eventType: requiredText,
  // Always set by Event Grid on delivery, but local senders (the Meta sandbox, tests) may omit it.
  topic: optionalText,
  subject: optionalText,
  eventTime: optionalTime,
  data: z.unknown().optional(),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const cloudEventSchema = z.looseObject({
  specversion: z.literal('1.0', { error: 'must be "1.0"' }),
  id: requiredText,
  source: requiredText,
  type: requiredText,
  subject: optionalText,
  time: optionalTime,
  datacontenttype: z.string().nullish(),
  data: z.unknown().optional(),
  data_base64: z
    .string()
    .transform((value) => value.replace(/\s/g, ''))
    .refine((value) => value.length % 4 === 0 && BASE64.test(value), 'is not base64')
    .nullish(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

const toIso = (value: string | null | undefined, now: Date): string | null => (value ? clampToNow(Date.parse(value), now).iso : null);

/**
 * JSON unless the content type says otherwise: a JSON payload Event Grid base64-encodes is still
 * the JSON the handlers read, while binary data stays bytes.
 */
function decodeBase64Data(encoded: string, contentType: string | null | undefined): unknown {
  const bytes = Buffer.from(encoded, 'base64');
  const declaredJson = !contentType || /[/+]json\b/i.test(contentType) || /^text\//i.test(contentType);
  if (declaredJson) {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      // Not JSON after all: hand over the bytes.
    }
  }
  return bytes;
}

export function parseInboundEvent(raw: unknown, now = new Date()): InboundEventResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, reason: 'an event must be a JSON object' };
  }
  const record = raw as Record<string, unknown>;

  if ('specversion' in record) {
    const parsed = cloudEventSchema.safeParse(record);
    if (!parsed.success) return { ok: false, reason: `CloudEvent: ${describeIssues(parsed.error)}` };
    const event = parsed.data;
    // The spec forbids both; when a producer sends both anyway, the parsed `data` is the safer read.
    const data =
      event.data !== undefined && event.data !== null
        ? event.data
        : event.data_base64 !== undefined && event.data_base64 !== null
          ? decodeBase64Data(event.data_base64, event.datacontenttype)
          : null;
    return {
      ok: true,
      event: {
        id: event.id,
        type: event.type,
        source: event.source,
        subject: event.subject ?? null,
        time: toIso(event.time, now),
        data,
        schema: 'CloudEvents',
      },
    };
  }

  if ('eventType' in record) {
    const parsed = eventGridSchema.safeParse(record);
    if (!parsed.success) return { ok: false, reason: `Event Grid event: ${describeIssues(parsed.error)}` };
    const event = parsed.data;
    return {
      ok: true,
      event: {
        id: event.id,
        type: event.eventType,
        source: event.topic ?? '',
        subject: event.subject ?? null,
        time: toIso(event.eventTime, now),
        data: event.data ?? null,
        schema: 'EventGrid',
      },
    };
  }

  return { ok: false, reason: 'neither a CloudEvent (specversion) nor an Event Grid event (eventType)' };
}
