import type { TableClient, TransactionAction } from '@azure/data-tables';
import { DomainError } from '../../domain/errors';
import type { RegistrationSummary } from '../../domain/ports';
import { ACCOUNT_STATUSES, STAGES, type AccountStatus, type Stage } from '../../domain/stages';
import { isConflict, isNotFound, isPreconditionFailed } from './errors';
import { rangeEnd, shardPartition } from './keys';
import { odata } from './odata';
import { all } from './query';
import { stateKeyOf, valueKey, type JournalMove } from './shard-rows';
import type { Tables } from './tables';
import { submitBatch } from './batch';

const PARTITION = 'counts';
const ALL = 'all';
const ownerRow = (owner: string): string => `o|${valueKey(owner)}`;
/** Counter rows inside a shard partition: `c|all`, `c|o|{owner}`. */
const COUNTER_PREFIX = 'c|';
const counterRow = (scope: string): string => `${COUNTER_PREFIX}${scope}`;
const MAX_ATTEMPTS = 10;
/** Journal rows deleted per transaction, leaving room for the counter rows that fold them. */
const CHUNK = 80;

type ByState = Record<string, number>;

interface Counter {
  byState: ByState;
  /** Bumped by every fold, so the summary rows keep the newest snapshot of each shard whatever order they arrive in. */
  version: number;
  etag: string | null;
}

/** What the summary rows hold: each shard's counter as last folded. */
type Snapshots = Record<string, { v: number; s: ByState }>;

const parse = <T>(value: unknown, fallback: T): T => {
  if (typeof value !== 'string') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
};

/** Counts by state key (docs/storage.md), turned into the summary's per-status and per-stage counts. */
export function summaryOf(byState: ByState, asOf: string): RegistrationSummary {
  const byStatus = Object.fromEntries(ACCOUNT_STATUSES.map((status) => [status, 0])) as Record<AccountStatus, number>;
  const byStage = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  let total = 0;
  for (const [state, count] of Object.entries(byState)) {
    if (count <= 0) continue;
    const [stage, status] = state.split('.') as [string, string | undefined];
    if ((STAGES as readonly string[]).includes(stage)) byStage[stage as Stage] += count;
    if (status && (ACCOUNT_STATUSES as readonly string[]).includes(status)) byStatus[status as AccountStatus] += count;
    total += count;
  }
  return { byStatus, byStage, total, asOf };
}

/** Adds a move to counts by state (a create has no `from`). */
export function applyMove(byState: ByState, move: Pick<JournalMove, 'from' | 'to'>): void {
  if (move.from !== null) byState[move.from] = (byState[move.from] ?? 0) - 1;
  byState[move.to] = (byState[move.to] ?? 0) + 1;
}

const sumOf = (snapshots: Snapshots): ByState => {
  const total: ByState = {};
  for (const { s } of Object.values(snapshots)) for (const [state, count] of Object.entries(s)) total[state] = (total[state] ?? 0) + count;
  return total;
};

/**
 * Counts of registrations by state, all and per owner. Changes do not touch them (every change of
 * a storm would fight over the same row); the outbox dispatcher folds the journal's state moves:
 * into counter rows in the journal's own shard, in the transaction that deletes the journal rows
 * (so a move is counted exactly once, whatever crashes), then copies each shard's counter into
 * one row of `regcounts` (newest version wins), so a summary is one point read.
 */
export class RegistrationCounts {
  private readonly shardCache = new Map<number, Map<string, Counter>>();

  constructor(private readonly tables: Tables) {}

  async read(owner: string | undefined): Promise<RegistrationSummary> {
    const { counts } = await this.tables.ready();
    try {
      const row = await counts.getEntity<Record<string, unknown>>(PARTITION, owner === undefined ? ALL : ownerRow(owner));
      return summaryOf(sumOf(parse<Snapshots>(row.shards, {})), typeof row.asOf === 'string' ? row.asOf : new Date().toISOString());
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return summaryOf({}, new Date().toISOString());
    }
  }

  /**
   * Deletes journal rows of one shard and counts their moves, in transactions of that shard's
   * partition; rows gone already (another dispatcher) are neither deleted nor counted again.
   */
  async foldShard(shard: number, rows: Array<{ rowKey: string; move: JournalMove | null }>): Promise<void> {
    const table = (await this.tables.ready()).shards[shard] as TableClient;
    const partitionKey = shardPartition(shard);
    let pending = [...new Map(rows.map((row) => [row.rowKey, row])).values()];
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= MAX_ATTEMPTS)
        throw new DomainError('concurrency-conflict', 'The registration counts kept changing concurrently; the next dispatch retries.', { transient: true });
      const counters = this.shardCache.get(shard) ?? (await this.loadShard(table, shard));
      const chunk = pending.slice(0, CHUNK);
      const next = new Map<string, Counter>();
      const counterOf = (scope: string): Counter => {
        const key = counterRow(scope);
        const found = next.get(key) ?? { ...(counters.get(key) ?? { byState: {}, version: 0, etag: null }) };
        if (!next.has(key)) next.set(key, { ...found, byState: { ...found.byState }, version: found.version + 1 });
        return next.get(key) as Counter;
      };
      for (const { move } of chunk) {
        if (!move) continue;
        applyMove(counterOf(ALL).byState, move);
        applyMove(counterOf(`o|${valueKey(move.owner)}`).byState, move);
      }
      const counterActions: TransactionAction[] = [...next].map(([rowKey, counter]) => {
        const row = { partitionKey, rowKey, byState: JSON.stringify(counter.byState), version: counter.version };
        return counter.etag === null ? ['create', row] : ['update', row, 'Replace', { etag: counter.etag }];
      });
      const actions: TransactionAction[] = [...counterActions, ...chunk.map(({ rowKey }): TransactionAction => ['delete', { partitionKey, rowKey }])];
      try {
        const response = await submitBatch(table, actions);
        // Sub-responses come in the order of the actions: the next fold needs no read.
        const etags = [...next].map(([rowKey, counter], index) => {
          const etag = response.subResponses[index]?.etag ?? null;
          counters.set(rowKey, { ...counter, etag });
          return etag;
        });
        this.shardCache.set(shard, counters);
        if (etags.some((etag) => etag === null)) this.shardCache.delete(shard);
        pending = pending.slice(chunk.length);
      } catch (error) {
        if (!isPreconditionFailed(error) && !isConflict(error) && !isNotFound(error)) throw error;
        // Another dispatcher folded some of these rows, or a counter moved: start again from what is stored.
        this.shardCache.delete(shard);
        const stillThere = new Set(
          (await all(table, odata`PartitionKey eq ${partitionKey} and RowKey ge ${'j|'} and RowKey lt ${rangeEnd('j|')}`)).map((row) => row.rowKey),
        );
        pending = pending.filter(({ rowKey }) => stillThere.has(rowKey));
      }
    }
  }

  /** Copies the shards' counters into the summary rows (newest version wins, so order and repeats do not matter). */
  async publish(shards: number[]): Promise<void> {
    const { counts } = await this.tables.ready();
    const byRow = new Map<string, Snapshots>();
    for (const shard of shards) {
      for (const [rowKey, counter] of this.shardCache.get(shard) ?? new Map<string, Counter>()) {
        const target = rowKey === counterRow(ALL) ? ALL : rowKey.slice(COUNTER_PREFIX.length);
        const snapshots = byRow.get(target) ?? {};
        snapshots[String(shard)] = { v: counter.version, s: counter.byState };
        byRow.set(target, snapshots);
      }
    }
    if (byRow.size === 0) return;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const stored = await Promise.all(
        [...byRow.keys()].map(async (rowKey) => {
          try {
            const row = await counts.getEntity<Record<string, unknown>>(PARTITION, rowKey);
            return { rowKey, shards: parse<Snapshots>(row.shards, {}), etag: row.etag as string | null };
          } catch (error) {
            if (!isNotFound(error)) throw error;
            return { rowKey, shards: {} as Snapshots, etag: null as string | null };
          }
        }),
      );
      const asOf = new Date().toISOString();
      const actions: TransactionAction[] = stored.map(({ rowKey, shards: current, etag }) => {
        const merged = { ...current };
        for (const [shard, snapshot] of Object.entries(byRow.get(rowKey) ?? {})) {
          if ((merged[shard]?.v ?? -1) < snapshot.v) merged[shard] = snapshot;
        }
        const row = { partitionKey: PARTITION, rowKey, shards: JSON.stringify(merged), asOf };
        return etag === null ? ['create', row] : ['update', row, 'Replace', { etag }];
      });
      try {
        await submitBatch(counts, actions);
        return;
      } catch (error) {
        if (!isPreconditionFailed(error) && !isConflict(error)) throw error;
      }
    }
    throw new DomainError('concurrency-conflict', 'The registration summary kept changing concurrently; the next dispatch retries.', { transient: true });
  }

  private async loadShard(table: TableClient, shard: number): Promise<Map<string, Counter>> {
    const partitionKey = shardPartition(shard);
    const rows = await all(table, odata`PartitionKey eq ${partitionKey} and RowKey ge ${COUNTER_PREFIX} and RowKey lt ${rangeEnd(COUNTER_PREFIX)}`);
    return new Map(rows.map((row) => [row.rowKey ?? '', { byState: parse<ByState>(row.byState, {}), version: Number(row.version ?? 0), etag: row.etag }]));
  }
}

/**
 * The counter rows of registrations loaded in bulk (no journal): each shard's, and the summary
 * rows that copy them. `shard` is set on shard rows (their table), absent on summary rows.
 */
export function countsRowsOf(
  registrations: ReadonlyArray<{ id: string; stage: Stage; status: AccountStatus | null; owner: string }>,
  shardOf: (id: string) => number,
): Array<{ shard?: number; row: { partitionKey: string; rowKey: string } & Record<string, string | number> }> {
  const perShard = new Map<number, Map<string, ByState>>();
  for (const registration of registrations) {
    const shard = shardOf(registration.id);
    const scopes = perShard.get(shard) ?? new Map<string, ByState>();
    for (const scope of [ALL, `o|${valueKey(registration.owner)}`]) {
      const byState = scopes.get(scope) ?? {};
      applyMove(byState, { from: null, to: stateKeyOf(registration) });
      scopes.set(scope, byState);
    }
    perShard.set(shard, scopes);
  }
  const summary = new Map<string, Snapshots>();
  const rows: Array<{ shard?: number; row: { partitionKey: string; rowKey: string } & Record<string, string | number> }> = [];
  for (const [shard, scopes] of perShard) {
    for (const [scope, byState] of scopes) {
      rows.push({ shard, row: { partitionKey: shardPartition(shard), rowKey: counterRow(scope), byState: JSON.stringify(byState), version: 1 } });
      const snapshots = summary.get(scope) ?? {};
      snapshots[String(shard)] = { v: 1, s: byState };
      summary.set(scope, snapshots);
    }
  }
  const asOf = new Date().toISOString();
  for (const [scope, snapshots] of summary) rows.push({ row: { partitionKey: PARTITION, rowKey: scope, shards: JSON.stringify(snapshots), asOf } });
  return rows;
}
