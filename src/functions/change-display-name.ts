import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { displayNameChangeBody, registrationResource } from './http/schemas';
import type { Services } from './services';

export const changeDisplayName = endpoint({
  name: 'changeDisplayName',
  methods: ['PUT'],
  route: `${REGISTRATION_ROUTE}/display-name`,
  roles: WRITE_OR_OPS,
  summary: 'Ask Meta to review a new display name (displayNameChange Pending); once approved it becomes the display name and the number is registered again',
  tags: ['accounts'],
  body: displayNameChangeBody,
  responses: [{ status: 202, description: 'Meta accepted the request; displayNameChange is Pending', schema: registrationResource }],
  errors: [
    'validation-failed',
    'not-found',
    'invalid-transition',
    'operation-in-progress',
    'meta-display-name-rejected',
    'meta-unavailable',
    'concurrency-conflict',
  ],
  handle: async (input, { useCases, clock }: Services) =>
    registrationResponse(
      await useCases.changeDisplayName({ id: input.params.id!, displayName: input.body.displayName, ...ifMatchOf(input) }, apiTrigger(input)),
      clock.now(),
      202,
    ),
});
