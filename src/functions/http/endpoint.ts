import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { ANONYMOUS_CALLER_ID, hasRole, UNTRUSTED_CALLER, type Caller, type RequiredRoles } from '../../domain/access';
import { DomainError, type ErrorCode, type FieldError } from '../../domain/errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../domain/json-depth';
import { isMetaError } from '../../domain/meta';
import type { Logger } from '../../domain/ports';
import { isTransientStorageError } from '../../adapters/table-storage/errors';
import { asMetaUnavailable } from '../../domain/use-cases/meta-failures';
import type { HttpFunction } from '../definitions';
import { contextLogger } from '../context-logger';
import { decodePrincipal, PRINCIPAL_HEADER } from './principal';
import { problem, problemFromError } from './problem';

export const MAX_BODY_BYTES = 64 * 1024;

export interface EndpointInput<TBody, TQuery> {
  body: TBody;
  query: TQuery;
  params: Record<string, string>;
  headers: HttpRequest['headers'];
  /** The version in If-Match, when the client sent one. */
  ifMatchVersion: number | undefined;
  requestId: string;
  log: Logger;
  request: HttpRequest;
  /** Who is calling (docs/design.md §5.1); for an endpoint that needs no role, possibly nobody in particular. */
  caller: Caller;
}

export interface EndpointSpec<TServices, TBody = undefined, TQuery = undefined> {
  name: string;
  methods: HttpMethod[];
  route: string;
  summary: string;
  tags: string[];
  authLevel?: HttpFunction['authLevel'];
  /**
   * The roles that may call it, any one of them (docs/design.md §5.1), or `none`. Declared by every
   * endpoint; checked here, before the request is read, and nowhere else.
   */
  roles: RequiredRoles;
  body?: z.ZodType<TBody>;
  /** A body schema whose every field is optional: an empty body is accepted as `{}`. */
  bodyOptional?: boolean;
  query?: z.ZodType<TQuery>;
  responses: Array<{ status: number; description: string; schema?: z.ZodType; contentType?: string }>;
  errors: ErrorCode[];
  handle: (input: EndpointInput<TBody, TQuery>, services: TServices) => Promise<HttpResponseInit>;
}

/** Type-erased spec, as the catalogue and the OpenAPI builder see it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEndpoint<TServices> = EndpointSpec<TServices, any, any>;

export const endpoint = <TServices, TBody = undefined, TQuery = undefined>(
  spec: EndpointSpec<TServices, TBody, TQuery>,
): EndpointSpec<TServices, TBody, TQuery> => spec;

/**
 * For a body that is one of several shapes, report the errors of the shape the client meant
 * (the branch whose keys it used), not a bare "Invalid input".
 */
function issuesToErrors(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const meant = issue.errors.filter((branch) => !branch.some((sub) => sub.path.length === 0 && sub.code === 'unrecognized_keys'));
      const candidates = meant.length > 0 ? meant : issue.errors;
      const closest = candidates.reduce((best, branch) => (branch.length < best.length ? branch : best));
      return issuesToErrors(closest, path);
    }
    return [{ path: path.length > 0 ? path.map(String).join('.') : '(body)', message: issue.message }];
  });
}

const isJson = (contentType: string | null): boolean => {
  const [type = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters
    .find((parameter) => parameter.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  // JSON is UTF-8 (RFC 8259); a body declared in another charset would be misread, not parsed.
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return false;
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
};

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

async function readBody<TBody>(spec: Pick<AnyEndpoint<unknown>, 'body' | 'bodyOptional'>, request: HttpRequest): Promise<TBody> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new DomainError('payload-too-large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw new DomainError('payload-too-large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  if (bytes.length === 0 && spec.bodyOptional) return spec.body!.parse({}) as TBody;
  if (!isJson(request.headers.get('content-type'))) {
    throw new DomainError('unsupported-media-type', 'Send the body as application/json in UTF-8.');
  }
  // Some clients (PowerShell, Windows editors) prefix UTF-8 with a byte-order mark: skip it.
  const text = (bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DomainError('validation-failed', 'The body is not valid JSON.', { errors: [{ path: '(body)', message: 'malformed JSON' }] });
  }
  if (exceedsJsonDepth(json)) {
    throw new DomainError('validation-failed', 'The body is nested too deeply.', {
      errors: [{ path: '(body)', message: `nested deeper than ${MAX_JSON_DEPTH} levels` }],
    });
  }
  const parsed = spec.body!.safeParse(json);
  if (!parsed.success) throw new DomainError('validation-failed', 'The body does not match the schema.', { errors: issuesToErrors(parsed.error.issues) });
  return parsed.data as TBody;
}

/** How Azure Functions clients pass a function key: the host reads it, and every endpoint ignores it. */
const FUNCTION_KEY_PARAMETER = 'code';

/** Query errors name the parameter (`query.limit`), never the body. */
function queryErrors(issues: z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: `query.${key}`, message: 'unknown query parameter' }))
      : issuesToErrors([issue], ['query']),
  );
}

function readQuery<TQuery>(spec: Pick<AnyEndpoint<unknown>, 'query'>, request: HttpRequest): TQuery {
  if (!spec.query) return undefined as TQuery;
  const raw: Record<string, string> = {};
  request.query.forEach((value, key) => {
    if (key !== FUNCTION_KEY_PARAMETER) raw[key] = value;
  });
  const parsed = spec.query.safeParse(raw);
  if (!parsed.success) throw new DomainError('validation-failed', 'The query string is not valid.', { errors: queryErrors(parsed.error.issues) });
  return parsed.data as TQuery;
}

/** One entity-tag (RFC 9110 §8.8.3): an optional weakness mark and a quoted run of etagc. */
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;
const VERSION = /^(?:0|[1-9]\d{0,14})$/;

/**
 * If-Match compares strongly (RFC 9110 §13.1.1): a weak tag, or a tag that is not one of our
 * versions, never matches and fails as a stale precondition (412). `*` matches any existing
 * registration. A value that is not one entity-tag is the client's mistake, not a race, so it is
 * a 400 rather than a 412 that would invite a re-read and retry.
 */
function readIfMatch(request: HttpRequest): number | undefined {
  const header = request.headers.get('if-match');
  if (header === null) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const tag = ENTITY_TAG.exec(value);
  if (!tag) {
    throw new DomainError('validation-failed', 'If-Match must be the ETag as received, or *.', {
      errors: [{ path: 'If-Match', message: 'not a single entity-tag such as "3"' }],
    });
  }
  return !tag[1] && VERSION.test(tag[2]!) ? Number(tag[2]) : -1;
}

export const etagOf = (version: number): string => `"${version}"`;

/** Seconds a client should wait after storage failed: long enough for a restart or failover to finish. */
const STORAGE_RETRY_AFTER_SECONDS = 5;

function problemOf(error: unknown, log: Logger, requestId: string): HttpResponseInit {
  if (!(error instanceof DomainError) && !isMetaError(error) && isTransientStorageError(error)) {
    log.warn('Storage unavailable', { requestId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    return problem('storage-unavailable', 'Storage did not answer; try again shortly.', {
      retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS,
      suggestedAction: 'Retry after the time in Retry-After.',
    });
  }
  const translated = asMetaUnavailable(error);
  logMetaRefusal(translated, log, requestId);
  if (isMetaError(translated)) {
    // A Meta refusal no use case anticipated: report it as Meta's, without internals.
    return problem('meta-unavailable', `Meta refused the request (${translated.kind}).`);
  }
  return problemFromError(translated, log, requestId);
}

/** Meta's own words on a request it refused as malformed, once per request (they hold no secret: the client redacts them). */
function logMetaRefusal(error: unknown, log: Logger, requestId: string): void {
  if (!(error instanceof DomainError) || error.code !== 'meta-request-refused') return;
  const cause = error.extra.cause;
  log.warn('Meta refused the request as malformed', {
    requestId,
    meta: isMetaError(cause) ? cause.message : 'no detail',
    ...(isMetaError(cause) ? { code: cause.details.code, subcode: cause.details.subcode, httpStatus: cause.details.httpStatus } : {}),
  });
}

/** The problem `code` of a response this builder (or a handler) wrote as problem+json, if any. */
function problemCodeOf(response: HttpResponseInit): string | undefined {
  if (typeof response.body !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(response.body);
    const code = (parsed as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The host logs every invocation as Succeeded whatever it answered, so a refused request would not
 * show in the log at all: name its status and problem code here, for every endpoint. Field paths
 * only, never the detail or the values (they may hold phone numbers, codes or other input).
 */
function logFailure(log: Logger, name: string, requestId: string, response: HttpResponseInit, errors?: FieldError[]): void {
  const status = response.status ?? 200;
  if (status >= 200 && status < 300) return;
  const code = problemCodeOf(response);
  const fields = errors && errors.length > 0 ? { fields: errors.map((error) => error.path) } : {};
  const line = `Request answered ${status}${code ? ` ${code}` : ''}`;
  const properties = { function: name, status, ...(code ? { code } : {}), ...fields, requestId };
  if (status >= 500) log.warn(line, properties);
  else log.info(line, properties);
}

/** How callers are identified: whether the principal header can be believed (docs/design.md §5.1, §7). */
export interface CallerPolicy {
  trustPrincipalHeader: boolean;
}

/** Nobody in particular: a caller of an endpoint that needs no role, when the header says nothing usable. */
const NO_CALLER: Caller = { id: ANONYMOUS_CALLER_ID, roles: [] };

/**
 * Untrusted, the header is ignored and every caller is ops (`anonymous`); trusted, an endpoint that
 * needs a role answers 401 without a readable principal and 403 without one of its roles.
 */
export function callerOf(roles: RequiredRoles, request: HttpRequest, policy: CallerPolicy): Caller {
  if (!policy.trustPrincipalHeader) return UNTRUSTED_CALLER;
  const header = request.headers.get(PRINCIPAL_HEADER);
  const caller = header ? decodePrincipal(header) : null;
  if (roles === 'none') return caller ?? NO_CALLER;
  if (!caller) {
    throw new DomainError('unauthenticated', header ? 'The caller’s principal could not be read.' : 'This endpoint needs a signed-in caller.', {
      suggestedAction: 'Call with an Entra ID token for this API (App Service Authentication validates it).',
    });
  }
  if (!roles.some((role) => hasRole(caller, role))) {
    throw new DomainError('forbidden', `This endpoint needs the role ${roles.join(' or ')}.`, {
      suggestedAction: 'Ask an administrator of the API’s app registration to grant the caller that app role.',
    });
  }
  return caller;
}

/** Turns an endpoint spec into an HTTP function: identify the caller, parse and validate, call, map errors. */
export function toHttpFunction<TServices>(spec: AnyEndpoint<TServices>, services: () => Promise<TServices>, policy: CallerPolicy): HttpFunction {
  return {
    kind: 'http',
    name: spec.name,
    methods: spec.methods,
    route: spec.route,
    authLevel: spec.authLevel ?? 'function',
    handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const log = contextLogger(context);
      const requestId = context.invocationId;
      try {
        const caller = callerOf(spec.roles, request, policy);
        const body = spec.body ? await readBody(spec, request) : undefined;
        const query = readQuery(spec, request);
        const response = await spec.handle(
          { body, query, params: request.params, headers: request.headers, ifMatchVersion: readIfMatch(request), requestId, log, request, caller },
          await services(),
        );
        logFailure(log, spec.name, requestId, response);
        return response;
      } catch (error) {
        const response = problemOf(error, log, requestId);
        // One line per refused request (401 and 403 included): the status and code, never the caller's secrets.
        logFailure(log, spec.name, requestId, response, error instanceof DomainError ? error.extra.errors : undefined);
        return response;
      }
    },
  };
}
