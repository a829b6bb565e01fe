import { randomUUID } from 'node:crypto';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { smsDeliveryReport } from '../support/events';
import { registerUpTo, testClock } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

describe('SMS capability probe', () => {
  it('sends a tagged SMS from the ACS number and records its delivery report', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { source: 'acs' });
    const probe = await app.call('requestSmsProbe', { params: { id } });
    expect(probe.status).toBe(202);
    expect(probe.json.smsCapability).toMatchObject({ send: 'pending' });
    const sent = app.acs.state.sent.find((sms) => sms.tag === `sms-probe:${id}`);
    expect(sent).toMatchObject({ from: phoneNumber, to: phoneNumber, enableDeliveryReport: true });

    const delivered = smsDeliveryReport(phoneNumber, `sms-probe:${id}`, 'Delivered', sent!.messageId);
    expect((await app.deliver('smsEvents', [delivered])).status).toBe(202);
    const after = (await app.call('getRegistration', { params: { id } })).json;
    expect(after.smsCapability).toMatchObject({ send: 'confirmed', detail: expect.stringContaining('Delivered') });
    // A redelivered report changes nothing; a report for an unknown probe is ignored.
    expect((await app.deliver('smsEvents', [delivered])).status).toBe(202);
    expect((await app.deliver('smsEvents', [smsDeliveryReport(phoneNumber, 'sms-probe:unknown-id')])).status).toBe(202);
    expect((await app.deliver('smsEvents', [smsDeliveryReport(phoneNumber, 'marketing-42')])).status).toBe(202);
    expect((await app.call('getRegistration', { params: { id } })).json.smsCapability.send).toBe('confirmed');
  });

  it('records a failed delivery with its details, to another recipient', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'ProfileSelected', { source: 'acs' });
    const probe = await app.call('requestSmsProbe', { params: { id }, body: { to: '+1 425 555 0100' } });
    expect(probe.status).toBe(202);
    const sent = app.acs.state.sent.find((sms) => sms.tag === `sms-probe:${id}`);
    expect(sent).toMatchObject({ from: phoneNumber, to: '+14255550100' });
    const failed = smsDeliveryReport('+14255550100', `sms-probe:${id}`, 'Failed', sent!.messageId);
    await app.deliver('smsEvents', [failed]);
    expect((await app.call('getRegistration', { params: { id } })).json.smsCapability).toMatchObject({
      send: 'failed',
      detail: expect.stringContaining('Failed'),
    });
  });

  it('refuses a bring-your-own number with 409', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted', { source: 'byo' });
    const response = await app.call('requestSmsProbe', { params: { id } });
    expect(response.status).toBe(409);
    expect(response.json.code).toBe('invalid-transition');
  });
});

describe('ACS channel', () => {
  it('links an existing channel, refuses unknown or malformed ids, and reconcile disconnects when it disappears', async () => {
    const { id } = await registerUpTo(app, 'Connected', { source: 'acs' });
    const unknown = await app.call('linkAcsChannel', { params: { id }, body: { channelRegistrationId: randomUUID() } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.code).toBe('acs-channel-not-found');
    const malformed = await app.call('linkAcsChannel', { params: { id }, body: { channelRegistrationId: 'not-a-guid' } });
    expect(malformed.status).toBe(400);

    const channel = randomUUID();
    app.acs.state.addChannel(channel);
    const linked = await app.call('linkAcsChannel', { params: { id }, body: { channelRegistrationId: channel } });
    expect(linked.status).toBe(200);
    expect(linked.json.acsChannel).toMatchObject({ channelRegistrationId: channel, reachable: true });

    expect((await app.call('reconcileRegistration', { params: { id } })).json).toMatchObject({
      status: 'DisplayNameReviewPending',
      acsChannel: { reachable: true },
    });
    app.acs.state.removeChannel(channel);
    const reconciled = await app.call('reconcileRegistration', { params: { id } });
    expect(reconciled.json).toMatchObject({ status: 'Disconnected', acsChannel: { reachable: false } });
    const last = (await app.call('getRegistrationHistory', { params: { id } })).json.items.at(-1);
    expect(last).toMatchObject({ cause: 'reconcile', to: { status: 'Disconnected' }, detail: expect.stringContaining('Azure portal') });
    expect(last.detail).toContain('HTTP 404 NotFound');
    expect(reconciled.logs.join('\n')).toMatch(/ACS channel not found.*"status":404.*"code":"NotFound"/);
  });

  it('disconnects when ACS answers the removed channel in problem-details shape, and logs its title', async () => {
    const { id } = await registerUpTo(app, 'Connected', { source: 'acs' });
    const channel = randomUUID();
    app.acs.state.addChannel(channel);
    expect((await app.call('linkAcsChannel', { params: { id }, body: { channelRegistrationId: channel } })).status).toBe(200);
    app.acs.state.removeChannel(channel);
    app.acs.state.channelNotFoundShape = 'problem-details';
    try {
      const reconciled = await app.call('reconcileRegistration', { params: { id } });
      expect(reconciled.json).toMatchObject({ status: 'Disconnected', acsChannel: { reachable: false } });
      expect(reconciled.logs.join('\n')).toMatch(/ACS channel not found.*"status":404.*"code":"Not Found"/);
      const last = (await app.call('getRegistrationHistory', { params: { id } })).json.items.at(-1);
      expect(last).toMatchObject({ to: { status: 'Disconnected' }, detail: expect.stringContaining('HTTP 404 Not Found') });
    } finally {
      app.acs.state.channelNotFoundShape = 'error';
    }
  });

  it('does not disconnect when the channel probe meets a bare 404 (a proxy, a wrong endpoint): a fault, tried again later', async () => {
    const { id } = await registerUpTo(app, 'Connected', { source: 'acs' });
    const channel = randomUUID();
    app.acs.state.addChannel(channel);
    expect((await app.call('linkAcsChannel', { params: { id }, body: { channelRegistrationId: channel } })).status).toBe(200);
    app.acs.state.failNext({ route: 'templates', status: 404, bare: true });
    const reconciled = await app.call('reconcileRegistration', { params: { id } });
    expect(reconciled.status).toBeGreaterThanOrEqual(500);
    const after = await app.call('getRegistration', { params: { id } });
    expect(after.json.status).toBe('DisplayNameReviewPending');
    expect((await app.call('reconcileRegistration', { params: { id } })).json).toMatchObject({
      status: 'DisplayNameReviewPending',
      acsChannel: { reachable: true },
    });
  });
});

describe('SMS probe without a delivery report', () => {
  // The app's clock, not the wall clock, decides when the wait is over: it is moved 25 hours on after the probe.
  const clock = testClock();
  let late: AppHarness;
  beforeAll(async () => (late = await startAppHarness({ services: { clock } })));
  afterAll(() => late.close());

  it('reads unconfirmed after 24 h with the reason, and a late delivery report still confirms it', async () => {
    const { id, phoneNumber } = await registerUpTo(late, 'SignupStarted', { source: 'acs' });
    expect((await late.call('requestSmsProbe', { params: { id } })).status).toBe(202);
    const probeSentAt = clock.now().toISOString();
    expect((await late.call('getRegistration', { params: { id } })).json.smsCapability.send).toBe('pending');
    clock.advance(25 * 3600);

    const read = (await late.call('getRegistration', { params: { id } })).json;
    expect(read.smsCapability).toEqual({
      send: 'unconfirmed',
      checkedAt: new Date(Date.parse(probeSentAt) + 24 * 3600_000).toISOString(),
      detail: `No delivery report within 24 h of the probe sent at ${probeSentAt}; send another probe to check again`,
    });
    expect((await late.call('listRegistrations', { query: { phoneNumber } })).json.items[0].smsCapability.send).toBe('unconfirmed');

    const probe = late.acs.state.sent.find((sms) => sms.tag === `sms-probe:${id}`)!;
    expect((await late.deliver('smsEvents', [smsDeliveryReport(phoneNumber, `sms-probe:${id}`, 'Delivered', probe.messageId)])).status).toBe(202);
    expect((await late.call('getRegistration', { params: { id } })).json.smsCapability).toMatchObject({
      send: 'confirmed',
      detail: expect.stringContaining('Delivered'),
    });
  });
});
