import { createMetaSandbox, SEED_WABA, SIGNUP_CODE_LIFETIME_MS, type MetaSandbox } from '../../src/local/meta-sandbox';

/** The sandbox's Embedded Signup over HTTP: the control route that plays the popup, and the code exchange. */
const APP = { id: '900000000000007', secret: 'sandbox-test-secret' };
let now = 1_800_000_000_000;
let sandbox: MetaSandbox;
let server: { url: string; close(): Promise<void> };
let logLines: string[];

beforeEach(async () => {
  logLines = [];
  sandbox = createMetaSandbox({ log: (line) => logLines.push(line), app: APP, now: () => now });
  server = await sandbox.listen(0);
});
afterEach(() => server.close());

async function call(method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const exchange = (code: string, app: { id: string; secret: string } = APP) =>
  call('GET', `/v25.0/oauth/access_token?${new URLSearchParams({ client_id: app.id, client_secret: app.secret, code }).toString()}`);

describe('a signup session', () => {
  it('creates business, WABA and a verified pending number, and answers what the popup gives', async () => {
    const popup = await call('POST', '/_sandbox/embedded-signup', { phoneNumber: '+1 425 555 0170', verifiedName: 'Contoso Signup' });
    expect(popup.status).toBe(201);
    expect(popup.body).toMatchObject({
      type: 'WA_EMBEDDED_SIGNUP',
      event: 'FINISH',
      data: { business_id: expect.stringMatching(/^\d+$/), waba_id: expect.stringMatching(/^\d+$/), phone_number_id: expect.stringMatching(/^\d+$/) },
      code: expect.any(String),
      expiresInSeconds: 30,
    });
    expect(sandbox.state.phoneNumber('+14255550170')).toMatchObject({
      wabaId: popup.body.data.waba_id,
      codeVerificationStatus: 'VERIFIED',
      status: 'PENDING',
      registered: false,
      verifiedName: 'Contoso Signup',
    });
    expect(sandbox.state.waba(popup.body.data.waba_id)!.businessId).toBe(popup.body.data.business_id);
    // The developer's console names the session with the number masked, and never shows the code.
    expect(logLines.join('\n')).toContain(`WABA ${popup.body.data.waba_id}, number +1425****170`);
    expect(logLines.join('\n')).not.toContain(popup.body.code);
  });

  it('reuses the WABA a number is already on, and can leave it unverified', async () => {
    sandbox.state.addPhoneNumber(SEED_WABA.id, '+14255550171', { codeVerificationStatus: 'NOT_VERIFIED', status: 'PENDING', registered: false });
    const popup = await call('POST', '/_sandbox/embedded-signup', { phoneNumber: '+14255550171', verified: false });
    expect(popup.body.data.waba_id).toBe(SEED_WABA.id);
    expect(sandbox.state.phoneNumber('+14255550171')!.codeVerificationStatus).toBe('NOT_VERIFIED');
  });

  it('plays FINISH_ONLY_WABA without a number, and refuses a session without either', async () => {
    const popup = await call('POST', '/_sandbox/embedded-signup', { onlyWaba: true });
    expect(popup.body.event).toBe('FINISH_ONLY_WABA');
    expect(popup.body.data.phone_number_id).toBeUndefined();
    expect((await call('POST', '/_sandbox/embedded-signup', {})).status).toBe(400);
  });
});

describe('GET /oauth/access_token', () => {
  it('exchanges a code once, for a bearer business token, without a bearer token of its own', async () => {
    const popup = await call('POST', '/_sandbox/embedded-signup', { phoneNumber: '+14255550172' });
    const first = await exchange(popup.body.code);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ access_token: expect.any(String), token_type: 'bearer' });
    const second = await exchange(popup.body.code);
    expect(second.status).toBe(400);
    expect(second.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
    expect((await call('GET', `/_sandbox/embedded-signup/${popup.body.code}`)).body).toMatchObject({ used: true, accessToken: first.body.access_token });
  });

  it('refuses a code older than 30 s by the injected clock, an unknown code, and another app', async () => {
    const popup = await call('POST', '/_sandbox/embedded-signup', { phoneNumber: '+14255550173' });
    expect((await exchange(popup.body.code, { ...APP, secret: 'wrong' })).body.error.code).toBe(101);
    expect((await exchange('never-issued')).body.error.code).toBe(100);
    now += SIGNUP_CODE_LIFETIME_MS + 1;
    const late = await exchange(popup.body.code);
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe(100);
  });

  it('issues a token that reaches its own business, WABA and numbers only; a made-up one is 190', async () => {
    const popup = await call('POST', '/_sandbox/embedded-signup', { phoneNumber: '+14255550174' });
    const token = (await exchange(popup.body.code)).body.access_token as string;
    expect((await call('GET', `/v25.0/${popup.body.data.business_id}?fields=id,name`, undefined, token)).status).toBe(200);
    expect((await call('GET', `/v25.0/${popup.body.data.waba_id}?fields=id`, undefined, token)).status).toBe(200);
    expect((await call('POST', `/v25.0/${popup.body.data.waba_id}/subscribed_apps`, {}, token)).body).toEqual({ success: true });
    expect(sandbox.signups.callsWithBusinessToken('subscribe_app')).toBe(1);
    const elsewhere = await call('GET', `/v25.0/${SEED_WABA.id}?fields=id`, undefined, token);
    expect(elsewhere.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect((await call('GET', `/v25.0/${SEED_WABA.id}?fields=id`, undefined, 'sandbox-business-token-made-up')).body.error.code).toBe(190);
  });
});
