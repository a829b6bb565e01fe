import { SEED_WABA } from '../../src/local/meta-sandbox';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo, testClock, uniquePhoneNumber } from '../support/onboarding';

const clock = testClock();
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ services: { clock } })));
afterAll(() => app.close());

describe('onboarding through the API', () => {
  it('takes a number from sign-up to Connected with the status the display-name review implies', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    const verified = await app.call('submitVerificationCode', { params: { id }, body: { code: `${code.slice(0, 3)}-${code.slice(3)}` } });
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({
      stage: 'Connected',
      status: 'DisplayNameReviewPending',
      statusDetails: { label: 'Display name review pending', meaning: expect.any(String), suggestedAction: expect.any(String) },
      messaging: { canSend: true, limited: true },
      whatsAppBusinessAccountId: SEED_WABA.id,
      displayName: 'Contoso Bikes',
      verification: { method: 'SMS', attempts: 1, verifiedAt: expect.any(String) },
    });
    expect(app.sandbox.state.phoneNumber(phoneNumber)).toMatchObject({ status: 'CONNECTED' });
    const history = await app.call('getRegistrationHistory', { params: { id } });
    expect(history.json.items.map((item: { to: { stage: string } }) => item.to.stage)).toEqual([
      'SignupStarted',
      'BusinessAccountSelected',
      'ProfileSelected',
      'CodeRequested',
      'CodeVerified',
      'Connected',
    ]);
    expect(history.json.items.every((item: { cause: string }) => item.cause === 'api')).toBe(true);
    expect(JSON.stringify(history.json)).not.toContain(code);
  });

  it('records the details of a business still to be created in Embedded Signup', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const create = { companyName: 'Contoso Bikes', website: 'https://contoso.example', businessEmail: 'ops@contoso.example', businessPhone: '+1 425 555 0100' };
    const response = await app.call('selectBusinessAccount', { params: { id }, body: { create } });
    expect(response.status).toBe(200);
    expect(response.json.businessAccount).toEqual({ id: null, name: 'Contoso Bikes', pendingCreation: { ...create, businessPhone: '+14255550100' } });
  });

  it.each([
    ['an http website', { website: 'http://contoso.example' }, 'create.website'],
    ['an invalid email', { businessEmail: 'ops@' }, 'create.businessEmail'],
    ['an invalid business phone', { businessPhone: '12' }, 'create.businessPhone'],
  ])('refuses company details with %s', async (_label, override, path) => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const create = {
      companyName: 'Contoso',
      website: 'https://contoso.example',
      businessEmail: 'ops@contoso.example',
      businessPhone: '+14255550100',
      ...override,
    };
    const response = await app.call('selectBusinessAccount', { params: { id }, body: { create } });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.json.errors)).toContain(path.split('.')[1]);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('SignupStarted');
  });

  it('answers 422 meta-business-not-found and 422 meta-waba-not-found for ids Meta does not know', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const business = await app.call('selectBusinessAccount', { params: { id }, body: { businessId: '999999999' } });
    expect(business.status).toBe(422);
    expect(business.json.code).toBe('meta-business-not-found');
    const { id: other } = await registerUpTo(app, 'BusinessAccountSelected');
    const waba = await app.call('selectWhatsAppProfile', { params: { id: other }, body: { whatsAppBusinessAccountId: '888888888', displayName: 'Contoso' } });
    expect(waba.status).toBe(422);
    expect(waba.json.code).toBe('meta-waba-not-found');
    expect((await app.call('getRegistration', { params: { id: other } })).json.stage).toBe('BusinessAccountSelected');
  });

  it('answers 409 phone-number-locked when Meta has the number live on another WABA', async () => {
    const phoneNumber = uniquePhoneNumber();
    const elsewhere = app.sandbox.state.addWaba({ name: 'Elsewhere' });
    app.sandbox.state.addPhoneNumber(elsewhere.id, phoneNumber);
    const { id } = await registerUpTo(app, 'BusinessAccountSelected', { phoneNumber });
    const response = await app.call('selectWhatsAppProfile', { params: { id }, body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: 'Contoso' } });
    expect(response.status).toBe(409);
    expect(response.json).toMatchObject({ code: 'phone-number-locked', suggestedAction: expect.any(String) });
  });

  it('refuses skipping a stage with 409 invalid-transition', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const response = await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } });
    expect(response.status).toBe(409);
    expect(response.json.code).toBe('invalid-transition');
  });

  it('enforces the resend cooldown with 429 and Retry-After, without calling Meta', async () => {
    const { id } = await registerUpTo(app, 'CodeRequested');
    const before = app.sandbox.state.calls('request_code');
    const again = await app.call('requestVerificationCode', { params: { id }, body: { method: 'VOICE' } });
    expect(again.status).toBe(429);
    expect(again.json.code).toBe('verification-cooldown');
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
    expect(app.sandbox.state.calls('request_code')).toBe(before);
    clock.advance(Number(again.headers['retry-after']));
    const later = await app.call('requestVerificationCode', { params: { id }, body: { method: 'VOICE' } });
    expect(later.status).toBe(202);
    expect(later.json.verification).toMatchObject({ method: 'VOICE', attempts: 2 });
  });

  it('answers 422 verification-code-rejected for a wrong code and stays in CodeRequested', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
    const right = app.sandbox.state.lastCode(phoneNumber)!;
    const wrong = right === '000000' ? '111111' : '000000';
    const response = await app.call('submitVerificationCode', { params: { id }, body: { code: wrong } });
    expect(response.status).toBe(422);
    expect(response.json.code).toBe('verification-code-rejected');
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('CodeRequested');
    const badShape = await app.call('submitVerificationCode', { params: { id }, body: { code: '12-3456' } });
    expect(badShape.status).toBe(400);
  });

  it('stays in CodeVerified when registration with Meta must wait, and reconcile finishes it later', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
    app.sandbox.state.failNext('register', { code: 100, error_subcode: 2388001, message: 'Cannot Create Certificate' });
    const verified = await app.call('submitVerificationCode', { params: { id }, body: { code: app.sandbox.state.lastCode(phoneNumber)! } });
    expect(verified.status).toBe(200);
    expect(verified.json.stage).toBe('CodeVerified');
    expect(verified.json.metaRegistration).toMatchObject({ registeredAt: null, retryNotBefore: expect.any(String) });
    const registerCalls = app.sandbox.state.calls('register');
    // Before the wait is over, reconcile leaves Meta alone.
    expect((await app.call('reconcileRegistration', { params: { id } })).json.stage).toBe('CodeVerified');
    expect(app.sandbox.state.calls('register')).toBe(registerCalls);
    clock.advance(11 * 60);
    const reconciled = await app.call('reconcileRegistration', { params: { id } });
    expect(reconciled.json).toMatchObject({ stage: 'Connected', status: 'DisplayNameReviewPending' });
    expect(app.sandbox.state.calls('register')).toBe(registerCalls + 1);
  });

  it('honours If-Match: a stale ETag is 412 and changes nothing', async () => {
    const { id, etag } = await registerUpTo(app, 'SignupStarted');
    const stale = `"${Number(etag.replace(/"/g, '')) + 5}"`;
    const refused = await app.call('selectBusinessAccount', {
      params: { id },
      headers: { 'if-match': stale },
      body: { create: { companyName: 'X', website: 'https://x.example', businessEmail: 'a@x.example', businessPhone: '+14255550100' } },
    });
    expect(refused.status).toBe(412);
    expect(refused.json.code).toBe('concurrency-conflict');
    const accepted = await app.call('selectBusinessAccount', {
      params: { id },
      headers: { 'if-match': etag },
      body: { create: { companyName: 'X', website: 'https://x.example', businessEmail: 'a@x.example', businessPhone: '+14255550100' } },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.headers.etag).not.toBe(etag);
  });
});

describe('connected accounts', () => {
  it('disconnects, refuses cancel, and reconnects to ProfileSelected', async () => {
    const { id } = await registerUpTo(app, 'Connected');
    expect((await app.call('reconnectRegistration', { params: { id } })).status).toBe(409);
    expect((await app.call('cancelRegistration', { params: { id } })).json.code).toBe('invalid-transition');
    const disconnected = await app.call('disconnectRegistration', { params: { id } });
    expect(disconnected.json).toMatchObject({ stage: 'Connected', status: 'Disconnected', messaging: { canSend: false } });
    const reconnected = await app.call('reconnectRegistration', { params: { id } });
    expect(reconnected.status).toBe(200);
    expect(reconnected.json).toMatchObject({ stage: 'ProfileSelected', status: null });
  });

  it('refuses disconnect before Connected', async () => {
    const { id } = await registerUpTo(app, 'ProfileSelected');
    const response = await app.call('disconnectRegistration', { params: { id } });
    expect(response.status).toBe(409);
  });

  it('reconcile reflects display-name approval, rejection and a deleted number', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'Connected');
    app.sandbox.state.setNameStatus(phoneNumber, 'APPROVED');
    expect((await app.call('reconcileRegistration', { params: { id } })).json).toMatchObject({
      status: 'Active',
      messaging: { canSend: true, limited: false },
    });
    app.sandbox.state.setNameStatus(phoneNumber, 'DECLINED');
    expect((await app.call('reconcileRegistration', { params: { id } })).json.status).toBe('DisplayNameReviewRejected');
    app.sandbox.state.deletePhoneNumber(phoneNumber, 'remove');
    expect((await app.call('reconcileRegistration', { params: { id } })).json.status).toBe('PhoneNumberDeleted');
    const history = await app.call('getRegistrationHistory', { params: { id } });
    const reconciled = history.json.items.filter((item: { cause: string }) => item.cause === 'reconcile');
    expect(reconciled.map((item: { to: { status: string } }) => item.to.status)).toEqual(['Active', 'DisplayNameReviewRejected', 'PhoneNumberDeleted']);
    // PhoneNumberDeleted reconnects by adding the same number again.
    const reconnected = await app.call('reconnectRegistration', { params: { id } });
    expect(reconnected.json.stage).toBe('ProfileSelected');
    expect(reconnected.json.phoneNumberId).toBe(app.sandbox.state.findLive(phoneNumber)?.id);
    expect(reconnected.json.phoneNumberId).not.toBeNull();
  });

  it('needs two 100/33 answers in a row (or debug_token) before calling a WABA revoked', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Revocable' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const missing = { code: 100, error_subcode: 33, message: 'Object does not exist' };
    app.sandbox.state.failNext('get_waba', missing, 1);
    const first = await app.call('reconcileRegistration', { params: { id } });
    expect(first.json.status).toBe('DisplayNameReviewPending');
    app.sandbox.state.failNext('get_waba', missing, 1);
    const second = await app.call('reconcileRegistration', { params: { id } });
    expect(second.json.status).toBe('Revoked');

    const other = app.sandbox.state.addWaba({ name: 'Unshared' });
    const { id: otherId } = await registerUpTo(app, 'Connected', { wabaId: other.id });
    app.sandbox.state.unshareWaba(other.id);
    const confirmed = await app.call('reconcileRegistration', { params: { id: otherId } });
    expect(confirmed.json.status).toBe('Revoked');
  });

  it('never changes a status on a token error, and says Meta is unavailable', async () => {
    const { id } = await registerUpTo(app, 'Connected');
    app.sandbox.state.failNext('get_waba', { code: 190, error_subcode: 463, message: 'expired' }, 1);
    const response = await app.call('reconcileRegistration', { params: { id } });
    expect(response.status).toBe(503);
    expect(response.json.code).toBe('meta-unavailable');
    expect((await app.call('getRegistration', { params: { id } })).json.status).toBe('DisplayNameReviewPending');
  });

  // Every 503 says when to come back (design §11: no 5xx but 503 with Retry-After outside a storage outage).
  it.each([
    ['a passing fault', { code: 2, is_transient: true, message: 'unexpected' }, 500],
    ['a throughput limit', { code: 130429, message: 'Rate limit hit' }, 429],
    ['an expired token', { code: 190, error_subcode: 463, message: 'expired' }, 401],
  ])('answers 503 meta-unavailable with Retry-After on %s', async (_what, error, httpStatus) => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    app.sandbox.state.failNext('get_business', error, { times: 5, httpStatus }); // more than the adapter's retries of a passing fault
    const response = await app.call('selectBusinessAccount', { params: { id }, body: { businessId: '100000000000001' } });
    expect(response.status).toBe(503);
    expect(response.json.code).toBe('meta-unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    app.sandbox.state.clearFailures();
  });
});

describe('queries for ops', () => {
  it('lists by status and stage with paging, and refuses unknown filters', async () => {
    const created = [];
    for (let index = 0; index < 3; index += 1) created.push(await registerUpTo(app, 'Connected'));
    const page = await app.call('listRegistrations', { query: { status: 'DisplayNameReviewPending', limit: '2' } });
    expect(page.status).toBe(200);
    expect(page.json.items).toHaveLength(2);
    expect(page.json.nextCursor).toEqual(expect.any(String));
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const next: { json: { items: Array<{ id: string; status: string }>; nextCursor: string | null } } = await app.call('listRegistrations', {
        query: { status: 'DisplayNameReviewPending', limit: '2', ...(cursor ? { cursor } : {}) },
      });
      next.json.items.forEach((item) => expect(item.status).toBe('DisplayNameReviewPending'));
      all.push(...next.json.items.map((item) => item.id));
      cursor = next.json.nextCursor;
    } while (cursor);
    for (const { id } of created) expect(all).toContain(id);
    expect(new Set(all).size).toBe(all.length);

    const byStage = await app.call('listRegistrations', { query: { stage: 'Connected', whatsAppBusinessAccountId: SEED_WABA.id } });
    expect(
      byStage.json.items.every(
        (item: { stage: string; whatsAppBusinessAccountId: string }) => item.stage === 'Connected' && item.whatsAppBusinessAccountId === SEED_WABA.id,
      ),
    ).toBe(true);

    const refusedQueries: Array<Record<string, string>> = [{ status: 'Broken' }, { stage: 'Nowhere' }, { limit: '0' }, { limit: '101' }, { colour: 'red' }];
    for (const query of refusedQueries) {
      const refused = await app.call('listRegistrations', { query });
      expect(refused.status).toBe(400);
      expect(refused.json.code).toBe('validation-failed');
    }
  });

  it('reports health and serves an OpenAPI 3.1 document generated from the schemas', async () => {
    const health = await app.call('health');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    const document = await app.call('openApi');
    expect(document.json.openapi).toBe('3.1.0');
    expect(Object.keys(document.json.paths)).toEqual(
      expect.arrayContaining(['/api/registrations', '/api/registrations/{id}', '/api/registrations/{id}/verification/code', '/api/health']),
    );
    const create = document.json.paths['/api/registrations'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['phoneNumber', 'phoneNumberSource']));
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(create.responses['409'].content['application/problem+json']).toBeDefined();
  });
});
