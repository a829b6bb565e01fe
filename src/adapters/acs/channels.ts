import type { MessagesServiceClient } from '@azure-rest/communication-messages';
import type { AcsChannels } from '../../domain/ports';
import { AcsRequestError, DEFAULT_ACS_TIMEOUT_MS, acsFailure, lazyAcsClient, type AcsClientOptions } from './sms-sender';

/**
 * The AcsChannels port on `@azure-rest/communication-messages` (api-version 2024-08-30). ACS has no
 * API to read a channel registration, so listing one template of the channel stands in for it:
 * 200 means the channel exists, 404 with ACS's error body that it was disconnected (or never existed).
 */
export type AcsChannelsOptions = AcsClientOptions;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isChannelRegistrationId = (value: string): boolean => GUID.test(value);

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
    async exists(channelRegistrationId) {
      const id = channelRegistrationId.trim();
      if (!isChannelRegistrationId(id)) return false;
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
      const body = response.body as { error?: { code?: unknown } } | undefined;
      const serviceCode = typeof body?.error?.code === 'string' ? body.error.code : undefined;
      if (status === 200) return true;
      // "Gone" marks the registration Disconnected, which sticks until a reconnect: only ACS's own
      // error body counts, not a bare 404 from a proxy or a wrong endpoint path.
      if (status === 404 && serviceCode !== undefined) return false;
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
