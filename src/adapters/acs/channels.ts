import type { MessagesServiceClient } from '@azure-rest/communication-messages';
import type { AcsChannels } from '../../domain/ports';
import { AcsRequestError, DEFAULT_ACS_TIMEOUT_MS, acsFailure, lazyAcsClient, type AcsClientOptions } from './sms-sender';

/**
 * The AcsChannels port on `@azure-rest/communication-messages` (api-version 2024-08-30). ACS has no
 * API to read a channel registration, so listing one template of the channel stands in for it:
 * 200 means the channel exists; 404 with a service error body that it was disconnected (or never
 * existed). The Messages spec documents no 404 body, so both shapes ACS uses elsewhere count
 * (docs/azure-events.md): `{ error: { code, message } }` and RFC 9457 problem details
 * `{ type, title, status, traceId }` (the SMS API's 404). A 404 without either is not ACS speaking.
 */
export type AcsChannelsOptions = AcsClientOptions;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isChannelRegistrationId = (value: string): boolean => GUID.test(value);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/**
 * The code ACS's error body names: `error.code` of the Azure error shape, or the `title` of RFC 9457
 * problem details whose `status` is a number (the body must say it is an HTTP answer, not only
 * carry a word called title). Undefined for any other body.
 */
export function serviceErrorCode(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (error !== null && typeof error === 'object') {
    const code = text((error as Record<string, unknown>).code);
    if (code !== undefined) return code;
  }
  const title = text(record.title);
  return title !== undefined && typeof record.status === 'number' ? title : undefined;
}

export function createAcsChannels(options: AcsChannelsOptions): AcsChannels {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ACS_TIMEOUT_MS;
  const open = lazyAcsClient(options, async (target, pipeline): Promise<MessagesServiceClient> => {
    const { default: MessageClient } = await import('@azure-rest/communication-messages');
    return target.credential ? MessageClient(target.clientArgument, target.credential, pipeline) : MessageClient(target.clientArgument, pipeline);
  });

  return {
    /**
     * An id that is not a GUID cannot name a channel registration: false, without a call (callers
     * validate input at their own boundary; this keeps junk out of the request path).
     */
    async probe(channelRegistrationId) {
      const id = channelRegistrationId.trim();
      if (!isChannelRegistrationId(id)) return { exists: false, status: null, code: null };
      const what = `ACS channel ${id} probe`;
      let response: Awaited<ReturnType<ReturnType<MessagesServiceClient['path']>['get']>>;
      try {
        const messages = await open();
        response = await messages
          .path('/messages/channels/{channelId}/templates', id)
          .get({ queryParameters: { maxpagesize: 1 }, abortSignal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        throw acsFailure('list-templates', what, error, timeoutMs);
      }
      const status = Number(response.status);
      if (status === 200) return { exists: true };
      const serviceCode = serviceErrorCode(response.body);
      // "Gone" marks the registration Disconnected, which sticks until a reconnect: only a body ACS
      // writes counts, not a bare 404 from a proxy or a wrong endpoint path (that is a fault).
      if (status === 404 && serviceCode !== undefined) return { exists: false, status, code: serviceCode };
      if (status === 404) {
        throw new AcsRequestError(`${what}: HTTP 404 without an ACS error body (is ACS_ENDPOINT / ACS_CONNECTION_STRING the resource's endpoint?).`, {
          operation: 'list-templates',
          status,
          transient: false,
        });
      }
      const code = serviceCode ?? response.headers['x-ms-error-code'];
      throw new AcsRequestError(`${what}: ACS answered HTTP ${response.status}${code ? ` (${code})` : ''}.`, {
        operation: 'list-templates',
        status,
        ...(code ? { code } : {}),
        transient: status === 408 || status === 429 || status >= 500 || !Number.isFinite(status),
      });
    },
  };
}
