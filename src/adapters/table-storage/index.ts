import type { IdempotencyStore, OutboxStore, ReconcileStore, RegistrationRepository } from '../../domain/ports';
import { RegistrationCounts } from './counts';
import { TableReconcileStore } from './reconcile-store';
import { TableIdempotencyStore } from './idempotency-store';
import { TableOutboxStore } from './outbox-store';
import { TableRegistrationRepository, type RepositoryTuning } from './registration-repository';
import { createTables, type TableStorageOptions } from './tables';

export { isTransientStorageError } from './errors';
export type { TableStorageOptions } from './tables';
export type { RepositoryTuning } from './registration-repository';

export interface TableStorage {
  registrations: RegistrationRepository;
  idempotency: IdempotencyStore;
  outbox: OutboxStore;
  reconcile: ReconcileStore;
  /** Creates the tables if needed. Optional: every operation waits for it on first use. */
  ensureTables(): Promise<void>;
}

/**
 * Table Storage adapters for the storage ports. Only validates the options: the SDK is loaded,
 * and the tables created (once), on the first operation, so importing this costs no cold start.
 */
export function createTableStorage(options: TableStorageOptions & RepositoryTuning): TableStorage {
  const tables = createTables(options);
  const counts = new RegistrationCounts(tables);
  const outbox = new TableOutboxStore(tables, counts);
  const registrations = new TableRegistrationRepository(tables, counts, (entry) => outbox.notify(entry), options);
  return {
    registrations,
    idempotency: new TableIdempotencyStore(tables),
    outbox,
    reconcile: new TableReconcileStore(tables, (row) => registrations.fromStoredRow(row)),
    ensureTables: async () => {
      await tables.ready();
    },
  };
}
