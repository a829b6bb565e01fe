import { DomainError } from '../errors';
import { isMetaError, type MetaGraphError } from '../meta';

/**
 * When a client may try again after `meta-unavailable`, when Meta gave no hint of its own: every 503
 * says when to come back (a client that retries at once only adds to the fault). A broken token
 * waits for the operator, so its wait is the longest.
 */
const RETRY_AFTER_SECONDS = { transient: 30, 'rate-limited': 60, 'not-ready': 600, 'registration-limit': 3600, token: 300 } as const;

/**
 * Meta failures that no use case handles itself become `meta-unavailable` (HTTP 503, transient),
 * with Meta's own retry hint when it gave one, else the wait of its kind. A token fault is reported
 * as such, never as an account problem (docs/design.md §2.2).
 */
export function asMetaUnavailable(error: unknown): unknown {
  if (!isMetaError(error)) return error;
  if (error.kind === 'request-refused') return requestRefused(error);
  if (error.kind === 'rejected' || error.kind === 'object-missing' || error.kind === 'permission') return error;
  const reason =
    error.kind === 'token'
      ? 'The Meta access token is expired or revoked; the service operator must renew it.'
      : error.kind === 'rate-limited'
        ? 'Meta is rate limiting calls for this account.'
        : 'Meta did not answer in time or failed.';
  return new DomainError('meta-unavailable', reason, {
    transient: error.kind !== 'token',
    retryAfterSeconds:
      error.details.retryAfterSeconds || (RETRY_AFTER_SECONDS[error.kind as keyof typeof RETRY_AFTER_SECONDS] ?? RETRY_AFTER_SECONDS.transient),
  });
}

/**
 * Meta refused our request as malformed (code 100 without a known subcode): a fault on our side that
 * no retry fixes, so it is neither "not found" nor "unavailable" (docs/adr/0032). Meta's message
 * goes to the log through `cause`; the answer names only the operation.
 */
export function requestRefused(error: MetaGraphError): DomainError {
  return new DomainError('meta-request-refused', 'Meta refused the request this service sent it as malformed; retrying it unchanged will not help.', {
    suggestedAction: 'The service operator should look for "Meta refused the request" in the log, which has Meta’s message.',
    cause: error,
  });
}

/** Runs a Meta call, translating the failures that callers do not handle themselves. */
export async function callMeta<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asMetaUnavailable(error);
  }
}
