import type { TableClient } from '@azure/data-tables';
import { DomainError } from '../../domain/errors';
import type { Stage } from '../../domain/stages';
import { isConflict, isNotFound, isPreconditionFailed } from './errors';
import type { Properties } from './registration-entity';

const MAX_ATTEMPTS = 10;

export const phoneNumberInUse = (digits: string): DomainError =>
  new DomainError('phone-number-in-use', `Another registration that is not cancelled already holds +${digits}.`, {
    suggestedAction:
      'If your app started it, continue with that registration (list registrations filtered by phoneNumber to find it), or cancel it if it was abandoned before connecting, then try again.',
  });

/**
 * The `phonelocks` table: PartitionKey = the number's digits, one row naming the registration
 * that holds it. Insert-if-absent makes exactly one of any number of racing creates win; a lock
 * held by a Cancelled registration (or by one that never got written) is taken over with a
 * write conditional on the lock's etag, so two takers cannot both succeed either.
 */
export class PhoneLocks {
  constructor(
    private readonly table: TableClient,
    /** Stage of a registration, or null when it does not exist. */
    private readonly stageOf: (registrationId: string) => Promise<Stage | null>,
    /** How long a lock whose registration does not exist yet counts as "being created right now". */
    private readonly graceMs: number,
  ) {}

  async claim(digits: string, registrationId: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const claimedAt = new Date().toISOString();
      try {
        await this.table.createEntity({ partitionKey: digits, rowKey: '', registrationId, claimedAt });
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      const lock = await this.read(digits);
      if (!lock) continue;
      const holderId = lock.registrationId;
      if (holderId === registrationId) return;
      const holderStage = typeof holderId === 'string' ? await this.stageOf(holderId) : null;
      if (holderStage !== null && holderStage !== 'Cancelled') throw phoneNumberInUse(digits);
      if (holderStage === null && Date.now() - lockTime(lock) < this.graceMs) throw phoneNumberInUse(digits);
      try {
        await this.table.updateEntity({ partitionKey: digits, rowKey: '', registrationId, claimedAt }, 'Replace', { etag: lock.etag });
        return;
      } catch (error) {
        if (!isPreconditionFailed(error) && !isNotFound(error)) throw error;
      }
    }
    throw new DomainError('concurrency-conflict', `Too many concurrent claims on +${digits}; try again.`, { transient: true });
  }

  private async read(digits: string): Promise<(Properties & { etag: string; timestamp?: string }) | null> {
    try {
      return await this.table.getEntity<Properties>(digits, '');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}

/** When the lock was last written: the service's timestamp, else the time the claimer recorded. */
function lockTime(lock: { timestamp?: string; claimedAt?: unknown }): number {
  const serverTime = lock.timestamp ? Date.parse(lock.timestamp) : Number.NaN;
  if (Number.isFinite(serverTime)) return serverTime;
  const ownTime = typeof lock.claimedAt === 'string' ? Date.parse(lock.claimedAt) : Number.NaN;
  return Number.isFinite(ownTime) ? ownTime : 0;
}
