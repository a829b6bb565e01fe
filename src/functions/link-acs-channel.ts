import { WRITE_OR_OPS } from '../domain/access';
import { z } from 'zod';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk } from './http/common';
import { registrationResponse } from './http/registration-resource';
import type { Services } from './services';

export const linkAcsChannel = endpoint({
  name: 'linkAcsChannel',
  methods: ['PUT'],
  route: `${REGISTRATION_ROUTE}/channel`,
  roles: WRITE_OR_OPS,
  summary: "Link the ACS Advanced Messaging channel of this number (checked by listing the channel's templates); reconcile then probes it",
  tags: ['accounts'],
  body: z.strictObject({ channelRegistrationId: z.uuid({ error: 'must be the channel registration GUID' }) }),
  responses: [registrationOk],
  errors: ['validation-failed', 'not-found', 'invalid-transition', 'acs-channel-not-found', 'concurrency-conflict'],
  handle: async (input, { useCases, clock }: Services) =>
    registrationResponse(
      await useCases.linkAcsChannel({ id: input.params.id!, channelRegistrationId: input.body.channelRegistrationId, ...ifMatchOf(input) }, apiTrigger(input)),
      clock.now(),
    ),
});
