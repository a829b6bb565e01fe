import { createHash, randomUUID } from 'node:crypto';

/**
 * Registrations are spread over SHARDS tables (`{prefix}regs00` …), one partition each. A
 * registration never leaves its shard, and every row that belongs to it lives there: the
 * entity, the copies lists read, history, applied-event markers and its outbox journal, so one
 * entity-group transaction writes a change and everything that mirrors it (docs/storage.md).
 * A power of two up to 256: the shard comes from the first byte of the id.
 */
export const SHARDS = 32;

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

export const shardPartition = (shard: number): string => `shard-${pad(shard, 2)}`;

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

const firstByte = (value: string): number => parseInt(sha256Hex(value).slice(0, 2), 16);

export const digitsOf = (phoneNumber: string): string => phoneNumber.replace(/\D/g, '');

/** Where a phone number's rows are looked up: registrations created with `placedId` live there. */
export const shardOfDigits = (digits: string): number => firstByte(`phone:${digits}`) % SHARDS;

/**
 * A random UUID whose first byte names the shard of the phone number, so events that only know
 * the number find the registration with one query and ids still look like (and are) UUIDs.
 */
export function placedId(phoneNumber: string): string {
  const byte = firstByte(`phone:${digitsOf(phoneNumber)}`);
  return `${byte.toString(16).padStart(2, '0')}${randomUUID().slice(2)}`;
}

/** The shard of any id: its first byte when it starts with two hex digits (every id we issue), else a hash. */
export function shardOfId(id: string): number {
  const head = /^[0-9a-fA-F]{2}/.test(id) ? parseInt(id.slice(0, 2), 16) : firstByte(`id:${id}`);
  return head % SHARDS;
}

/** Row keys inside a shard partition; `|` separates parts (ids and encoded values never contain it). */
export const ROW = {
  entity: (id: string): string => `e|${id}`,
  phone: (digits: string, id: string): string => `p|${digits}|${id}`,
  waba: (wabaKey: string, id: string): string => `w|${wabaKey}|${id}`,
  state: (stateKey: string, id: string): string => `s|${stateKey}|${id}`,
  owner: (ownerKey: string, stateKey: string, id: string): string => `o|${ownerKey}|${stateKey}|${id}`,
  history: (id: string, version: number, index: number): string => `h|${id}|${pad(version, 10)}|${pad(index, 3)}`,
  marker: (id: string, eventId: string): string => `m|${id}|${encodeKeyPart(eventId)}`,
  journal: (at: number, id: string, version: number): string => `j|${pad(at, 15)}|${id}|${pad(version, 10)}`,
};

/** The key range of every row key starting with `prefix`: `ge prefix` and `lt rangeEnd(prefix)`. */
export const rangeEnd = (prefix: string): string => `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;

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
export const isUsableKey = (value: string): boolean => value.length > 0 && value.length <= MAX_ID_LENGTH && !hasForbiddenCharacter(value);

/**
 * Any string (event ids come from outside) as a key part. Tagged so the two forms can never
 * collide: `b` + base64url for ordinary ids, `h` + sha256 for long ones (keys are at most 1 KiB).
 */
export function encodeKeyPart(value: string): string {
  const encoded = Buffer.from(value, 'utf8').toString('base64url');
  return encoded.length <= 400 ? `b${encoded}` : `h${sha256Hex(value)}`;
}

/** Feed rows sort by event time, then by id so two events of the same millisecond stay apart. */
export function feedRowKey(time: string, eventId: string): string {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`Outgoing event ${eventId} has an invalid time: ${time}`);
  return `${pad(ms, 15)}-${encodeKeyPart(eventId)}`;
}
