import { WRITE_OR_OPS } from '../domain/access';
import { DomainError } from '../domain/errors';
import { completeEmbeddedSignup } from '../domain/use-cases/embedded-signup';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE, registrationOk, versionOf } from './http/common';
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
    'concurrency-conflict',
    'embedded-signup-not-configured',
  ],
  handle: async (input, services: Services) => {
    if (!services.embeddedSignup) {
      throw new DomainError(
        'embedded-signup-not-configured',
        'Embedded Signup is not configured on this service: META_APP_ID and META_APP_SECRET must both be set.',
        {
          suggestedAction:
            "Set META_APP_ID to the Meta app's id (and META_APP_SECRET to its secret) in the app settings, or use the business-account and whatsapp-profile steps.",
        },
      );
    }
    const { code, businessId, whatsAppBusinessAccountId, phoneNumberId, displayName } = input.body;
    const registration = await completeEmbeddedSignup(
      { registrations: services.registrations, clock: services.clock, ids: services.ids, embeddedSignup: services.embeddedSignup },
      { id: input.params.id!, request: { code, businessId, whatsAppBusinessAccountId, phoneNumberId, displayName }, ...versionOf(input) },
      apiTrigger(input),
    );
    return registrationResponse(registration);
  },
});
