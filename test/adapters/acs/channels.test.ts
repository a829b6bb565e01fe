import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAcsChannels, type AcsChannelsOptions } from '../../../src/adapters/acs/channels';
import { AcsRequestError } from '../../../src/adapters/acs/sms-sender';
import type { AcsChannels } from '../../../src/domain/ports';
import { acsSandboxConnectionString, createAcsSandbox, type AcsSandbox } from '../../../src/local/acs-sandbox';
import { rejectionOf } from '../../support/rejection';

/** The real Messages REST client against the ACS sandbox over plain HTTP, every request recorded. */
const CHANNEL = '3b7e1c1a-2d4f-4e5a-9b6c-7d8e9f0a1b2c';

let sandbox: AcsSandbox;
let server: Server;
let baseUrl: string;
let requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;

beforeEach(async () => {
  requests = [];
  sandbox = createAcsSandbox({ log: () => undefined });
  server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    void sandbox.handle(req, res, req.url ?? '/');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const channelsWith = (overrides: Partial<AcsChannelsOptions> = {}): AcsChannels =>
  createAcsChannels({ connectionString: acsSandboxConnectionString(baseUrl), retry: { maxRetries: 2, retryDelayInMs: 10 }, ...overrides });

const failure = (promise: Promise<unknown>): Promise<AcsRequestError> => rejectionOf(promise, AcsRequestError);

describe('createAcsChannels against the sandbox', () => {
  it('finds a channel that exists by listing one of its templates, signed', async () => {
    sandbox.state.addChannel(CHANNEL);

    await expect(channelsWith().probe(CHANNEL)).resolves.toEqual({ exists: true });

    expect(requests).toHaveLength(1);
    const url = new URL(requests[0]!.url, baseUrl);
    expect(requests[0]!.method).toBe('GET');
    expect(url.pathname).toBe(`/messages/channels/${CHANNEL}/templates`);
    expect(Object.fromEntries(url.searchParams)).toEqual({ maxpagesize: '1', 'api-version': '2024-08-30' });
    expect(requests[0]!.headers.authorization).toMatch(/^HMAC-SHA256 SignedHeaders=.+&Signature=.+$/);
    expect(sandbox.state.calls).toMatchObject({ templates: 1, unauthorized: 0 });
  });

  it('matches the channel id case-insensitively and ignores surrounding blanks', async () => {
    sandbox.state.addChannel(CHANNEL.toUpperCase());
    await expect(channelsWith().probe(` ${CHANNEL} `)).resolves.toEqual({ exists: true });
  });

  it('answers gone once the channel is removed (ACS answers 404 { error: { code } }), with the status and code', async () => {
    sandbox.state.addChannel(CHANNEL);
    const channels = channelsWith();
    await expect(channels.probe(CHANNEL)).resolves.toEqual({ exists: true });

    sandbox.state.removeChannel(CHANNEL);

    await expect(channels.probe(CHANNEL)).resolves.toEqual({ exists: false, status: 404, code: 'NotFound' });
    expect(sandbox.state.calls.templates).toBe(2);
  });

  it('answers gone for a 404 in problem-details shape { type, title, status, traceId }, naming its title', async () => {
    sandbox.state.channelNotFoundShape = 'problem-details';

    await expect(channelsWith().probe(CHANNEL)).resolves.toEqual({ exists: false, status: 404, code: 'Not Found' });
  });

  it('answers gone for an unknown channel', async () => {
    await expect(channelsWith().probe('00000000-0000-0000-0000-000000000000')).resolves.toEqual({ exists: false, status: 404, code: 'NotFound' });
  });

  it('answers gone for an id that is not a GUID, without calling ACS', async () => {
    const channels = channelsWith();
    for (const id of ['', 'not-a-guid', '../../sms', `${CHANNEL}/x`, `${CHANNEL}x`]) {
      await expect(channels.probe(id)).resolves.toEqual({ exists: false, status: null, code: null });
    }
    expect(requests).toHaveLength(0);
  });

  it('retries one 5xx through the SDK', async () => {
    sandbox.state.addChannel(CHANNEL);
    sandbox.state.failNext({ route: 'templates', status: 500 });

    await expect(channelsWith().probe(CHANNEL)).resolves.toEqual({ exists: true });
    expect(sandbox.state.calls).toMatchObject({ templates: 2, injectedFailures: 1 });
  });

  it('throws a transient error naming the status when ACS keeps failing', async () => {
    sandbox.state.addChannel(CHANNEL);
    sandbox.state.failNext({ route: 'templates', status: 500, times: 10 });

    const error = await failure(channelsWith({ retry: { maxRetries: 1, retryDelayInMs: 10 } }).probe(CHANNEL));

    expect(error.facts).toEqual({ operation: 'list-templates', status: 500, code: 'InternalServerError', transient: true });
    expect(error.message).toContain('HTTP 500');
    expect(sandbox.state.calls.templates).toBe(2);
  });

  it('throws a non-transient error for a refused credential (401/403 are not "no such channel")', async () => {
    sandbox.state.addChannel(CHANNEL);
    sandbox.state.failNext({ route: 'templates', status: 403 });

    const error = await failure(channelsWith().probe(CHANNEL));

    expect(error.facts).toEqual({ operation: 'list-templates', status: 403, code: 'Forbidden', transient: false });
  });

  it('gives up after timeoutMs when ACS does not answer', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const channels = createAcsChannels({ connectionString: acsSandboxConnectionString(url), timeoutMs: 200, retry: { maxRetries: 0 } });
      const error = await failure(channels.probe(CHANNEL));
      expect(error.facts).toEqual({ operation: 'list-templates', code: 'Timeout', transient: true });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('works under a mount prefix, as the local host serves the sandbox', async () => {
    const prefixed = createServer((req, res) => {
      const target = req.url ?? '/';
      if (!target.startsWith('/acs-sandbox/')) {
        res.writeHead(404).end();
        return;
      }
      void sandbox.handle(req, res, target.slice('/acs-sandbox'.length));
    });
    await new Promise<void>((resolve) => prefixed.listen(0, '127.0.0.1', resolve));
    try {
      sandbox.state.addChannel(CHANNEL);
      const url = `http://localhost:${(prefixed.address() as AddressInfo).port}/acs-sandbox`;
      const channels = createAcsChannels({ connectionString: acsSandboxConnectionString(url) });
      await expect(channels.probe(CHANNEL)).resolves.toEqual({ exists: true });
    } finally {
      prefixed.closeAllConnections();
      await new Promise<void>((resolve) => prefixed.close(() => resolve()));
    }
  });

  it('does not take a bare 404 (a proxy, a wrong endpoint path) for a missing channel', async () => {
    sandbox.state.addChannel(CHANNEL);
    const bare = createServer((_req, res) => void res.writeHead(404).end());
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
      const proxy = createAcsChannels({ connectionString: acsSandboxConnectionString(url) });
      const error = await failure(proxy.probe(CHANNEL));
      expect(error.facts).toEqual({ operation: 'list-templates', status: 404, transient: false });
      expect(error.message).toContain('without an ACS error body');
    } finally {
      bare.closeAllConnections();
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });

  it('does not take a 404 whose JSON body is not an ACS error (no error.code, no problem-details status) for a missing channel', async () => {
    const bodies = ['{}', '{"error":{"message":"no code"}}', '{"title":"Not Found"}', '"Not Found"', '<html>Not Found</html>'];
    let served = 0;
    const server404 = createServer((_req, res) => void res.writeHead(404, { 'content-type': 'application/json' }).end(bodies[served++ % bodies.length]));
    await new Promise<void>((resolve) => server404.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server404.address() as AddressInfo).port}`;
      const proxy = createAcsChannels({ connectionString: acsSandboxConnectionString(url), retry: { maxRetries: 0 } });
      for (let i = 0; i < bodies.length; i += 1) {
        const error = await failure(proxy.probe(CHANNEL));
        expect(error.facts).toMatchObject({ operation: 'list-templates', status: 404, transient: false });
      }
      expect(served).toBe(bodies.length);
    } finally {
      server404.closeAllConnections();
      await new Promise<void>((resolve) => server404.close(() => resolve()));
    }
  });

  it('validates its settings at creation', () => {
    expect(() => createAcsChannels({})).toThrow(/ACS_CONNECTION_STRING or ACS_ENDPOINT/);
    expect(() => createAcsChannels({ connectionString: 'endpoint=http://10.0.0.5/;accesskey=YQ==' })).toThrow(/https/);
  });
});
