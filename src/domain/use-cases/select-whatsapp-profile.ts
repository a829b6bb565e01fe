import { assertCanSelectProfile, selectProfile } from '../commands';
import { DomainError } from '../errors';
import { isMetaError, type MetaGraphError, type MetaWaba } from '../meta';
import { findPhoneOnWaba, observeWaba, wabaLevelFacts } from '../observations';
import { parsePhoneNumber } from '../phone-number';
import type { Registration, WhatsAppProfile } from '../registration';
import { contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { asMetaUnavailable, callMeta, requestRefused } from './meta-failures';

export interface ProfileInput {
  whatsAppBusinessAccountId: string;
  displayName: string;
  profile: WhatsAppProfile;
}

const wabaNotFound = (wabaId: string): DomainError =>
  new DomainError('meta-waba-not-found', `Meta has no WhatsApp Business Account ${wabaId} that this app can access.`, {
    suggestedAction: 'Finish Embedded Signup for the business, then check that the WABA is shared with this app.',
  });

export async function readWaba(deps: Pick<Ports, 'meta'>, wabaId: string): Promise<MetaWaba> {
  try {
    return await callMeta(() => deps.meta.getWhatsAppBusinessAccount(wabaId));
  } catch (error) {
    if (isMetaError(error, 'object-missing') || isMetaError(error, 'permission') || isMetaError(error, 'rejected')) {
      throw wabaNotFound(wabaId);
    }
    throw error;
  }
}

const liveOn = (waba: MetaWaba, registration: Registration): string | null => {
  const found = findPhoneOnWaba(waba, { phoneNumber: registration.phoneNumber, phoneNumberId: null });
  return found && (found.status ?? '').toUpperCase() !== 'DELETED' ? found.id : null;
};

/**
 * Meta's refusal of an add-number that may mean "it is already there" (docs/meta-graph.md "Adding, verifying and registering a
 * number"): 409, or 400 with code 100 (the document's two answers), or a refusal of its own kind.
 */
const mayBeAlreadyAdded = (error: MetaGraphError): boolean =>
  error.details.httpStatus === 409 ||
  (error.details.httpStatus === 400 && error.details.code === 100 && error.details.subcode !== 33) ||
  error.kind === 'rejected';

const locked = (wabaId: string, error: MetaGraphError): DomainError =>
  new DomainError('phone-number-locked', `Meta refused to add the number to WABA ${wabaId}, and the WABA does not list it: ${error.message}`, {
    suggestedAction: 'The number is already shared and locked elsewhere. Delete the number and the WABA in Meta Business Suite, or contact support.',
  });

/**
 * Finds the number on the WABA, or adds it there (Meta answers with the phone-number id). When Meta
 * refuses the add because the number is already there (a retry of an add that went through, or an
 * add made elsewhere), the WABA is read again and the number found there is used.
 */
export async function ensureNumberOnWaba(deps: Pick<Ports, 'meta'>, waba: MetaWaba, registration: Registration, verifiedName: string): Promise<string> {
  const existing = liveOn(waba, registration);
  if (existing) return existing;
  const parts = parsePhoneNumber(registration.phoneNumber);
  if (!parts) throw new DomainError('validation-failed', 'The registration phone number cannot be split into country code and number.');
  try {
    const added = await deps.meta.addPhoneNumber(waba.id, { countryCode: parts.countryCode, phoneNumber: parts.nationalNumber, verifiedName });
    return added.id;
  } catch (error) {
    if (!isMetaError(error) || !mayBeAlreadyAdded(error)) throw asMetaUnavailable(error);
    const again = liveOn(await readWaba(deps, waba.id), registration);
    if (again) return again;
    // 100 without a subcode, and the number is not there: our request was malformed, nothing says it is held elsewhere.
    if (error.kind === 'request-refused' && error.details.subcode === undefined && error.details.httpStatus !== 409) throw requestRefused(error);
    throw locked(waba.id, error);
  }
}

/** docs/design.md §2.2: the same WABA and number as another registration that is not Cancelled is locked. */
export async function assertNumberFreeOnWaba(deps: Pick<Ports, 'registrations'>, current: Registration, wabaId: string): Promise<void> {
  const others = (await deps.registrations.listByPhoneNumber(current.phoneNumber)).filter(
    (other) => other.id !== current.id && other.stage !== 'Cancelled' && other.whatsAppBusinessAccountId === wabaId,
  );
  if (others.length > 0) {
    throw new DomainError('phone-number-locked', 'This number is already registered on this WhatsApp Business Account by another registration.', {
      suggestedAction: 'Use the existing registration, or delete the number and the WABA in Meta Business Suite, or contact support.',
    });
  }
}

export const makeSelectWhatsAppProfile =
  (deps: Pick<Ports, 'registrations' | 'meta' | 'clock'>) =>
  async (input: { id: string; profile: ProfileInput; ifMatchVersion?: number }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    const wabaId = input.profile.whatsAppBusinessAccountId;
    // Stage check first: an invalid request must not reach Meta.
    assertCanSelectProfile(current);

    await assertNumberFreeOnWaba(deps, current, wabaId);
    const waba = await readWaba(deps, wabaId);
    const phoneNumberId = await ensureNumberOnWaba(deps, waba, current, input.profile.displayName);
    const at = deps.clock.now().toISOString();
    const observed = observeWaba(waba, { phoneNumber: current.phoneNumber, phoneNumberId }, at);
    const result = await deps.registrations.update(
      input.id,
      (registration) =>
        selectProfile(
          registration,
          {
            whatsAppBusinessAccountId: wabaId,
            displayName: input.profile.displayName,
            profile: input.profile.profile,
            phoneNumberId,
            // A number just added is not in the snapshot yet: only WABA-level facts are known.
            facts: observed.phone ? observed.facts : wabaLevelFacts(observed.facts),
            messagingLimit: observed.phone?.messagingLimit ?? null,
            qualityRating: observed.phone?.qualityRating ?? null,
          },
          contextOf(trigger, deps.clock),
        ),
      ifMatchOf(input),
    );
    return result.registration;
  };
