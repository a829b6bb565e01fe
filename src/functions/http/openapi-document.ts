import { z } from 'zod';
import type { ErrorCode } from '../../domain/errors';
import type { AnyEndpoint } from './endpoint';
import { HTTP_STATUS } from './problem';
import { problemResource } from './schemas';

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';

const COMPONENT = '#/components/schemas/';
/** Prefix of the ids the builder gives the unnamed schemas of operations while converting them. */
const SLOT = '~slot~';

/**
 * Converts zod schemas to JSON Schema 2020-12 in one pass per direction, so that every schema named
 * with `.meta({ id })` is emitted once under components/schemas and referenced from everywhere else.
 * Direction matters: a request body is described as the client sends it (`input`), a response as the
 * server answers it (`output`).
 */
class SchemaConverter {
  private readonly slots: Record<Io, z.ZodType[]> = { input: [], output: [] };
  private readonly named: Record<Io, Set<string>> = { input: new Set(), output: new Set() };
  private readonly converted: Record<Io, Record<string, JsonSchema>> = { input: {}, output: {} };

  /** Registers a schema and returns a function that gives its JSON Schema once `convert` has run. */
  add(schema: z.ZodType, io: Io): () => JsonSchema {
    const named = z.globalRegistry.get(schema)?.id;
    if (named) {
      this.named[io].add(named);
      return () => ({ $ref: `${COMPONENT}${named}` });
    }
    const slots = this.slots[io];
    const index = slots.includes(schema) ? slots.indexOf(schema) : slots.push(schema) - 1;
    return () => this.converted[io][`${SLOT}${index}`]!;
  }

  /**
   * Converts everything added; returns the named schemas the operations reach, each in the direction
   * it is used in (a named schema used both ways must read the same both ways).
   */
  convert(): Record<string, JsonSchema> {
    const components: Record<string, JsonSchema> = {};
    for (const io of ['input', 'output'] as const) {
      const registry = z.registry<{ id: string }>();
      for (const [id, schema] of z.globalRegistry._idmap) registry.add(schema, { id });
      this.slots[io].forEach((schema, index) => registry.add(schema, { id: `${SLOT}${index}` }));
      const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline', uri: (id) => `${COMPONENT}${id}` });
      if (schemas.__shared) throw new Error('A named schema was emitted outside components/schemas');
      const all: Record<string, JsonSchema> = {};
      for (const [id, payload] of Object.entries(schemas)) {
        const { $schema: _dialect, $id: _id, ...schema } = payload as JsonSchema;
        if (id.startsWith(SLOT)) this.converted[io][id] = schema;
        else all[id] = schema;
      }
      const used = [...this.named[io]].map((id) => ({ $ref: `${COMPONENT}${id}` }));
      for (const [id, schema] of Object.entries(reachableComponents([used, this.converted[io]], all))) {
        const other = components[id];
        if (other && JSON.stringify(other) !== JSON.stringify(schema)) {
          throw new Error(`Schema ${id} differs between requests and responses: give one of the two its own id`);
        }
        components[id] = schema;
      }
    }
    return Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** The components a node reaches, directly or through other components. */
function reachableComponents(node: unknown, components: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const reached = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(COMPONENT)) {
        const id = child.slice(COMPONENT.length);
        if (reached.has(id)) continue;
        if (!components[id]) throw new Error(`$ref ${child} names no component`);
        reached.add(id);
        visit(components[id]);
      } else visit(child);
    }
  };
  visit(node);
  return Object.fromEntries([...reached].map((id) => [id, components[id]!]));
}

const acceptsIfMatch = (spec: AnyEndpoint<unknown>): boolean =>
  spec.methods.some((method) => ['PUT', 'POST', 'DELETE'].includes(method)) && spec.route.includes('{id}');

/**
 * Problems an endpoint may answer because of its shape, on top of the ones it declares in `errors`.
 * A rule here serves every endpoint alike; add one rather than a case for a single endpoint.
 */
const IMPLIED_ERRORS: Array<{ applies: (spec: AnyEndpoint<unknown>) => boolean; codes: ErrorCode[] }> = [
  { applies: (spec) => spec.body !== undefined, codes: ['validation-failed', 'unsupported-media-type', 'payload-too-large'] },
  { applies: (spec) => spec.query !== undefined, codes: ['validation-failed'] },
  { applies: (spec) => spec.route.includes('{id}'), codes: ['not-found'] },
  { applies: acceptsIfMatch, codes: ['concurrency-conflict'] },
  // Every keyed endpoint serves stored registrations or runs; the anonymous ones (health, this document, Meta's webhook) answer without them.
  { applies: (spec) => spec.authLevel !== 'anonymous', codes: ['storage-unavailable'] },
  // An endpoint that needs a role refuses callers without a principal (401) or without the role (403).
  { applies: (spec) => spec.roles !== 'none', codes: ['unauthenticated', 'forbidden'] },
];

export const errorCodesOf = (spec: AnyEndpoint<unknown>): ErrorCode[] => [
  ...new Set([...spec.errors, ...IMPLIED_ERRORS.filter((rule) => rule.applies(spec)).flatMap((rule) => rule.codes)]),
];

/** Statuses whose problems tell the client when to try again. */
const RETRY_AFTER: Record<number, { required: boolean }> = { 429: { required: true }, 503: { required: false } };

function problemResponses(codes: ErrorCode[], problem: JsonSchema): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(HTTP_STATUS[code], [...(byStatus.get(HTTP_STATUS[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => [
      String(status),
      {
        description: `Problem: ${statusCodes.join(', ')}`,
        ...(RETRY_AFTER[status]
          ? {
              headers: {
                'Retry-After': { ...RETRY_AFTER[status], description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } },
              },
            }
          : {}),
        content: { 'application/problem+json': { schema: problem } },
      },
    ]),
  );
}

const pathParameters = (route: string) =>
  [...route.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));

function queryParameters(query: z.ZodType | undefined, schemas: SchemaConverter) {
  if (!(query instanceof z.ZodObject)) return [];
  return Object.entries(query.shape as Record<string, z.ZodType>).map(([name, schema]) => {
    const converted = schemas.add(schema, 'input');
    return () => ({ name, in: 'query', required: !schema.safeParse(undefined).success, schema: converted() });
  });
}

const headerParameters = (spec: AnyEndpoint<unknown>) => [
  ...(acceptsIfMatch(spec)
    ? [
        {
          name: 'If-Match',
          in: 'header',
          required: false,
          description: 'The ETag as received, or *. Compared strongly: a stale or weak (W/) tag gives 412; a value that is not one entity-tag gives 400',
          schema: { type: 'string' },
        },
      ]
    : []),
  // An operation that creates (201) is the one a client may retry without knowing whether the first call landed.
  ...(spec.methods.includes('POST') && spec.responses.some((response) => response.status === 201)
    ? [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'A retry with the same key returns the first result',
          schema: { type: 'string', maxLength: 256 },
        },
      ]
    : []),
];

/** The operation, as a function that completes it once every schema has been converted. */
function operationOf(spec: AnyEndpoint<unknown>, schemas: SchemaConverter): () => Record<string, unknown> {
  const query = queryParameters(spec.query, schemas);
  const body = spec.body ? schemas.add(spec.body, 'input') : undefined;
  const successes = spec.responses.map((response) => ({ ...response, schema: response.schema ? schemas.add(response.schema, 'output') : undefined }));
  const problem = schemas.add(problemResource, 'output');
  return () => {
    const responses: Record<string, unknown> = {};
    for (const response of successes) {
      responses[String(response.status)] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: response.schema() } } } : {}),
      };
    }
    for (const [status, response] of Object.entries(problemResponses(errorCodesOf(spec), problem()))) {
      if (responses[status]) throw new Error(`${spec.name}: ${status} is declared both as a response and as a problem`);
      responses[status] = response;
    }
    return {
      operationId: spec.name,
      summary: spec.summary,
      tags: spec.tags,
      parameters: [...pathParameters(spec.route), ...query.map((parameter) => parameter()), ...headerParameters(spec)],
      ...(body ? { requestBody: { required: !spec.bodyOptional, content: { 'application/json': { schema: body() } } } } : {}),
      responses,
      ...(spec.authLevel === 'anonymous' ? { security: [] } : {}),
      // One alternative per accepted role: OpenAPI 3.1 lets non-OAuth schemes list the roles required.
      ...(spec.roles !== 'none' ? { security: spec.roles.map((role) => ({ functionKey: [], entraId: [role] })) } : {}),
    };
  };
}

/** OpenAPI 3.1 from the endpoint specs: the same zod schemas the handlers validate with. */
export function buildOpenApiDocument<T>(endpoints: Array<AnyEndpoint<T>>, info: { title: string; version: string }) {
  const schemas = new SchemaConverter();
  const operations = endpoints.map((spec) => ({ spec, complete: operationOf(spec as AnyEndpoint<unknown>, schemas) }));
  const components = schemas.convert();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec, complete } of operations) {
    const operation = complete();
    const path = (paths[`/api/${spec.route}`] ??= {});
    for (const method of spec.methods) path[method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description: 'Registers WhatsApp Business numbers for Azure Communication Services and keeps their status true.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    security: [{ functionKey: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        entraId: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An Entra ID token for the API, checked by App Service Authentication, with the app role Registrations.Write (client apps: their own registrations) or Registrations.Ops (all)',
        },
      },
    },
  };
}
