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
 * Bulk seeding for the large sizes: the rows `RegistrationRepository.create` writes — the entity
 * (through the adapter's own mapping) and its index rows (the adapter's own partitions) — but the
 * index rows go 100 to a transaction and no phone-lock rows are written (no benchmarked path
 * reads them). About two requests per registration (entity, phone index row) instead of about seven, which is what makes
 * 10,000–100,000 registrations fit the time budget on a 2-core machine.
 */
export async function bulkSeedRegistrations(
  connection: string,
  tablePrefix: string,
  registrations: readonly Registration[],
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<{ ms: number }> {
  const started = process.hrtime.bigint();
  const [{ TableClient }, { tableNamesFor }, { registrationToEntity }, { indexPartitionsOf }, { createTableStorage }] = await Promise.all([
    import('@azure/data-tables'),
    import('../../src/adapters/table-storage/tables'),
    import('../../src/adapters/table-storage/registration-entity'),
    import('../../src/adapters/table-storage/registration-index'),
    import('../../src/adapters/table-storage'),
  ]);
  await createTableStorage({ connection, tablePrefix }).ensureTables();
  const names = tableNamesFor(tablePrefix);
  const client = (table: string) => TableClient.fromConnectionString(connection, table, { allowInsecureConnection: true });
  const entities = client(names.registrations);
  const index = client(names.index);

  const byPartition = new Map<string, string[]>();
  for (const registration of registrations) {
    for (const partition of indexPartitionsOf(registration)) {
      const rows = byPartition.get(partition) ?? [];
      rows.push(registration.id);
      byPartition.set(partition, rows);
    }
  }
  const batches: Array<{ partition: string; ids: string[] }> = [];
  for (const [partition, ids] of byPartition) {
    for (let from = 0; from < ids.length; from += 100) batches.push({ partition, ids: ids.slice(from, from + 100) });
  }
  await runPool(batches.length, concurrency, async (position) => {
    const batch = batches[position] as { partition: string; ids: string[] };
    // Fresh tables, so inserts: Azurite handles a batch of inserts several times faster than a
    // batch of upserts in a large partition. Single rows (phone partitions) go without a batch.
    if (batch.ids.length === 1) await index.createEntity({ partitionKey: batch.partition, rowKey: batch.ids[0] as string });
    else await index.submitTransaction(batch.ids.map((id) => ['create', { partitionKey: batch.partition, rowKey: id }]));
  });

  onProgress?.(0);
  let done = 0;
  const step = Math.max(1, Math.floor(registrations.length / 5));
  await runPool(registrations.length, concurrency, async (position) => {
    await entities.createEntity(registrationToEntity(registrations[position] as Registration));
    done += 1;
    if (onProgress && done % step === 0) onProgress(done);
  });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}
