import { WRITE_OR_OPS } from '../domain/access';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { registrationResource, verificationRequestBody } from './http/schemas';
import type { Services } from './services';

export const requestVerificationCode = endpoint({
  name: 'requestVerificationCode',
  methods: ['POST'],
  route: `${REGISTRATION_ROUTE}/verification`,
  roles: WRITE_OR_OPS,
  summary: 'Ask Meta to send a verification code by SMS or voice call (an ACS number receives it and finishes by itself)',
  tags: ['onboarding'],
  body: verificationRequestBody,
  responses: [{ status: 202, description: 'Code requested; stage CodeRequested', schema: registrationResource }],
  errors: [
    'validation-failed',
    'not-found',
    'invalid-transition',
    'verification-cooldown',
    'verification-code-rejected',
    'operation-in-progress',
    'meta-unavailable',
    'meta-request-refused',
    'concurrency-conflict',
  ],
  handle: async (input, { useCases, clock }: Services) =>
    registrationResponse(
      await useCases.requestVerificationCode(
        { id: input.params.id!, method: input.body.method, language: input.body.language, ...ifMatchOf(input) },
        apiTrigger(input),
      ),
      clock.now(),
      202,
    ),
});
