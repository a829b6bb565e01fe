import { endpoint } from './http/endpoint';
import { loadRegistration, REGISTRATION_ROUTE } from './http/common';
import { jsonResponse } from './http/registration-resource';
import { historyResource } from './http/schemas';
import type { Services } from './services';

export const getRegistrationHistory = endpoint({
  name: 'getRegistrationHistory',
  methods: ['GET'],
  route: `${REGISTRATION_ROUTE}/history`,
  summary: 'Every change of stage or status, oldest first, with its cause',
  tags: ['registrations'],
  responses: [{ status: 200, description: 'The history', schema: historyResource }],
  errors: ['not-found'],
  handle: async (input, services: Services) => {
    const registration = await loadRegistration(services, input.params.id!);
    return jsonResponse({ items: await services.registrations.history(registration.id) });
  },
});
