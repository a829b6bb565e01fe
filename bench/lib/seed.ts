import { randomUUID } from 'node:crypto';
import type { AccountFacts, DisplayNameReview } from '../../src/domain/account-status';
import type { RegistrationRepository } from '../../src/domain/ports';
import { evolve, newRegistration, type Registration } from '../../src/domain/registration';
import { runPool } from './pool';

/** What a seeded registration looks like: connected with a status, or still waiting for its code. */
export type SeedKind = 'Active' | 'DisplayNameReviewPending' | 'DisplayNameReviewRejected' | 'Revoked' | 'CodeRequested';

export interface SeedInput {
  id?: string;
  phoneNumber: string;
  wabaId: string;
  phoneNumberId: string;
  kind: SeedKind;
  /** When the facts were learnt; events and reconcile runs must come later to apply. */
  at: string;
}

export const BENCH_BUSINESS_ID = '100000000000001';

/** `+1425` and seven digits: distinct, valid-length numbers for up to 10 million registrations. */
export const benchPhoneNumber = (index: number, areaCode = '425'): string => `+1${areaCode}${String(index).padStart(7, '0')}`;

/** A Meta-style numeric id, unique per kind prefix and index. */
export const benchId = (prefix: string, index: number): string => `${prefix}${String(index).padStart(14, '0')}`;

const REVIEW_OF: Record<SeedKind, DisplayNameReview> = {
  Active: 'Approved',
  DisplayNameReviewPending: 'Pending',
  DisplayNameReviewRejected: 'Rejected',
  Revoked: 'Approved',
  CodeRequested: 'Approved',
};

/**
 * The facts a reconcile would read from the sandbox for a connected, approved number on an
 * approved WABA: an unchanged number then needs no write.
 */
export function connectedFacts(kind: SeedKind, at: string): AccountFacts {
  return {
    wabaAccess: { value: kind === 'Revoked' ? 'revoked' : 'ok', at, suspicions: 0 },
    accountReview: { value: 'APPROVED', at },
    phone: { value: 'present', at },
    displayName: { value: REVIEW_OF[kind], at },
  };
}

/**
 * A registration as onboarding would have left it, built with the domain's own `evolve` so the
 * status is derived the way the service derives it.
 */
export function seededRegistration(input: SeedInput): Registration {
  const at = input.at;
  const base = newRegistration({ id: input.id ?? randomUUID(), phoneNumber: input.phoneNumber, phoneNumberSource: 'byo', at });
  const context = { cause: 'api' as const, at };
  const common = {
    businessAccount: { id: BENCH_BUSINESS_ID, name: 'Bench Business' },
    whatsAppBusinessAccountId: input.wabaId,
    phoneNumberId: input.phoneNumberId,
    displayName: 'Bench Shop',
    profile: {},
  };
  const verification = { method: 'SMS' as const, language: 'en_US', requestedAt: at, attempts: 1, verifiedAt: null, rejectedCodes: 0 };
  if (input.kind === 'CodeRequested') {
    return evolve(base, { ...common, stage: 'CodeRequested', verification }, context, 'seeded by the benchmark').next;
  }
  return evolve(
    base,
    {
      ...common,
      stage: 'Connected',
      verification: { ...verification, verifiedAt: at },
      metaRegistration: { registeredAt: at, attempts: 1, lastError: null, notBefore: null },
      facts: connectedFacts(input.kind, at),
      messagingLimit: 'TIER_250',
      qualityRating: 'GREEN',
    },
    context,
    'seeded by the benchmark',
  ).next;
}

/**
 * Stores `count` registrations through the repository (phone lock, index rows, entity) with
 * `concurrency` creates in flight. No history rows are written, so no outbox rows either: the
 * reconcile timer's outbox sweep then finds nothing left over from seeding.
 */
export async function seedRegistrations(
  repository: RegistrationRepository,
  count: number,
  concurrency: number,
  make: (index: number) => Registration,
  onProgress?: (done: number) => void,
): Promise<{ ms: number }> {
  const started = process.hrtime.bigint();
  onProgress?.(0);
  let done = 0;
  const step = Math.max(1, Math.floor(count / 10));
  await runPool(count, concurrency, async (index) => {
    await repository.create(make(index), []);
    done += 1;
    if (onProgress && done % step === 0) onProgress(done);
  });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * Bulk seeding for the large sizes: exactly the rows `RegistrationRepository.create` stores (the
 * adapter's own row builder: entity and the copies lists read, in each registration's shard) and
 * the counts they add up to, 100 rows to a transaction; no history, journal or phone-lock rows
 * (no benchmarked path reads them). Shards keep every partition small, so Azurite's inserts stay
 * fast however many registrations there are.
 */
export async function bulkSeedRegistrations(
  connection: string,
  tablePrefix: string,
  registrations: readonly Registration[],
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<{ ms: number }> {
  const started = process.hrtime.bigint();
  const [{ TableClient }, { shardTableName, tableNamesFor }, { storedRowsOf }, { countsRowsOf }, { createTableStorage }] = await Promise.all([
    import('@azure/data-tables'),
    import('../../src/adapters/table-storage/tables'),
    import('../../src/adapters/table-storage/shard-rows'),
    import('../../src/adapters/table-storage/counts'),
    import('../../src/adapters/table-storage'),
  ]);
  await createTableStorage({ connection, tablePrefix }).ensureTables();
  const client = (table: string) => TableClient.fromConnectionString(connection, table, { allowInsecureConnection: true });

  const byPartition = new Map<string, Array<Record<string, unknown> & { partitionKey: string; rowKey: string }>>();
  for (const registration of registrations) {
    for (const row of storedRowsOf(registration)) {
      const rows = byPartition.get(row.partitionKey) ?? [];
      rows.push(row as Record<string, unknown> & { partitionKey: string; rowKey: string });
      byPartition.set(row.partitionKey, rows);
    }
  }
  const batches: Array<{ table: string; rows: Array<Record<string, unknown> & { partitionKey: string; rowKey: string }> }> = [];
  for (const [partition, rows] of byPartition) {
    const table = shardTableName(tablePrefix, Number(partition.slice('shard-'.length)));
    for (let from = 0; from < rows.length; from += 100) batches.push({ table, rows: rows.slice(from, from + 100) });
  }
  const clients = new Map<string, ReturnType<typeof client>>();
  onProgress?.(0);
  let done = 0;
  const step = Math.max(1, Math.floor(batches.length / 5));
  await runPool(batches.length, concurrency, async (position) => {
    const batch = batches[position] as (typeof batches)[number];
    const table = clients.get(batch.table) ?? client(batch.table);
    clients.set(batch.table, table);
    await table.submitTransaction(batch.rows.map((row) => ['create', row]));
    done += 1;
    if (onProgress && done % step === 0) onProgress(Math.round((done / batches.length) * registrations.length));
  });
  const { shardOfId } = await import('../../src/adapters/table-storage/keys');
  const summary = client(tableNamesFor(tablePrefix).counts);
  for (const { shard, row } of countsRowsOf(registrations, shardOfId)) {
    await (shard === undefined ? summary : client(shardTableName(tablePrefix, shard))).upsertEntity(row, 'Replace');
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}
