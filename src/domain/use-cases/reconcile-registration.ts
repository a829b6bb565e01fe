import { applyObservation } from '../commands';
import { isMetaError } from '../meta';
import { observeWaba, observeWabaMissing } from '../observations';
import { maskPhoneNumber } from '../phone-number';
import type { Registration } from '../registration';
import { probeAcsChannel } from './acs-channel';
import { completeMetaRegistration } from './complete-registration';
import type { AcsChannels } from '../ports';
import { contextOf, type OnboardingDependencies, type Trigger, loadRegistration } from './dependencies';
import { callMeta } from './meta-failures';

/**
 * Reads Meta now and applies DESIGN §2.2 to one registration. A registration stuck in
 * CodeVerified gets its deferred registration with Meta retried (when its wait is over).
 */
export async function reconcileRegistration(
  deps: Pick<OnboardingDependencies, 'registrations' | 'meta' | 'clock'> & { acsChannels?: AcsChannels },
  input: { id: string },
  trigger: Trigger,
): Promise<Registration> {
  const current = await loadRegistration(deps.registrations, input.id);
  if (current.stage === 'CodeVerified') return completeMetaRegistration(deps, current, trigger);
  if (current.stage !== 'Connected' || !current.whatsAppBusinessAccountId) return current;
  const wabaId = current.whatsAppBusinessAccountId;
  const at = deps.clock.now().toISOString();
  let observed: Parameters<typeof applyObservation>[1];
  let detail: string;
  try {
    const waba = await callMeta(() => deps.meta.getWhatsAppBusinessAccount(wabaId));
    const observation = observeWaba(waba, current, at);
    observed = { facts: observation.facts, messagingLimit: observation.phone?.messagingLimit ?? null, qualityRating: observation.phone?.qualityRating ?? null };
    detail = 'Reconciled with Meta';
  } catch (error) {
    if (!isMetaError(error, 'object-missing')) throw error;
    // Ambiguous: confirm with debug_token before calling the account revoked on first sight.
    const granted = await callMeta(() => deps.meta.grantedWabaIds()).catch(() => null);
    const confirmed = granted !== null && !granted.includes(wabaId);
    observed = { facts: observeWabaMissing(current.facts, at, confirmed) };
    detail = confirmed ? 'WABA no longer granted to the app (debug_token)' : 'Meta does not return the WABA (100/33)';
    trigger.log.warn('WABA not readable', { registrationId: current.id, phoneNumber: maskPhoneNumber(current.phoneNumber), confirmed });
  }
  const result = await deps.registrations.update(input.id, (registration) => applyObservation(registration, observed, contextOf(trigger, deps.clock), detail));
  if (deps.acsChannels && result.registration.acsChannel) return probeAcsChannel({ ...deps, acsChannels: deps.acsChannels }, result.registration, trigger);
  return result.registration;
}
