import { assertCanReconnect, cancel, disconnect, reconnect } from '../commands';
import type { Change, ChangeContext, Registration } from '../registration';
import { asCaller, contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { ensureNumberOnWaba, readWaba } from './select-whatsapp-profile';

type Versioned = { id: string; ifMatchVersion?: number };

/**
 * A command that needs nothing but the registration goes straight to `update`: no read of its own,
 * so the caller's access is checked on the copy it changes.
 */
const commandOnRegistration =
  (command: (registration: Registration, context: ChangeContext) => Change) =>
  (deps: Pick<Ports, 'registrations' | 'clock'>) =>
  async (input: Versioned, trigger: Trigger): Promise<Registration> => {
    const change = asCaller(trigger, input.id, (registration) => command(registration, contextOf(trigger, deps.clock)));
    return (await deps.registrations.update(input.id, change, ifMatchOf(input))).registration;
  };

export const makeDisconnectRegistration = commandOnRegistration((registration, context) => disconnect(registration, context));

export const makeCancelRegistration = commandOnRegistration(cancel);

/**
 * From Disconnected, Revoked or PhoneNumberDeleted back to ProfileSelected. The WABA is read
 * again (a revoked one must have been shared again) and the number is added again when gone.
 */
export const makeReconnectRegistration =
  (deps: Pick<Ports, 'registrations' | 'meta' | 'clock'>) =>
  async (input: Versioned, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    assertCanReconnect(current);
    const waba = await readWaba(deps, current.whatsAppBusinessAccountId!);
    const phoneNumberId = await ensureNumberOnWaba(deps, waba, current, current.displayName ?? current.businessAccount?.name ?? 'Business');
    const result = await deps.registrations.update(
      input.id,
      (registration) => reconnect(registration, phoneNumberId, contextOf(trigger, deps.clock)),
      ifMatchOf(input),
    );
    return result.registration;
  };
