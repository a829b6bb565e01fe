import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chunkEvents,
  createEventGridPublisher,
  DEFAULT_MAX_REQUEST_BYTES,
  EventTooLargeError,
  resolveTopicEndpoint,
  type EventGridPublisherOptions,
} from '../../../src/adapters/event-grid/publisher';
import type { PublishedEvent } from '../../../src/domain/ports';

/** What a topic received: one entry per HTTP request. */
interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface TopicServer {
  endpoint: string;
  requests: Recorded[];
  /** The status the next requests get (default 200). */
  status: number;
  close(): Promise<void>;
}

async function startTopic(make: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server, scheme: 'http' | 'https'): Promise<TopicServer> {
  const topic: Partial<TopicServer> & { requests: Recorded[]; status: number } = { requests: [], status: 200 };
  const server = make((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      topic.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(topic.status, { 'content-type': 'application/json' });
      res.end(topic.status === 200 ? '' : JSON.stringify({ error: { code: 'Failed', message: 'test failure' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(topic, {
    endpoint: `${scheme}://127.0.0.1:${port}/api/events`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as TopicServer;
}

const event = (n: number, overrides: Partial<PublishedEvent> = {}): PublishedEvent => ({
  id: `evt-${n}`,
  type: 'Registration.StatusChanged',
  source: `/registrations/reg-${n}`,
  subject: `reg-${n}`,
  time: '2026-11-02T10:00:00.000Z',
  data: { registrationId: `reg-${n}`, from: 'Active', to: 'Revoked', cause: 'account-event', at: '2026-11-02T10:00:00.000Z' },
  ...overrides,
});

const KEY = 'topic-key-123';
const noRetries: EventGridPublisherOptions['clientOptions'] = { retryOptions: { maxRetries: 0 } };

describe('createEventGridPublisher over http to a loopback topic', () => {
  let topic: TopicServer;

  beforeAll(async () => {
    topic = await startTopic((handler) => createHttpServer(handler), 'http');
  });
  afterAll(() => topic.close());
  beforeEach(() => {
    topic.requests.length = 0;
    topic.status = 200;
  });

  const publisher = (options: Partial<EventGridPublisherOptions> = {}) =>
    createEventGridPublisher({ endpoint: topic.endpoint, key: KEY, clientOptions: noRetries, ...options });

  it('posts a CloudEvents batch with the key in aeg-sas-key', async () => {
    await publisher().publish([event(1), event(2, { subject: undefined })]);

    expect(topic.requests).toHaveLength(1);
    const [request] = topic.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toMatch(/^\/api\/events\?api-version=/);
    expect(request?.headers['aeg-sas-key']).toBe(KEY);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers['content-type']).toMatch(/^application\/cloudevents-batch\+json/);

    const body = JSON.parse(request!.body) as Array<Record<string, unknown>>;
    expect(body).toEqual([
      {
        specversion: '1.0',
        id: 'evt-1',
        type: 'Registration.StatusChanged',
        source: '/registrations/reg-1',
        subject: 'reg-1',
        time: '2026-11-02T10:00:00.000Z',
        datacontenttype: 'application/json',
        data: event(1).data,
      },
      expect.objectContaining({ id: 'evt-2', specversion: '1.0', source: '/registrations/reg-2' }),
    ]);
    expect(body[1]).not.toHaveProperty('subject');
  });

  it('sends nothing for an empty list', async () => {
    await publisher().publish([]);
    expect(topic.requests).toHaveLength(0);
  });

  it('splits by count, keeping the order', async () => {
    const events = Array.from({ length: 250 }, (_, n) => event(n));
    await publisher().publish(events);

    const batches = topic.requests.map((request) => JSON.parse(request.body) as Array<{ id: string }>);
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(batches.flat().map((published) => published.id)).toEqual(events.map((published) => published.id));
  });

  it('splits by size so that no request reaches 1 MB', async () => {
    const big = (n: number) => event(n, { data: { registrationId: `reg-${n}`, padding: 'ä'.repeat(150_000) } });
    const events = Array.from({ length: 7 }, (_, n) => big(n));
    await publisher().publish(events);

    expect(topic.requests.length).toBeGreaterThanOrEqual(3);
    for (const request of topic.requests) expect(Buffer.byteLength(request.body, 'utf8')).toBeLessThan(1024 * 1024);
    const ids = topic.requests.flatMap((request) => (JSON.parse(request.body) as Array<{ id: string }>).map((published) => published.id));
    expect(ids).toEqual(events.map((published) => published.id));
  });

  it('refuses an event that can never fit, before sending anything', async () => {
    const tooBig = event(2, { data: { padding: 'x'.repeat(DEFAULT_MAX_REQUEST_BYTES) } });
    await expect(publisher().publish([event(1), tooBig])).rejects.toBeInstanceOf(EventTooLargeError);
    await expect(publisher().publish([tooBig])).rejects.toThrow(/evt-2 .* over the 1000000-byte/);
    expect(topic.requests).toHaveLength(0);
  });

  it('refuses an event with an invalid time, before sending anything', async () => {
    await expect(publisher().publish([event(1), event(2, { time: 'not a time' })])).rejects.toThrow(/evt-2 has an invalid time/);
    expect(topic.requests).toHaveLength(0);
  });

  it('throws when the topic answers with an error, so the caller keeps the events', async () => {
    topic.status = 500;
    await expect(publisher().publish([event(1)])).rejects.toThrow();
    topic.status = 401;
    await expect(publisher().publish([event(1)])).rejects.toThrow();
  });

  it('throws when a later chunk fails, after the earlier ones went out', async () => {
    let calls = 0;
    const failing = await startTopic(
      (handler) =>
        createHttpServer((req, res) => {
          calls++;
          if (calls === 2) {
            req.resume();
            res.writeHead(503).end();
            return;
          }
          handler(req, res);
        }),
      'http',
    );
    try {
      const client = createEventGridPublisher({ endpoint: failing.endpoint, key: KEY, clientOptions: noRetries, maxEventsPerRequest: 2 });
      await expect(client.publish([event(1), event(2), event(3), event(4), event(5)])).rejects.toThrow();
      expect(calls).toBe(2);
      expect(failing.requests).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });

  it('adds /api/events to a bare topic endpoint', async () => {
    await publisher({ endpoint: topic.endpoint.replace('/api/events', '') }).publish([event(1)]);
    expect(topic.requests[0]?.url).toMatch(/^\/api\/events\?/);
  });

  it('honours smaller limits', async () => {
    await publisher({ maxEventsPerRequest: 3 }).publish(Array.from({ length: 7 }, (_, n) => event(n)));
    expect(topic.requests.map((request) => (JSON.parse(request.body) as unknown[]).length)).toEqual([3, 3, 1]);
  });
});

describe('createEventGridPublisher configuration', () => {
  it.each([
    ['http to a remote host', 'http://topic.westeurope-1.eventgrid.azure.net/api/events', /must use https/],
    ['not a URL', 'topic.westeurope-1', /not a URL/],
    ['another scheme', 'ftp://127.0.0.1/api/events', /https URL/],
  ])('refuses %s', (_label, endpoint, expected) => {
    expect(() => createEventGridPublisher({ endpoint, key: KEY })).toThrow(expected);
  });

  it('refuses Entra ID over http, which the SDK would refuse at the first publish', () => {
    expect(() => createEventGridPublisher({ endpoint: 'http://127.0.0.1:1/api/events' })).toThrow(/needs an https endpoint/);
  });

  it('allows plain http only to the loopback interface', () => {
    expect(resolveTopicEndpoint('http://localhost:9000')).toEqual({ url: 'http://localhost:9000/api/events', insecureLoopback: true });
    expect(resolveTopicEndpoint('http://[::1]:9000/api/events').insecureLoopback).toBe(true);
    expect(resolveTopicEndpoint('https://t.westeurope-1.eventgrid.azure.net/api/events')).toEqual({
      url: 'https://t.westeurope-1.eventgrid.azure.net/api/events',
      insecureLoopback: false,
    });
  });
});

describe('chunkEvents', () => {
  it('keeps each chunk within the count and the byte budget', () => {
    const events = Array.from({ length: 10 }, (_, n) => event(n, { data: { padding: 'x'.repeat(1000) } }));
    const chunks = chunkEvents(events, 4, 3000);
    expect(chunks.flat()).toEqual(events);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(4);
      expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThan(3000);
    }
    expect(chunkEvents(events, 4, 1_000_000).map((chunk) => chunk.length)).toEqual([4, 4, 2]);
  });
});

/** A self-signed certificate for 127.0.0.1, made with openssl (skipped where there is none). */
function makeCertificate(): { key: Buffer; cert: Buffer } | null {
  const dir = mkdtempSync(join(tmpdir(), 'eg-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const certificate = makeCertificate();
const withTls = certificate ? describe : describe.skip;

withTls('createEventGridPublisher with an Entra ID credential over https', () => {
  let topic: TopicServer;

  beforeAll(async () => {
    topic = await startTopic((handler) => createHttpsServer({ key: certificate!.key, cert: certificate!.cert }, handler), 'https');
  });
  afterAll(() => topic.close());

  it('sends a bearer token for the Event Grid scope and no key', async () => {
    const scopes: string[][] = [];
    const credential = {
      getToken: async (scope: string | string[]) => {
        scopes.push(Array.isArray(scope) ? scope : [scope]);
        return { token: 'fake-entra-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const client = createEventGridPublisher({
      endpoint: topic.endpoint,
      credential,
      clientOptions: { ...noRetries, tlsOptions: { ca: certificate!.cert } },
    });
    await client.publish([event(1)]);

    expect(scopes).toEqual([['https://eventgrid.azure.net/.default']]);
    expect(topic.requests).toHaveLength(1);
    expect(topic.requests[0]?.headers.authorization).toBe('Bearer fake-entra-token');
    expect(topic.requests[0]?.headers['aeg-sas-key']).toBeUndefined();
    expect(JSON.parse(topic.requests[0]!.body)).toEqual([expect.objectContaining({ id: 'evt-1', specversion: '1.0' })]);
  });
});
