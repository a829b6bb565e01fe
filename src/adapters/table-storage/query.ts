import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { Properties } from './registration-entity';

export type StoredRow = TableEntityResult<Properties>;

/**
 * The first `count` rows matching `filter`, in key order. The service may return short or even
 * empty pages with a continuation token (partition boundaries, 5 s server budget), so this
 * follows continuations until it has enough.
 */
export async function take(table: TableClient, filter: string, count: number): Promise<StoredRow[]> {
  const rows: StoredRow[] = [];
  if (count <= 0) return rows;
  const pages = table.listEntities<Properties>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(count, 1000) });
  for await (const page of pages) {
    rows.push(...page);
    if (rows.length >= count) break;
  }
  return rows.slice(0, count);
}

/** Every row matching `filter`, in key order (for small, bounded sets such as one partition). */
export async function all(table: TableClient, filter: string): Promise<StoredRow[]> {
  const rows: StoredRow[] = [];
  for await (const page of table.listEntities<Properties>({ queryOptions: { filter } }).byPage({ maxPageSize: 1000 })) {
    rows.push(...page);
  }
  return rows;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
