import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { DomainError, type ErrorCode, type FieldError } from '../../domain/errors';
import { isMetaError } from '../../domain/meta';
import type { Logger } from '../../domain/ports';
import { asMetaUnavailable } from '../../domain/use-cases/meta-failures';
import type { HttpFunction } from '../definitions';
import { contextLogger } from '../context-logger';
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
}

export interface EndpointSpec<TServices, TBody = undefined, TQuery = undefined> {
  name: string;
  methods: HttpMethod[];
  route: string;
  summary: string;
  tags: string[];
  authLevel?: HttpFunction['authLevel'];
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
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
};

async function readBody<TBody>(spec: Pick<AnyEndpoint<unknown>, 'body' | 'bodyOptional'>, request: HttpRequest): Promise<TBody> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new DomainError('payload-too-large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw new DomainError('payload-too-large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  if (bytes.length === 0 && spec.bodyOptional) return spec.body!.parse({}) as TBody;
  if (!isJson(request.headers.get('content-type'))) {
    throw new DomainError('unsupported-media-type', 'Send the body as application/json.');
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DomainError('validation-failed', 'The body is not valid JSON.', { errors: [{ path: '(body)', message: 'malformed JSON' }] });
  }
  const parsed = spec.body!.safeParse(json);
  if (!parsed.success) throw new DomainError('validation-failed', 'The body does not match the schema.', { errors: issuesToErrors(parsed.error.issues) });
  return parsed.data as TBody;
}

function readQuery<TQuery>(spec: Pick<AnyEndpoint<unknown>, 'query'>, request: HttpRequest): TQuery {
  if (!spec.query) return undefined as TQuery;
  const raw: Record<string, string> = {};
  request.query.forEach((value, key) => (raw[key] = value));
  const parsed = spec.query.safeParse(raw);
  if (!parsed.success) throw new DomainError('validation-failed', 'The query string is not valid.', { errors: issuesToErrors(parsed.error.issues) });
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

function problemOf(error: unknown, log: Logger, requestId: string): HttpResponseInit {
  const translated = asMetaUnavailable(error);
  if (isMetaError(translated)) {
    // A Meta refusal no use case anticipated: report it as Meta's, without internals.
    return problem('meta-unavailable', `Meta refused the request (${translated.kind}).`);
  }
  return problemFromError(translated, log, requestId);
}

/** Turns an endpoint spec into an HTTP function: parse and validate, call, map errors. */
export function toHttpFunction<TServices>(spec: AnyEndpoint<TServices>, services: () => Promise<TServices>): HttpFunction {
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
        const body = spec.body ? await readBody(spec, request) : undefined;
        const query = readQuery(spec, request);
        const response = await spec.handle(
          { body, query, params: request.params, headers: request.headers, ifMatchVersion: readIfMatch(request), requestId, log, request },
          await services(),
        );
        return response;
      } catch (error) {
        const response = problemOf(error, log, requestId);
        if ((response.status ?? 500) >= 500) log.warn('Request failed', { function: spec.name, status: response.status, requestId });
        return response;
      }
    },
  };
}
