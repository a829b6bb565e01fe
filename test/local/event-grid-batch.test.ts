import { startLocalHost, type LocalHost } from '../../src/local/host';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { smsDeliveryReport, smsReceived, whatsAppSms } from '../support/events';
import { registerUpTo } from '../support/onboarding';

/**
 * The real functions behind the local host's Event Grid webhook, which runs the events of a batch
 * concurrently as the Functions host does: two events for one registration in one batch race for
 * its row, and optimistic concurrency must keep both changes.
 */
let app: AppHarness;
let host: LocalHost;
const hostLog: string[] = [];

beforeAll(async () => {
  app = await startAppHarness();
  host = await startLocalHost({ functions: app.functions, port: 0, timers: false, log: (line) => hostLog.push(line) });
});

afterAll(async () => {
  await host.close();
  await app.close();
});

const deliver = (body: unknown) =>
  fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=smsEvents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify(body),
  });

describe('one Event Grid batch, events for one registration', () => {
  it('applies an SMSReceived and the delivery report of a probe for the same registration, both, once', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs' });
    expect((await app.call('requestSmsProbe', { params: { id } })).status).toBe(202);
    const probe = app.acs.state.sent.find((sms) => sms.tag === `sms-probe:${id}`)!;
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    const batch = [smsReceived(phoneNumber, whatsAppSms(code)), smsDeliveryReport(phoneNumber, `sms-probe:${id}`, 'Delivered', probe.messageId)];
    const verifyCalls = app.sandbox.state.calls('verify_code');

    expect((await deliver(batch)).status).toBe(202);
    // Event Grid redelivers whole batches: the second time changes nothing.
    expect((await deliver([...batch].reverse())).status).toBe(202);

    const registration = (await app.call('getRegistration', { params: { id } })).json;
    expect(registration).toMatchObject({ stage: 'Connected', smsCapability: { send: 'confirmed', detail: expect.stringContaining('Delivered') } });
    expect(app.sandbox.state.calls('verify_code')).toBe(verifyCalls + 1);
    const history = (await app.call('getRegistrationHistory', { params: { id } })).json.items as Array<{ cause: string; to: { stage: string } }>;
    expect(history.filter((item) => item.cause === 'sms').map((item) => item.to.stage)).toEqual(['CodeVerified', 'Connected']);
  });
});
