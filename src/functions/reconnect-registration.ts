import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk } from './http/common';
import { registrationResponse } from './http/registration-resource';
import type { Services } from './services';

export const reconnectRegistration = endpoint({
  name: 'reconnectRegistration',
  methods: ['POST'],
  route: `${REGISTRATION_ROUTE}/reconnect`,
  roles: WRITE_OR_OPS,
  summary: 'Redo onboarding from ProfileSelected for a Disconnected, Revoked or PhoneNumberDeleted account',
  tags: ['accounts'],
  responses: [registrationOk],
  errors: ['not-found', 'invalid-transition', 'meta-waba-not-found', 'phone-number-locked', 'meta-unavailable', 'meta-request-refused', 'concurrency-conflict'],
  handle: async (input, { useCases, clock }: Services) =>
    registrationResponse(await useCases.reconnectRegistration({ id: input.params.id!, ...ifMatchOf(input) }, apiTrigger(input)), clock.now()),
});
