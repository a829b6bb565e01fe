import type { IdempotencyStore } from '../../domain/ports';
import { isConflict, isNotFound } from './errors';
import { sha256Hex } from './keys';
import type { Properties } from './registration-entity';
import type { Tables } from './tables';

/**
 * The `idempotency` table: PartitionKey = sha256 of the Idempotency-Key (client keys may hold any
 * character and be long; the hash is always a valid key), one row with the binding.
 */
export class TableIdempotencyStore implements IdempotencyStore {
  constructor(private readonly tables: Tables) {}

  async claim(
    key: string,
    binding: { registrationId: string; fingerprint: string },
  ): Promise<{ registrationId: string; fingerprint: string; claimedNow: boolean }> {
    const tables = await this.tables.ready();
    const partitionKey = sha256Hex(key);
    // A binding deleted between our failed insert and our read (never done today) is simply claimed again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await tables.idempotency.createEntity({
          partitionKey,
          rowKey: '',
          registrationId: binding.registrationId,
          fingerprint: binding.fingerprint,
          claimedAt: new Date().toISOString(),
        });
        return { ...binding, claimedNow: true };
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      try {
        const stored = await tables.idempotency.getEntity<Properties>(partitionKey, '');
        return { registrationId: String(stored.registrationId), fingerprint: String(stored.fingerprint), claimedNow: false };
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    throw new Error('The Idempotency-Key binding kept disappearing while it was claimed.');
  }
}
