import { WRITE_OR_OPS } from '../domain/access';
import { normaliseSubmittedCode } from '../domain/verification-code';
import { ifMatchOf } from '../domain/use-cases/dependencies';
import { endpoint } from './http/endpoint';
import { apiTrigger, REGISTRATION_ROUTE } from './http/common';
import { registrationResponse } from './http/registration-resource';
import { registrationResource, verificationCodeBody } from './http/schemas';
import type { Services } from './services';

export const submitVerificationCode = endpoint({
  name: 'submitVerificationCode',
  methods: ['POST'],
  route: `${REGISTRATION_ROUTE}/verification/code`,
  roles: WRITE_OR_OPS,
  summary: 'Verify the code with Meta, then register the number (stage Connected, or CodeVerified while registration with Meta waits for a retry)',
  tags: ['onboarding'],
  body: verificationCodeBody,
  responses: [{ status: 200, description: 'Verified', schema: registrationResource }],
  errors: [
    'validation-failed',
    'not-found',
    'invalid-transition',
    'verification-code-rejected',
    'verification-locked',
    'operation-in-progress',
    'meta-unavailable',
    'meta-request-refused',
    'concurrency-conflict',
  ],
  handle: async (input, { useCases, clock }: Services) => {
    // The schema already guarantees the shape; the domain function owns the normal form.
    const code = normaliseSubmittedCode(input.body.code)!;
    return registrationResponse(await useCases.submitVerificationCode({ id: input.params.id!, code, ...ifMatchOf(input) }, apiTrigger(input)), clock.now());
  },
});
