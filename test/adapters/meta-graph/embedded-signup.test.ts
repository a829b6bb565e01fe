import { createEmbeddedSignup } from '../../../src/adapters/meta-graph';
import { MetaGraphError } from '../../../src/domain/meta';
import { createMetaSandbox, SEED_WABA, SIGNUP_CODE_LIFETIME_MS, type MetaSandbox } from '../../../src/local/meta-sandbox';

/** The code exchange and the business token's Graph client, against the Meta sandbox over real HTTP. */
const APP = { id: '900000000000008', secret: 'adapter-test-secret' };
let now = 1_800_000_000_000;
let sandbox: MetaSandbox;
let server: { url: string; close(): Promise<void> };

beforeEach(async () => {
  sandbox = createMetaSandbox({ log: () => undefined, app: APP, now: () => now });
  server = await sandbox.listen(0);
});
afterEach(() => server.close());

const signup = (app = APP) =>
  createEmbeddedSignup({ graphUrl: server.url, version: 'v25.0', pinSecret: 'test-pin-secret', timeoutMs: 5000, appId: app.id, appSecret: app.secret });

describe('createEmbeddedSignup', () => {
  it('exchanges the code and acts as the business: reads, subscribes and registers with its token', async () => {
    const popup = sandbox.signups.start({ phoneNumber: '+14255550180' });
    const exchange = await signup().exchangeCode(popup.code);
    if (exchange.refused) throw new Error('expected the code to be accepted');
    const waba = await exchange.meta.getWhatsAppBusinessAccount(popup.data.waba_id);
    expect(waba.phoneNumbers).toEqual([expect.objectContaining({ id: popup.data.phone_number_id, e164: '+14255550180', codeVerificationStatus: 'VERIFIED' })]);
    await exchange.meta.subscribeApp(popup.data.waba_id);
    await exchange.meta.registerPhoneNumber(popup.data.phone_number_id!);
    expect(sandbox.signups.callsWithBusinessToken('get_waba')).toBe(1);
    expect(sandbox.signups.callsWithBusinessToken('register')).toBe(1);
    expect(sandbox.state.phoneNumber('+14255550180')!.registered).toBe(true);
  });

  it('says refused for a used, expired or unknown code (HTTP 400, code 100), whatever the subcode', async () => {
    const adapter = signup();
    const used = sandbox.signups.start({ phoneNumber: '+14255550181' });
    expect((await adapter.exchangeCode(used.code)).refused).toBe(false);
    expect(await adapter.exchangeCode(used.code)).toEqual({ refused: true });
    const late = sandbox.signups.start({ phoneNumber: '+14255550182' });
    now += SIGNUP_CODE_LIFETIME_MS + 1;
    expect(await adapter.exchangeCode(late.code)).toEqual({ refused: true });
    expect(await adapter.exchangeCode('never-issued')).toEqual({ refused: true });
    expect(sandbox.state.calls('oauth_access_token')).toBe(4);
  });

  it('throws other failures as Meta errors naming neither the code nor the app secret, and never retries', async () => {
    const popup = sandbox.signups.start({ phoneNumber: '+14255550183' });
    const wrongApp = await signup({ ...APP, secret: 'not-the-secret' })
      .exchangeCode(popup.code)
      .catch((error: unknown) => error);
    expect(wrongApp).toBeInstanceOf(MetaGraphError);
    expect((wrongApp as MetaGraphError).details.code).toBe(101);
    sandbox.state.failNext('oauth_access_token', { code: 2, is_transient: true, message: `echo ${popup.code} ${APP.secret}` }, { httpStatus: 500 });
    const failed = await signup()
      .exchangeCode(popup.code)
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(MetaGraphError);
    expect((failed as MetaGraphError).kind).toBe('transient');
    const text = `${(failed as Error).message} ${JSON.stringify((failed as MetaGraphError).details)}`;
    expect(text).not.toContain(popup.code);
    expect(text).not.toContain(APP.secret);
    expect(sandbox.state.calls('oauth_access_token')).toBe(2);
  });

  it('keeps the business token out of error messages', async () => {
    const popup = sandbox.signups.start({ phoneNumber: '+14255550184' });
    const exchange = await signup().exchangeCode(popup.code);
    if (exchange.refused) throw new Error('expected the code to be accepted');
    const token = sandbox.signups.session(popup.code).accessToken!;
    sandbox.state.failNext('get_waba', { code: 100, message: `bad token ${token}` });
    const error = await exchange.meta
      .getWhatsAppBusinessAccount(SEED_WABA.id === popup.data.waba_id ? SEED_WABA.id : popup.data.waba_id)
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(MetaGraphError);
    expect((error as Error).message).not.toContain(token);
  });

  it('fingerprints a request with a key of its own: the same text, the same hash; another app secret, another hash', () => {
    const one = signup().fingerprint('["r1","code"]');
    expect(signup().fingerprint('["r1","code"]')).toBe(one);
    expect(signup().fingerprint('["r1","other"]')).not.toBe(one);
    expect(signup({ ...APP, secret: 'rotated' }).fingerprint('["r1","code"]')).not.toBe(one);
    expect(one).not.toContain('code');
  });
});
