/**
 * EventPublisher on an Event Grid custom topic in the CloudEvents 1.0 input schema (docs/design.md §6, §7:
 * `EVENTGRID_TOPIC_ENDPOINT`, with `EVENTGRID_TOPIC_KEY` or else managed identity).
 */
import type { EventGridPublisherClient, EventGridPublisherClientOptions, SendCloudEventInput } from '@azure/eventgrid';
import type { TokenCredential } from '@azure/identity';
import type { EventPublisher, PublishedEvent } from '../../domain/ports';

/** Event Grid refuses requests over 1 MiB; the margin covers what the SDK adds (specversion, traceparent). */
export const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;
export const DEFAULT_MAX_EVENTS_PER_REQUEST = 100;
/** Per event, on top of its own JSON: `"specversion":"1.0"`, `datacontenttype`, a traceparent, the comma. */
const PER_EVENT_OVERHEAD_BYTES = 256;

export interface EventGridPublisherOptions {
  /** The topic endpoint, e.g. `https://topic.westeurope-1.eventgrid.azure.net/api/events`. */
  endpoint: string;
  /** The topic's access key: sent as `aeg-sas-key`. */
  key?: string;
  /** Entra ID credential when there is no key; defaults to DefaultAzureCredential (managed identity in Azure). */
  credential?: TokenCredential;
  maxEventsPerRequest?: number;
  maxRequestBytes?: number;
  /** Per request, retries included. */
  timeoutMs?: number;
  /** Passed to the SDK client (retry policy; TLS settings such as a test CA). */
  clientOptions?: Pick<EventGridPublisherClientOptions, 'retryOptions' | 'tlsOptions' | 'userAgentOptions'>;
}

export class EventTooLargeError extends Error {
  override readonly name = 'EventTooLargeError';
  constructor(
    readonly eventId: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`Event ${eventId} is about ${bytes} bytes as JSON, over the ${limit}-byte Event Grid request limit`);
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Accepts the portal's "topic endpoint" with or without its `/api/events` path, and allows plain
 * http only to the loopback interface (an Event Grid emulator or a test server), where no key
 * travels over a network.
 */
export function resolveTopicEndpoint(endpoint: string): { url: string; insecureLoopback: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(endpoint.trim());
  } catch {
    throw new Error('The Event Grid topic endpoint is not a URL');
  }
  const loopback = LOOPBACK_HOSTS.has(parsed.hostname.toLowerCase());
  if (parsed.protocol === 'http:' && !loopback) {
    throw new Error(`The Event Grid topic endpoint must use https (http is allowed only for 127.0.0.1 and localhost): ${parsed.host}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error('The Event Grid topic endpoint must be an https URL');
  }
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/api/events';
  return { url: parsed.toString(), insecureLoopback: parsed.protocol === 'http:' };
}

function toCloudEventInput(event: PublishedEvent): SendCloudEventInput<Record<string, unknown>> {
  const time = new Date(event.time);
  if (Number.isNaN(time.getTime())) throw new TypeError(`Event ${event.id} has an invalid time`);
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    time,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    datacontenttype: 'application/json',
    data: event.data,
  };
}

function approximateBytes(event: PublishedEvent): number {
  return Buffer.byteLength(JSON.stringify(event), 'utf8') + PER_EVENT_OVERHEAD_BYTES;
}

/** Consecutive chunks, order kept, each within both the count and the size limit. */
export function chunkEvents(events: PublishedEvent[], maxEvents: number, maxBytes: number): PublishedEvent[][] {
  const chunks: PublishedEvent[][] = [];
  let current: PublishedEvent[] = [];
  let currentBytes = 2; // the enclosing []
  for (const event of events) {
    const bytes = approximateBytes(event);
    if (bytes + 2 > maxBytes) throw new EventTooLargeError(event.id, bytes, maxBytes);
    if (current.length > 0 && (current.length >= maxEvents || currentBytes + bytes > maxBytes)) {
      chunks.push(current);
      current = [];
      currentBytes = 2;
    }
    current.push(event);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function createEventGridPublisher(options: EventGridPublisherOptions): EventPublisher {
  const { url, insecureLoopback } = resolveTopicEndpoint(options.endpoint);
  const key = options.key?.trim() || undefined;
  if (!key && insecureLoopback) {
    // The SDK's bearer-token policy refuses non-TLS URLs; say so now rather than at the first publish.
    throw new Error('Entra ID authentication to Event Grid needs an https endpoint; give a key for an http endpoint');
  }
  const maxEvents = options.maxEventsPerRequest ?? DEFAULT_MAX_EVENTS_PER_REQUEST;
  const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const timeoutMs = options.timeoutMs ?? 30_000;

  // Both SDKs load on first use: they weigh on cold start (docs/design.md §10), and most invocations never publish.
  let client: Promise<EventGridPublisherClient<'CloudEvent'>> | undefined;
  const getClient = (): Promise<EventGridPublisherClient<'CloudEvent'>> => {
    client ??= (async () => {
      const { EventGridPublisherClient, AzureKeyCredential } = await import('@azure/eventgrid');
      const clientOptions: EventGridPublisherClientOptions = {
        ...options.clientOptions,
        ...(insecureLoopback ? { allowInsecureConnection: true } : {}),
      };
      if (key) return new EventGridPublisherClient(url, 'CloudEvent', new AzureKeyCredential(key), clientOptions);
      const credential = options.credential ?? new (await import('@azure/identity')).DefaultAzureCredential();
      return new EventGridPublisherClient(url, 'CloudEvent', credential, clientOptions);
    })().catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };

  return {
    async publish(events: PublishedEvent[]): Promise<void> {
      if (events.length === 0) return;
      // Everything is checked before anything is sent, so a bad event never leaves half a batch published.
      events.forEach(toCloudEventInput);
      const chunks = chunkEvents(events, maxEvents, maxBytes);
      const publisher = await getClient();
      for (const chunk of chunks) {
        await publisher.send(chunk.map(toCloudEventInput), { abortSignal: AbortSignal.timeout(timeoutMs) });
      }
    },
  };
}
