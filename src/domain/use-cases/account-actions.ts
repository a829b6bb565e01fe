import { assertCanReconnect, cancel, disconnect, reconnect } from '../commands';
import type { Registration } from '../registration';
import { asCaller, contextOf, type OnboardingDependencies, type Trigger, loadRegistration } from './dependencies';
import { ensureNumberOnWaba, readWaba } from './select-whatsapp-profile';

type Versioned = { id: string; ifMatchVersion?: number };
const optionsOf = (input: Versioned) => (input.ifMatchVersion !== undefined ? { ifMatchVersion: input.ifMatchVersion } : {});

export async function disconnectRegistration(
  deps: Pick<OnboardingDependencies, 'registrations' | 'clock'>,
  input: Versioned,
  trigger: Trigger,
): Promise<Registration> {
  const result = await deps.registrations.update(
    input.id,
    asCaller(trigger, input.id, (registration) => disconnect(registration, contextOf(trigger, deps.clock))),
    optionsOf(input),
  );
  return result.registration;
}

/**
 * From Disconnected, Revoked or PhoneNumberDeleted back to ProfileSelected. The WABA is read
 * again (a revoked one must have been shared again) and the number is added again when gone.
 */
export async function reconnectRegistration(
  deps: Pick<OnboardingDependencies, 'registrations' | 'meta' | 'clock'>,
  input: Versioned,
  trigger: Trigger,
): Promise<Registration> {
  const current = await loadRegistration(deps.registrations, input.id, trigger);
  assertCanReconnect(current);
  const waba = await readWaba(deps, current.whatsAppBusinessAccountId!);
  const phoneNumberId = await ensureNumberOnWaba(deps, waba, current, current.displayName ?? current.businessAccount?.name ?? 'Business');
  const result = await deps.registrations.update(
    input.id,
    (registration) => reconnect(registration, phoneNumberId, contextOf(trigger, deps.clock)),
    optionsOf(input),
  );
  return result.registration;
}

export async function cancelRegistration(
  deps: Pick<OnboardingDependencies, 'registrations' | 'clock'>,
  input: Versioned,
  trigger: Trigger,
): Promise<Registration> {
  const result = await deps.registrations.update(
    input.id,
    asCaller(trigger, input.id, (registration) => cancel(registration, contextOf(trigger, deps.clock))),
    optionsOf(input),
  );
  return result.registration;
}
