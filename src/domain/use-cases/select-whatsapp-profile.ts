import { assertCanSelectProfile, selectProfile } from '../commands';
import { DomainError } from '../errors';
import { isMetaError, type MetaWaba } from '../meta';
import { findPhoneOnWaba, observeWaba, wabaLevelFacts } from '../observations';
import { parsePhoneNumber } from '../phone-number';
import type { Registration, WhatsAppProfile } from '../registration';
import { contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { callMeta } from './meta-failures';

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

/** Finds the number on the WABA, or adds it there (Meta answers with the phone-number id). */
export async function ensureNumberOnWaba(deps: Pick<Ports, 'meta'>, waba: MetaWaba, registration: Registration, verifiedName: string): Promise<string> {
  const existing = findPhoneOnWaba(waba, { phoneNumber: registration.phoneNumber, phoneNumberId: null });
  if (existing && (existing.status ?? '').toUpperCase() !== 'DELETED') return existing.id;
  const parts = parsePhoneNumber(registration.phoneNumber);
  if (!parts) throw new DomainError('validation-failed', 'The registration phone number cannot be split into country code and number.');
  try {
    const added = await callMeta(() => deps.meta.addPhoneNumber(waba.id, { countryCode: parts.countryCode, phoneNumber: parts.nationalNumber, verifiedName }));
    return added.id;
  } catch (error) {
    if (isMetaError(error, 'rejected')) {
      throw new DomainError('phone-number-locked', `Meta refused to add the number to WABA ${waba.id}: ${error.message}`, {
        suggestedAction: 'The number is already shared and locked elsewhere. Delete the number and the WABA in Meta Business Suite, or contact support.',
      });
    }
    throw error;
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
