import { WRITE_OR_OPS } from '../domain/access';
import { endpoint } from './http/endpoint';
import { REGISTRATION_ROUTE } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { registrationResource } from './http/schemas';
import type { Services } from './services';

export const getRegistration = endpoint({
  name: 'getRegistration',
  methods: ['GET'],
  route: REGISTRATION_ROUTE,
  roles: WRITE_OR_OPS,
  summary: 'Read a registration: stage, account status, what it means and what to do',
  tags: ['registrations'],
  responses: [{ status: 200, description: 'The registration', schema: registrationResource }],
  errors: ['not-found'],
  handle: async (input, { useCases, clock }: Services) => registrationResponse(await useCases.getRegistration(input.params.id!, input.caller), clock.now()),
});
