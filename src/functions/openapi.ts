import { z } from 'zod';
import { endpoint } from './http/endpoint';
import { buildOpenApiDocument } from './http/openapi-document';
import { jsonResponse } from './http/registration-resource';
import type { Services } from './services';

let cached: string | undefined;

export const openApi = endpoint({
  name: 'openApi',
  methods: ['GET'],
  route: 'openapi.json',
  roles: 'none',
  authLevel: 'anonymous',
  summary: 'This API as an OpenAPI 3.1 document',
  tags: ['operations'],
  responses: [
    {
      status: 200,
      description: 'The OpenAPI document',
      schema: z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
    },
  ],
  errors: [],
  handle: async (_input, services: Services) => {
    // The document depends only on code, so it is built once per process.
    cached ??= JSON.stringify(
      buildOpenApiDocument(services.endpoints(), { title: 'WhatsApp Business registration for Azure Communication Services', version: '1.0.0' }),
    );
    return { ...jsonResponse(null), body: cached };
  },
});
