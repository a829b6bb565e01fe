/**
 * Typed errors with stable codes. The HTTP layer maps them to status codes in one place
 * (src/functions/http/problem.ts); event handlers use `transient` to decide whether to throw
 * (Event Grid redelivers) or to log and drop.
 */
export type ErrorCode =
  | 'validation-failed'
  | 'not-found'
  | 'invalid-transition'
  | 'phone-number-in-use'
  | 'phone-number-locked'
  | 'meta-business-not-found'
  | 'meta-waba-not-found'
  | 'meta-code-exchange-failed'
  | 'embedded-signup-mismatch'
  | 'embedded-signup-not-configured'
  | 'verification-cooldown'
  | 'verification-code-rejected'
  | 'verification-locked'
  | 'operation-in-progress'
  | 'sms-probe-cooldown'
  | 'concurrency-conflict'
  | 'meta-unavailable'
  | 'meta-request-refused'
  | 'storage-unavailable'
  | 'acs-channel-not-found'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'invalid-signature'
  | 'unauthenticated'
  | 'forbidden'
  | 'internal'
  | 'meta-display-name-rejected';

export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: {
      errors?: FieldError[];
      suggestedAction?: string;
      retryAfterSeconds?: number;
      transient?: boolean;
      /** What caused it, for the log only: never part of an answer. */
      cause?: unknown;
    } = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get transient(): boolean {
    return this.extra.transient ?? false;
  }
}

export const notFound = (what: string): DomainError => new DomainError('not-found', `${what} does not exist.`);

export const invalidTransition = (message: string, suggestedAction?: string): DomainError =>
  new DomainError('invalid-transition', message, suggestedAction ? { suggestedAction } : {});

export const validationFailed = (message: string, errors: FieldError[] = []): DomainError => new DomainError('validation-failed', message, { errors });
