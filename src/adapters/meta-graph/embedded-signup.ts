import { createHmac } from 'node:crypto';
import { isMetaError } from '../../domain/meta';
import type { EmbeddedSignup } from '../../domain/ports';
import { GraphClient } from './graph-client';
import { createMetaGraph, type MetaGraphOptions } from './meta-graph-adapter';
import { accessTokenSchema } from './schemas';

export interface EmbeddedSignupOptions extends Omit<MetaGraphOptions, 'accessToken'> {
  appId: string;
  appSecret: string;
}

/**
 * Embedded Signup's code exchange (docs/meta-graph.md "Embedded Signup"). The token Meta answers
 * with goes straight into a Graph client of its own and is never returned, so it lives as long as
 * the request that exchanged the code.
 */
export function createEmbeddedSignup(options: EmbeddedSignupOptions): EmbeddedSignup {
  if (!/^\d+$/.test(options.appId)) throw new Error('The Meta app id must be numeric.');
  if (!options.appSecret) throw new Error('The Meta app secret is required.');
  const client = new GraphClient({
    graphUrl: options.graphUrl,
    version: options.version,
    accessToken: '',
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: { attempts: 1, baseDelayMs: 0 },
    onUsage: options.onUsage,
  });
  // A key of its own, so that no hash stored here is ever an HMAC made with the app secret itself.
  const fingerprintKey = createHmac('sha256', options.appSecret).update('embedded-signup-request-fingerprint').digest();

  return {
    async exchangeCode(code) {
      try {
        const answer = await client.call({
          operation: 'exchangeSignupCode',
          method: 'GET',
          path: '/oauth/access_token',
          query: { client_id: options.appId, client_secret: options.appSecret, code },
          schema: accessTokenSchema,
          bearer: false,
          // The code works once: a second attempt could only be refused.
          retry: 'never',
          secrets: [code, options.appSecret],
        });
        return { refused: false, meta: createMetaGraph({ ...options, accessToken: answer.access_token }) };
      } catch (error) {
        // An expired, used or unknown code: HTTP 400 with code 100, whatever the subcode or message says.
        if (isMetaError(error) && error.details.httpStatus === 400 && error.details.code === 100) return { refused: true };
        throw error;
      }
    },
    fingerprint(request) {
      return createHmac('sha256', fingerprintKey).update(request).digest('base64url');
    },
  };
}
