import { TableClient, type TransactionAction } from '@azure/data-tables';
import { submitBatch } from '../../src/adapters/table-storage/batch';
import { runPool } from './pool';
import type { PropertyValue, RecordedOperation, RecordedTransaction } from './transactions';

/**
 * Raw Azurite work of the same size as the service's: transactions with the operations of recorded
 * ones (same kinds, conditions and properties, so the same bytes), on fresh rows of a scratch
 * table, with none of the service's logic around them. Every transaction gets rows of its own,
 * created beforehand and untimed: the rows it updates or deletes exist, those it inserts do not,
 * and an update conditional on an etag gets the row's current one (from the point read before it
 * when there is one, as an event reads its registration first). Sent with the adapter's own
 * `submitBatch`, so the request is the one the service sends.
 */
export interface RawTransactions {
  /** The next `count` prepared transactions at the concurrency given; throws when fewer are left. */
  run(count: number): Promise<{ ms: number; perSecond: number }>;
}

export interface RawTransactionsOptions {
  connection: string;
  /** A table of its own, created here. */
  table: string;
  /** What each transaction repeats, taken in turn; none: a point read alone. */
  shapes: readonly RecordedTransaction[];
  /** Transactions prepared in all (the sum of every `run`). */
  count: number;
  /** Partitions the transactions are spread over, in turn (the service's shards). */
  partitions: number;
  /** One point read before each transaction, of the row it is conditional on. */
  withRead: boolean;
  /** The properties of a row read when the transaction updates none (or there is no transaction). */
  readRow?: Record<string, PropertyValue>;
  concurrency: number;
}

interface Planned {
  partitionKey: string;
  read: string | null;
  /** Row key and current etag of the row an etag condition names. */
  conditional: { rowKey: string; etag: string } | null;
  operations: Array<{ operation: RecordedOperation; rowKey: string }>;
}

const updates = (method: RecordedOperation['method']): boolean => method === 'PUT' || method === 'MERGE' || method === 'PATCH';
const needsRow = (operation: RecordedOperation): boolean => updates(operation.method) || operation.method === 'DELETE';
const hasEtag = (operation: RecordedOperation): boolean => operation.ifMatch !== null && operation.ifMatch !== '*';

function actionOf(partitionKey: string, rowKey: string, operation: RecordedOperation, etag: string | undefined): TransactionAction {
  const row = { ...(operation.properties ?? {}), partitionKey, rowKey };
  const mode = operation.method === 'PUT' ? 'Replace' : 'Merge';
  if (operation.method === 'POST') return ['create', row];
  if (operation.method === 'DELETE') return ['delete', { partitionKey, rowKey }];
  if (operation.ifMatch === null) return ['upsert', row, mode];
  return ['update', row, mode, { etag: hasEtag(operation) ? (etag ?? '*') : '*' }];
}

export async function prepareRawTransactions(options: RawTransactionsOptions): Promise<RawTransactions> {
  const client = TableClient.fromConnectionString(options.connection, options.table, { allowInsecureConnection: true });
  await client.createTable();
  const partitions = Math.max(1, options.partitions);
  // A delete carries no properties; the row it removes is given those of the transaction's first written row.
  const filler = (shape: RecordedTransaction): Record<string, PropertyValue> => shape.operations.find((operation) => operation.properties)?.properties ?? {};
  const plans: Planned[] = [];
  const existing = new Map<string, Array<{ rowKey: string; properties: Record<string, PropertyValue>; plan: Planned | null }>>();
  const addExisting = (partitionKey: string, row: { rowKey: string; properties: Record<string, PropertyValue>; plan: Planned | null }): void => {
    const rows = existing.get(partitionKey) ?? [];
    rows.push(row);
    existing.set(partitionKey, rows);
  };
  for (let index = 0; index < options.count; index += 1) {
    const shape = options.shapes.length === 0 ? null : (options.shapes[index % options.shapes.length] as RecordedTransaction);
    const partitionKey = `p${String(index % partitions).padStart(3, '0')}`;
    const plan: Planned = { partitionKey, read: null, conditional: null, operations: [] };
    for (const [position, operation] of (shape?.operations ?? []).entries()) {
      const rowKey = `t${String(index).padStart(8, '0')}|${String(position).padStart(3, '0')}`;
      plan.operations.push({ operation, rowKey });
      const condition = hasEtag(operation) && !plan.conditional;
      if (condition) plan.conditional = { rowKey, etag: '*' };
      if (needsRow(operation)) {
        addExisting(partitionKey, { rowKey, properties: operation.properties ?? filler(shape as RecordedTransaction), plan: condition ? plan : null });
      }
    }
    if (options.withRead) {
      plan.read = plan.conditional?.rowKey ?? plan.operations.find(({ operation }) => needsRow(operation))?.rowKey ?? null;
      if (plan.read === null) {
        // Nothing of the transaction exists before it: read a row of the same size kept for that.
        plan.read = `t${String(index).padStart(8, '0')}|read`;
        addExisting(partitionKey, { rowKey: plan.read, properties: options.readRow ?? (shape ? filler(shape) : {}), plan: null });
      }
    }
    plans.push(plan);
  }
  // The rows that must exist, 100 to a transaction per partition, keeping the etags conditions need.
  const chunks: Array<{ partitionKey: string; rows: NonNullable<ReturnType<typeof existing.get>> }> = [];
  for (const [partitionKey, rows] of existing) {
    for (let from = 0; from < rows.length; from += 100) chunks.push({ partitionKey, rows: rows.slice(from, from + 100) });
  }
  await runPool(chunks.length, 8, async (index) => {
    const { partitionKey, rows } = chunks[index] as (typeof chunks)[number];
    const answer = await submitBatch(
      client,
      rows.map((row): TransactionAction => ['create', { ...row.properties, partitionKey, rowKey: row.rowKey }]),
    );
    for (const [position, row] of rows.entries()) {
      if (!row.plan?.conditional) continue;
      const etag = answer.subResponses[position]?.etag ?? (await client.getEntity(partitionKey, row.rowKey)).etag;
      row.plan.conditional.etag = etag;
    }
  });

  let next = 0;
  return {
    async run(count: number) {
      if (next + count > plans.length) throw new Error(`raw transactions: ${count} asked, ${plans.length - next} prepared`);
      const first = next;
      next += count;
      const started = process.hrtime.bigint();
      await runPool(count, options.concurrency, async (offset) => {
        const plan = plans[first + offset] as Planned;
        let etag = plan.conditional?.etag;
        if (plan.read !== null) {
          const read = await client.getEntity(plan.partitionKey, plan.read);
          if (plan.read === plan.conditional?.rowKey) etag = read.etag;
        }
        if (plan.operations.length === 0) return;
        await submitBatch(
          client,
          plan.operations.map(({ operation, rowKey }) =>
            actionOf(plan.partitionKey, rowKey, operation, rowKey === plan.conditional?.rowKey ? etag : undefined),
          ),
        );
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      return { ms, perSecond: count === 0 ? Number.NaN : (count / ms) * 1000 };
    },
  };
}

/** Distinct partitions the recorded transactions wrote to. */
export const partitionsOf = (transactions: readonly RecordedTransaction[]): number =>
  new Set(transactions.flatMap(({ operations }) => operations.map(({ table, partitionKey }) => `${table}/${partitionKey}`))).size;
