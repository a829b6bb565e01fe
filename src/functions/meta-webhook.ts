import { z } from 'zod';
import { META_SIGNATURE_HEADER, verifyMetaSignature } from '../domain/meta-webhook';
import { DomainError } from '../domain/errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../domain/json-depth';
import { endpoint } from './http/endpoint';
import { jsonResponse } from './http/registration-resource';
import type { Services } from './services';

/** Meta batches many changes in one POST; allow more than the API's 64 KiB. */
const MAX_WEBHOOK_BYTES = 1024 * 1024;

export const metaWebhook = endpoint({
  name: 'metaWebhook',
  methods: ['POST'],
  route: 'meta/webhook',
  roles: 'none',
  authLevel: 'anonymous',
  summary: "Meta's WhatsApp Business Account webhook: each account change becomes one WhatsApp.* CloudEvent on Event Grid",
  tags: ['meta'],
  responses: [{ status: 200, description: 'Accepted (changes published)', schema: z.object({ published: z.number().int(), ignored: z.number().int() }) }],
  errors: ['validation-failed', 'payload-too-large', 'invalid-signature'],
  handle: async (input, { useCases, metaWebhook }: Services) => {
    const raw = new Uint8Array(await input.request.arrayBuffer());
    if (raw.byteLength > MAX_WEBHOOK_BYTES) throw new DomainError('payload-too-large', 'Webhook body too large.');
    // The signature covers the raw bytes as Meta sent them: check before parsing anything.
    if (!metaWebhook.appSecret || !verifyMetaSignature(raw, input.headers.get(META_SIGNATURE_HEADER), metaWebhook.appSecret)) {
      input.log.warn('Meta webhook refused: missing or wrong signature');
      throw new DomainError('invalid-signature', 'Missing or wrong X-Hub-Signature-256.');
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(Buffer.from(raw).toString('utf8'));
    } catch {
      throw new DomainError('validation-failed', 'The body is not valid JSON.');
    }
    if (exceedsJsonDepth(envelope)) throw new DomainError('validation-failed', `The body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
    const counts = await useCases.publishAccountChanges(envelope);
    input.log.info('Meta webhook accepted', counts);
    return jsonResponse(counts);
  },
});
