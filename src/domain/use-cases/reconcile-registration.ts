import { clearMetaRefusal, reconcileWithMeta, type MetaReading } from '../commands';
import { reconcileDisplayNameChange } from '../display-name-change';
import { isMetaError } from '../meta';
import { maskPhoneNumber } from '../phone-number';
import { andThen, type Registration } from '../registration';
import { probeAcsChannel } from './acs-channel';
import { completeMetaRegistration } from './complete-registration';
import { contextOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { registerAgainAfterNameChange } from './display-name';
import { callMeta } from './meta-failures';

/**
 * Reads Meta now and applies docs/design.md §2.2 to one registration. A registration stuck in
 * CodeVerified gets its deferred registration with Meta retried (when its wait is over).
 */
export const makeReconcileRegistration =
  (deps: Pick<Ports, 'registrations' | 'meta' | 'clock' | 'ids' | 'acsChannels'>) =>
  async (input: { id: string }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    if (current.stage === 'CodeVerified') return completeMetaRegistration(deps, current, trigger);
    if (current.stage !== 'Connected' || !current.whatsAppBusinessAccountId) return current;
    const wabaId = current.whatsAppBusinessAccountId;
    let reading: MetaReading;
    // A reading started after a display-name request was accepted is the first that can speak of it.
    const readAt = deps.clock.now().toISOString();
    try {
      reading = { waba: await callMeta(() => deps.meta.getWhatsAppBusinessAccount(wabaId)) };
    } catch (error) {
      if (!isMetaError(error, 'object-missing')) throw error;
      // Ambiguous: confirm with debug_token before calling the account revoked on first sight.
      const granted = await callMeta(() => deps.meta.grantedWabaIds()).catch(() => null);
      reading = { missing: true, confirmed: granted !== null && !granted.includes(wabaId) };
      trigger.log.warn('WABA not readable', { registrationId: current.id, phoneNumber: maskPhoneNumber(current.phoneNumber), confirmed: reading.confirmed });
    }
    const result = await deps.registrations.update(input.id, (registration) => {
      const reconciled = reconcileWithMeta(registration, reading, contextOf(trigger, deps.clock));
      // Meta answered: a refusal recorded by an earlier run is over.
      return 'waba' in reading
        ? andThen(andThen(reconciled, clearMetaRefusal), (next) => reconcileDisplayNameChange(next, reading.waba, readAt, contextOf(trigger, deps.clock)))
        : reconciled;
    });
    const registered = await registerAgainAfterNameChange(deps, result.registration, trigger);
    if (registered.acsChannel) return probeAcsChannel(deps, registered, trigger);
    return registered;
  };
