import { TableClient, TableServiceClient } from '@azure/data-tables';
import { SEED_BUSINESS, SEED_WABA, type SignupPopupResult } from '../../src/local/meta-sandbox';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo, uniquePhoneNumber } from '../support/onboarding';
import { testStorageConnectionString } from '../support/storage';

/** docs/design.md §5.2 through the HTTP layer: the real app, Table Storage on Azurite, Meta over HTTP to the sandbox. */
let metaNow = Date.now();
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ metaNow: () => metaNow })));
afterAll(() => app.close());

/** Plays the popup in the sandbox for a number, as the business would in the browser. */
const popup = (phoneNumber: string | undefined, options: { verified?: boolean; onlyWaba?: boolean; verifiedName?: string } = {}): SignupPopupResult =>
  app.sandbox.signups.start({ phoneNumber, ...options });

const bodyOf = (result: SignupPopupResult, extra: Record<string, string> = {}) => ({
  code: result.code,
  businessId: result.data.business_id,
  whatsAppBusinessAccountId: result.data.waba_id,
  ...(result.data.phone_number_id ? { phoneNumberId: result.data.phone_number_id } : {}),
  ...extra,
});

const signup = (id: string, body: unknown, headers: Record<string, string> = {}) => app.call('embeddedSignup', { params: { id }, body, headers });

/** Every row this app stored in Table Storage, as text. */
async function storedText(): Promise<string> {
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  const rows: unknown[] = [];
  for await (const table of service.listTables()) {
    if (!table.name?.startsWith(app.tablePrefix)) continue;
    const client = TableClient.fromConnectionString(testStorageConnectionString(), table.name, { allowInsecureConnection: true });
    for await (const row of client.listEntities()) rows.push(row);
  }
  return JSON.stringify(rows);
}

async function expectUnchanged(id: string, before: { stage: string; etag: string }): Promise<void> {
  const now = await app.call('getRegistration', { params: { id } });
  expect(now.json.stage).toBe(before.stage);
  expect(now.headers.etag).toBe(before.etag);
}

describe('POST /api/registrations/{id}/embedded-signup', () => {
  it('connects a number verified in the popup with the business token, and keeps neither the token nor the code', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'SignupStarted');
    const result = popup(phoneNumber, { verifiedName: 'Contoso Signup' });
    const response = await signup(id, bodyOf(result));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      stage: 'Connected',
      status: 'DisplayNameReviewPending',
      businessAccount: { id: result.data.business_id },
      whatsAppBusinessAccountId: result.data.waba_id,
      phoneNumberId: result.data.phone_number_id,
      displayName: 'Contoso Signup',
    });
    expect(app.sandbox.state.phoneNumber(phoneNumber)).toMatchObject({ registered: true, status: 'CONNECTED' });
    expect(app.sandbox.state.waba(result.data.waba_id)!.subscribedApp).toBe(true);
    expect(app.sandbox.signups.callsWithBusinessToken('register')).toBeGreaterThanOrEqual(1);
    expect(app.sandbox.signups.callsWithBusinessToken('subscribe_app')).toBeGreaterThanOrEqual(1);

    const history = await app.call('getRegistrationHistory', { params: { id } });
    expect(history.json.items.map((item: { to: { stage: string } }) => item.to.stage)).toEqual(['SignupStarted', 'CodeVerified', 'Connected']);

    const token = app.sandbox.signups.session(result.code).accessToken!;
    expect(token).toBeTruthy();
    const stored = await storedText();
    // The scan reads real rows: the registration and its history are there.
    expect(stored).toContain(id);
    expect(stored).toContain('CodeVerified');
    const seen = [response.text, response.logs.join('\n'), history.text, stored].join('\n');
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(result.code);
  });

  it('answers a retry of a successful call with the same registration, without a second exchange, subscribe or register', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'BusinessAccountSelected');
    const body = bodyOf(popup(phoneNumber));
    const first = await signup(id, body);
    expect(first.status).toBe(200);
    const exchanges = app.sandbox.state.calls('oauth_access_token');
    const registers = app.sandbox.state.calls('register');
    const subscribes = app.sandbox.state.calls('subscribe_app');

    const retry = await signup(id, { ...body });
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect(app.sandbox.state.calls('oauth_access_token')).toBe(exchanges);
    expect(app.sandbox.state.calls('register')).toBe(registers);
    expect(app.sandbox.state.calls('subscribe_app')).toBe(subscribes);
  });

  it('stops at ProfileSelected for a number not verified in the popup; the code is then requested as usual', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'SignupStarted');
    const response = await signup(id, bodyOf(popup(phoneNumber, { verified: false })));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ stage: 'ProfileSelected', status: null });
    expect(app.sandbox.state.phoneNumber(phoneNumber)!.registered).toBe(false);

    expect((await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } })).status).toBe(202);
    const verified = await app.call('submitVerificationCode', { params: { id }, body: { code: app.sandbox.state.lastCode(phoneNumber)! } });
    expect(verified.json.stage).toBe('Connected');
  });

  it('takes a code requested earlier over: from CodeRequested to Connected', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
    const response = await signup(id, bodyOf(popup(phoneNumber)));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ stage: 'Connected', whatsAppBusinessAccountId: SEED_WABA.id });
  });

  it('after FINISH_ONLY_WABA acts as whatsapp-profile with the display name: number added, ProfileSelected', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'SignupStarted');
    const result = popup(undefined, { onlyWaba: true });
    expect(result.event).toBe('FINISH_ONLY_WABA');
    const response = await signup(id, bodyOf(result, { displayName: 'Contoso Bikes' }));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ stage: 'ProfileSelected', displayName: 'Contoso Bikes', whatsAppBusinessAccountId: result.data.waba_id });
    expect(app.sandbox.state.phoneNumber(phoneNumber)).toMatchObject({ wabaId: result.data.waba_id, id: response.json.phoneNumberId });
  });

  it('needs displayName without phoneNumberId: 400 validation-failed before any Meta call, nothing changed', async () => {
    const before = await registerUpTo(app, 'SignupStarted');
    const result = popup(undefined, { onlyWaba: true });
    const exchanges = app.sandbox.state.calls('oauth_access_token');
    const response = await signup(before.id, bodyOf(result));
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ code: 'validation-failed', errors: [{ path: 'displayName' }] });
    expect(app.sandbox.state.calls('oauth_access_token')).toBe(exchanges);
    await expectUnchanged(before.id, { stage: 'SignupStarted', etag: before.etag });
  });

  it.each([
    ['expired (older than 30 s)', 'expired'],
    ['already used', 'used'],
    ['unknown to Meta', 'unknown'],
  ] as const)('answers 422 meta-code-exchange-failed for a code %s, changing nothing', async (_label, kind) => {
    const before = await registerUpTo(app, 'BusinessAccountSelected');
    const result = popup(before.phoneNumber);
    if (kind === 'expired') metaNow += 31_000;
    if (kind === 'used') app.sandbox.signups.exchange({ client_id: '900000000000042', client_secret: 'test-app-secret', code: result.code });
    const body = bodyOf(result, kind === 'unknown' ? { code: 'AQBsomething-Meta-never-issued' } : {});
    const response = await signup(before.id, body);
    expect(response.status).toBe(422);
    expect(response.json).toMatchObject({ code: 'meta-code-exchange-failed', suggestedAction: expect.any(String) });
    expect(response.text).not.toContain(body.code);
    expect(response.logs.join('\n')).not.toContain(body.code);
    await expectUnchanged(before.id, { stage: 'BusinessAccountSelected', etag: before.etag });
    expect(app.sandbox.state.phoneNumber(before.phoneNumber)!.registered).toBe(false);
  });

  it('answers 422 embedded-signup-mismatch when the popup chose another number, changing nothing', async () => {
    const before = await registerUpTo(app, 'SignupStarted');
    const response = await signup(before.id, bodyOf(popup(uniquePhoneNumber())));
    expect(response.status).toBe(422);
    expect(response.json.code).toBe('embedded-signup-mismatch');
    await expectUnchanged(before.id, { stage: 'SignupStarted', etag: before.etag });
  });

  it('answers 422 meta-business-not-found and meta-waba-not-found for ids the business token does not reach', async () => {
    const one = await registerUpTo(app, 'SignupStarted');
    const business = await signup(one.id, bodyOf(popup(one.phoneNumber), { businessId: SEED_BUSINESS.id }));
    expect(business.status).toBe(422);
    expect(business.json.code).toBe('meta-business-not-found');
    await expectUnchanged(one.id, { stage: 'SignupStarted', etag: one.etag });

    const two = await registerUpTo(app, 'SignupStarted');
    const waba = await signup(two.id, bodyOf(popup(two.phoneNumber), { whatsAppBusinessAccountId: SEED_WABA.id }));
    expect(waba.status).toBe(422);
    expect(waba.json.code).toBe('meta-waba-not-found');
    await expectUnchanged(two.id, { stage: 'SignupStarted', etag: two.etag });
  });

  it('answers 409 invalid-transition from Connected without spending the code', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'Connected');
    const exchanges = app.sandbox.state.calls('oauth_access_token');
    const response = await signup(id, bodyOf(popup(phoneNumber)));
    expect(response.status).toBe(409);
    expect(response.json.code).toBe('invalid-transition');
    expect(app.sandbox.state.calls('oauth_access_token')).toBe(exchanges);
  });

  it('refuses unknown fields and malformed ids with 400', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'SignupStarted');
    const body = bodyOf(popup(phoneNumber));
    expect((await signup(id, { ...body, accessToken: 'x' })).status).toBe(400);
    const badId = await signup(id, { ...body, whatsAppBusinessAccountId: '../me' });
    expect(badId.status).toBe(400);
    expect(badId.json.errors[0].path).toBe('whatsAppBusinessAccountId');
  });

  it('honours If-Match: a stale ETag is 412 and spends no code', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'SignupStarted');
    const exchanges = app.sandbox.state.calls('oauth_access_token');
    const response = await signup(id, bodyOf(popup(phoneNumber)), { 'if-match': '"999"' });
    expect(response.status).toBe(412);
    expect(app.sandbox.state.calls('oauth_access_token')).toBe(exchanges);
  });
});

describe('refusals of the app itself', () => {
  let misconfigured: AppHarness;
  beforeAll(async () => (misconfigured = await startAppHarness({ env: { META_APP_SECRET: 'not-what-meta-has' } })));
  afterAll(() => misconfigured.close());

  it('answers 404 for an unknown registration without spending the code', async () => {
    const result = app.sandbox.signups.start({ phoneNumber: uniquePhoneNumber() });
    const exchanges = app.sandbox.state.calls('oauth_access_token');
    const response = await signup('no-such-registration', bodyOf(result));
    expect(response.status).toBe(404);
    expect(app.sandbox.state.calls('oauth_access_token')).toBe(exchanges);
  });

  it('answers 503 meta-unavailable when Meta refuses the app secret, and tells the operator in the log', async () => {
    const before = await registerUpTo(misconfigured, 'SignupStarted');
    const result = misconfigured.sandbox.signups.start({ phoneNumber: before.phoneNumber });
    const response = await misconfigured.call('embeddedSignup', { params: { id: before.id }, body: bodyOf(result) });
    expect(response.status).toBe(503);
    expect(response.json.code).toBe('meta-unavailable');
    expect(response.logs.join('\n')).toContain('META_APP_SECRET');
    expect([response.text, ...response.logs].join('\n')).not.toContain('not-what-meta-has');
    expect((await misconfigured.call('getRegistration', { params: { id: before.id } })).headers.etag).toBe(before.etag);
  });
});

describe('without META_APP_ID', () => {
  let bare: AppHarness;
  beforeAll(async () => (bare = await startAppHarness({ env: { META_APP_ID: '' } })));
  afterAll(() => bare.close());

  it('answers 503 embedded-signup-not-configured naming the setting', async () => {
    const { id, phoneNumber } = await registerUpTo(bare, 'SignupStarted');
    const result = bare.sandbox.signups.start({ phoneNumber });
    const response = await bare.call('embeddedSignup', { params: { id }, body: bodyOf(result) });
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ code: 'embedded-signup-not-configured', detail: expect.stringContaining('META_APP_ID') });
  });
});
