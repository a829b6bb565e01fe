import { assertCanTakeEmbeddedSignup, recordEmbeddedSignup } from '../commands';
import { DomainError, validationFailed } from '../errors';
import { isMetaError } from '../meta';
import type { EmbeddedSignup, MetaGraph, RegistrationRepository, SignupCodeExchange } from '../ports';
import { observeWaba, wabaLevelFacts } from '../observations';
import { maskPhoneNumber } from '../phone-number';
import { unchanged, type Registration } from '../registration';
import { completeMetaRegistration } from './complete-registration';
import { contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { callMeta } from './meta-failures';
import { readBusiness } from './select-business-account';
import { assertNumberFreeOnWaba, ensureNumberOnWaba, readWaba } from './select-whatsapp-profile';

/** What Meta's Embedded Signup gave the client app in the browser (docs/design.md §5.2). */
export interface EmbeddedSignupRequest {
  code: string;
  businessId: string;
  whatsAppBusinessAccountId: string;
  /** Present after `FINISH`; absent after `FINISH_ONLY_WABA`. */
  phoneNumberId?: string | undefined;
  displayName?: string | undefined;
}

export type EmbeddedSignupDependencies = Pick<Ports, 'registrations' | 'clock' | 'ids' | 'embeddedSignup'>;

const mismatch = (detail: string): DomainError =>
  new DomainError('embedded-signup-mismatch', detail, {
    suggestedAction: "Run Embedded Signup again and choose the registration's own number, or start a registration for the number chosen there.",
  });

/** The same request always gives the same text, whatever order its JSON fields came in. */
const canonical = (id: string, request: EmbeddedSignupRequest): string =>
  JSON.stringify([id, request.code, request.businessId, request.whatsAppBusinessAccountId, request.phoneNumberId ?? null, request.displayName ?? null]);

/**
 * The registration as it is now, and whether this very request already succeeded (its marker was
 * written with its change). Going through `update` with a change that changes nothing writes
 * nothing, and reads the marker with the registration.
 */
async function earlierSuccess(registrations: RegistrationRepository, id: string, marker: string): Promise<{ registration: Registration; done: boolean }> {
  const probe = await registrations.update(id, unchanged, { eventId: marker });
  return { registration: probe.registration, done: probe.duplicate };
}

/**
 * Takes the result of Embedded Signup and finishes what it can: exchange the code (once, at
 * once: it lives about 30 s), check the business and WABA with the business's token, then either
 * register the number verified in the popup (→ Connected, as after `verification/code`) or stop at
 * ProfileSelected, where the code is requested as usual. The token and the code are never stored
 * or logged; a keyed hash of the request marks its success, so that a retry answers without
 * calling Meta again.
 */
export const makeCompleteEmbeddedSignup =
  (deps: EmbeddedSignupDependencies) =>
  async (input: { id: string; request: EmbeddedSignupRequest; ifMatchVersion?: number }, trigger: Trigger): Promise<Registration> => {
    const { request } = input;
    if (request.phoneNumberId === undefined && !request.displayName) {
      throw validationFailed('displayName is required when Embedded Signup finished without a number (FINISH_ONLY_WABA).', [
        { path: 'displayName', message: 'required when phoneNumberId is absent' },
      ]);
    }
    // Loaded the way every command on one registration starts, whatever that first step checks.
    await loadRegistration(deps.registrations, input.id, trigger);
    const marker = `embedded-signup:${deps.embeddedSignup.fingerprint(canonical(input.id, request))}`;
    const before = await earlierSuccess(deps.registrations, input.id, marker);
    if (before.done) return before.registration;
    const current = before.registration;
    // Everything that can be refused without Meta is refused before the code is spent.
    assertCanTakeEmbeddedSignup(current);
    if (input.ifMatchVersion !== undefined && input.ifMatchVersion !== current.version) {
      throw new DomainError('concurrency-conflict', 'The registration changed since it was read (If-Match).');
    }
    const wabaId = request.whatsAppBusinessAccountId;
    await assertNumberFreeOnWaba(deps, current, wabaId);

    const exchange = await exchangeCode(deps.embeddedSignup, request.code, trigger);
    if (exchange.refused) {
      // A retry that raced the first call: the code is spent, but the first call may have finished meanwhile.
      const after = await earlierSuccess(deps.registrations, input.id, marker);
      if (after.done) return after.registration;
      throw new DomainError(
        'meta-code-exchange-failed',
        'Meta refused the Embedded Signup code: it expired (it lives about 30 seconds), was already used, or belongs to another app.',
        {
          suggestedAction: 'Run Embedded Signup again and send its code to this endpoint as soon as the popup finishes.',
        },
      );
    }
    const business = { meta: exchange.meta };
    const found = await readBusiness(business, request.businessId);
    const waba = await readWaba(business, wabaId);
    const chosen = await chooseNumber(business, current, waba, request);
    const at = deps.clock.now().toISOString();
    const observed = observeWaba(waba, { phoneNumber: current.phoneNumber, phoneNumberId: chosen.phoneNumberId }, at);
    const result = await deps.registrations.update(
      input.id,
      (registration) =>
        recordEmbeddedSignup(
          registration,
          {
            businessAccount: { id: found.id, name: found.name },
            whatsAppBusinessAccountId: wabaId,
            phoneNumberId: chosen.phoneNumberId,
            displayName: chosen.displayName,
            numberVerified: chosen.verified,
            // A number just added is not in the snapshot yet: only WABA-level facts are known.
            facts: observed.phone ? observed.facts : wabaLevelFacts(observed.facts),
            messagingLimit: observed.phone?.messagingLimit ?? null,
            qualityRating: observed.phone?.qualityRating ?? null,
          },
          contextOf(trigger, deps.clock),
        ),
      { eventId: marker, ...ifMatchOf(input) },
    );
    trigger.log.info('Embedded Signup taken', {
      registrationId: input.id,
      phoneNumber: maskPhoneNumber(current.phoneNumber),
      stage: result.registration.stage,
      duplicate: result.duplicate,
    });
    if (result.duplicate || !chosen.verified) return result.registration;
    // The business's token acts for this call only; a deferred registration is finished later by reconcile.
    return completeMetaRegistration({ registrations: deps.registrations, clock: deps.clock, ids: deps.ids, meta: exchange.meta }, result.registration, trigger);
  };

/** A refusal of the app itself (wrong app id or secret) is the operator's to fix, not the business's. */
async function exchangeCode(signup: EmbeddedSignup, code: string, trigger: Trigger): Promise<SignupCodeExchange> {
  try {
    return await callMeta(() => signup.exchangeCode(code));
  } catch (error) {
    if (!isMetaError(error)) throw error;
    trigger.log.error('Meta refused the Embedded Signup code exchange for this app: check META_APP_ID and META_APP_SECRET', {
      kind: error.kind,
      code: error.details.code,
      subcode: error.details.subcode,
    });
    throw new DomainError(
      'meta-unavailable',
      "Meta refused this service's app credentials for the Embedded Signup code exchange; the service operator must check them.",
    );
  }
}

async function chooseNumber(
  deps: { meta: MetaGraph },
  current: Registration,
  waba: Awaited<ReturnType<typeof readWaba>>,
  request: EmbeddedSignupRequest,
): Promise<{ phoneNumberId: string; displayName: string; verified: boolean }> {
  if (request.phoneNumberId === undefined) {
    // FINISH_ONLY_WABA: as the whatsapp-profile step, with the display name the client gives.
    const displayName = request.displayName!;
    return { phoneNumberId: await ensureNumberOnWaba(deps, waba, current, displayName), displayName, verified: false };
  }
  const phone = waba.phoneNumbers.find((candidate) => candidate.id === request.phoneNumberId);
  if (!phone) throw mismatch(`Meta lists no number ${request.phoneNumberId} on WABA ${waba.id}.`);
  if (phone.e164 !== current.phoneNumber) {
    throw mismatch(`The number chosen in Embedded Signup (${maskPhoneNumber(phone.e164 ?? phone.displayPhoneNumber)}) is not this registration's number.`);
  }
  return {
    phoneNumberId: phone.id,
    // The name Meta reviews is the one given in the popup; the client's is only a fallback.
    displayName: phone.verifiedName ?? request.displayName ?? waba.name ?? current.phoneNumber,
    verified: (phone.codeVerificationStatus ?? '').toUpperCase() === 'VERIFIED',
  };
}
