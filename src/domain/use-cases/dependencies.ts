import type { Clock, IdempotencyStore, IdGenerator, Logger, MetaGraph, RegistrationRepository } from '../ports';
import { notFound } from '../errors';
import type { ChangeContext, Registration } from '../registration';
import type { Cause } from '../stages';

export interface OnboardingDependencies {
  registrations: RegistrationRepository;
  meta: MetaGraph;
  clock: Clock;
  ids: IdGenerator;
  idempotency: IdempotencyStore;
}

/** Who asked for a change: recorded in history (cause + event or request id). */
export interface Trigger {
  cause: Cause;
  eventId?: string;
  log: Logger;
}

export const contextOf = (trigger: Trigger, clock: Clock): ChangeContext => ({
  cause: trigger.cause,
  at: clock.now().toISOString(),
  ...(trigger.eventId ? { eventId: trigger.eventId } : {}),
});

/** The registration, or `not-found`: the first step of every command on one registration. */
export async function loadRegistration(registrations: RegistrationRepository, id: string): Promise<Registration> {
  const registration = await registrations.get(id);
  if (!registration) throw notFound(`Registration ${id}`);
  return registration;
}
