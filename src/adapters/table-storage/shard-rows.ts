import type { TransactionAction } from '@azure/data-tables';
import type { OutgoingEvent } from '../../domain/ports';
import type { Registration } from '../../domain/registration';
import { digitsOf, encodeKeyPart, ROW, shardOfDigits, shardOfId, shardPartition } from './keys';
import { historyRow, registrationFromEntity, registrationProperties, type Properties, type Row } from './registration-entity';
import type { HistoryEntry } from '../../domain/registration';

/**
 * The rows a registration owns in its shard partition, and the one transaction that moves them
 * from one version to the next (docs/storage.md). Every copy holds the whole registration, so a
 * list page or a WABA group is one range query and never a read per item, and the copies are
 * written in the same transaction as the entity, so they cannot disagree with it after a crash.
 */

/** Stage, or `Connected.{status}`: one key serves filters by stage, by status, or both. */
export const stateKeyOf = (registration: Pick<Registration, 'stage' | 'status'>): string =>
  registration.stage === 'Connected' ? `Connected.${registration.status ?? ''}` : registration.stage;

const SAFE_VALUE = /^[A-Za-z0-9._:@-]{1,200}$/;

/** Values from outside (WABA ids, owner ids) as key parts; never contain `|`, and the two forms cannot collide. */
export const valueKey = (value: string): string => (SAFE_VALUE.test(value) ? value : `~${encodeKeyPart(value)}`);

/** Applied-event markers kept on a registration: Event Grid redelivers for 24 h, Meta for up to 36 h. */
export const MARKER_TTL_MS = 72 * 3600_000;
const MAX_MARKERS = 64;

/**
 * `[marker key, applied at (ms)]`, oldest first, on the entity and every copy. A third element `0`
 * says the marker lives in this list only; without it, an earlier layout also wrote a marker row,
 * which the change that drops the marker deletes.
 */
export type MarkerList = Array<[string, number] | [string, number, 0]>;

const hasRow = (marker: MarkerList[number]): boolean => marker[2] !== 0;
/** Marker rows an expiring change deletes at most, so its transaction stays small. */
const MAX_ROW_DELETES = 8;

export interface JournalMove {
  from: string | null;
  to: string;
  owner: string;
}

export function copyRowKeys(registration: Registration): string[] {
  const { id } = registration;
  const state = stateKeyOf(registration);
  const keys = [ROW.entity(id), ROW.state(state, id), ROW.owner(valueKey(registration.owner), state, id)];
  const digits = digitsOf(registration.phoneNumber);
  if (shardOfDigits(digits) === shardOfId(id)) keys.push(ROW.phone(digits, id));
  if (registration.whatsAppBusinessAccountId) keys.push(ROW.waba(valueKey(registration.whatsAppBusinessAccountId), id));
  return keys;
}

/**
 * A registration created with an id from elsewhere can live in another shard than its number:
 * the number's shard then holds a pointer, written before the registration (a pointer to
 * nothing is skipped by readers; a registration is never without one).
 */
export function phonePointer(registration: Registration): Row | null {
  const digits = digitsOf(registration.phoneNumber);
  const home = shardOfId(registration.id);
  const phoneShard = shardOfDigits(digits);
  if (phoneShard === home) return null;
  return { partitionKey: shardPartition(phoneShard), rowKey: ROW.phone(digits, registration.id), pointer: home };
}

/**
 * The entity row has a column per field (readable in Storage Explorer); a copy holds the
 * registration as one JSON property, which is all a reader needs and far cheaper to write.
 */
function rowsProperties(registration: Registration, markers: MarkerList): (rowKey: string) => Properties {
  // Every copy carries the same text: serialised once per write, not once per row.
  const copy = { r: JSON.stringify(registration), markers: JSON.stringify(markers) };
  return (rowKey) => (rowKey.startsWith('e|') ? { ...registrationProperties(registration), markers: copy.markers } : copy);
}

/** A registration from its entity row or from any copy. */
export function registrationFromRow(row: Record<string, unknown>): Registration {
  if (typeof row.r !== 'string') return registrationFromEntity(row);
  const registration = JSON.parse(row.r) as Registration;
  return { ...registration, owner: registration.owner ?? 'anonymous' };
}

export function parseMarkers(row: Record<string, unknown>): MarkerList {
  const raw = row.markers;
  if (typeof raw !== 'string') return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed)
      ? (parsed.filter(
          (item) => Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'number' && (item.length === 2 || item[2] === 0),
        ) as MarkerList)
      : [];
  } catch {
    return [];
  }
}

export interface Transition {
  /** The stored version and its markers; null when creating. */
  current: { registration: Registration; markers: MarkerList } | null;
  next: Registration;
  history: HistoryEntry[];
  events: OutgoingEvent[];
  eventId?: string;
  /** The row whose etag the write is conditional on (it must be one the write updates). */
  token?: { rowKey: string; etag: string };
  now: number;
  /**
   * The rows found stored, when the repository had to look (a write refused with nothing changed in
   * between: a copy missing or left behind by hand or by an earlier layout). Without it, the rows of
   * the current version are taken to exist: replaced in place and deleted, moved ones created, which
   * is what the service does cheapest.
   */
  existing?: ReadonlySet<string>;
}

/** The row keys whose existence a repair must check: every copy of both versions, and the marker rows it could delete. */
export function rowsToCheck(current: Registration, next: Registration, markers: MarkerList): string[] {
  return [...new Set([...copyRowKeys(current), ...copyRowKeys(next), ...markers.filter(hasRow).map(([key]) => key)])];
}

export interface PlannedWrite {
  actions: TransactionAction[];
  journal: { rowKey: string; events: OutgoingEvent[]; move: JournalMove | null } | null;
  markers: MarkerList;
}

/** Whether `token` names a row that the write of `next` updates in place (so it can carry the condition). */
export const canConditionOn = (rowKey: string, next: Registration): boolean => copyRowKeys(next).includes(rowKey);

export function planWrite(transition: Transition): PlannedWrite {
  const { current, next, history, events, eventId, token, now, existing } = transition;
  const partitionKey = shardPartition(shardOfId(next.id));
  let markers = current?.markers ?? [];
  const actions: TransactionAction[] = [];
  if (eventId !== undefined) {
    const markerKey = ROW.marker(next.id, eventId);
    const live = markers.filter(([key, at]) => now - at < MARKER_TTL_MS && key !== markerKey);
    const kept = live.slice(Math.max(0, live.length - (MAX_MARKERS - 1)));
    const dropped = markers.filter((marker) => !kept.includes(marker) && marker[0] !== markerKey);
    // A dropped marker with a row of the earlier layout stays listed until its row is deleted.
    const rows = dropped.filter((marker) => hasRow(marker) && (existing?.has(marker[0]) ?? true));
    for (const [key] of rows.slice(0, MAX_ROW_DELETES)) actions.push(['delete', { partitionKey, rowKey: key }]);
    markers = [...rows.slice(MAX_ROW_DELETES), ...kept, [markerKey, now, 0]];
  }
  const nextKeys = copyRowKeys(next);
  const currentKeys = current ? copyRowKeys(current.registration) : [];
  const propertiesOf = rowsProperties(next, markers);
  for (const rowKey of nextKeys) {
    const row: Row = { partitionKey, rowKey, ...propertiesOf(rowKey) };
    // The condition goes first: a stale write is refused before the transaction changed anything
    // (Azurite's rollback of a failed transaction is not safe while others run concurrently).
    if (token && token.rowKey === rowKey) actions.unshift(['update', row, 'Replace', { etag: token.etag }]);
    else if (existing ? existing.has(rowKey) : currentKeys.includes(rowKey)) actions.push(['update', row, 'Replace', { etag: '*' }]);
    else actions.push(['create', row]);
  }
  for (const rowKey of currentKeys) {
    if (!nextKeys.includes(rowKey) && (existing?.has(rowKey) ?? true)) actions.push(['delete', { partitionKey, rowKey }]);
  }
  history.forEach((entry, index) => actions.push(['create', historyRow(partitionKey, next.id, next.version, index, entry)]));
  const fromState = current ? stateKeyOf(current.registration) : null;
  const toState = stateKeyOf(next);
  const move: JournalMove | null =
    fromState === toState && current?.registration.owner === next.owner ? null : { from: fromState, to: toState, owner: next.owner };
  let journal: PlannedWrite['journal'] = null;
  if (events.length > 0 || move) {
    const rowKey = ROW.journal(now, next.id, next.version);
    journal = { rowKey, events, move };
    actions.push(['create', { partitionKey, rowKey, events: JSON.stringify(events), ...(move ? { move: JSON.stringify(move) } : {}) }]);
  }
  return { actions, journal, markers };
}

/** Every row a registration has when stored as is, with no history (bulk loading: benchmarks, migrations). */
export function storedRowsOf(registration: Registration): Row[] {
  const partitionKey = shardPartition(shardOfId(registration.id));
  const propertiesOf = rowsProperties(registration, []);
  const rows: Row[] = copyRowKeys(registration).map((rowKey) => ({ partitionKey, rowKey, ...propertiesOf(rowKey) }));
  const pointer = phonePointer(registration);
  return pointer ? [...rows, pointer] : rows;
}
