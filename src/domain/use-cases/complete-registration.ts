import { clearMetaRefusal, nextRefusal, recordConnected, recordMetaRefused, recordMetaRegistrationFailed, recordRegisteredWithMeta } from '../commands';
import { DomainError } from '../errors';
import { isMetaError, type MetaErrorKind, type MetaGraphError, type MetaPhoneNumber } from '../meta';
import { claimMetaCall, earlierCallMayHaveActed, holdsClaim } from '../meta-call';
import { observeWaba } from '../observations';
import { maskPhoneNumber } from '../phone-number';
import { andThen, type Registration } from '../registration';
import { contextOf, type Ports, type Trigger } from './dependencies';

const MINUTE = 60_000;
/** How long to leave a number alone after each kind of register failure (docs/meta-graph.md). */
const RETRY_DELAY: Partial<Record<MetaErrorKind, number>> = {
  'registration-limit': 72 * 60 * MINUTE,
  'not-ready': 10 * MINUTE,
  'rate-limited': 15 * MINUTE,
  token: 15 * MINUTE,
  transient: 2 * MINUTE,
};
const DEFAULT_DELAY = 60 * MINUTE;

/** When a register (or a step after it) that failed with `error` may be tried again: Meta's own hint when longer. */
export function retryNotBefore(error: MetaGraphError, now: Date): string {
  return laterOfWaitAndRetryAfter(error, now.getTime() + (RETRY_DELAY[error.kind] ?? DEFAULT_DELAY), now);
}

/** A refused request waits as its growing refusal wait says, or longer when Meta asked for longer. */
function refusalNotBefore(error: MetaGraphError, refusalWaitEnds: string, now: Date): string {
  return laterOfWaitAndRetryAfter(error, Date.parse(refusalWaitEnds), now);
}

function laterOfWaitAndRetryAfter(error: MetaGraphError, waitEnds: number, now: Date): string {
  return new Date(Math.max(waitEnds, now.getTime() + (error.details.retryAfterSeconds ?? 0) * 1000)).toISOString();
}

/**
 * CodeVerified → Connected: register the number on the Cloud API (once: Meta allows 10
 * register calls per 72 h), subscribe the app to the WABA, read the account's state. Any failure
 * leaves the registration in CodeVerified with the time of the next allowed attempt, which
 * reconcile honours; nothing here loops. The caller that verified the code passes the claim it
 * holds; anyone else (reconcile) claims the step first and leaves it alone while another holds it.
 */
export async function completeMetaRegistration(
  deps: Pick<Ports, 'registrations' | 'meta' | 'clock' | 'ids'>,
  loaded: Registration,
  trigger: Trigger,
  heldToken?: string,
): Promise<Registration> {
  const due = (candidate: Registration): boolean => {
    const notBefore = candidate.metaRegistration?.notBefore;
    return candidate.stage === 'CodeVerified' && !(notBefore && Date.parse(notBefore) > deps.clock.now().getTime());
  };
  if (!due(loaded)) return loaded;
  let registration = loaded;
  if (!holdsClaim(loaded, heldToken, deps.clock.now())) {
    const token = deps.ids.newId();
    try {
      const claimed = await deps.registrations.update(loaded.id, (fresh) =>
        due(fresh) ? claimMetaCall(fresh, 'register', token, contextOf(trigger, deps.clock)) : { next: fresh, history: [] },
      );
      if (!holdsClaim(claimed.registration, token, deps.clock.now())) return claimed.registration;
      registration = claimed.registration;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'operation-in-progress') return loaded;
      throw error;
    }
  }
  const progress = registration.metaRegistration;
  const phoneNumberId = registration.phoneNumberId!;
  const wabaId = registration.whatsAppBusinessAccountId!;
  let current = registration;
  const step = async (name: string, call: () => Promise<void>, countsAsAttempt: boolean): Promise<boolean> => {
    try {
      await call();
      return true;
    } catch (error) {
      if (!isMetaError(error)) throw error;
      const now = deps.clock.now();
      // Meta refused our request as malformed: no retry fixes that by itself, so the wait grows with
      // each refusal in a row, up to a cap, and the registration shows it needs attention (ADR 0032).
      const refusal = error.kind === 'request-refused' ? { operation: name, code: error.details.code, subcode: error.details.subcode } : null;
      const notBefore = refusal
        ? refusalNotBefore(error, nextRefusal(registration.metaRefusal, refusal, now.toISOString()).notBefore, now)
        : retryNotBefore(error, now);
      trigger.log.warn(`${name} failed; registration with Meta deferred`, {
        registrationId: registration.id,
        phoneNumber: maskPhoneNumber(registration.phoneNumber),
        kind: error.kind,
        code: error.details.code,
        notBefore,
        ...(refusal ? { meta: error.message } : {}),
      });
      const deferred = await deps.registrations.update(registration.id, (fresh) => {
        const context = contextOf(trigger, deps.clock);
        const failed = recordMetaRegistrationFailed(
          fresh,
          { reason: `${name}: ${error.kind} (${error.details.code ?? 'no code'})`, notBefore, countsAsAttempt },
          context,
        );
        return refusal ? andThen(failed, (next) => recordMetaRefused(next, refusal, context)) : failed;
      });
      current = deferred.registration;
      return false;
    }
  };

  if (!progress?.registeredAt) {
    // An earlier register whose outcome is unknown (its answer lost, or its caller gone with the claim)
    // may have registered the number: Meta says so on the number, and a second call would spend one of
    // the 10 register calls a number has in 72 hours for nothing.
    const unknownOutcome = (progress?.attempts ?? 0) > 0 || progress?.lastError != null || earlierCallMayHaveActed(loaded, 'register');
    const alreadyRegistered = unknownOutcome && (await numberAtMeta(deps, phoneNumberId))?.status?.toUpperCase() === 'CONNECTED';
    if (!alreadyRegistered && !(await step('register', () => deps.meta.registerPhoneNumber(phoneNumberId), true))) return current;
    current = (await deps.registrations.update(registration.id, (fresh) => recordRegisteredWithMeta(fresh, contextOf(trigger, deps.clock)))).registration;
  }
  if (!(await step('subscribed_apps', () => deps.meta.subscribeApp(wabaId), false))) return current;
  let observation: ReturnType<typeof observeWaba> | undefined;
  const read = await step(
    'read WABA',
    async () => {
      const waba = await deps.meta.getWhatsAppBusinessAccount(wabaId);
      observation = observeWaba(waba, { phoneNumber: registration.phoneNumber, phoneNumberId }, deps.clock.now().toISOString());
    },
    false,
  );
  if (!read || !observation) return current;
  const seen = observation;
  const connected = await deps.registrations.update(
    registration.id,
    (fresh) =>
      andThen(
        recordConnected(
          fresh,
          { facts: seen.facts, messagingLimit: seen.phone?.messagingLimit ?? null, qualityRating: seen.phone?.qualityRating ?? null },
          contextOf(trigger, deps.clock),
        ),
        clearMetaRefusal,
      ),
    trigger.eventId ? { eventId: `${trigger.eventId}:connected` } : {},
  );
  return connected.registration;
}

/**
 * The number as Meta has it, read to learn what an earlier call of unknown outcome did; null when
 * the read fails, and the caller then makes its call as if nothing had happened.
 */
export async function numberAtMeta(deps: Pick<Ports, 'meta'>, phoneNumberId: string): Promise<MetaPhoneNumber | null> {
  try {
    return await deps.meta.getPhoneNumber(phoneNumberId);
  } catch {
    return null;
  }
}
