import type { MetaErrorKind } from '../../domain/meta';

/**
 * Error classification by code and subcode, never by message text (docs/meta-graph.md
 * "Errors"). The order matters: a rate-limit error that also says `is_transient: true` is
 * rate-limited, and 100 means something else with subcode 33 or 2388001 than without.
 * The HTTP status decides only when the answer carries no code (a proxy, a gateway, a path
 * that is not Graph's): Meta's document answers 401/403/404/409/422/429 by case, but always
 * with a code in the body, and the code is what says what happened.
 */
// 130429: the Cloud API's throughput limit (HTTP 429), found by the soak answering 422 "business not found".
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80007, 80008, 130429]);
const TRANSIENT_CODES = new Set([1, 2, 131000, 133004]);
/** Meta's "object does not exist" of the published document (HTTP 404). */
const OBJECT_NOT_FOUND_CODE = 803;
/** Meta's "invalid parameter": with subcode 33 the object is missing, with no (known) subcode our request was malformed. */
const INVALID_PARAMETER_CODE = 100;

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
    const kind = classifyCode(code, subcode, isTransient);
    if (kind) return kind;
    // A code this service does not know: a server-side failure stays transient, a 429 is a limit, anything else is a refusal.
    if (httpStatus === 429) return 'rate-limited';
    return httpStatus === undefined || httpStatus >= 500 ? 'transient' : 'rejected';
  }
  if (isTransient === true) return 'transient';
  return classifyStatus(httpStatus);
}

function classifyCode(code: number, subcode: number | undefined, isTransient: boolean | undefined): MetaErrorKind | undefined {
  if (code === INVALID_PARAMETER_CODE && subcode === 33) return 'object-missing';
  if (code === OBJECT_NOT_FOUND_CODE) return 'object-missing';
  if (code === INVALID_PARAMETER_CODE && subcode === 2388001) return 'not-ready';
  if (code === 190) return 'token';
  if (code === 10 || (code >= 200 && code <= 299)) return 'permission';
  if (RATE_LIMIT_CODES.has(code)) return 'rate-limited';
  if (code === 133016) return 'registration-limit';
  if (TRANSIENT_CODES.has(code) || isTransient === true) return 'transient';
  // Meta found our request itself wrong (an unknown field, a bad parameter). A caller that expects
  // a particular refusal of its call (the number is already on the WABA) reads code and status itself.
  if (code === INVALID_PARAMETER_CODE) return 'request-refused';
  return undefined;
}

/** An answer without Meta's error code: only the HTTP status is left to go by. */
function classifyStatus(httpStatus: number | undefined): MetaErrorKind {
  // No answer at all (network, timeout) or a server-side failure.
  if (httpStatus === undefined || httpStatus >= 500) return 'transient';
  // A proxy or gateway in front of Meta telling us to slow down.
  if (httpStatus === 429) return 'rate-limited';
  if (httpStatus === 401) return 'token';
  if (httpStatus === 403) return 'permission';
  // 404 without Meta's 803 is not Meta saying the object is gone (a wrong URL or version answers
  // that too): treated as a request of ours that went wrong, so that it can never revoke anything.
  if (httpStatus === 400 || httpStatus === 404) return 'request-refused';
  return 'rejected';
}
