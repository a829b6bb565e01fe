import { WRITE_OR_OPS } from '../domain/access';
import { z } from 'zod';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { phoneNumberInput, registrationResource } from './http/schemas';
import type { Services } from './services';

export const requestSmsProbe = endpoint({
  name: 'requestSmsProbe',
  methods: ['POST'],
  route: `${REGISTRATION_ROUTE}/sms-probe`,
  roles: WRITE_OR_OPS,
  summary: 'Send an SMS tagged sms-probe:{id} from the ACS number; its delivery report sets smsCapability',
  tags: ['accounts'],
  body: z.strictObject({ to: phoneNumberInput.optional() }),
  bodyOptional: true,
  responses: [{ status: 202, description: 'Probe sent; smsCapability.send is pending', schema: registrationResource }],
  errors: ['validation-failed', 'not-found', 'invalid-transition', 'sms-probe-cooldown'],
  handle: async (input, { useCases, clock }: Services) =>
    registrationResponse(
      await useCases.requestSmsProbe({ id: input.params.id!, ...(input.body.to ? { to: input.body.to } : {}) }, apiTrigger(input)),
      clock.now(),
      202,
    ),
});
