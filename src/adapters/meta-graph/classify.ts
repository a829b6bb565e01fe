import type { MetaErrorKind } from '../../domain/meta';

/**
 * Error classification by code and subcode, never by message text (docs/meta-graph.md
 * "Errors"). The order matters: a rate-limit error that also says `is_transient: true` is
 * rate-limited, and 100 means something else with subcode 33 or 2388001 than without.
 */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80007, 80008]);
const TRANSIENT_CODES = new Set([1, 2, 131000, 133004]);

export interface MetaErrorFacts {
  code?: number | undefined;
  subcode?: number | undefined;
  isTransient?: boolean | undefined;
  /** HTTP status of the answer; undefined when there was none (network error, timeout). */
  httpStatus?: number | undefined;
}

export function classifyMetaError(facts: MetaErrorFacts): MetaErrorKind {
  const { code, subcode, isTransient, httpStatus } = facts;
  if (code !== undefined) {
    if (code === 100 && subcode === 33) return 'object-missing';
    if (code === 100 && subcode === 2388001) return 'not-ready';
    if (code === 190) return 'token';
    if (code === 10 || (code >= 200 && code <= 299)) return 'permission';
    if (RATE_LIMIT_CODES.has(code)) return 'rate-limited';
    if (code === 133016) return 'registration-limit';
    if (TRANSIENT_CODES.has(code) || isTransient === true) return 'transient';
  } else if (isTransient === true) {
    return 'transient';
  }
  // No answer at all (network, timeout) or a server-side failure without a more specific code.
  if (httpStatus === undefined || httpStatus >= 500) return 'transient';
  // Not a Meta shape, but a proxy or gateway in front of Meta telling us to slow down.
  if (code === undefined && httpStatus === 429) return 'rate-limited';
  return 'rejected';
}
