import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { embeddedSignupBody } from './http/schemas';
import type { Services } from './services';

export const embeddedSignup = endpoint({
  name: 'embeddedSignup',
  methods: ['POST'],
  route: `${REGISTRATION_ROUTE}/embedded-signup`,
  roles: WRITE_OR_OPS,
  summary:
    "Take what Meta's Embedded Signup returned in the browser (send it at once: the code lives about 30 s): Connected when the number was verified there, else ProfileSelected",
  tags: ['onboarding'],
  body: embeddedSignupBody,
  responses: [registrationOk],
  errors: [
    'validation-failed',
    'not-found',
    'invalid-transition',
    'meta-code-exchange-failed',
    'embedded-signup-mismatch',
    'meta-business-not-found',
    'meta-waba-not-found',
    'phone-number-locked',
    'meta-unavailable',
    'meta-request-refused',
    'concurrency-conflict',
    'embedded-signup-not-configured',
  ],
  handle: async (input, { useCases, clock }: Services) => {
    const { code, businessId, whatsAppBusinessAccountId, phoneNumberId, displayName } = input.body;
    const registration = await useCases.completeEmbeddedSignup(
      { id: input.params.id!, request: { code, businessId, whatsAppBusinessAccountId, phoneNumberId, displayName }, ...ifMatchOf(input) },
      apiTrigger(input),
    );
    return registrationResponse(registration, clock.now());
  },
});
