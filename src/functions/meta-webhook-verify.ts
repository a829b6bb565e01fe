import { z } from 'zod';
import { verifyHandshake } from '../domain/meta-webhook';
import { endpoint } from './http/endpoint';
import type { Services } from './services';

export const metaWebhookVerify = endpoint({
  name: 'metaWebhookVerify',
  methods: ['GET'],
  route: 'meta/webhook',
  roles: 'none',
  authLevel: 'anonymous',
  summary: "Meta's webhook subscription handshake (hub.mode, hub.verify_token, hub.challenge)",
  tags: ['meta'],
  responses: [
    { status: 200, description: 'The challenge, as text/plain', schema: z.string(), contentType: 'text/plain' },
    { status: 403, description: 'Wrong verify token', schema: z.string(), contentType: 'text/plain' },
  ],
  errors: [],
  handle: async (input, services: Services) => {
    const query = input.request.query;
    const result = verifyHandshake(
      { mode: query.get('hub.mode'), verifyToken: query.get('hub.verify_token'), challenge: query.get('hub.challenge') },
      services.metaWebhook.verifyToken ?? '',
    );
    if (!result.ok) {
      input.log.warn('Meta webhook handshake refused');
      return { status: 403, headers: { 'content-type': 'text/plain' }, body: 'Forbidden' };
    }
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: result.challenge };
  },
});
