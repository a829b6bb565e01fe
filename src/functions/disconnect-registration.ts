import { WRITE_OR_OPS } from '../domain/access';
import { disconnectRegistration as disconnectRegistrationUseCase } from '../domain/use-cases/account-actions';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk, versionOf } from './http/common';
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
  handle: async (input, services: Services) =>
    registrationResponse(await disconnectRegistrationUseCase(services, { id: input.params.id!, ...versionOf(input) }, apiTrigger(input))),
});
