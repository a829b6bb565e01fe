import { startAppHarness, type AppHarness } from '../support/app-harness';
import { smsReceived, smsReceivedCloudEventPascal, whatsAppSms } from '../support/events';
import { registerUpTo } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

describe('smsEvents: SMSReceived', () => {
  it('reads the code of an ACS number, verifies it and connects, once, however often the batch comes', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs' });
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    const verifyCalls = app.sandbox.state.calls('verify_code');
    const batch = [smsReceived('+15550000000', 'unrelated'), smsReceived(phoneNumber, whatsAppSms(code))];
    for (let delivery = 0; delivery < 3; delivery += 1) expect((await app.deliver('smsEvents', batch)).status).toBe(202);
    expect(app.sandbox.state.calls('verify_code')).toBe(verifyCalls + 1);
    const registration = await app.call('getRegistration', { params: { id } });
    expect(registration.json).toMatchObject({ stage: 'Connected', status: 'DisplayNameReviewPending' });
    const history = (await app.call('getRegistrationHistory', { params: { id } })).json.items;
    const bySms = history.filter((item: { cause: string }) => item.cause === 'sms');
    expect(bySms.map((item: { to: { stage: string } }) => item.to.stage)).toEqual(['CodeVerified', 'Connected']);
    expect(bySms[0].eventId).toBe(batch[1]!.id);
    expect(JSON.stringify(history)).not.toContain(code);
  });

  it('accepts CloudEvents with PascalCase keys and numbers without +', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs' });
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    const delivery = await app.deliver(
      'smsEvents',
      smsReceivedCloudEventPascal(phoneNumber, `<#> Your WhatsApp code: ${code.slice(0, 3)}-${code.slice(3)} FA+9qCX9VSu`),
    );
    expect(delivery.status).toBe(202);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('Connected');
  });

  it('ignores an SMS without a WhatsApp code, and never logs the text or the full number', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs' });
    const delivery = await app.deliver('smsEvents', smsReceived(phoneNumber, 'Your bank code is 553-210'));
    expect(delivery.status).toBe(202);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('CodeRequested');
    const logs = delivery.logs.join('\n');
    expect(logs).not.toContain('553-210');
    expect(logs).not.toContain(phoneNumber.slice(1));
    expect(logs).toContain('****');
  });

  it('ignores the code of a bring-your-own number, and says that is why', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'byo' });
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    const delivery = await app.deliver('smsEvents', smsReceived(phoneNumber, whatsAppSms(code)));
    expect(delivery.status).toBe(202);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('CodeRequested');
    const logs = delivery.logs.join('\n');
    expect(logs).toMatch(/SMS ignored: the number is bring-your-own/);
    expect(logs).toContain(id);
    expect(logs).not.toMatch(/no registration is waiting/);
    expect(logs).not.toContain(code);
  });

  it('says when no registration has the number', async () => {
    const delivery = await app.deliver('smsEvents', smsReceived('+14255550177', whatsAppSms('123456')));
    expect(delivery.status).toBe(202);
    expect(delivery.logs.join('\n')).toMatch(/SMS ignored: no registration has this number .*"outcome":"no-registration"/s);
  });

  it('says which stage the registration is in when it is not waiting for a code', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'ProfileSelected', { source: 'acs' });
    const delivery = await app.deliver('smsEvents', smsReceived(phoneNumber, whatsAppSms('123456')));
    expect(delivery.status).toBe(202);
    expect(delivery.logs.join('\n')).toMatch(/SMS ignored: the registration is in stage ProfileSelected, not CodeRequested/);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('ProfileSelected');
  });

  it('throws on a Meta outage so Event Grid redelivers, and the redelivery connects', async () => {
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs' });
    const event = smsReceived(phoneNumber, whatsAppSms(app.sandbox.state.lastCode(phoneNumber)!));
    app.sandbox.state.failNext('verify_code', { code: 2, message: 'Service temporarily unavailable', is_transient: true }, 5);
    expect((await app.deliver('smsEvents', [event])).status).toBe(500);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('CodeRequested');
    app.sandbox.state.clearFailures();
    expect((await app.deliver('smsEvents', [event])).status).toBe(202);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('Connected');
  });

  it('drops malformed events instead of failing the batch forever', async () => {
    const delivery = await app.deliver('smsEvents', [{ nonsense: true }, { ...smsReceived('+14255550100', 'x'), data: { message: 'no to' } }]);
    expect(delivery.status).toBe(202);
    expect(delivery.logs.join('\n')).toMatch(/dropped/);
  });
});
