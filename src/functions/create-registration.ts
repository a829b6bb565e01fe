import { WRITE_OR_OPS } from '../domain/access';
import { endpoint } from './http/endpoint';
import { apiTrigger } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { createRegistrationBody, registrationResource } from './http/schemas';
import type { Services } from './services';

export const createRegistration = endpoint({
  name: 'createRegistration',
  methods: ['POST'],
  route: 'registrations',
  roles: WRITE_OR_OPS,
  summary: 'Start a registration for a phone number (sign-up)',
  tags: ['registrations'],
  body: createRegistrationBody,
  responses: [
    { status: 201, description: 'Created; Location names the registration', schema: registrationResource },
    { status: 200, description: 'A retry with the same Idempotency-Key: the first result', schema: registrationResource },
  ],
  errors: ['validation-failed', 'phone-number-in-use', 'unsupported-media-type', 'payload-too-large'],
  handle: async (input, { useCases, clock }: Services) => {
    // Stored by its hash, whole: two keys that differ anywhere are two keys.
    const key = input.headers.get('idempotency-key')?.trim();
    const { registration, created } = await useCases.createRegistration({ ...input.body, ...(key ? { idempotencyKey: key } : {}) }, apiTrigger(input));
    return registrationResponse(registration, clock.now(), created ? 201 : 200, { location: `/api/registrations/${registration.id}` });
  },
});
