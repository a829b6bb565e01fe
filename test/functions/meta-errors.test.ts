import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetaSandbox, SEED_BUSINESS, SEED_WABA, type MetaSandbox } from '../../src/local/meta-sandbox';
import { startAppHarness, TEST_META_APP, type AppHarness } from '../support/app-harness';
import { smsReceived, whatsAppSms } from '../support/events';
import { registerUpTo, testClock } from '../support/onboarding';

/**
 * Meta's errors as Meta documents them (docs/meta-graph.md "Errors"): "our request was refused" is not
 * "not found", an add-number retry that finds the number already there continues with it, and
 * reconcile keeps the app subscribed to each WABA. Meta is the sandbox over HTTP.
 */
let app: AppHarness;
const clock = testClock();
afterEach(() => app?.close());

/** Meta's answer to an unknown field: code 100 without a subcode (the document's 400 example). */
const malformed = { code: 100, message: '(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessAccount)' };

const registration = async (id: string) => (await app.call('getRegistration', { params: { id } })).json;
const history = async (id: string) => (await app.call('getRegistrationHistory', { params: { id } })).json.items as Array<Record<string, unknown>>;
const latestRun = async () => (await app.call('listReconcileRuns', { query: { limit: '1' } })).json.items[0];

describe('a request Meta refuses as malformed (code 100 without subcode)', () => {
  beforeEach(async () => {
    app = await startAppHarness({ services: { clock, reconcileOptions: { budgetMs: 60_000, concurrency: 4 } } });
  });

  it('answers 502 meta-request-refused on PUT business-account, changes nothing, and logs Meta’s message once', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const before = await registration(id);
    app.sandbox.state.failNext('get_business', malformed, 1);
    const response = await app.call('selectBusinessAccount', { params: { id }, body: { businessId: SEED_BUSINESS.id } });
    const logs = response.logs;
    expect(response.status).toBe(502);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.json).toMatchObject({ code: 'meta-request-refused', status: 502 });
    expect(response.text).not.toContain('business-not-found');
    const after = await registration(id);
    expect(after).toEqual(before);
    expect(await history(id)).toHaveLength(1);
    expect(logs.filter((line) => line.includes('nonexisting field (colour)'))).toHaveLength(1);
    // One attempt: a malformed request is not retried.
    expect(app.sandbox.state.calls('get_business')).toBe(1);
  });

  it('answers 502 on PUT whatsapp-profile instead of meta-waba-not-found', async () => {
    const { id } = await registerUpTo(app, 'BusinessAccountSelected');
    app.sandbox.state.failNext('get_waba', malformed, 1);
    const response = await app.call('selectWhatsAppProfile', {
      params: { id },
      body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: 'Contoso Bikes' },
    });
    expect(response.status).toBe(502);
    expect(response.json.code).toBe('meta-request-refused');
    expect((await registration(id)).stage).toBe('BusinessAccountSelected');
  });

  it('on reconcile revokes nothing, and the WABA is not read again every run (a growing, capped wait)', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Refused' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const status = (await registration(id)).status;
    const entries = (await history(id)).length;
    app.sandbox.state.failNext('get_waba', malformed, 10);
    app.sandbox.state.resetCalls();

    const logs = await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(1);
    expect(logs.filter((line) => line.includes('nonexisting field (colour)'))).toHaveLength(1);
    const refused = await registration(id);
    expect(refused.status).toBe(status);
    expect(refused.needsAttention).toMatchObject({ reason: 'meta-request-refused', operation: 'read WABA' });
    expect(await latestRun()).toMatchObject({ needsAttention: 1, changed: 0 });

    // Three more runs within the hour: none reads the WABA.
    for (let run = 0; run < 3; run += 1) {
      clock.advance(15 * 60);
      await app.runTimer('reconcile');
    }
    expect(app.sandbox.state.calls('get_waba')).toBe(1);
    expect(await latestRun()).toMatchObject({ needsAttention: 1 });

    // After the first wait (1 h) it is read once more; refused again, the next wait is 2 h.
    clock.advance(16 * 60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(2);
    clock.advance(60 * 60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(2);
    expect((await registration(id)).status).toBe(status);
    expect(await history(id)).toHaveLength(entries);

    // Once Meta answers, the mark goes away.
    app.sandbox.state.clearFailures();
    clock.advance(2 * 60 * 60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(3);
    expect((await registration(id)).needsAttention).toBeUndefined();
    expect((await latestRun()).needsAttention).toBeUndefined();
  });

  it('drops an SMS whose code Meta refuses to verify as malformed (no redelivery loop), with Meta’s message in the log', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs' });
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    app.sandbox.state.failNext('verify_code', { code: 100, message: '(#100) Param code_method is not expected here' }, 1);
    const delivery = await app.deliver('smsEvents', smsReceived(phoneNumber, whatsAppSms(code)));
    expect(delivery.status).toBe(202);
    expect(delivery.logs.join('\n')).toContain('Param code_method is not expected here');
    expect(delivery.logs.join('\n')).not.toContain(code);
    expect((await registration(id)).stage).toBe('CodeRequested');
  });

  it('after a verified code, a refused WABA read defers registration with Meta by a growing wait, not every hour forever', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Refused later' });
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { wabaId: waba.id });
    app.sandbox.state.failNext('get_waba', malformed, 10);
    app.sandbox.state.resetCalls();
    const submitted = await app.call('submitVerificationCode', { params: { id }, body: { code: app.sandbox.state.lastCode(phoneNumber)! } });
    expect(submitted.json.stage).toBe('CodeVerified');
    expect(submitted.json.needsAttention).toMatchObject({ reason: 'meta-request-refused' });
    const firstWait = Date.parse(submitted.json.metaRegistration.retryNotBefore) - clock.now().getTime();
    expect(firstWait).toBe(60 * 60_000);
    expect(app.sandbox.state.calls('get_waba')).toBe(1);

    // Runs within the wait make no Graph call for this WABA.
    await app.runTimer('reconcile');
    clock.advance(30 * 60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(1);

    // After it, one read; refused again, the wait doubles.
    clock.advance(31 * 60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(2);
    clock.advance(61 * 60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(2);
    expect((await registration(id)).stage).toBe('CodeVerified');
  });
});

describe('404 with code 803 (the document’s "not found")', () => {
  beforeEach(async () => {
    app = await startAppHarness({ services: { clock, reconcileOptions: { budgetMs: 60_000, concurrency: 4 } } });
  });

  it('is a missing WABA: Revoked after two reads in a row, as 100/33', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Gone' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const notFound = { code: 803, message: 'WhatsApp Business Account not found', type: 'GraphMethodException' };
    app.sandbox.state.failNext('get_waba', notFound, { times: 1, httpStatus: 404 });
    await app.runTimer('reconcile');
    expect((await registration(id)).status).toBe('DisplayNameReviewPending');
    app.sandbox.state.failNext('get_waba', notFound, { times: 1, httpStatus: 404 });
    clock.advance(60);
    await app.runTimer('reconcile');
    expect((await registration(id)).status).toBe('Revoked');
  });

  it('answers 422 meta-waba-not-found on PUT whatsapp-profile', async () => {
    const { id } = await registerUpTo(app, 'BusinessAccountSelected');
    app.sandbox.state.failNext('get_waba', { code: 803, message: 'WhatsApp Business Account not found' }, { times: 1, httpStatus: 404 });
    const response = await app.call('selectWhatsAppProfile', {
      params: { id },
      body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: 'Contoso Bikes' },
    });
    expect(response.status).toBe(422);
    expect(response.json.code).toBe('meta-waba-not-found');
  });
});

describe('subscription kept by reconcile', () => {
  beforeEach(async () => {
    app = await startAppHarness({ services: { clock, reconcileOptions: { budgetMs: 60_000, concurrency: 4 } } });
  });

  it('restores a missing subscription once per WABA, records it in each registration’s history, and checks once per WABA per run', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Unsubscribed' });
    const first = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const second = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const other = app.sandbox.state.addWaba({ name: 'Subscribed' });
    const third = await registerUpTo(app, 'Connected', { wabaId: other.id });
    const before = { first: (await history(first.id)).length, third: (await history(third.id)).length };
    app.sandbox.state.waba(waba.id)!.subscribedApp = false;
    app.sandbox.state.resetCalls();

    await app.runTimer('reconcile');
    expect(app.sandbox.state.waba(waba.id)!.subscribedApp).toBe(true);
    expect(app.sandbox.state.calls('get_waba')).toBe(2);
    expect(app.sandbox.state.calls('list_subscribed_apps')).toBe(1);
    expect(app.sandbox.state.calls('subscribe_app')).toBe(1);
    for (const { id } of [first, second]) {
      const entry = (await history(id)).at(-1)!;
      expect(entry).toMatchObject({ cause: 'reconcile', actor: 'system', from: entry.to, detail: expect.stringContaining('restored') });
    }
    expect(await history(first.id)).toHaveLength(before.first + 1);
    expect(await history(third.id)).toHaveLength(before.third);
    expect(await latestRun()).toMatchObject({ subscriptionsRestored: 1, changed: 0 });

    // Subscribed again: the next run costs one read per WABA and records nothing.
    clock.advance(60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(4);
    expect(app.sandbox.state.calls('list_subscribed_apps')).toBe(1);
    expect(app.sandbox.state.calls('subscribe_app')).toBe(1);
    expect(await history(first.id)).toHaveLength(before.first + 1);
  });
});

/**
 * Forwards to the sandbox, except that `intercept` may answer a request itself (after forwarding it
 * or not): how an answer lost on the way, or Meta's 409, is played without changing the sandbox.
 */
async function proxy(
  target: string,
  intercept: (req: IncomingMessage, body: string, forward: () => Promise<{ status: number; body: string }>) => Promise<{ status: number; body: string } | null>,
) {
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const forward = async () => {
        const answer = await fetch(new URL(req.url ?? '/', target), {
          method: req.method ?? 'GET',
          headers: { ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), 'content-type': 'application/json' },
          ...(body ? { body } : {}),
        });
        return { status: answer.status, body: await answer.text() };
      };
      void (async () => {
        const answer = (await intercept(req, body, forward)) ?? (await forward());
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("request_code's language (Meta's pattern ^[a-z]{2}_[A-Z]{2}$)", () => {
  beforeEach(async () => {
    app = await startAppHarness({ services: { clock } });
  });

  it.each(['en', 'EN_us', 'eng_US', 'en-US'])('refuses %s with 400 validation-failed before calling Meta', async (language) => {
    const { id } = await registerUpTo(app, 'ProfileSelected');
    app.sandbox.state.resetCalls();
    const response = await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS', language } });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ code: 'validation-failed', errors: [expect.objectContaining({ path: 'language' })] });
    expect(app.sandbox.state.calls('request_code')).toBe(0);
    expect((await registration(id)).stage).toBe('ProfileSelected');
  });

  it('sends en_US when none is given, and a valid one as given', async () => {
    const { id } = await registerUpTo(app, 'ProfileSelected');
    const response = await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } });
    expect(response.status).toBe(202);
    expect(response.json.verification).toMatchObject({ language: 'en_US' });
    const other = await registerUpTo(app, 'ProfileSelected');
    const answered = await app.call('requestVerificationCode', { params: { id: other.id }, body: { method: 'VOICE', language: 'pt_BR' } });
    expect(answered.json.verification).toMatchObject({ language: 'pt_BR' });
  });
});

describe('adding the number again when it is already on the WABA', () => {
  let meta: MetaSandbox;
  let metaServer: { url: string; close(): Promise<void> } | undefined;
  let front: { url: string; close(): Promise<void> } | undefined;
  afterEach(async () => {
    await front?.close();
    await metaServer?.close();
    front = metaServer = undefined;
  });

  it.each([
    ['the retry of an add whose answer was lost (Meta: 400, code 100)', 'lost-answer'],
    ['Meta answering 409 with code 100', 'conflict'],
  ] as const)('%s continues with the number found on the WABA', async (_name, how) => {
    meta = createMetaSandbox({ log: () => undefined, app: TEST_META_APP });
    metaServer = await meta.listen(0);
    let adds = 0;
    const backend = metaServer.url;
    front = await proxy(backend, async (req, _body, forward) => {
      if (req.method !== 'POST' || !/\/phone_numbers$/.test(new URL(req.url ?? '/', 'http://x').pathname)) return null;
      adds += 1;
      if (adds > 1) return null;
      // Meta adds the number, but this service does not get to see that answer.
      await forward();
      return how === 'lost-answer'
        ? { status: 500, body: JSON.stringify({ error: { code: 2, is_transient: true, message: 'An unexpected error has occurred.' } }) }
        : {
            status: 409,
            body: JSON.stringify({ error: { code: 100, type: 'OAuthException', message: 'Phone number is already registered with WhatsApp Business' } }),
          };
    });
    app = await startAppHarness({ env: { META_GRAPH_URL: front.url } });
    const { id, phoneNumber } = await registerUpTo(app, 'BusinessAccountSelected');
    const response = await app.call('selectWhatsAppProfile', {
      params: { id },
      body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: 'Contoso Bikes' },
    });
    expect(response.status).toBe(200);
    expect(response.json.stage).toBe('ProfileSelected');
    expect(response.json.phoneNumberId).toBe(meta.state.phoneNumber(phoneNumber)!.id);
    // The lost answer is retried by the client (Meta then says "already there"); Meta's 409 is not.
    expect(adds).toBe(how === 'lost-answer' ? 2 : 1);
  });

  it('a number live on another WABA is still 409 phone-number-locked', async () => {
    app = await startAppHarness();
    const elsewhere = app.sandbox.state.addWaba({ name: 'Elsewhere' });
    const { id, phoneNumber } = await registerUpTo(app, 'BusinessAccountSelected');
    app.sandbox.state.addPhoneNumber(elsewhere.id, phoneNumber);
    const response = await app.call('selectWhatsAppProfile', {
      params: { id },
      body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: 'Contoso Bikes' },
    });
    expect(response.status).toBe(409);
    expect(response.json.code).toBe('phone-number-locked');
  });
});
