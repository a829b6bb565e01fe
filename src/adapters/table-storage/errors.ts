import { DomainError } from '../../domain/errors';

/** HTTP status of a storage failure (RestError, or a transaction sub-response), if it has one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;
export const isConflict = (error: unknown): boolean => statusOf(error) === 409;
export const isPreconditionFailed = (error: unknown): boolean => statusOf(error) === 412;

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'REQUEST_SEND_ERROR',
]);

/**
 * True when a failure says nothing about the data: storage unreachable, throttled, timing out or
 * failing on its side, or a write that lost too many optimistic-concurrency races. Event handlers
 * throw on these so Event Grid redelivers, and log-and-drop everything else.
 */
export function isTransientStorageError(error: unknown): boolean {
  if (error instanceof DomainError) return error.transient;
  if (typeof error !== 'object' || error === null) return false;
  const status = statusOf(error);
  if (status !== undefined && (status >= 500 || status === 408 || status === 429)) return true;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
  return name === 'AbortError' || name === 'TimeoutError';
}
