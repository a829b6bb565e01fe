import { randomBytes } from 'node:crypto';

/**
 * Meta's error body, `{ error: { message, type, code, error_subcode?, is_transient?, fbtrace_id } }`,
 * and the errors the sandbox answers with. Codes follow docs/meta-graph.md where Meta
 * documents them; the ones marked "sandbox" are this imitation's choice where Meta's exact
 * subcode is not documented.
 */
export interface MetaErrorSpec {
  code: number;
  error_subcode?: number;
  message?: string;
  type?: string;
  is_transient?: boolean;
  /** Any extra fields to put into `error` (Meta sometimes adds `error_user_title`, `error_data`). */
  extra?: Record<string, unknown>;
}

export interface MetaErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    is_transient?: boolean;
    fbtrace_id: string;
    [key: string]: unknown;
  };
}

/** Thrown by request handlers; becomes Meta's error body with the HTTP status of its kind (httpStatusFor). */
export class SandboxGraphError extends Error {
  override readonly name = 'SandboxGraphError';
  readonly httpStatus: number;
  constructor(
    readonly spec: MetaErrorSpec,
    httpStatus?: number,
  ) {
    super(spec.message ?? `Meta error ${spec.code}`);
    this.httpStatus = httpStatus ?? httpStatusFor(spec);
  }
}

/** Sandbox: adding a number that is already on the WABA (Meta's exact subcode is not documented). */
export const SUBCODE_NUMBER_ALREADY_ON_WABA = 2388093;
/** Sandbox: adding a number that is live on another WABA. */
export const SUBCODE_NUMBER_ON_OTHER_WABA = 2388094;

/** Rate-limit codes: answered 429, and injected with a usage header at call_count 100. */
export const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 17, 32, 613, 80007, 80008, 130429]);

/** Codes Meta answers with 500 and `is_transient` (docs/meta-graph.md "Errors"). */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([1, 2, 131000, 133004]);
/** Codes of a well-formed request the object's state refuses (the document's 422 class). */
const STATE_REFUSAL_CODES: ReadonlySet<number> = new Set([133005, 133010, 136025]);

/**
 * The HTTP status of each kind of error, one table (docs/meta-graph.md "Meta's document and real
 * Graph"). Meta's document gives each kind its own status; real Graph agrees for tokens,
 * permissions and rate limits and answers 400 for the rest, which is what the sandbox keeps where
 * the document is silent or contradicts itself:
 * - 104 and 190, no or a broken token: 401;
 * - 10 and 200–299, a missing permission: 403;
 * - 803, the document's "not found": 404 (100/33, real Graph's, stays 400);
 * - adding a number already on a WABA: 409 (the document's, code 100 kept);
 * - a valid request the number's state refuses (wrong code, not verified, another PIN): 422;
 * - 4, 17, 32, 613, 80007, 80008, 130429 and 133016 (register/deregister limit): 429;
 * - 1, 2, 131000, 133004: 500;
 * - anything else (100 invalid parameter or field, 2500 unknown path, 101 app): 400.
 */
export function httpStatusFor(spec: Pick<MetaErrorSpec, 'code' | 'error_subcode'>): number {
  const { code, error_subcode: subcode } = spec;
  if (code === 104 || code === 190) return 401;
  if (code === 10 || (code >= 200 && code <= 299)) return 403;
  if (code === 803) return 404;
  if (code === 100 && (subcode === SUBCODE_NUMBER_ALREADY_ON_WABA || subcode === SUBCODE_NUMBER_ON_OTHER_WABA)) return 409;
  if (STATE_REFUSAL_CODES.has(code)) return 422;
  if (RATE_LIMIT_CODES.has(code) || code === 133016) return 429;
  if (TRANSIENT_CODES.has(code)) return 500;
  return 400;
}

/**
 * How the sandbox says "this object does not exist or you may not see it":
 * - `graph-100-33` (default): HTTP 400, code 100, subcode 33, as real Graph mostly answers;
 * - `document-404-803`: HTTP 404, code 803, as Meta's document shows it.
 * The service must treat both as missing; the switch lets tests prove it.
 */
export const MISSING_OBJECT_STYLES = ['graph-100-33', 'document-404-803'] as const;
export type MissingObjectStyle = (typeof MISSING_OBJECT_STYLES)[number];

export const fbtraceId = (): string => randomBytes(8).toString('base64url');

const DEFAULT_MESSAGES: Record<number, string> = {
  1: 'An unknown error occurred',
  2: 'An unexpected error has occurred. Please retry your request later.',
  4: 'Application request limit reached',
  10: 'Application does not have permission for this action',
  17: 'User request limit reached',
  32: 'Page request limit reached',
  80007: 'Rate limit issues',
  80008: 'There have been too many calls to this WhatsApp Business account. Wait a bit and try again.',
  100: 'Invalid parameter',
  190: 'Invalid OAuth access token - Cannot parse access token',
  200: 'Permissions error',
  613: 'Calls to this api have exceeded the rate limit.',
  803: 'Some of the aliases you requested do not exist',
  130429: 'Rate limit hit',
  131000: 'Something went wrong',
  133004: 'Server Temporarily Unavailable',
  133005: 'Two step verification PIN Mismatch',
  133010: 'Account not registered',
  133016: 'Account register deregister rate limit exceeded',
  136025: 'Verification code mismatch',
};

export function errorBody(spec: MetaErrorSpec): MetaErrorBody {
  const message = spec.message ?? DEFAULT_MESSAGES[spec.code] ?? 'An error occurred';
  return {
    error: {
      ...(spec.extra ?? {}),
      message,
      type: spec.type ?? ((spec.code === 100 && spec.error_subcode === 33) || spec.code === 803 ? 'GraphMethodException' : 'OAuthException'),
      code: spec.code,
      ...(spec.error_subcode !== undefined ? { error_subcode: spec.error_subcode } : {}),
      ...(spec.is_transient !== undefined ? { is_transient: spec.is_transient } : {}),
      fbtrace_id: fbtraceId(),
    },
  };
}

export const graphErrors = {
  missingToken: () => new SandboxGraphError({ code: 104, message: 'An access token is required to request this resource.' }),
  expiredToken: () =>
    new SandboxGraphError({
      code: 190,
      error_subcode: 463,
      message: 'Error validating access token: Session has expired.',
    }),
  invalidToken: () => new SandboxGraphError({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }),
  objectMissing: (id: string, method: 'get' | 'post' | 'delete', style: MissingObjectStyle = 'graph-100-33') =>
    style === 'document-404-803'
      ? new SandboxGraphError({ code: 803, message: `(#803) Some of the aliases you requested do not exist: ${id}` })
      : new SandboxGraphError({
          code: 100,
          error_subcode: 33,
          message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        }),
  unknownPath: (path: string) => new SandboxGraphError({ code: 2500, message: `Unknown path components: ${path}` }),
  invalidParameter: (message: string) => new SandboxGraphError({ code: 100, message: `(#100) ${message}` }),
  nonexistingField: (field: string, nodeType: string) =>
    new SandboxGraphError({
      code: 100,
      message: `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
    }),
  numberAlreadyOnWaba: () =>
    new SandboxGraphError({
      code: 100,
      error_subcode: SUBCODE_NUMBER_ALREADY_ON_WABA,
      message: '(#100) This phone number is already added to this WhatsApp Business Account.',
    }),
  numberOnOtherWaba: () =>
    new SandboxGraphError({
      code: 100,
      error_subcode: SUBCODE_NUMBER_ON_OTHER_WABA,
      message: '(#100) This phone number is already registered to another WhatsApp Business Account.',
    }),
  codeMismatch: () => new SandboxGraphError({ code: 136025, message: 'Verification code mismatch' }),
  notVerified: () => new SandboxGraphError({ code: 133010, message: 'Account not registered' }),
  pinMismatch: () => new SandboxGraphError({ code: 133005, message: 'Two step verification PIN Mismatch' }),
  registerLimit: () => new SandboxGraphError({ code: 133016, message: 'Account register deregister rate limit exceeded' }),
  invalidDisplayName: () => new SandboxGraphError({ code: 100, message: '(#100) Param new_display_name must be between 2 and 75 characters long' }),
  internal: () => new SandboxGraphError({ code: 2, is_transient: true }),
};
