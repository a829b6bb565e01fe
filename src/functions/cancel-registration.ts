import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint, etagOf } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE } from './http/common';
import type { Services } from './services';

export const cancelRegistration = endpoint({
  name: 'cancelRegistration',
  methods: ['DELETE'],
  route: REGISTRATION_ROUTE,
  roles: WRITE_OR_OPS,
  summary: 'Abandon a registration before it is connected (stage Cancelled; the number is free again). Repeating it is harmless.',
  tags: ['registrations'],
  responses: [{ status: 204, description: 'Cancelled' }],
  errors: ['not-found', 'invalid-transition', 'concurrency-conflict'],
  handle: async (input, { useCases }: Services) => {
    const registration = await useCases.cancelRegistration({ id: input.params.id!, ...ifMatchOf(input) }, apiTrigger(input));
    return { status: 204, headers: { etag: etagOf(registration.version) } };
  },
});
