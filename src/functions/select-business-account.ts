import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { businessAccountBody } from './http/schemas';
import type { Services } from './services';

export const selectBusinessAccount = endpoint({
  name: 'selectBusinessAccount',
  methods: ['PUT'],
  route: `${REGISTRATION_ROUTE}/business-account`,
  roles: WRITE_OR_OPS,
  summary: 'Select the Meta business account (checked with Meta), or record the details of one to create in Embedded Signup',
  tags: ['onboarding'],
  body: businessAccountBody,
  responses: [registrationOk],
  errors: [
    'validation-failed',
    'not-found',
    'invalid-transition',
    'meta-business-not-found',
    'meta-unavailable',
    'meta-request-refused',
    'concurrency-conflict',
  ],
  handle: async (input, { useCases, clock }: Services) => {
    const choice = 'businessId' in input.body ? { businessId: input.body.businessId } : { create: input.body.create };
    return registrationResponse(await useCases.selectBusinessAccount({ id: input.params.id!, choice, ...ifMatchOf(input) }, apiTrigger(input)), clock.now());
  },
});
