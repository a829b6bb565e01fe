import { createHash } from 'node:crypto';

/** RowKey of the registration entity inside its own partition (the registration id). */
export const ENTITY_ROW = 'registration';

/**
 * Row-key prefixes inside a registration's partition. Each kind sorts in a contiguous range
 * (`h-` up to but excluding `h.`), so one range query returns it in version order.
 */
export const HISTORY_PREFIX = 'h-';
export const OUTBOX_PREFIX = 'o-';
export const MARKER_PREFIX = 'e-';
export const rangeEnd = (prefix: string): string => `${prefix.slice(0, -1)}.`;

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

export const historyRowKey = (version: number, index: number): string => `${HISTORY_PREFIX}${pad(version, 10)}-${pad(index, 3)}`;
export const outboxRowKey = (version: number, index: number): string => `${OUTBOX_PREFIX}${pad(version, 10)}-${pad(index, 3)}`;

const MAX_ID_LENGTH = 512;

/** Table Storage refuses `/`, backslash, `#`, `?` and control characters in keys. */
function hasForbiddenCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return true;
    if (code === 0x2f || code === 0x5c || code === 0x23 || code === 0x3f) return true;
  }
  return false;
}

/** Whether a value can be used as a key as is (ids we generate, Meta's numeric ids, digits). */
export const isUsableKey = (value: string): boolean =>
  value.length > 0 && value.length <= MAX_ID_LENGTH && !hasForbiddenCharacter(value);

/**
 * Any string (event ids come from outside) as a key part. Tagged so the two forms can never
 * collide: `b` + base64url for ordinary ids, `h` + sha256 for long ones (keys are at most 1 KiB).
 */
export function encodeKeyPart(value: string): string {
  const encoded = Buffer.from(value, 'utf8').toString('base64url');
  return encoded.length <= 400 ? `b${encoded}` : `h${sha256Hex(value)}`;
}

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export const markerRowKey = (eventId: string): string => `${MARKER_PREFIX}${encodeKeyPart(eventId)}`;

/** Feed rows sort by event time, then by id so two events of the same millisecond stay apart. */
export function feedRowKey(time: string, eventId: string): string {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`Outgoing event ${eventId} has an invalid time: ${time}`);
  return `${pad(ms, 15)}-${encodeKeyPart(eventId)}`;
}

export const digitsOf = (phoneNumber: string): string => phoneNumber.replace(/\D/g, '');
