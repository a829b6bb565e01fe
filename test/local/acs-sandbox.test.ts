import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAcsChannels } from '../../src/adapters/acs/channels';
import { createAcsSmsSender } from '../../src/adapters/acs/sms-sender';
import {
  acsSandboxConnectionString,
  ACS_SANDBOX_ACCESS_KEY,
  ACS_SANDBOX_API_VERSIONS,
  createAcsSandbox,
  type AcsSandbox,
  type SandboxSms,
} from '../../src/local/acs-sandbox';
import { eventually } from '../support/eventually';
import { jsonCall, type JsonAnswer } from '../support/json-call';

/** The ACS sandbox over HTTP, the way e2e tests and curl see it. */
const CHANNEL = '5c0ffee0-1234-4abc-8def-0123456789ab';
const AUTH = { Authorization: 'HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=anything' };

let sandbox: AcsSandbox;
let server: { url: string; close(): Promise<void> };
let logLines: string[];
let smsSent: SandboxSms[];

type Answer = JsonAnswer;

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
  jsonCall(server.url, method, path, body, headers);

const templates = (id: string, headers: Record<string, string> = AUTH) =>
  call('GET', `/messages/channels/${id}/templates?api-version=2024-08-30`, undefined, headers);

const smsBody = (to: string, extra: Record<string, unknown> = {}) => ({
  from: '+18005550100',
  smsRecipients: [{ to, repeatabilityRequestId: crypto.randomUUID(), repeatabilityFirstSent: new Date().toUTCString() }],
  message: 'hello',
  smsSendOptions: { enableDeliveryReport: true, tag: 'sms-probe:r1' },
  ...extra,
});

beforeEach(async () => {
  logLines = [];
  smsSent = [];
  sandbox = createAcsSandbox({ log: (line) => logLines.push(line), onSmsSent: (sms) => void smsSent.push(sms) });
  server = await sandbox.listen(0);
});

afterEach(async () => {
  await server.close();
});

describe('ACS sandbox control routes', () => {
  it('adds and removes channels, which the templates route then answers 200 or 404', async () => {
    expect((await templates(CHANNEL)).status).toBe(404);

    const added = await call('POST', `/_sandbox/channels/${CHANNEL.toUpperCase()}`);
    expect(added).toMatchObject({ status: 201, body: { channelRegistrationId: CHANNEL } });
    const listed = await templates(CHANNEL);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      value: [expect.objectContaining({ kind: 'whatsApp', name: expect.any(String), language: 'en_US', status: 'approved' })],
    });

    const removed = await call('DELETE', `/_sandbox/channels/${CHANNEL}`);
    expect(removed).toMatchObject({ status: 200, body: { removed: true } });
    const gone = await templates(CHANNEL);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: { code: 'NotFound', message: expect.stringContaining(CHANNEL) } });
    expect(gone.headers.get('x-ms-error-code')).toBe('NotFound');

    expect((await call('DELETE', `/_sandbox/channels/${CHANNEL}`)).status).toBe(404);
  });

  it('refuses a channel id that is not a GUID', async () => {
    const answer = await call('POST', '/_sandbox/channels/not-a-guid');
    expect(answer).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('GUID') } } });
  });

  it('shows the state: channels, failing numbers, SMS sent with bodies, counters', async () => {
    await call('POST', `/_sandbox/channels/${CHANNEL}`);
    await call('POST', '/_sandbox/failing-numbers/+1 425 555 0199');
    await call('POST', '/_sandbox/undeliverable-numbers/14255550188');
    await call('POST', '/sms?api-version=2021-03-07', smsBody('+14255550123'), AUTH);
    await templates(CHANNEL);

    const state = await call('GET', '/_sandbox/state');

    expect(state.status).toBe(200);
    expect(state.body).toEqual({
      channels: [CHANNEL],
      channelNotFoundShape: 'error',
      failingNumbers: ['+14255550199'],
      undeliverableNumbers: ['+14255550188'],
      sent: [expect.objectContaining({ to: '+14255550123', message: 'hello', tag: 'sms-probe:r1', enableDeliveryReport: true })],
      calls: { sms: 1, templates: 1, unauthorized: 0, injectedFailures: 0 },
      pendingFailures: [],
    });
  });

  it('resets everything', async () => {
    await call('POST', `/_sandbox/channels/${CHANNEL}`);
    await call('POST', '/sms?api-version=2021-03-07', smsBody('+14255550123'), AUTH);
    const reset = await call('POST', '/_sandbox/reset');
    expect(reset.body).toMatchObject({ channels: [], sent: [], calls: { sms: 0, templates: 0 } });
  });

  it('injects failures for the next calls and clears them', async () => {
    await call('POST', `/_sandbox/channels/${CHANNEL}`);
    expect(await call('POST', '/_sandbox/fail-next', { route: 'templates', status: 503, times: 2 })).toMatchObject({
      status: 201,
      body: { pendingFailures: 1 },
    });

    const first = await templates(CHANNEL);
    expect(first).toMatchObject({ status: 503, body: { error: { code: 'ServiceUnavailable' } } });
    expect((await templates(CHANNEL)).status).toBe(503);
    expect((await templates(CHANNEL)).status).toBe(200);

    await call('POST', '/_sandbox/fail-next', { code: 'Boom', message: 'no' });
    await call('DELETE', '/_sandbox/fail-next');
    expect((await templates(CHANNEL)).status).toBe(200);

    expect((await call('POST', '/_sandbox/fail-next', { route: 'nope' })).status).toBe(400);
    expect((await call('POST', '/_sandbox/fail-next', '{oops')).status).toBe(400);
  });

  it('answers 404 for an unknown control route', async () => {
    expect((await call('GET', '/_sandbox/nothing')).status).toBe(404);
    expect((await call('PUT', `/_sandbox/channels/${CHANNEL}`)).status).toBe(404);
  });
});

describe('ACS sandbox service routes', () => {
  it('requires an Authorization header and an api-version', async () => {
    await call('POST', `/_sandbox/channels/${CHANNEL}`);
    expect((await templates(CHANNEL, {})).status).toBe(401);
    expect((await call('POST', '/sms?api-version=2021-03-07', smsBody('+14255550123'))).status).toBe(401);
    const noVersion = await call('GET', `/messages/channels/${CHANNEL}/templates`, undefined, AUTH);
    expect(noVersion).toMatchObject({ status: 400, body: { error: { code: 'MissingApiVersionParameter' } } });
    expect(sandbox.state.calls.unauthorized).toBe(2);
  });

  it('serves only the api-version each route is called with by the installed SDK, refusing others as Azure services do', async () => {
    await call('POST', `/_sandbox/channels/${CHANNEL}`);
    // The preview that renamed maxpagesize to maxPageSize, a made-up date, the other route's version.
    for (const version of ['2025-09-01-preview', '2099-01-01', '2021-03-07']) {
      const answer = await call('GET', `/messages/channels/${CHANNEL}/templates?api-version=${version}&maxPageSize=1`, undefined, AUTH);
      expect(answer).toMatchObject({
        status: 400,
        body: { error: { code: 'UnsupportedApiVersionValue', message: `Unsupported api-version '${version}'. The supported api-versions are '2024-08-30'.` } },
      });
      expect(answer.headers.get('x-ms-error-code')).toBe('UnsupportedApiVersionValue');
    }
    for (const version of ['2024-08-30', '2026-01-23']) {
      const answer = await call('POST', `/sms?api-version=${version}`, smsBody('+14255550123'), AUTH);
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'UnsupportedApiVersionValue' } } });
    }
    expect(sandbox.state.sent).toEqual([]);
    expect(ACS_SANDBOX_API_VERSIONS).toEqual({ sms: ['2021-03-07'], templates: ['2024-08-30'] });
  });

  it('serves exactly the api-versions the SDK clients in package-lock.json send', async () => {
    const seen: string[] = [];
    const recording = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      seen.push(`${url.pathname.startsWith('/sms') ? 'sms' : 'templates'} ${url.searchParams.get('api-version')}`);
      void sandbox.handle(req, res, req.url ?? '/');
    });
    await new Promise<void>((resolve) => recording.listen(0, '127.0.0.1', resolve));
    try {
      const connectionString = acsSandboxConnectionString(`http://127.0.0.1:${(recording.address() as AddressInfo).port}`);
      sandbox.state.addChannel(CHANNEL);
      await expect(createAcsChannels({ connectionString }).probe(CHANNEL)).resolves.toEqual({ exists: true });
      await expect(createAcsSmsSender({ connectionString }).send({ from: '+18005550100', to: '+14255550123', message: 'hi', tag: 't' })).resolves.toEqual({
        messageId: expect.any(String),
      });
    } finally {
      recording.closeAllConnections();
      await new Promise<void>((resolve) => recording.close(() => resolve()));
    }
    expect(seen).toEqual([`templates ${ACS_SANDBOX_API_VERSIONS.templates.join()}`, `sms ${ACS_SANDBOX_API_VERSIONS.sms.join()}`]);
  });

  it('answers a removed channel 404 in the shape chosen: ACS error body or problem details', async () => {
    expect(await templates(CHANNEL)).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });

    expect(await call('POST', '/_sandbox/channel-not-found-shape', { shape: 'problem-details' })).toMatchObject({
      status: 200,
      body: { shape: 'problem-details' },
    });
    const problem = await templates(CHANNEL);
    expect(problem.status).toBe(404);
    expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(problem.body).toEqual({
      type: 'https://tools.ietf.org/html/rfc9110#section-15.5.5',
      title: 'Not Found',
      status: 404,
      traceId: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/),
    });

    expect((await call('POST', '/_sandbox/channel-not-found-shape', { shape: 'html' })).status).toBe(400);
    await call('POST', '/_sandbox/reset');
    expect((await templates(CHANNEL)).body).toMatchObject({ error: { code: 'NotFound' } });
  });

  it('answers an injected bare failure with no body at all', async () => {
    await call('POST', '/_sandbox/fail-next', { route: 'templates', status: 404, bare: true });
    const answer = await fetch(`${server.url}/messages/channels/${CHANNEL}/templates?api-version=2024-08-30`, { headers: AUTH });
    expect(answer.status).toBe(404);
    expect(await answer.text()).toBe('');
  });

  it('pairs the repeatability fields as the spec does: an id needs an RFC 1123 first-sent date, a date needs an id', async () => {
    const rejected = (to: string) => ({ to, httpStatusCode: 400, repeatabilityResult: 'rejected', successful: false, errorMessage: expect.any(String) });
    const id = () => crypto.randomUUID();
    const body = smsBody('+14255550101');
    body.smsRecipients = [
      { to: '+14255550101', repeatabilityRequestId: id() } as (typeof body.smsRecipients)[number],
      { to: '+14255550102', repeatabilityRequestId: id(), repeatabilityFirstSent: new Date().toISOString() },
      { to: '+14255550103', repeatabilityRequestId: id(), repeatabilityFirstSent: 'Mon, 32 Apr 2019 06:22:03 GMT' },
      { to: '+14255550104', repeatabilityFirstSent: new Date().toUTCString() } as (typeof body.smsRecipients)[number],
      { to: '+14255550105' } as (typeof body.smsRecipients)[number],
      { to: '+14255550106', repeatabilityRequestId: id(), repeatabilityFirstSent: 'Mon, 01 Apr 2019 06:22:03 GMT' },
    ];

    const answer = await call('POST', '/sms?api-version=2021-03-07', body, AUTH);

    expect(answer.status).toBe(202);
    expect(answer.body.value).toEqual([
      rejected('+14255550101'),
      rejected('+14255550102'),
      rejected('+14255550103'),
      rejected('+14255550104'),
      { to: '+14255550105', messageId: expect.stringMatching(/^Outgoing_/), httpStatusCode: 202, successful: true },
      { to: '+14255550106', messageId: expect.stringMatching(/^Outgoing_/), httpStatusCode: 202, repeatabilityResult: 'accepted', successful: true },
    ]);
    expect(answer.body.value[0].errorMessage).toMatch(/repeatability-first-sent.*RFC1123/);
    expect(answer.body.value[3].errorMessage).toMatch(/without repeatability-request-id/);
    expect(smsSent.map((sms) => sms.to)).toEqual(['+14255550105', '+14255550106']);
  });

  it('accepts an SMS with 202 and calls onSmsSent after answering', async () => {
    const answer = await call('POST', '/sms?api-version=2021-03-07', smsBody('+14255550123'), AUTH);

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      value: [{ to: '+14255550123', messageId: expect.stringMatching(/^Outgoing_/), httpStatusCode: 202, repeatabilityResult: 'accepted', successful: true }],
    });
    expect(smsSent).toEqual([
      expect.objectContaining({
        messageId: answer.body.value[0].messageId,
        from: '+18005550100',
        to: '+14255550123',
        message: 'hello',
        tag: 'sms-probe:r1',
        deliveryReport: { status: 'Delivered', details: expect.any(String) },
      }),
    ]);
  });

  it('reports a Failed delivery for an undeliverable number, and no report when none was asked for', async () => {
    sandbox.state.failDelivery('+14255550188');
    await call('POST', '/sms?api-version=2021-03-07', smsBody('+14255550188'), AUTH);
    await call('POST', '/sms?api-version=2021-03-07', smsBody('+14255550123', { smsSendOptions: { enableDeliveryReport: false } }), AUTH);

    expect(smsSent.map((sms) => [sms.to, sms.tag, sms.deliveryReport?.status ?? null])).toEqual([
      ['+14255550188', 'sms-probe:r1', 'Failed'],
      ['+14255550123', null, null],
    ]);
  });

  it('answers successful: false per recipient for failing and malformed numbers', async () => {
    sandbox.state.failNumber('+14255550199');
    const body = smsBody('+14255550199');
    body.smsRecipients.push({ to: '4255550123', repeatabilityRequestId: crypto.randomUUID(), repeatabilityFirstSent: new Date().toUTCString() });
    body.smsRecipients.push({ to: '+14255550123', repeatabilityRequestId: crypto.randomUUID(), repeatabilityFirstSent: new Date().toUTCString() });

    const answer = await call('POST', '/sms?api-version=2021-03-07', body, AUTH);

    expect(answer.status).toBe(202);
    expect(answer.body.value).toEqual([
      { to: '+14255550199', httpStatusCode: 400, successful: false, errorMessage: expect.any(String) },
      { to: '4255550123', httpStatusCode: 400, successful: false, errorMessage: 'Invalid To phone number format.' },
      expect.objectContaining({ to: '+14255550123', httpStatusCode: 202, successful: true }),
    ]);
    expect(smsSent.map((sms) => sms.to)).toEqual(['+14255550123']);
    // Logs mask numbers, as the service's own logs do.
    expect(logLines.join('\n')).not.toContain('14255550199');
  });

  it('refuses a malformed SMS request with an ACS error body', async () => {
    const bad = await call('POST', '/sms?api-version=2021-03-07', { from: '+18005550100', message: 'x' }, AUTH);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'BadRequest', message: expect.stringContaining('smsRecipients') } } });
    expect((await call('POST', '/sms?api-version=2021-03-07', 'not json', AUTH)).status).toBe(400);
    expect((await call('GET', '/sms?api-version=2021-03-07', undefined, AUTH)).status).toBe(405);
    expect((await call('GET', '/messages/other?api-version=1', undefined, AUTH)).status).toBe(404);
  });

  it('keeps serving when onSmsSent throws', async () => {
    const failing = createAcsSandbox({
      log: (line) => logLines.push(line),
      onSmsSent: () => {
        throw new Error('host down');
      },
    });
    const other = await failing.listen(0);
    try {
      const response = await fetch(`${other.url}/sms?api-version=2021-03-07`, {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'application/json' },
        body: JSON.stringify(smsBody('+14255550123')),
      });
      expect(response.status).toBe(202);
      await eventually(() => expect(logLines.some((line) => line.includes('onSmsSent failed') && line.includes('host down'))).toBe(true));
    } finally {
      await other.close();
    }
  });

  it('builds connection strings the adapters accept', () => {
    expect(acsSandboxConnectionString('http://127.0.0.1:7071/acs-sandbox/')).toBe(
      `endpoint=http://127.0.0.1:7071/acs-sandbox/;accesskey=${ACS_SANDBOX_ACCESS_KEY}`,
    );
    expect(Buffer.from(ACS_SANDBOX_ACCESS_KEY, 'base64').toString('base64')).toBe(ACS_SANDBOX_ACCESS_KEY);
  });
});
