import { z } from 'zod';
import type { AnyEndpoint } from './endpoint';
import { HTTP_STATUS } from './problem';
import { problemResource } from './schemas';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
  return rest;
};

const pathParameters = (route: string) =>
  [...route.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));

function queryParameters(query: z.ZodType | undefined) {
  if (!(query instanceof z.ZodObject)) return [];
  return Object.entries(query.shape as Record<string, z.ZodType>).map(([name, schema]) => ({
    name,
    in: 'query',
    required: !schema.safeParse(undefined).success,
    schema: toSchema(schema, 'input'),
  }));
}

/** OpenAPI 3.1 from the endpoint specs: the same zod schemas the handlers validate with. */
export function buildOpenApiDocument<T>(endpoints: Array<AnyEndpoint<T>>, info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of endpoints) {
    const path = `/api/${spec.route}`;
    const responses: Record<string, unknown> = {};
    for (const response of spec.responses) {
      responses[String(response.status)] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: toSchema(response.schema, 'output') } } } : {}),
      };
    }
    for (const code of new Set(spec.errors)) {
      const status = String(HTTP_STATUS[code]);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}; ${code}` : `Problem: ${code}`,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const operation = {
      operationId: spec.name,
      summary: spec.summary,
      tags: spec.tags,
      parameters: [
        ...pathParameters(spec.route),
        ...queryParameters(spec.query),
        ...(spec.methods.some((method) => ['PUT', 'POST', 'DELETE'].includes(method)) && spec.route.includes('{id}')
          ? [{ name: 'If-Match', in: 'header', required: false, description: 'The ETag as received, or *. Compared strongly: a stale or weak (W/) tag gives 412; a value that is not one entity-tag gives 400', schema: { type: 'string' } }]
          : []),
        ...(spec.name === 'createRegistration'
          ? [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'A retry with the same key returns the first result', schema: { type: 'string', maxLength: 256 } }]
          : []),
      ],
      ...(spec.body
        ? { requestBody: { required: !spec.bodyOptional, content: { 'application/json': { schema: toSchema(spec.body, 'input') } } } }
        : {}),
      responses,
      ...(spec.authLevel === 'anonymous' ? { security: [] } : {}),
    };
    paths[path] ??= {};
    for (const method of spec.methods) paths[path]![method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'Registers WhatsApp Business numbers for Azure Communication Services and keeps their status true.' },
    servers: [{ url: '/' }],
    security: [{ functionKey: [] }],
    paths,
    components: {
      schemas: { Problem: toSchema(problemResource, 'output') },
      securitySchemes: { functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' } },
    },
  };
}
