import { createHash } from 'node:crypto';
import { actorOf, ANONYMOUS_CALLER_ID, scopedIdempotencyKey, type Caller } from '../access';
import { DomainError } from '../errors';
import { newRegistration, type HistoryEntry, type PhoneNumberSource, type Registration } from '../registration';
import type { Ports, Trigger } from './dependencies';

export interface CreateRegistrationInput {
  phoneNumber: string;
  phoneNumberSource: PhoneNumberSource;
  idempotencyKey?: string;
}

const ownerOf = (caller: Caller | undefined): string => caller?.id ?? ANONYMOUS_CALLER_ID;

const fingerprintOf = (input: CreateRegistrationInput): string => createHash('sha256').update(`${input.phoneNumber}|${input.phoneNumberSource}`).digest('hex');

/**
 * The caller becomes the registration's owner, for good. Its Idempotency-Key is scoped to it:
 * another caller's key, however equal, never returns this registration.
 * With an Idempotency-Key the key is bound to the registration id before anything is created, so
 * a retry (even one racing the first request, or after a crash between the two writes) creates
 * the same registration and returns it rather than failing with phone-number-in-use.
 */
export const makeCreateRegistration =
  (deps: Pick<Ports, 'registrations' | 'clock' | 'idempotency'>) =>
  async (input: CreateRegistrationInput, trigger: Trigger): Promise<{ registration: Registration; created: boolean }> => {
    let id = deps.registrations.newId(input.phoneNumber);
    if (input.idempotencyKey) {
      const fingerprint = fingerprintOf(input);
      const binding = await deps.idempotency.claim(scopedIdempotencyKey(trigger.caller, input.idempotencyKey), { registrationId: id, fingerprint });
      if (binding.fingerprint !== fingerprint) {
        throw new DomainError('validation-failed', 'This Idempotency-Key was already used with a different request body.', {
          errors: [{ path: 'Idempotency-Key', message: 'reused with a different body' }],
        });
      }
      id = binding.registrationId;
      if (!binding.claimedNow) {
        const existing = await deps.registrations.get(id);
        if (existing) return { registration: existing, created: false };
      }
    }
    const at = deps.clock.now().toISOString();
    const registration = newRegistration({
      id,
      phoneNumber: input.phoneNumber,
      phoneNumberSource: input.phoneNumberSource,
      owner: ownerOf(trigger.caller),
      at,
    });
    const entry: HistoryEntry = {
      at,
      from: { stage: 'SignupStarted', status: null },
      to: { stage: 'SignupStarted', status: null },
      cause: trigger.cause,
      actor: actorOf(trigger.caller),
      detail: `Sign-up started for a ${input.phoneNumberSource === 'acs' ? 'Communication Services' : 'bring-your-own'} number`,
      ...(trigger.eventId ? { eventId: trigger.eventId } : {}),
    };
    const stored = await deps.registrations.create(registration, [entry]);
    // The repository returns the stored registration when this id existed already (a retry).
    return { registration: stored, created: stored.createdAt === at };
  };
