import type {
  AcsChannels,
  Clock,
  EmbeddedSignup,
  EventPublisher,
  IdempotencyStore,
  IdGenerator,
  Logger,
  MetaGraph,
  OutboxStore,
  ReconcileStore,
  RegistrationRepository,
  SmsSender,
} from '../ports';
import { accessible, actorOf, type Caller } from '../access';
import type { ChangeContext, Registration } from '../registration';
import type { Cause } from '../stages';

/**
 * Every port a use case may reach. Each use-case factory takes a Pick of exactly the ports it
 * uses, so its signature says what it can touch and a test builds only those.
 */
export interface Ports {
  registrations: RegistrationRepository;
  meta: MetaGraph;
  clock: Clock;
  ids: IdGenerator;
  idempotency: IdempotencyStore;
  outbox: OutboxStore;
  sms: SmsSender;
  acsChannels: AcsChannels;
  embeddedSignup: EmbeddedSignup;
  reconcileStore: ReconcileStore;
  /** Where account changes from Meta's webhook go to be applied. */
  accountEventSink: EventPublisher;
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

/** The If-Match precondition of a change, when the client sent one. */
export const ifMatchOf = (input: { ifMatchVersion?: number | undefined }): { ifMatchVersion?: number } =>
  input.ifMatchVersion !== undefined ? { ifMatchVersion: input.ifMatchVersion } : {};

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
