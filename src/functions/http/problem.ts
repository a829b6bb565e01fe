import type { HttpResponseInit } from '@azure/functions';
import { DomainError, type ErrorCode, type FieldError } from '../../domain/errors';
import type { Logger } from '../../domain/ports';

/** The one place where error codes meet HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  'validation-failed': 400,
  'not-found': 404,
  'invalid-transition': 409,
  'phone-number-in-use': 409,
  'phone-number-locked': 409,
  'meta-business-not-found': 422,
  'meta-waba-not-found': 422,
  'meta-code-exchange-failed': 422,
  'embedded-signup-mismatch': 422,
  'embedded-signup-not-configured': 503,
  'verification-cooldown': 429,
  'verification-code-rejected': 422,
  'verification-locked': 429,
  'operation-in-progress': 409,
  'storage-unavailable': 503,
  'sms-probe-cooldown': 429,
  'concurrency-conflict': 412,
  'meta-unavailable': 503,
  'meta-request-refused': 502,
  'acs-channel-not-found': 422,
  'unsupported-media-type': 415,
  'payload-too-large': 413,
  'invalid-signature': 401,
  unauthenticated: 401,
  forbidden: 403,
  internal: 500,
  'meta-display-name-rejected': 422,
};

const TITLES: Record<ErrorCode, string> = {
  'validation-failed': 'The request is not valid',
  'not-found': 'Not found',
  'invalid-transition': 'Not allowed in the registration’s current stage',
  'phone-number-in-use': 'Phone number already in use',
  'phone-number-locked': 'Phone number locked',
  'meta-business-not-found': 'Meta business account not found',
  'meta-waba-not-found': 'WhatsApp Business Account not found',
  'meta-code-exchange-failed': 'Meta refused the Embedded Signup code',
  'embedded-signup-mismatch': 'Embedded Signup chose another number',
  'embedded-signup-not-configured': 'Embedded Signup is not configured',
  'verification-cooldown': 'Verification code requested too recently',
  'verification-code-rejected': 'Verification code rejected',
  'verification-locked': 'Too many wrong verification codes',
  'operation-in-progress': 'Another request is doing this step',
  'storage-unavailable': 'Storage is unavailable',
  'sms-probe-cooldown': 'SMS probe sent too recently',
  'concurrency-conflict': 'The registration changed since it was read',
  'meta-unavailable': 'Meta is unavailable',
  'meta-request-refused': 'Meta refused our request',
  'acs-channel-not-found': 'Communication Services channel not found',
  'unsupported-media-type': 'Unsupported media type',
  'payload-too-large': 'Payload too large',
  'invalid-signature': 'Missing or wrong signature',
  unauthenticated: 'Not signed in',
  forbidden: 'Not allowed for this caller',
  internal: 'Internal error',
  'meta-display-name-rejected': 'Meta refused the new display name',
};

export const problemType = (code: ErrorCode): string => `urn:whatsapp-acs-onboarding:problem:${code}`;

export function problem(
  code: ErrorCode,
  detail: string,
  extra: { errors?: FieldError[]; suggestedAction?: string; retryAfterSeconds?: number } = {},
): HttpResponseInit {
  const status = HTTP_STATUS[code];
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  // RFC 9110: a 401 names the scheme that would work (the Entra ID bearer token App Service Authentication checks).
  if (code === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
  if (extra.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(extra.retryAfterSeconds)));
  const body = {
    type: problemType(code),
    title: TITLES[code],
    status,
    detail,
    code,
    ...(extra.errors && extra.errors.length > 0 ? { errors: extra.errors } : {}),
    ...(extra.suggestedAction ? { suggestedAction: extra.suggestedAction } : {}),
  };
  return { status, headers, body: JSON.stringify(body) };
}

/** Anything thrown by a handler becomes a problem; unknown errors are logged, and never shown. */
export function problemFromError(error: unknown, log: Logger, requestId: string): HttpResponseInit {
  if (error instanceof DomainError) return problem(error.code, error.message, error.extra);
  log.error('Unhandled error', { requestId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  return problem('internal', `Something went wrong on our side. Quote request id ${requestId} when asking for help.`);
}
