/**
 * Callers, roles and ownership (docs/design.md §5.1), as pure rules. Who the caller is comes from
 * the HTTP layer; what a caller may see and do is decided here, so every use case applies the same
 * rules whichever endpoint it serves.
 */
import { ANONYMOUS_CALLER_ID, SYSTEM_ACTOR } from './actors';
import { DomainError, notFound } from './errors';
import type { RegistrationFilter } from './ports';
import type { Registration } from './registration';

export const ROLES = ['Registrations.Write', 'Registrations.Ops'] as const;
export type Role = (typeof ROLES)[number];

/** The roles an endpoint accepts (any one of them), or `none` for endpoints open to every caller. */
export type RequiredRoles = readonly Role[] | 'none';
export const WRITE_OR_OPS: readonly Role[] = ['Registrations.Write', 'Registrations.Ops'];
export const OPS_ONLY: readonly Role[] = ['Registrations.Ops'];

export interface Caller {
  /** The calling app or user (§5.1 caller id); recorded as a registration's owner and as history actor. */
  id: string;
  roles: readonly Role[];
}

export { ANONYMOUS_CALLER_ID, SYSTEM_ACTOR } from './actors';
export const UNTRUSTED_CALLER: Caller = { id: ANONYMOUS_CALLER_ID, roles: ['Registrations.Ops'] };

export const hasRole = (caller: Caller, role: Role): boolean => caller.roles.includes(role);

/** Ops sees every registration; a Write-only caller only those it owns. */
export const seesEveryRegistration = (caller: Caller): boolean => hasRole(caller, 'Registrations.Ops');

/** No caller (an event, the timer) acts on every registration. */
export const mayAccess = (caller: Caller | undefined, registration: Pick<Registration, 'owner'>): boolean =>
  caller === undefined || seesEveryRegistration(caller) || registration.owner === caller.id;

/**
 * The registration, or `not-found` exactly as for an id that does not exist: another owner's
 * registration must not be told apart from a missing one (ids leak nothing).
 */
export function accessible(caller: Caller | undefined, id: string, registration: Registration | null): Registration {
  if (!registration || !mayAccess(caller, registration)) throw notFound(`Registration ${id}`);
  return registration;
}

/**
 * The filter a caller's list really runs with: a Write-only caller's list is narrowed to its own
 * registrations whatever it asked; asking for another owner's gives `null` (nothing to list).
 */
export function scopedFilter(caller: Caller, filter: RegistrationFilter): RegistrationFilter | null {
  if (seesEveryRegistration(caller)) return filter;
  if (filter.owner !== undefined && filter.owner !== caller.id) return null;
  return { ...filter, owner: caller.id };
}

/** The owner whose registrations a caller's feed and counts cover, or undefined for all of them. */
export const ownerScopeOf = (caller: Caller): string | undefined => (seesEveryRegistration(caller) ? undefined : caller.id);

/** Idempotency-Keys are scoped to the caller: two apps choosing the same key never meet. */
export const scopedIdempotencyKey = (caller: Caller | undefined, key: string): string =>
  // JSON, so no caller id can end in what another's key begins with.
  JSON.stringify([caller?.id ?? ANONYMOUS_CALLER_ID, key]);

/** An SMS probe to a number other than the registration's own is for ops only (§5.1). */
export function assertMayProbe(caller: Caller | undefined, registration: Registration, to: string | undefined): void {
  if (to === undefined || caller === undefined || seesEveryRegistration(caller)) return;
  if (digits(to) === digits(registration.phoneNumber)) return;
  throw new DomainError('forbidden', 'Only Registrations.Ops may send a probe to a number other than the registration’s own.', {
    suggestedAction: 'Leave out `to` to probe the registration’s own number.',
  });
}

const digits = (phoneNumber: string): string => phoneNumber.replace(/\D/g, '');

export const actorOf = (caller: Caller | undefined): string => caller?.id ?? SYSTEM_ACTOR;
