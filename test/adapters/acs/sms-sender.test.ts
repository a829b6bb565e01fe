import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { AcsRequestError, createAcsSmsSender, type AcsClientOptions } from '../../../src/adapters/acs/sms-sender';
import type { SmsSender } from '../../../src/domain/ports';
import { acsSandboxConnectionString, createAcsSandbox, type AcsSandbox, type SandboxSms } from '../../../src/local/acs-sandbox';
import { rejectionOf } from '../../support/rejection';

/**
 * The real SmsClient against the ACS sandbox over plain HTTP, mounted under a prefix the way the
 * local host mounts it, with every request the SDK makes recorded.
 */
const PREFIX = '/acs-sandbox';
const FROM = '+18005550100';
const TO = '+14255550123';
const TEXT = 'Sandbox probe: secret-ish body 42';

let sandbox: AcsSandbox;
let server: Server;
let baseUrl: string;
let requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
let delivered: SandboxSms[];

beforeEach(async () => {
  requests = [];
  delivered = [];
  sandbox = createAcsSandbox({ log: () => undefined, onSmsSent: (sms) => void delivered.push(sms) });
  server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined });
      const target = req.url ?? '/';
      if (!target.startsWith(`${PREFIX}/`)) {
        res.writeHead(404).end();
        return;
      }
      // The body was read for the record: the sandbox gets a replay of it.
      const replay = Object.assign(Readable.from([Buffer.from(text)]), { method: req.method, url: req.url, headers: req.headers });
      await sandbox.handle(replay as unknown as IncomingMessage, res, target.slice(PREFIX.length));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PREFIX}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const senderWith = (overrides: Partial<AcsClientOptions> = {}): SmsSender =>
  createAcsSmsSender({ connectionString: acsSandboxConnectionString(baseUrl), retry: { maxRetries: 2, retryDelayInMs: 10 }, ...overrides });

const failure = (promise: Promise<unknown>): Promise<AcsRequestError> => rejectionOf(promise, AcsRequestError);

describe('createAcsSmsSender against the sandbox', () => {
  it('sends one SMS with its tag and a delivery report request, signed, to POST /sms', async () => {
    const { messageId } = await senderWith().send({ from: FROM, to: TO, message: TEXT, tag: 'sms-probe:reg-1' });

    expect(messageId).toMatch(/^Outgoing_\d{14}[0-9a-f-]{36}_noam$/);
    expect(sandbox.state.sent).toEqual([
      {
        messageId,
        from: FROM,
        to: TO,
        message: TEXT,
        tag: 'sms-probe:reg-1',
        enableDeliveryReport: true,
        repeatabilityRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        sentAt: expect.any(String),
        deliveryReport: { status: 'Delivered', details: expect.any(String) },
      },
    ]);
    expect(delivered.map((sms) => sms.messageId)).toEqual([messageId]);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(`${PREFIX}/sms?api-version=2021-03-07`);
    // HMAC auth from the connection string's access key.
    expect(request!.headers.authorization).toMatch(/^HMAC-SHA256 SignedHeaders=.+&Signature=.+$/);
    expect(request!.headers['x-ms-content-sha256']).toEqual(expect.any(String));
    expect(request!.body).toEqual({
      from: FROM,
      smsRecipients: [{ to: TO, repeatabilityRequestId: expect.any(String), repeatabilityFirstSent: expect.any(String) }],
      message: TEXT,
      smsSendOptions: { enableDeliveryReport: true, tag: 'sms-probe:reg-1' },
    });
    expect(sandbox.state.calls).toMatchObject({ sms: 1, unauthorized: 0 });
  });

  it('surfaces a recipient the service refuses as a non-transient error without the message text', async () => {
    sandbox.state.failNumber(TO);

    const error = await failure(senderWith().send({ from: FROM, to: TO, message: TEXT, tag: 'sms-probe:reg-2' }));

    expect(error.facts).toEqual({ operation: 'send-sms', status: 400, transient: false });
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain('configured to fail');
    expect(error.message).not.toContain(TEXT);
    expect(error.message).not.toContain(TO);
    expect(error.message).toContain('+1425****123');
    expect(sandbox.state.sent).toHaveLength(0);
    expect(delivered).toHaveLength(0);
  });

  it('refuses a number that is not E.164 (as ACS does) with status 400', async () => {
    const error = await failure(senderWith().send({ from: FROM, to: '14255550123', message: TEXT, tag: 't' }));
    expect(error.facts.status).toBe(400);
    expect(error.message).toContain('Invalid To phone number format');
  });

  it('retries a 5xx through the SDK and sends once', async () => {
    sandbox.state.failNext({ route: 'sms', status: 503 });

    const { messageId } = await senderWith().send({ from: FROM, to: TO, message: TEXT, tag: 't' });

    expect(sandbox.state.calls).toMatchObject({ sms: 2, injectedFailures: 1 });
    expect(sandbox.state.sent.map((sms) => sms.messageId)).toEqual([messageId]);
    // The retry repeats the repeatability id, so ACS dedupes it had the first attempt gone through.
    const ids = requests.map((request) => request.body.smsRecipients[0].repeatabilityRequestId as string);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
  });

  it('throws a transient error with the status once the retries are spent', async () => {
    sandbox.state.failNext({ route: 'sms', status: 500, times: 10 });

    const error = await failure(senderWith({ retry: { maxRetries: 1, retryDelayInMs: 10 } }).send({ from: FROM, to: TO, message: TEXT, tag: 't' }));

    expect(error.facts).toMatchObject({ operation: 'send-sms', status: 500, transient: true });
    expect(error.message).toContain('HTTP 500');
    expect(error.message).not.toContain(TEXT);
    expect(sandbox.state.calls.sms).toBe(2);
  });

  it('answers a repeated repeatabilityRequestId with the first message id and sends nothing again', async () => {
    const body = JSON.stringify({
      from: FROM,
      smsRecipients: [{ to: TO, repeatabilityRequestId: '7f1e4a4e-2f7b-4a55-9a43-0d9c2f1e8b11', repeatabilityFirstSent: new Date().toUTCString() }],
      message: TEXT,
      smsSendOptions: { enableDeliveryReport: true, tag: 't' },
    });
    const post = () =>
      fetch(`${baseUrl}/sms?api-version=2021-03-07`, {
        method: 'POST',
        headers: { Authorization: 'HMAC-SHA256 x', 'Content-Type': 'application/json' },
        body,
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { value: Array<{ messageId: string }> } }));
    const first = await post();
    const second = await post();
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.value[0]!.messageId).toBe(first.body.value[0]!.messageId);
    expect(sandbox.state.sent).toHaveLength(1);
    expect(delivered).toHaveLength(1);
  });

  it('gives up after timeoutMs when ACS does not answer', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const sender = createAcsSmsSender({ connectionString: acsSandboxConnectionString(url), timeoutMs: 200, retry: { maxRetries: 0 } });
      const error = await failure(sender.send({ from: FROM, to: TO, message: TEXT, tag: 't' }));
      expect(error.facts).toEqual({ operation: 'send-sms', code: 'Timeout', transient: true });
      expect(error.message).toContain('200 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports a refused connection as transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const sender = createAcsSmsSender({ connectionString: acsSandboxConnectionString(url), retry: { maxRetries: 0 } });
    const error = await failure(sender.send({ from: FROM, to: TO, message: TEXT, tag: 't' }));
    expect(error.facts).toMatchObject({ operation: 'send-sms', transient: true, code: 'ECONNREFUSED' });
  });
});

describe('createAcsSmsSender settings', () => {
  it('needs a connection string or an endpoint', () => {
    expect(() => createAcsSmsSender({})).toThrow(/ACS_CONNECTION_STRING or ACS_ENDPOINT/);
    expect(() => createAcsSmsSender({ connectionString: '  ', endpoint: '' })).toThrow(/not configured/);
  });

  it('rejects a connection string without endpoint or access key', () => {
    expect(() => createAcsSmsSender({ connectionString: 'endpoint=https://x.communication.azure.com/' })).toThrow(/accesskey=/);
    expect(() => createAcsSmsSender({ connectionString: 'accesskey=abc' })).toThrow(/accesskey=/);
  });

  it('allows plain http only on the loopback interface', () => {
    expect(() => createAcsSmsSender({ connectionString: 'endpoint=http://acs.example.com/;accesskey=YQ==' })).toThrow(/https/);
    expect(() => createAcsSmsSender({ connectionString: 'endpoint=http://localhost:7071/acs-sandbox/;accesskey=YQ==' })).not.toThrow();
    expect(() => createAcsSmsSender({ connectionString: 'endpoint=https://x.communication.azure.com/;accesskey=YQ==' })).not.toThrow();
  });

  it('refuses an http endpoint with a token credential, which the SDK could never use', () => {
    const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };
    expect(() => createAcsSmsSender({ endpoint: 'http://127.0.0.1:1/', credential })).toThrow(/token credentials need https/);
    expect(() => createAcsSmsSender({ endpoint: 'https://x.communication.azure.com', credential })).not.toThrow();
    expect(() => createAcsSmsSender({ endpoint: 'not a url' })).toThrow(/not a URL/);
  });
});
