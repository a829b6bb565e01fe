import { assertCanRequestCode, assertCanSubmitCode, recordCodeRejected, recordCodeRequested, recordCodeVerified } from '../commands';
import { DomainError } from '../errors';
import { isMetaError } from '../meta';
import { claimMetaCall, earlierCallMayHaveActed, recordMetaCallFailed, type MetaStep } from '../meta-call';
import { maskPhoneNumber } from '../phone-number';
import type { Registration, VerificationMethod } from '../registration';
import { completeMetaRegistration, numberAtMeta } from './complete-registration';
import { contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { callMeta } from './meta-failures';

type Deps = Pick<Ports, 'registrations' | 'meta' | 'clock' | 'ids'>;

/**
 * Claims a Meta step in storage (checked again on the fresh copy) and returns the claim's token:
 * racing or repeated requests find the claim and never reach Meta.
 */
async function claimStep(
  deps: Deps,
  input: { id: string; ifMatchVersion?: number },
  step: MetaStep,
  assertCan: (registration: Registration, now: Date) => void,
  trigger: Trigger,
): Promise<string> {
  const token = deps.ids.newId();
  await deps.registrations.update(
    input.id,
    (registration) => claimMetaCall(registration, step, token, contextOf(trigger, deps.clock), (fresh) => assertCan(fresh, deps.clock.now())),
    ifMatchOf(input),
  );
  return token;
}

/** Releases a failed call's claim; a storage fault here must not hide Meta's answer (the lease expires anyway). */
async function releaseAfterFailure(deps: Deps, id: string, token: string, step: MetaStep, error: unknown, trigger: Trigger): Promise<void> {
  const reason = isMetaError(error) ? error.kind : error instanceof DomainError ? error.code : 'unknown';
  await deps.registrations
    .update(id, (registration) => recordMetaCallFailed(registration, token, { step, reason }, contextOf(trigger, deps.clock)))
    .catch((releaseError: unknown) =>
      trigger.log.warn(`Claim of ${step} not released; it expires by itself`, { registrationId: id, error: String(releaseError) }),
    );
}

/**
 * Claims the request in storage before calling Meta, so that racing requests do not both reach
 * request_code (repeated requests lock the number out for about a day). Only a code Meta actually
 * sent is recorded as requested and starts the resend cooldown; a refused or failed call is
 * recorded as a failure and may be retried at once.
 */
export const makeRequestVerificationCode =
  (deps: Deps) =>
  async (input: { id: string; method: VerificationMethod; language: string; ifMatchVersion?: number }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    assertCanRequestCode(current, deps.clock.now());
    const phoneNumberId = current.phoneNumberId!;
    const token = await claimStep(deps, input, 'request_code', assertCanRequestCode, trigger);
    try {
      await callMeta(() => deps.meta.requestVerificationCode(phoneNumberId, input.method, input.language));
    } catch (error) {
      trigger.log.warn('request_code failed', {
        registrationId: input.id,
        phoneNumber: maskPhoneNumber(current.phoneNumber),
        kind: isMetaError(error) ? error.kind : 'unknown',
      });
      await releaseAfterFailure(deps, input.id, token, 'request_code', error, trigger);
      if (isMetaError(error, 'rejected') || isMetaError(error, 'object-missing')) {
        throw new DomainError('verification-code-rejected', `Meta refused to send a code: ${error.message}`, {
          suggestedAction: 'Check the number can receive SMS or calls, and try the other method.',
        });
      }
      throw error;
    }
    const requested = await deps.registrations.update(input.id, (registration) =>
      recordCodeRequested(registration, { method: input.method, language: input.language }, contextOf(trigger, deps.clock)),
    );
    return requested.registration;
  };

/**
 * Verifies a code with Meta and, when Meta accepts it, registers the number at once (the stage
 * moves CodeVerified → Connected without another client call). The verify call is claimed in
 * storage first, so a duplicate or concurrent submission makes no Meta call; wrong codes are
 * capped locally before Meta sees them. The code is neither stored nor logged.
 */
export const makeSubmitVerificationCode =
  (deps: Deps) =>
  async (input: { id: string; code: string; ifMatchVersion?: number }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    if (input.ifMatchVersion !== undefined && input.ifMatchVersion !== current.version) {
      throw new DomainError('concurrency-conflict', 'The registration changed since it was read (If-Match).');
    }
    assertCanSubmitCode(current, deps.clock.now());
    // An earlier verify_code may have verified the number already: a second one would be a second
    // verification Meta counts against the number.
    const unknownOutcome = earlierCallMayHaveActed(current, 'verify_code');
    const token = await claimStep(deps, input, 'verify_code', assertCanSubmitCode, trigger);
    const verifiedEarlier = unknownOutcome && (await numberAtMeta(deps, current.phoneNumberId!))?.codeVerificationStatus?.toUpperCase() === 'VERIFIED';
    if (!verifiedEarlier) await verifyWithMeta(deps, input, current.phoneNumberId!, token, trigger);
    const verified = await deps.registrations.update(
      input.id,
      (registration) => recordCodeVerified(registration, contextOf(trigger, deps.clock), token),
      trigger.eventId ? { eventId: trigger.eventId } : {},
    );
    return completeMetaRegistration(deps, verified.registration, trigger, token);
  };

/** verify_code under the claim `token`: a rejected code is counted, any other failure releases the claim. */
async function verifyWithMeta(deps: Deps, input: { id: string; code: string }, phoneNumberId: string, token: string, trigger: Trigger): Promise<void> {
  try {
    await callMeta(() => deps.meta.verifyCode(phoneNumberId, input.code));
  } catch (error) {
    if (isMetaError(error, 'rejected')) {
      const after = await deps.registrations.update(input.id, (registration) => recordCodeRejected(registration, contextOf(trigger, deps.clock), token));
      assertCanSubmitCode(after.registration, deps.clock.now());
      throw new DomainError('verification-code-rejected', 'Meta rejected the verification code.', {
        suggestedAction: 'Check the code in the latest SMS or call, or request a new code after the cooldown.',
      });
    }
    await releaseAfterFailure(deps, input.id, token, 'verify_code', error, trigger);
    throw error;
  }
}
