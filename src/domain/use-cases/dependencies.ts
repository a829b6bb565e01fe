import type { Clock, IdempotencyStore, IdGenerator, Logger, MetaGraph, RegistrationRepository } from '../ports';
import { accessible, actorOf, type Caller } from '../access';
import type { ChangeContext, Registration } from '../registration';
import type { Cause } from '../stages';

export interface OnboardingDependencies {
  registrations: RegistrationRepository;
  meta: MetaGraph;
  clock: Clock;
  ids: IdGenerator;
  idempotency: IdempotencyStore;
}

/** Why a change happens: recorded in history (cause + event or request id + actor). */
export interface Trigger {
  cause: Cause;
  eventId?: string;
  log: Logger;
  /**
   * The API caller being served (docs/design.md §5.1): its id is the actor of every change, and it
   * only reaches registrations it may see. Absent for events and the timer (`system`, sees all).
   */
  caller?: Caller;
}

export const contextOf = (trigger: Trigger, clock: Clock): ChangeContext => ({
  cause: trigger.cause,
  at: clock.now().toISOString(),
  ...(trigger.eventId ? { eventId: trigger.eventId } : {}),
  actor: actorOf(trigger.caller),
});

/**
 * The registration, or `not-found` (also when it belongs to another owner than the caller): the
 * first step of every command on one registration.
 */
export async function loadRegistration(registrations: RegistrationRepository, id: string, trigger: Pick<Trigger, 'caller'>): Promise<Registration> {
  return accessible(trigger.caller, id, await registrations.get(id));
}

/**
 * A mutation that first checks the caller may act on the registration it is given, for commands
 * that go straight to `update` without a read of their own. The owner never changes, so the check
 * on the fresh copy is the check.
 */
export const asCaller =
  <T>(trigger: Pick<Trigger, 'caller'>, id: string, mutate: (current: Registration) => T) =>
  (current: Registration): T =>
    mutate(accessible(trigger.caller, id, current));
