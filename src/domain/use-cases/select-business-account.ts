import { assertCanSelectBusinessAccount, selectBusinessAccount as selectBusinessAccountCommand } from '../commands';
import { DomainError } from '../errors';
import { isMetaError, type MetaBusiness } from '../meta';
import type { BusinessAccount, CompanyDetails, Registration } from '../registration';
import { contextOf, ifMatchOf, loadRegistration, type Ports, type Trigger } from './dependencies';
import { callMeta } from './meta-failures';

export type BusinessAccountChoice = { businessId: string } | { create: CompanyDetails };

export async function readBusiness(deps: Pick<Ports, 'meta'>, businessId: string): Promise<MetaBusiness> {
  try {
    return await callMeta(() => deps.meta.getBusiness(businessId));
  } catch (error) {
    if (isMetaError(error, 'object-missing') || isMetaError(error, 'rejected') || isMetaError(error, 'permission')) {
      throw new DomainError('meta-business-not-found', `Meta has no business ${businessId} that this app can access.`, {
        suggestedAction: 'Check the business id in Meta Business Suite, and that the business shared access with this app.',
      });
    }
    throw error;
  }
}

export const makeSelectBusinessAccount =
  (deps: Pick<Ports, 'registrations' | 'meta' | 'clock'>) =>
  async (input: { id: string; choice: BusinessAccountChoice; ifMatchVersion?: number }, trigger: Trigger): Promise<Registration> => {
    const current = await loadRegistration(deps.registrations, input.id, trigger);
    // Check the stage before calling Meta, so an invalid request costs no Graph call.
    assertCanSelectBusinessAccount(current);

    let businessAccount: BusinessAccount;
    if ('businessId' in input.choice) {
      const business = await readBusiness(deps, input.choice.businessId);
      businessAccount = { id: business.id, name: business.name };
    } else {
      businessAccount = { id: null, name: input.choice.create.companyName, toCreate: input.choice.create };
    }
    const result = await deps.registrations.update(
      input.id,
      (registration) => selectBusinessAccountCommand(registration, businessAccount, contextOf(trigger, deps.clock)),
      ifMatchOf(input),
    );
    return result.registration;
  };
