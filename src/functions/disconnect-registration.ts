import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk } from './http/common';
import { registrationResponse } from './http/registration-resource';
import type { Services } from './services';

export const disconnectRegistration = endpoint({
  name: 'disconnectRegistration',
  methods: ['POST'],
  route: `${REGISTRATION_ROUTE}/disconnect`,
  roles: WRITE_OR_OPS,
  summary: 'Disconnect a connected number on the Communication Services side (status Disconnected); the WABA is not deleted',
  tags: ['accounts'],
  responses: [registrationOk],
  errors: ['not-found', 'invalid-transition', 'concurrency-conflict'],
  handle: async (input, { useCases, clock }: Services) =>
    registrationResponse(await useCases.disconnectRegistration({ id: input.params.id!, ...ifMatchOf(input) }, apiTrigger(input)), clock.now()),
});
