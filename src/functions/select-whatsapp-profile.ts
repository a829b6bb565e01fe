import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { whatsAppProfileBody } from './http/schemas';
import type { Services } from './services';

export const selectWhatsAppProfile = endpoint({
  name: 'selectWhatsAppProfile',
  methods: ['PUT'],
  route: `${REGISTRATION_ROUTE}/whatsapp-profile`,
  roles: WRITE_OR_OPS,
  summary: 'Select the WhatsApp business profile: the WABA (checked with Meta) and display name; adds the number to the WABA',
  tags: ['onboarding'],
  body: whatsAppProfileBody,
  responses: [registrationOk],
  errors: [
    'validation-failed',
    'not-found',
    'invalid-transition',
    'phone-number-locked',
    'meta-waba-not-found',
    'meta-unavailable',
    'meta-request-refused',
    'concurrency-conflict',
  ],
  handle: async (input, { useCases, clock }: Services) => {
    const { whatsAppBusinessAccountId, displayName, ...profile } = input.body;
    return registrationResponse(
      await useCases.selectWhatsAppProfile(
        { id: input.params.id!, profile: { whatsAppBusinessAccountId, displayName, profile }, ...ifMatchOf(input) },
        apiTrigger(input),
      ),
      clock.now(),
    );
  },
});
