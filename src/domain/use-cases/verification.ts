import {
  assertCanRequestCode,
  assertCanSubmitCode,
  recordCodeRejected,
  recordCodeRequested,
  recordCodeVerified,
} from '../commands';
import { DomainError } from '../errors';
import { isMetaError } from '../meta';
import { maskPhoneNumber } from '../phone-number';
import type { Registration, VerificationMethod } from '../registration';
import { completeMetaRegistration } from './complete-registration';
import { contextOf, type OnboardingDependencies, type Trigger, loadRegistration } from './dependencies';
import { callMeta } from './meta-failures';

export async function requestVerificationCode(
  deps: Pick<OnboardingDependencies, 'registrations' | 'meta' | 'clock'>,
  input: { id: string; method: VerificationMethod; language: string; ifMatchVersion?: number },
  trigger: Trigger,
): Promise<Registration> {
  const current = await loadRegistration(deps.registrations, input.id, trigger);
  assertCanRequestCode(current, deps.clock.now());
  const phoneNumberId = current.phoneNumberId!;
  // Claim the request before calling Meta: two concurrent requests must not both reach
  // request_code (repeated requests lock the number out for about a day).
  const claimed = await deps.registrations.update(
    input.id,
    (registration) => recordCodeRequested(registration, { method: input.method, language: input.language }, contextOf(trigger, deps.clock)),
    input.ifMatchVersion !== undefined ? { ifMatchVersion: input.ifMatchVersion } : {},
  );
  try {
    await callMeta(() => deps.meta.requestVerificationCode(phoneNumberId, input.method, input.language));
  } catch (error) {
    trigger.log.warn('request_code failed', { registrationId: input.id, phoneNumber: maskPhoneNumber(current.phoneNumber), kind: isMetaError(error) ? error.kind : 'unknown' });
    if (isMetaError(error, 'rejected') || isMetaError(error, 'object-missing')) {
      throw new DomainError('verification-code-rejected', `Meta refused to send a code: ${error.message}`, {
        suggestedAction: 'Check the number can receive SMS or calls, and try the other method.',
      });
    }
    throw error;
  }
  return claimed.registration;
}

/**
 * Verifies a code with Meta and, when Meta accepts it, registers the number at once (the stage
 * moves CodeVerified → Connected without another client call). The code is neither stored nor logged.
 */
export async function submitVerificationCode(
  deps: Pick<OnboardingDependencies, 'registrations' | 'meta' | 'clock'>,
  input: { id: string; code: string; ifMatchVersion?: number },
  trigger: Trigger,
): Promise<Registration> {
  const current = await loadRegistration(deps.registrations, input.id, trigger);
  if (input.ifMatchVersion !== undefined && input.ifMatchVersion !== current.version) {
    throw new DomainError('concurrency-conflict', 'The registration changed since it was read (If-Match).');
  }
  assertCanSubmitCode(current);
  try {
    await callMeta(() => deps.meta.verifyCode(current.phoneNumberId!, input.code));
  } catch (error) {
    if (isMetaError(error, 'rejected')) {
      await deps.registrations.update(input.id, (registration) => recordCodeRejected(registration, contextOf(trigger, deps.clock)));
      throw new DomainError('verification-code-rejected', 'Meta rejected the verification code.', {
        suggestedAction: 'Check the code in the latest SMS or call, or request a new code after the cooldown.',
      });
    }
    throw error;
  }
  const verified = await deps.registrations.update(
    input.id,
    (registration) => recordCodeVerified(registration, contextOf(trigger, deps.clock)),
    trigger.eventId ? { eventId: trigger.eventId } : {},
  );
  return completeMetaRegistration(deps, verified.registration, trigger);
}
