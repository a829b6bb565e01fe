import { WRITE_OR_OPS } from '../domain/access';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk } from './http/common';
import { registrationResponse } from './http/registration-resource';
import type { Services } from './services';

export const reconcileRegistration = endpoint({
  name: 'reconcileRegistration',
  methods: ['POST'],
  route: `${REGISTRATION_ROUTE}/reconcile`,
  roles: WRITE_OR_OPS,
  summary: 'Compare one registration with Meta now and correct its status (retries a deferred registration with Meta)',
  tags: ['accounts'],
  responses: [registrationOk],
  errors: ['not-found', 'meta-unavailable', 'meta-request-refused'],
  handle: async (input, { useCases, clock }: Services) =>
    registrationResponse(await useCases.reconcileRegistration({ id: input.params.id! }, apiTrigger(input, 'reconcile')), clock.now()),
});
