import type { TableClient } from '@azure/data-tables';
import type { ReconcileRun, ReconcileStore, WabaGroup } from '../../domain/ports';
import type { Registration } from '../../domain/registration';
import { isNotFound } from './errors';
import { rangeEnd, SHARDS, shardPartition } from './keys';
import { odata } from './odata';
import { take, type StoredRow } from './query';
import { valueKey } from './shard-rows';
import type { Tables } from './tables';

const RUN_PARTITION = 'run';
const CHECKPOINT_KEY = { partitionKey: 'checkpoint', rowKey: 'reconcile' };
const WABA_PREFIX = 'w|';
/** Rows read per shard and page (two pages buffered): memory stays the same however many registrations there are. */
const PAGE = 25;
/** Newest first in key order: the row key counts down with time. */
const runRowKey = (run: ReconcileRun): string => `${String(9_999_999_999_999 - Date.parse(run.startedAt)).padStart(13, '0')}-${run.id}`;

/** `w|{waba}|` of a WABA row key: rows of one WABA are contiguous in key order whatever the shard. */
const groupOf = (rowKey: string): string => rowKey.slice(0, rowKey.indexOf('|', WABA_PREFIX.length) + 1);

/**
 * One shard's WABA rows in key order, a page at a time, the next page read while this one is
 * consumed: reads overlap the Graph calls instead of stalling the run between them.
 */
async function* shardRows(table: TableClient, shard: number, from: string): AsyncGenerator<StoredRow> {
  const page = (after: string | null): Promise<StoredRow[]> => {
    const lower = after === null ? odata`RowKey ge ${from}` : odata`RowKey gt ${after}`;
    return take(table, `${odata`PartitionKey eq ${shardPartition(shard)}`} and ${lower} and ${odata`RowKey lt ${rangeEnd(WABA_PREFIX)}`}`, PAGE);
  };
  let next: Promise<StoredRow[]> | null = page(null);
  while (next) {
    const rows: StoredRow[] = await next;
    const last = rows[rows.length - 1]?.rowKey;
    next = rows.length === PAGE && last !== undefined ? page(last) : null;
    // A page read ahead that nobody awaits (the run stopped early) must not surface as an unhandled rejection.
    next?.catch(() => undefined);
    yield* rows;
  }
}

export class TableReconcileStore implements ReconcileStore {
  constructor(
    private readonly tables: Tables,
    /** Turns a stored row into a registration the repository can later update without reading it again. */
    private readonly fromRow: (row: StoredRow) => Registration,
  ) {}

  /**
   * Merges the WABA ranges of every shard in key order (each WABA's numbers sit in the shards of
   * their numbers) and hands out one WABA at a time with its registrations as stored: one range
   * read per shard page, never a read per registration, and memory bounded by a page per shard.
   */
  async *wabaGroups(after: string | null): AsyncIterable<WabaGroup> {
    const { shards } = await this.tables.ready();
    const from = after ? rangeEnd(`${WABA_PREFIX}${valueKey(after)}|`) : WABA_PREFIX;
    const streams = shards.slice(0, SHARDS).map((table, shard) => shardRows(table, shard, from));
    const heads: Array<StoredRow | null> = await Promise.all(streams.map(async (stream) => (await stream.next()).value ?? null));
    let current: { key: string; group: WabaGroup } | null = null;
    for (;;) {
      let lowest = -1;
      heads.forEach((row, index) => {
        if (row && (lowest < 0 || (row.rowKey ?? '') < (heads[lowest]?.rowKey ?? ''))) lowest = index;
      });
      if (lowest < 0) break;
      const row = heads[lowest] as StoredRow;
      heads[lowest] = (await (streams[lowest] as AsyncGenerator<StoredRow>).next()).value ?? null;
      const registration = this.fromRow(row);
      const key = groupOf(row.rowKey ?? '');
      if (current && current.key !== key) {
        yield current.group;
        current = null;
      }
      current ??= { key, group: { wabaId: registration.whatsAppBusinessAccountId ?? '', registrationIds: [], registrations: [] } };
      current.group.registrationIds.push(registration.id);
      current.group.registrations?.push(registration);
    }
    if (current) yield current.group;
  }

  async checkpoint(): Promise<string | null> {
    const { reconcile } = await this.tables.ready();
    try {
      const row = await reconcile.getEntity<{ wabaId?: string }>(CHECKPOINT_KEY.partitionKey, CHECKPOINT_KEY.rowKey);
      return row.wabaId ? row.wabaId : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async saveCheckpoint(wabaId: string | null): Promise<void> {
    const { reconcile } = await this.tables.ready();
    await reconcile.upsertEntity({ ...CHECKPOINT_KEY, wabaId: wabaId ?? '' }, 'Replace');
  }

  async saveRun(run: ReconcileRun): Promise<void> {
    const { reconcile } = await this.tables.ready();
    await reconcile.upsertEntity({ partitionKey: RUN_PARTITION, rowKey: runRowKey(run), run: JSON.stringify(run) }, 'Replace');
  }

  async runs(limit: number): Promise<ReconcileRun[]> {
    const { reconcile } = await this.tables.ready();
    const rows = await take(reconcile, odata`PartitionKey eq ${RUN_PARTITION}`, limit);
    return rows.map((row) => JSON.parse(String(row.run)) as ReconcileRun);
  }
}
