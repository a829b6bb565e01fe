import type { ReconcileRun, ReconcileStore, WabaGroup } from '../../domain/ports';
import { isNotFound } from './errors';
import { odata } from './odata';
import { take } from './query';
import { wabaPartition } from './registration-index';
import type { Tables } from './tables';

const RUN_PARTITION = 'run';
const CHECKPOINT_KEY = { partitionKey: 'checkpoint', rowKey: 'reconcile' };
// WABA ids are digits, so their index partitions are all `waba-{id}` (see registration-index.ts).
const WABA_PREFIX = 'waba-';
const WABA_END = `${WABA_PREFIX.slice(0, -1)}.`;
/** Newest first in key order: the row key counts down with time. */
const runRowKey = (run: ReconcileRun): string => `${String(9_999_999_999_999 - Date.parse(run.startedAt)).padStart(13, '0')}-${run.id}`;

export class TableReconcileStore implements ReconcileStore {
  constructor(private readonly tables: Tables) {}

  /**
   * Reads the WABA partitions of the index in key order, a page at a time, and hands out one
   * WABA's registrations at a time: memory holds one page and one group, however many there are.
   */
  async *wabaGroups(after: string | null): AsyncIterable<WabaGroup> {
    const { index } = await this.tables.ready();
    const from = after ? odata`PartitionKey gt ${wabaPartition(after)}` : odata`PartitionKey ge ${WABA_PREFIX}`;
    const filter = `${from} and ${odata`PartitionKey lt ${WABA_END}`}`;
    let current: WabaGroup | null = null;
    for await (const page of index.listEntities<{ wabaId?: string }>({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } }).byPage({ maxPageSize: 1000 })) {
      for (const row of page) {
        const wabaId = row.partitionKey!.slice(WABA_PREFIX.length);
        if (current && current.wabaId !== wabaId) {
          yield current;
          current = null;
        }
        current ??= { wabaId, registrationIds: [] };
        current.registrationIds.push(row.rowKey!);
      }
    }
    if (current) yield current;
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
