import type { TableEntity } from '@azure/data-tables';
import { ANONYMOUS_CALLER_ID, SYSTEM_ACTOR } from '../../domain/access';
import type { OutgoingEvent } from '../../domain/ports';
import type { HistoryEntry, Registration } from '../../domain/registration';
import { ACCOUNT_STATUSES, STAGES, type AccountStatus, type Stage } from '../../domain/stages';
import { ROW } from './keys';

export type Properties = Record<string, string | number | boolean>;
export type Row = TableEntity<Properties>;

/**
 * Mapping of the Registration aggregate to the properties of its entity row and of every copy
 * lists read (docs/storage.md). Scalars are columns (readable in Storage Explorer); nested
 * objects are JSON strings because Table Storage has no nested types. Nulls are left out: the
 * service drops them anyway.
 */
export function registrationProperties(registration: Registration): Properties {
  const entity: Properties = {
    id: registration.id,
    owner: registration.owner,
    phoneNumber: registration.phoneNumber,
    phoneNumberSource: registration.phoneNumberSource,
    stage: registration.stage,
    facts: JSON.stringify(registration.facts),
    createdAt: registration.createdAt,
    updatedAt: registration.updatedAt,
    // A safe integer below 2^31 goes over the wire as Edm.Int32 and comes back as a number.
    version: registration.version,
  };
  const optional: Array<[string, string | null]> = [
    ['status', registration.status],
    ['whatsAppBusinessAccountId', registration.whatsAppBusinessAccountId],
    ['phoneNumberId', registration.phoneNumberId],
    ['displayName', registration.displayName],
    ['messagingLimit', registration.messagingLimit],
    ['qualityRating', registration.qualityRating],
    ['businessAccount', jsonOrNull(registration.businessAccount)],
    ['profile', jsonOrNull(registration.profile)],
    ['verification', jsonOrNull(registration.verification)],
    ['metaRegistration', jsonOrNull(registration.metaRegistration)],
    ['smsCapability', jsonOrNull(registration.smsCapability)],
    ['acsChannel', jsonOrNull(registration.acsChannel)],
    ['metaCall', jsonOrNull(registration.metaCall)],
    ['displayNameChange', jsonOrNull(registration.displayNameChange)],
    ['metaRefusal', jsonOrNull(registration.metaRefusal)],
  ];
  for (const [name, value] of optional) {
    if (value !== null) entity[name] = value;
  }
  return entity;
}

const jsonOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

class CorruptEntityError extends Error {
  override readonly name = 'CorruptEntityError';
}

function text(entity: Record<string, unknown>, name: string): string {
  const value = entity[name];
  if (typeof value !== 'string') throw new CorruptEntityError(`Stored registration ${String(entity.partitionKey)} has no text ${name}.`);
  return value;
}

function textOrNull(entity: Record<string, unknown>, name: string): string | null {
  const value = entity[name];
  return typeof value === 'string' ? value : null;
}

function jsonField<T>(entity: Record<string, unknown>, name: string): T | null {
  const value = textOrNull(entity, name);
  return value === null ? null : (JSON.parse(value) as T);
}

function integer(entity: Record<string, unknown>, name: string): number {
  const value = entity[name];
  const number = typeof value === 'bigint' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new CorruptEntityError(`Stored registration ${String(entity.partitionKey)} has no integer ${name}.`);
  }
  return number;
}

function oneOf<T extends string>(allowed: readonly T[], value: string, name: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CorruptEntityError(`Stored ${name} "${value}" is unknown.`);
  return value as T;
}

export function registrationFromEntity(entity: Record<string, unknown>): Registration {
  const status = textOrNull(entity, 'status');
  const metaCall = jsonField<NonNullable<Registration['metaCall']>>(entity, 'metaCall');
  const displayNameChange = jsonField<NonNullable<Registration['displayNameChange']>>(entity, 'displayNameChange');
  const metaRefusal = jsonField<NonNullable<Registration['metaRefusal']>>(entity, 'metaRefusal');
  return {
    id: text(entity, 'id'),
    phoneNumber: text(entity, 'phoneNumber'),
    phoneNumberSource: oneOf(['acs', 'byo'] as const, text(entity, 'phoneNumberSource'), 'phoneNumberSource'),
    stage: oneOf<Stage>(STAGES, text(entity, 'stage'), 'stage'),
    status: status === null ? null : oneOf<AccountStatus>(ACCOUNT_STATUSES, status, 'status'),
    businessAccount: jsonField(entity, 'businessAccount'),
    whatsAppBusinessAccountId: textOrNull(entity, 'whatsAppBusinessAccountId'),
    phoneNumberId: textOrNull(entity, 'phoneNumberId'),
    displayName: textOrNull(entity, 'displayName'),
    profile: jsonField(entity, 'profile'),
    verification: jsonField(entity, 'verification'),
    metaRegistration: jsonField(entity, 'metaRegistration'),
    facts: jsonField(entity, 'facts') ?? {},
    messagingLimit: textOrNull(entity, 'messagingLimit'),
    qualityRating: textOrNull(entity, 'qualityRating'),
    smsCapability: jsonField(entity, 'smsCapability'),
    acsChannel: jsonField(entity, 'acsChannel'),
    // Rows stored before registrations had owners belong to the untrusted-mode caller.
    owner: textOrNull(entity, 'owner') ?? ANONYMOUS_CALLER_ID,
    // Optional: registrations that never claimed a Meta call read back exactly as they were stored.
    ...(metaCall ? { metaCall } : {}),
    ...(displayNameChange ? { displayNameChange } : {}),
    ...(metaRefusal ? { metaRefusal } : {}),
    createdAt: text(entity, 'createdAt'),
    updatedAt: text(entity, 'updatedAt'),
    version: integer(entity, 'version'),
  };
}

export const historyRow = (partitionKey: string, registrationId: string, version: number, index: number, entry: HistoryEntry): Row => ({
  partitionKey,
  rowKey: ROW.history(registrationId, version, index),
  entry: JSON.stringify(entry),
});

export function historyFromRow(row: Record<string, unknown>): HistoryEntry {
  const entry = JSON.parse(text(row, 'entry')) as Omit<HistoryEntry, 'actor'> & { actor?: string };
  // Entries written before actors were recorded: API changes then came from the untrusted-mode caller.
  return { ...entry, actor: entry.actor ?? (entry.cause === 'api' ? ANONYMOUS_CALLER_ID : SYSTEM_ACTOR) };
}

export const eventFromJson = (value: string): OutgoingEvent => JSON.parse(value) as OutgoingEvent;
