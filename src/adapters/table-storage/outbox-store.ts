import type { OutboxStore, OutgoingEvent, Page } from '../../domain/ports';
import { DomainError } from '../../domain/errors';
import { openCursor, sealCursor } from './cursor';
import { isConflict, isNotFound } from './errors';
import { feedRowKey, isUsableKey, OUTBOX_PREFIX, rangeEnd } from './keys';
import { odata } from './odata';
import { all, take, type StoredRow } from './query';
import { eventFromRow } from './registration-entity';
import type { Tables } from './tables';

const FEED_PARTITION = 'feed';

const OUTBOX_RANGE = odata`RowKey ge ${OUTBOX_PREFIX} and RowKey lt ${rangeEnd(OUTBOX_PREFIX)}`;

/** `{registrationId}|{rowKey}`: outbox row keys never contain `|`, so the last one separates. */
const refOf = (row: StoredRow): string => `${row.partitionKey ?? ''}|${row.rowKey ?? ''}`;

function parseRef(ref: string): { partitionKey: string; rowKey: string } {
  const separator = ref.lastIndexOf('|');
  const partitionKey = ref.slice(0, separator);
  const rowKey = ref.slice(separator + 1);
  if (separator < 0 || !isUsableKey(partitionKey) || !rowKey.startsWith(OUTBOX_PREFIX)) {
    throw new Error(`Not an outbox reference: ${ref}`);
  }
  return { partitionKey, rowKey };
}

/**
 * Outbox rows live in each registration's partition (written in the change's transaction, see
 * TableRegistrationRepository); the feed is the `events` table, one partition ordered by time.
 */
export class TableOutboxStore implements OutboxStore {
  constructor(private readonly tables: Tables) {}

  /**
   * A scan of the whole registrations table (outbox rows are spread over every partition): meant
   * for a periodic sweep of rows a crash left behind, while `pendingFor` serves the hot path.
   */
  async pending(limit: number): Promise<Array<{ event: OutgoingEvent; ref: string }>> {
    const tables = await this.tables.ready();
    const rows = await take(tables.registrations, OUTBOX_RANGE, limit);
    return rows.map((row) => ({ event: eventFromRow(row), ref: refOf(row) }));
  }

  async pendingFor(registrationId: string): Promise<Array<{ event: OutgoingEvent; ref: string }>> {
    const tables = await this.tables.ready();
    if (!isUsableKey(registrationId)) return [];
    const rows = await all(tables.registrations, `${odata`PartitionKey eq ${registrationId}`} and ${OUTBOX_RANGE}`);
    return rows.map((row) => ({ event: eventFromRow(row), ref: refOf(row) }));
  }

  async appendToFeed(event: OutgoingEvent): Promise<void> {
    const tables = await this.tables.ready();
    try {
      await tables.events.createEntity({
        partitionKey: FEED_PARTITION,
        rowKey: feedRowKey(event.time, event.id),
        event: JSON.stringify(event),
      });
    } catch (error) {
      // Already moved by an earlier attempt (or a concurrent dispatcher): the feed holds it once.
      if (!isConflict(error)) throw error;
    }
  }

  async acknowledge(ref: string): Promise<void> {
    const tables = await this.tables.ready();
    const { partitionKey, rowKey } = parseRef(ref);
    try {
      await tables.registrations.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** The cursor holds the last RowKey returned; one row of look-ahead makes `nextCursor` null on the last page. */
  async feed(cursor: string | undefined, limit: number): Promise<Page<OutgoingEvent>> {
    const after = cursor === undefined || cursor === '' ? undefined : openCursor(cursor, 'after');
    if (after !== undefined && typeof after !== 'string') {
      throw new DomainError('validation-failed', 'The cursor is not one this API returned.', { errors: [{ path: 'after', message: 'invalid cursor' }] });
    }
    const tables = await this.tables.ready();
    const size = Number.isFinite(limit) ? Math.max(1, Math.min(1000, Math.floor(limit))) : 50;
    const filter =
      after === undefined
        ? odata`PartitionKey eq ${FEED_PARTITION}`
        : odata`PartitionKey eq ${FEED_PARTITION} and RowKey gt ${after}`;
    const rows = await take(tables.events, filter, size + 1);
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return {
      items: page.map(eventFromRow),
      nextCursor: rows.length > size && last?.rowKey !== undefined ? sealCursor(last.rowKey) : null,
    };
  }
}
