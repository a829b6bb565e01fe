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

/** Thrown by request handlers; becomes an HTTP 400 (by default) with Meta's error body. */
export class SandboxGraphError extends Error {
  override readonly name = 'SandboxGraphError';
  constructor(
    readonly spec: MetaErrorSpec,
    readonly httpStatus = 400,
  ) {
    super(spec.message ?? `Meta error ${spec.code}`);
  }
}

export const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 17, 32, 613, 80007, 80008]);

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
      type: spec.type ?? (spec.code === 100 && spec.error_subcode === 33 ? 'GraphMethodException' : 'OAuthException'),
      code: spec.code,
      ...(spec.error_subcode !== undefined ? { error_subcode: spec.error_subcode } : {}),
      ...(spec.is_transient !== undefined ? { is_transient: spec.is_transient } : {}),
      fbtrace_id: fbtraceId(),
    },
  };
}

/** Sandbox: adding a number that is already on the WABA (Meta's exact subcode is not documented). */
export const SUBCODE_NUMBER_ALREADY_ON_WABA = 2388093;
/** Sandbox: adding a number that is live on another WABA. */
export const SUBCODE_NUMBER_ON_OTHER_WABA = 2388094;

export const graphErrors = {
  missingToken: () => new SandboxGraphError({ code: 104, message: 'An access token is required to request this resource.' }),
  expiredToken: () =>
    new SandboxGraphError({
      code: 190,
      error_subcode: 463,
      message: 'Error validating access token: Session has expired.',
    }),
  invalidToken: () => new SandboxGraphError({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }),
  objectMissing: (id: string, method: 'get' | 'post') =>
    new SandboxGraphError({
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
  internal: () => new SandboxGraphError({ code: 2, is_transient: true }, 500),
};
