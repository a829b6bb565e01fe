import type { RegistrationFilter } from '../../domain/ports';
import type { Registration } from '../../domain/registration';
import { digitsOf } from './keys';
import { valueKey } from './shard-rows';

/**
 * The row-key prefix of the copies a filtered list reads in every shard (docs/storage.md):
 * `s|{state}|` by stage and status, `o|{owner}|{state}|` when narrowed to an owner, `e|` for
 * everything. Null when the filter cannot match anything (a status with a stage before Connected).
 */
export function listPrefixFor(filter: Pick<RegistrationFilter, 'status' | 'stage' | 'owner'>): string | null {
  let state = '';
  if (filter.status !== undefined) {
    if (filter.stage !== undefined && filter.stage !== 'Connected') return null;
    state = `Connected.${filter.status}|`;
  } else if (filter.stage !== undefined) {
    state = filter.stage === 'Connected' ? 'Connected.' : `${filter.stage}|`;
  }
  if (filter.owner !== undefined) return `o|${valueKey(filter.owner)}|${state}`;
  return state === '' ? 'e|' : `s|${state}`;
}

export function matchesFilter(registration: Registration, filter: RegistrationFilter): boolean {
  if (filter.status !== undefined && registration.status !== filter.status) return false;
  if (filter.stage !== undefined && registration.stage !== filter.stage) return false;
  if (filter.owner !== undefined && registration.owner !== filter.owner) return false;
  if (filter.whatsAppBusinessAccountId !== undefined && registration.whatsAppBusinessAccountId !== filter.whatsAppBusinessAccountId) {
    return false;
  }
  if (filter.phoneNumber !== undefined && digitsOf(registration.phoneNumber) !== digitsOf(filter.phoneNumber)) return false;
  return true;
}
