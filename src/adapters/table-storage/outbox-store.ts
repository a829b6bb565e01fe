import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { OutboxEntry, OutboxStore, OutgoingEvent, Page } from '../../domain/ports';
import type { RegistrationCounts } from './counts';
import { isConflict } from './errors';
import { decodeCursor, encodeCursor } from './cursor';
import { encodeKeyPart, feedRowKey, rangeEnd, SHARDS, shardOfId, shardPartition } from './keys';
import { odata } from './odata';
import { take, type StoredRow } from './query';
import { eventFromJson } from './registration-entity';
import type { JournalMove } from './shard-rows';
import type { Tables } from './tables';
import { submitBatch } from './batch';

const FEED_PARTITION = 'feed';
/** What feedRowKey writes: a 15-digit time, then the tagged event id. */
const FEED_KEY_SHAPE = /^\d{15}-[bh][A-Za-z0-9_-]+$/;
/** Each owner's events again, under the same row keys, so a client app's feed is one indexed query. */
const ownerFeedPartition = (owner: string): string => `feed~${encodeKeyPart(owner)}`;
const JOURNAL_PREFIX = 'j|';
const BATCH = 100;

interface JournalRef {
  shard: number;
  rowKey: string;
  move: JournalMove | null;
}

/** Opaque to the domain: which journal row to remove, and the state move it folds into the counts. */
export const journalRef = (shard: number, rowKey: string, move: JournalMove | null): string => JSON.stringify({ t: shard, k: rowKey, m: move });

function parseRef(ref: string): JournalRef {
  const { t, k, m } = JSON.parse(ref) as { t?: unknown; k?: unknown; m?: unknown };
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= SHARDS || typeof k !== 'string' || !k.startsWith(JOURNAL_PREFIX)) {
    throw new Error(`Not an outbox reference: ${ref}`);
  }
  return { shard: t, rowKey: k, move: (m ?? null) as JournalMove | null };
}

const entryOf = (shard: number, row: StoredRow): OutboxEntry => {
  const events = typeof row.events === 'string' ? (JSON.parse(row.events) as unknown[]).map((event) => eventFromJson(JSON.stringify(event))) : [];
  const move = typeof row.move === 'string' ? (JSON.parse(row.move) as JournalMove) : null;
  return { events, ref: journalRef(shard, row.rowKey ?? '', move) };
};

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, index * size + size));

/**
 * The outbox is a journal: one row per committed change in the registration's shard partition
 * (written by the change's own transaction), holding its outgoing events and its state move.
 * Acknowledging deletes the rows a shard at a time, each transaction also counting the moves of
 * the rows it deletes (counts.ts); the feed is the `events` table, one partition ordered by time.
 */
export class TableOutboxStore implements OutboxStore {
  private readonly listeners: Array<(entry: OutboxEntry) => void> = [];

  constructor(
    private readonly tables: Tables,
    private readonly counts: RegistrationCounts,
  ) {}

  subscribe(listener: (entry: OutboxEntry) => void): void {
    this.listeners.push(listener);
  }

  /** Called by the repository right after a change committed. */
  notify(entry: OutboxEntry): void {
    for (const listener of this.listeners) listener(entry);
  }

  /** Each shard's journal range (all at once), oldest first within a shard: small queries, not a table scan. */
  async pending(limit: number): Promise<OutboxEntry[]> {
    const { shards } = await this.tables.ready();
    const pages = await Promise.all(shards.map(async (table, shard) => (await take(table, journalRange(shard), limit)).map((row) => entryOf(shard, row))));
    return pages.flat().slice(0, limit);
  }

  async pendingFor(registrationId: string): Promise<OutboxEntry[]> {
    const { shards } = await this.tables.ready();
    const shard = shardOfId(registrationId);
    const rows = await take(shards[shard] as TableClient, journalRange(shard), 10_000);
    return rows.filter((row) => String(row.rowKey ?? '').split('|')[2] === registrationId).map((row) => entryOf(shard, row));
  }

  async appendToFeed(events: OutgoingEvent[]): Promise<void> {
    const { events: feed } = await this.tables.ready();
    const unique = [...new Map(events.map((event) => [event.id, event])).values()];
    const rows = unique.flatMap((event) =>
      [FEED_PARTITION, ...(event.owner === undefined ? [] : [ownerFeedPartition(event.owner)])].map((partitionKey) => ({
        partitionKey,
        rowKey: feedRowKey(event.time, event.id),
        event: JSON.stringify(event),
      })),
    );
    // A transaction holds one partition: the full feed and each owner's feed are batched apart.
    const byPartition = new Map<string, typeof rows>();
    for (const row of rows) byPartition.set(row.partitionKey, [...(byPartition.get(row.partitionKey) ?? []), row]);
    await Promise.all(
      [...byPartition.values()]
        .flatMap((partitionRows) => chunks(partitionRows, BATCH))
        .map(async (batch) => {
          try {
            await submitBatch(
              feed,
              batch.map((row): TransactionAction => ['create', row]),
            );
          } catch (error) {
            // Some were moved already (a retry, or a concurrent dispatcher): insert-if-absent one by one.
            if (!isConflict(error)) throw error;
            await Promise.all(
              batch.map((row) =>
                feed.createEntity(row).catch((failure: unknown) => {
                  if (!isConflict(failure)) throw failure;
                }),
              ),
            );
          }
        }),
    );
  }

  async acknowledge(refs: string[]): Promise<void> {
    if (refs.length === 0) return;
    const byShard = new Map<number, JournalRef[]>();
    for (const ref of refs.map(parseRef)) byShard.set(ref.shard, [...(byShard.get(ref.shard) ?? []), ref]);
    await Promise.all([...byShard].map(([shard, rows]) => this.counts.foldShard(shard, rows)));
    await this.counts.publish([...byShard.keys()]);
  }

  /**
   * The cursor wraps the last RowKey returned; one row of look-ahead makes `nextCursor` null on the
   * last page. A cursor this store did not issue is refused (400), never read as "end of feed".
   * Each owner's events are kept again under the same row keys, so a client app's feed is one
   * indexed query and a cursor means the same position in every feed.
   */
  async feed(after: string | undefined, limit: number, owner?: string): Promise<Page<OutgoingEvent>> {
    const partition = owner === undefined ? FEED_PARTITION : ownerFeedPartition(owner);
    const afterKey =
      after === undefined || after === '' ? undefined : decodeCursor(after, { source: FEED_PARTITION, parameter: 'after', keyShape: FEED_KEY_SHAPE });
    const tables = await this.tables.ready();
    const size = Number.isFinite(limit) ? Math.max(1, Math.min(1000, Math.floor(limit))) : 50;
    const filter = afterKey === undefined ? odata`PartitionKey eq ${partition}` : odata`PartitionKey eq ${partition} and RowKey gt ${afterKey}`;
    const rows = await take(tables.events, filter, size + 1);
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => eventFromJson(String(row.event))),
      nextCursor: rows.length > size && last?.rowKey !== undefined ? encodeCursor(FEED_PARTITION, last.rowKey) : null,
    };
  }
}

const journalRange = (shard: number): string =>
  odata`PartitionKey eq ${shardPartition(shard)} and RowKey ge ${JOURNAL_PREFIX} and RowKey lt ${rangeEnd(JOURNAL_PREFIX)}`;
