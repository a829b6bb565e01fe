import type { TableClient } from '@azure/data-tables';
import type { RegistrationFilter } from '../../domain/ports';
import type { Registration } from '../../domain/registration';
import { isNotFound, isPreconditionFailed } from './errors';
import { digitsOf, encodeKeyPart } from './keys';

/**
 * The `regindex` table: one partition per indexed value (`status-Active`, `stage-CodeRequested`,
 * `waba-{id}`, `phone-{digits}`, and per owner, see ownerPartition), one row per registration (RowKey = registration id), so a
 * filtered list is a single-partition range query however many registrations there are.
 *
 * The index is a superset of the truth, never a subset: rows for new values are written before
 * the registration, rows for old values are removed after it. A crash in between leaves an extra
 * row, which readers drop by checking every hit against the registration itself.
 */

const SAFE_VALUE = /^[A-Za-z0-9._:-]{1,200}$/;

/** Values from outside (WABA ids come from clients) become keys; the separator tells the two forms apart. */
const keyed = (kind: string, value: string): string => (SAFE_VALUE.test(value) ? `${kind}-${value}` : `${kind}~${encodeKeyPart(value)}`);

export const statusPartition = (status: string): string => keyed('status', status);
export const stagePartition = (stage: string): string => keyed('stage', stage);
export const wabaPartition = (wabaId: string): string => keyed('waba', wabaId);
export const phonePartition = (phoneNumber: string): string => keyed('phone', digitsOf(phoneNumber));
/**
 * An owner's registrations, alone or by status or stage (`owner-{id}+status-Active`): a client
 * app's list is one indexed query however many other owners there are. `+` is in neither key form.
 * A number or a WABA holds few registrations, so those filters need no owner-specific rows.
 */
export const ownerPartition = (owner: string, within?: string): string => `${keyed('owner', owner)}${within === undefined ? '' : `+${within}`}`;

export function indexPartitionsOf(registration: Registration): string[] {
  const partitions = [stagePartition(registration.stage), phonePartition(registration.phoneNumber)];
  if (registration.status) partitions.push(statusPartition(registration.status));
  if (registration.whatsAppBusinessAccountId) partitions.push(wabaPartition(registration.whatsAppBusinessAccountId));
  partitions.push(ownerPartition(registration.owner), ownerPartition(registration.owner, stagePartition(registration.stage)));
  if (registration.status) partitions.push(ownerPartition(registration.owner, statusPartition(registration.status)));
  return partitions;
}

/** The index partition a filtered list reads: the most selective filter given, or null for no filter. */
export function partitionFor(filter: RegistrationFilter): string | null {
  if (filter.phoneNumber !== undefined) return phonePartition(filter.phoneNumber);
  if (filter.whatsAppBusinessAccountId !== undefined) return wabaPartition(filter.whatsAppBusinessAccountId);
  const { owner } = filter;
  const scoped = (partition: string): string => (owner === undefined ? partition : ownerPartition(owner, partition));
  if (filter.status !== undefined) return scoped(statusPartition(filter.status));
  if (filter.stage !== undefined) return scoped(stagePartition(filter.stage));
  if (owner !== undefined) return ownerPartition(owner);
  return null;
}

export function matchesFilter(registration: Registration, filter: RegistrationFilter): boolean {
  if (filter.status !== undefined && registration.status !== filter.status) return false;
  if (filter.stage !== undefined && registration.stage !== filter.stage) return false;
  if (filter.whatsAppBusinessAccountId !== undefined && registration.whatsAppBusinessAccountId !== filter.whatsAppBusinessAccountId) {
    return false;
  }
  if (filter.phoneNumber !== undefined && digitsOf(registration.phoneNumber) !== digitsOf(filter.phoneNumber)) return false;
  if (filter.owner !== undefined && registration.owner !== filter.owner) return false;
  return true;
}

/** Rows to delete after the write, each with the etag it had before the write. */
export type PendingRemoval = Array<{ partition: string; etag: string }>;

export class RegistrationIndex {
  constructor(private readonly table: TableClient) {}

  async add(partitions: readonly string[], registrationId: string): Promise<void> {
    await Promise.all(
      partitions.map((partition) => this.table.upsertEntity({ partitionKey: partition, rowKey: registrationId }, 'Replace')),
    );
  }

  /**
   * Reads, before the registration is written, the etags of the rows its write makes stale.
   * Deleting with those etags afterwards cannot remove a row that a later writer re-added for the
   * same value (that writer read our committed state, so its upsert came after this read and
   * changed the etag): without this, A→B racing B→A could leave the registration missing from A.
   */
  async prepareRemoval(partitions: readonly string[], registrationId: string): Promise<PendingRemoval> {
    const found = await Promise.all(
      partitions.map(async (partition) => {
        try {
          const row = await this.table.getEntity(partition, registrationId);
          return { partition, etag: row.etag };
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      }),
    );
    return found.filter((entry): entry is { partition: string; etag: string } => entry !== null);
  }

  /**
   * Best effort: the registration is already written, and a row left behind only costs readers
   * one verification read, so a failure here must not turn a committed change into an error.
   */
  async remove(pending: PendingRemoval, registrationId: string): Promise<void> {
    await Promise.allSettled(
      pending.map(async ({ partition, etag }) => {
        try {
          await this.table.deleteEntity(partition, registrationId, { etag });
        } catch (error) {
          if (!isNotFound(error) && !isPreconditionFailed(error)) throw error;
        }
      }),
    );
  }
}

export function indexChanges(before: Registration, after: Registration): { added: string[]; removed: string[] } {
  const old = indexPartitionsOf(before);
  const next = indexPartitionsOf(after);
  return {
    added: next.filter((partition) => !old.includes(partition)),
    removed: old.filter((partition) => !next.includes(partition)),
  };
}
