import { startAppHarness, type AppHarness } from '../support/app-harness';
import { smsReceived, whatsAppSms } from '../support/events';
import { registerUpTo, testClock } from '../support/onboarding';

const clock = testClock();
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ services: { clock } })));
afterAll(() => app.close());

const calls = () => {
  const state = app.sandbox.state;
  return {
    request: state.calls('request_code'),
    verify: state.calls('verify_code'),
    register: state.calls('register'),
    subscribe: state.calls('subscribe_app'),
  };
};
const since = (before: ReturnType<typeof calls>) => {
  const now = calls();
  return {
    request: now.request - before.request,
    verify: now.verify - before.verify,
    register: now.register - before.register,
    subscribe: now.subscribe - before.subscribe,
  };
};
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('one Meta call per step, however often it is triggered', () => {
  it('makes one verify, one register and one subscribe for the same SMS delivered 12 times at once', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs' });
    const event = smsReceived(phoneNumber, whatsAppSms(app.sandbox.state.lastCode(phoneNumber)!));
    const before = calls();
    await Promise.all(Array.from({ length: 12 }, () => app.deliver('smsEvents', [event])));
    expect(since(before)).toEqual({ request: 0, verify: 1, register: 1, subscribe: 1 });
    // Deliveries that found the step claimed failed so Event Grid redelivers: the redelivery is acknowledged.
    expect((await app.deliver('smsEvents', [event])).status).toBe(202);
    expect(since(before)).toEqual({ request: 0, verify: 1, register: 1, subscribe: 1 });
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('Connected');
  });

  it('answers 16 parallel submissions of the right code with one 200 and 409s, after one verify call', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    const before = calls();
    const responses = await Promise.all(Array.from({ length: 16 }, () => app.call('submitVerificationCode', { params: { id }, body: { code } })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, ...Array<number>(15).fill(409)]);
    expect(since(before)).toEqual({ request: 0, verify: 1, register: 1, subscribe: 1 });
    const inProgress = responses.find((response) => response.json.code === 'operation-in-progress');
    if (inProgress) expect(Number(inProgress.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('retries a deferred register once when reconcile is asked for it several times at once', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
    app.sandbox.state.failNext('register', { code: 100, error_subcode: 2388001, message: 'Cannot Create Certificate' });
    const verified = await app.call('submitVerificationCode', { params: { id }, body: { code: app.sandbox.state.lastCode(phoneNumber)! } });
    expect(verified.json.stage).toBe('CodeVerified');
    clock.advance(11 * 60);
    const before = calls();
    const responses = await Promise.all(Array.from({ length: 6 }, () => app.call('reconcileRegistration', { params: { id } })));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(since(before)).toEqual({ request: 0, verify: 0, register: 1, subscribe: 1 });
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('Connected');
  });

  it('lets racing code requests reach request_code once', async () => {
    const { id } = await registerUpTo(app, 'ProfileSelected');
    const before = calls();
    const responses = await Promise.all(Array.from({ length: 8 }, () => app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } })));
    expect(responses.filter((response) => response.status === 202)).toHaveLength(1);
    expect(responses.filter((response) => response.status !== 202).every((response) => [409, 429].includes(response.status))).toBe(true);
    expect(since(before).request).toBe(1);
  });

  it('retries a refused or failed code request at once: only a code Meta sent starts the cooldown', async () => {
    const { id } = await registerUpTo(app, 'ProfileSelected');
    app.sandbox.state.failNext('request_code', { code: 136024, message: 'Unable to send code' });
    const refused = await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } });
    expect(refused.status).toBe(422);
    expect((await app.call('getRegistration', { params: { id } })).json).toMatchObject({ stage: 'ProfileSelected', verification: null });
    const first = await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } });
    expect(first.status).toBe(202);
    expect(first.json.verification.attempts).toBe(1);

    clock.advance(61);
    app.sandbox.state.failNext('request_code', { code: 2, message: 'Service temporarily unavailable', is_transient: true }, { times: 3, httpStatus: 503 });
    const failed = await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } });
    expect(failed.status).toBe(503);
    app.sandbox.state.clearFailures();
    const resent = await app.call('requestVerificationCode', { params: { id }, body: { method: 'SMS' } });
    expect(resent.status).toBe(202);
    expect(resent.json.verification.attempts).toBe(2);
  });

  it('locks submissions after 5 wrong codes, without asking Meta, until the lock ends', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    const before = calls();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      statuses.push((await app.call('submitVerificationCode', { params: { id }, body: { code: wrongCode(code) } })).status);
    }
    expect(statuses).toEqual([422, 422, 422, 422, 429]);
    const locked = await app.call('submitVerificationCode', { params: { id }, body: { code } });
    expect(locked.status).toBe(429);
    expect(locked.json.code).toBe('verification-locked');
    const wait = Number(locked.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(since(before).verify).toBe(5);
    clock.advance(wait);
    const after = await app.call('submitVerificationCode', { params: { id }, body: { code } });
    expect(after.status).toBe(200);
    expect(after.json.stage).toBe('Connected');
  });
});
