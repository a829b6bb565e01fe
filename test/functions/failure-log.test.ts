import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

/** What an operator searching the log for failed requests finds: one line with status and problem code. */
const failureLines = (logs: string[]) => logs.filter((line) => line.startsWith('Request answered'));

describe('every response that is not 2xx is logged with its status and problem code', () => {
  it('logs a 404 with its code and the function', async () => {
    const response = await app.call('getRegistration', { params: { id: 'no-such-registration' } });
    expect(response.status).toBe(404);
    expect(failureLines(response.logs)).toEqual([expect.stringMatching(/^Request answered 404 not-found .*"function":"getRegistration"/)]);
  });

  it('logs a 400 with the failing field paths but never the values sent', async () => {
    const phoneNumber = '+1 425 555 0199 99';
    const response = await app.call('createRegistration', { body: { phoneNumber, phoneNumberSource: 'byo' } });
    expect(response.status).toBe(400);
    const [line] = failureLines(response.logs);
    expect(line).toMatch(/^Request answered 400 validation-failed .*"fields":\["phoneNumber"\]/);
    expect(response.logs.join('\n')).not.toContain('0199');
  });

  it('logs a 409 refused by a rule', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const response = await app.call('disconnectRegistration', { params: { id } });
    expect(response.status).toBe(409);
    expect(failureLines(response.logs)).toEqual([expect.stringMatching(/^Request answered 409 invalid-transition /)]);
  });

  it('logs a non-problem refusal by its status', async () => {
    const response = await app.call('metaWebhookVerify', { query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong', 'hub.challenge': '42' } });
    expect(response.status).toBe(403);
    expect(failureLines(response.logs)).toEqual([expect.stringMatching(/^Request answered 403 \{/)]);
  });

  it('logs nothing of the kind for a success', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const response = await app.call('getRegistration', { params: { id } });
    expect(response.status).toBe(200);
    expect(failureLines(response.logs)).toEqual([]);
  });
});
