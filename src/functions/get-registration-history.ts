import { WRITE_OR_OPS } from '../domain/access';
import { endpoint } from './http/endpoint';
import { REGISTRATION_ROUTE } from './http/common';
import { jsonResponse } from './http/registration-resource';
import { historyResource } from './http/schemas';
import type { Services } from './services';

export const getRegistrationHistory = endpoint({
  name: 'getRegistrationHistory',
  methods: ['GET'],
  route: `${REGISTRATION_ROUTE}/history`,
  roles: WRITE_OR_OPS,
  summary: 'Every change of stage or status, oldest first, with its cause',
  tags: ['registrations'],
  responses: [{ status: 200, description: 'The history', schema: historyResource }],
  errors: ['not-found'],
  handle: async (input, { useCases }: Services) => jsonResponse({ items: await useCases.registrationHistory(input.params.id!, input.caller) }),
});
