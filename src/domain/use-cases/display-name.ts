import {
  assertCanChangeDisplayName,
  recordDisplayNameRequested,
  recordRegisterAgainFailed,
  recordRegisteredAgain,
  registerAgainDue,
} from '../display-name-change';
import { DomainError } from '../errors';
import { isMetaError, type MetaGraphError } from '../meta';
import { claimMetaCall, holdsClaim, recordMetaCallFailed, type MetaStep } from '../meta-call';
import { maskPhoneNumber } from '../phone-number';
import { unchanged, type Registration } from '../registration';
import { retryNotBefore } from './complete-registration';
import { contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { asMetaUnavailable } from './meta-failures';

type Deps = Pick<Ports, 'registrations' | 'meta' | 'clock' | 'ids'>;

/**
 * `PUT /api/registrations/{id}/display-name`: asks Meta to review a new display name. The call is
 * claimed in storage first (checked again on the fresh copy), so a retried or concurrent request
 * finds the claim, or the pending change, and never reaches Meta a second time. A name Meta
 * refuses is `meta-display-name-rejected` and leaves the registration as it was.
 */
export const makeChangeDisplayName =
  (deps: Deps) =>
  async (input: { id: string; displayName: string; ifMatchVersion?: number }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    assertCanChangeDisplayName(current);
    const token = deps.ids.newId();
    const claimed = await deps.registrations.update(
      input.id,
      (registration) => claimMetaCall(registration, 'new_display_name', token, contextOf(trigger, deps.clock), assertCanChangeDisplayName),
      ifMatchOf(input),
    );
    const phoneNumberId = claimed.registration.phoneNumberId!;
    try {
      await deps.meta.requestDisplayNameChange(phoneNumberId, input.displayName);
    } catch (error) {
      trigger.log.warn('new_display_name failed', {
        registrationId: input.id,
        phoneNumber: maskPhoneNumber(current.phoneNumber),
        kind: isMetaError(error) ? error.kind : 'unknown',
      });
      await releaseClaim(deps, input.id, token, 'new_display_name', error, trigger);
      // For this call, Meta refusing the request is refusing the name: read before the general translation.
      if (refusedName(error)) {
        throw new DomainError('meta-display-name-rejected', `Meta refused the new display name: ${error.message}`, {
          suggestedAction: 'Choose a name that follows Meta’s display name guidelines (it must relate to the business), then submit it again.',
        });
      }
      throw asMetaUnavailable(error);
    }
    const requested = await deps.registrations.update(input.id, (registration) =>
      recordDisplayNameRequested(registration, input.displayName, contextOf(trigger, deps.clock), token),
    );
    return requested.registration;
  };

/**
 * Meta refused the request itself: a refusal, or an invalid parameter (code 100 without the
 * subcodes of a missing object or a number not ready), which for this call is the name.
 */
const refusedName = (error: unknown): error is MetaGraphError =>
  isMetaError(error) && (error.kind === 'rejected' || (error.details.code === 100 && error.kind !== 'object-missing' && error.kind !== 'not-ready'));

/** A failed call's claim is released at once; a storage fault here must not hide Meta's answer (the lease expires anyway). */
async function releaseClaim(deps: Deps, id: string, token: string, step: MetaStep, error: unknown, trigger: Trigger): Promise<void> {
  const reason = isMetaError(error) ? error.kind : error instanceof DomainError ? error.code : 'unknown';
  await deps.registrations
    .update(id, (registration) => recordMetaCallFailed(registration, token, { step, reason }, contextOf(trigger, deps.clock)))
    .catch((releaseError: unknown) =>
      trigger.log.warn(`Claim of ${step} not released; it expires by itself`, { registrationId: id, error: String(releaseError) }),
    );
}

/**
 * After Meta approved a new display name the number must be registered again: one claimed
 * register call per due registration, whoever notices the approval first (the webhook, reconcile).
 * A failure records when the next attempt may be made (133016: 72 h) and returns; reconcile makes
 * that attempt, nothing here loops.
 */
export async function registerAgainAfterNameChange(deps: Deps, loaded: Registration, trigger: Trigger): Promise<Registration> {
  if (!registerAgainDue(loaded, deps.clock.now())) return loaded;
  const token = deps.ids.newId();
  let claimed: Registration;
  try {
    claimed = (
      await deps.registrations.update(loaded.id, (fresh) =>
        registerAgainDue(fresh, deps.clock.now()) ? claimMetaCall(fresh, 'register', token, contextOf(trigger, deps.clock)) : unchanged(fresh),
      )
    ).registration;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'operation-in-progress') return loaded;
    throw error;
  }
  if (!holdsClaim(claimed, token, deps.clock.now())) return claimed;
  try {
    await deps.meta.registerPhoneNumber(claimed.phoneNumberId!);
  } catch (error) {
    if (!isMetaError(error)) {
      await releaseClaim(deps, loaded.id, token, 'register', error, trigger);
      throw error;
    }
    const notBefore = retryNotBefore(error, deps.clock.now());
    trigger.log.warn('register after the display name change failed; deferred', {
      registrationId: loaded.id,
      phoneNumber: maskPhoneNumber(loaded.phoneNumber),
      kind: error.kind,
      code: error.details.code,
      notBefore,
    });
    const deferred = await deps.registrations.update(loaded.id, (fresh) =>
      recordRegisterAgainFailed(
        fresh,
        { reason: `register: ${error.kind} (${error.details.code ?? 'no code'})`, notBefore },
        contextOf(trigger, deps.clock),
        token,
      ),
    );
    return deferred.registration;
  }
  const registered = await deps.registrations.update(loaded.id, (fresh) => recordRegisteredAgain(fresh, contextOf(trigger, deps.clock), token));
  return registered.registration;
}
