import { startAppHarness, type AppHarness } from '../support/app-harness';
import { smsDeliveryReport } from '../support/events';
import { registerUpTo, testClock } from '../support/onboarding';

const clock = testClock();
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ services: { clock } })));
afterAll(() => app.close());

const probesOf = (id: string) => app.acs.state.sent.filter((sms) => sms.tag === `sms-probe:${id}`);

describe('SMS probe guards', () => {
  it('sends one probe per registration per cooldown, however many are asked for', async () => {
    const { id } = await registerUpTo(app, 'ProfileSelected', { source: 'acs' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => app.call('requestSmsProbe', { params: { id } })));
    expect(responses.filter((response) => response.status === 202)).toHaveLength(1);
    expect(probesOf(id)).toHaveLength(1);
    const refused = await app.call('requestSmsProbe', { params: { id } });
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe('sms-probe-cooldown');
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    clock.advance(wait);
    expect((await app.call('requestSmsProbe', { params: { id } })).status).toBe(202);
    expect(probesOf(id)).toHaveLength(2);
  });

  it('counts a report only for the probe actually sent, and never stores a malformed time', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'ProfileSelected', { source: 'acs' });
    // Tagged like a probe, but no probe was sent.
    await app.deliver('smsEvents', [smsDeliveryReport(phoneNumber, `sms-probe:${id}`, 'Delivered')]);
    expect((await app.call('getRegistration', { params: { id } })).json.smsCapability).toBeNull();

    expect((await app.call('requestSmsProbe', { params: { id } })).status).toBe(202);
    const sent = probesOf(id)[0]!;
    await app.deliver('smsEvents', [smsDeliveryReport(phoneNumber, `sms-probe:${id}`, 'Delivered', 'Outgoing_forged')]);
    expect((await app.call('getRegistration', { params: { id } })).json.smsCapability.send).toBe('pending');

    const report = smsDeliveryReport(phoneNumber, `sms-probe:${id}`, 'Delivered', sent.messageId);
    const malformed = { ...report, data: { ...report.data, receivedTimestamp: 'zzzz' } };
    expect((await app.deliver('smsEvents', [malformed])).status).toBe(202);
    const capability = (await app.call('getRegistration', { params: { id } })).json.smsCapability;
    expect(capability.send).toBe('confirmed');
    expect(capability.checkedAt).toBe(clock.now().toISOString());
  });

  it('clamps a delivery report time in the future to now', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'ProfileSelected', { source: 'acs' });
    clock.advance(3600);
    expect((await app.call('requestSmsProbe', { params: { id } })).status).toBe(202);
    const report = smsDeliveryReport(phoneNumber, `sms-probe:${id}`, 'Failed', probesOf(id)[0]!.messageId);
    await app.deliver('smsEvents', [{ ...report, data: { ...report.data, receivedTimestamp: '9999-12-31T23:59:59Z' } }]);
    const capability = (await app.call('getRegistration', { params: { id } })).json.smsCapability;
    expect(capability).toMatchObject({ send: 'failed', checkedAt: clock.now().toISOString() });
  });
});
