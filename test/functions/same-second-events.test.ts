import { startAppHarness, type AppHarness } from '../support/app-harness';
import { signedWebhook, webhookEnvelope } from '../support/events';
import { registerUpTo, testClock } from '../support/onboarding';

/**
 * Meta's entry.time has whole seconds; our reads of Meta have milliseconds. With the clock held
 * still, the read that connects a number and the webhook that follows fall in the same second.
 */
const clock = testClock(Math.floor(Date.now() / 1000) * 1000 + 500);
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ services: { clock } })));
afterAll(() => app.close());

const statusOf = async (id: string) => (await app.call('getRegistration', { params: { id } })).json.status as string;
const thisSecond = () => Math.floor(clock.now().getTime() / 1000);
const nameUpdate = (wabaId: string, phoneNumber: string, decision: string) =>
  signedWebhook(
    webhookEnvelope(wabaId, [{ field: 'phone_number_name_update', value: { display_phone_number: phoneNumber.slice(1), decision } }], thisSecond()),
  );

describe('a webhook in the same second as the last read of Meta', () => {
  it('applies a newer display-name decision (Meta, read again, confirms it)', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'SameSecondNewer', newNumberNameStatus: 'PENDING_REVIEW' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    expect(await statusOf(id)).toBe('DisplayNameReviewPending');
    app.sandbox.state.setNameStatus(phoneNumber, 'APPROVED');
    expect((await app.call('metaWebhook', nameUpdate(waba.id, phoneNumber, 'APPROVED'))).status).toBe(200);
    expect(await statusOf(id)).toBe('Active');
  });

  it('does not let an older decision undo a newer read', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'SameSecondOlder', newNumberNameStatus: 'APPROVED' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    expect(await statusOf(id)).toBe('Active');
    expect((await app.call('metaWebhook', nameUpdate(waba.id, phoneNumber, 'PENDING_REVIEW'))).status).toBe(200);
    expect(await statusOf(id)).toBe('Active');
  });

  it('applies a PARTNER_REMOVED in the same second as the connecting read', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'SameSecondPartner' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    app.sandbox.state.unshareWaba(waba.id);
    const removed = webhookEnvelope(
      waba.id,
      [{ field: 'account_update', value: { event: 'PARTNER_REMOVED', waba_info: { waba_id: waba.id, owner_business_id: '1' } } }],
      thisSecond(),
    );
    expect((await app.call('metaWebhook', signedWebhook(removed))).status).toBe(200);
    expect(await statusOf(id)).toBe('Revoked');
  });

  it('keeps ordering by time when the seconds differ: an event a second older than the read is dropped without asking Meta', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'OlderSecond', newNumberNameStatus: 'APPROVED' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const reads = app.sandbox.state.calls('get_waba');
    const older = signedWebhook(
      webhookEnvelope(
        waba.id,
        [{ field: 'phone_number_name_update', value: { display_phone_number: phoneNumber.slice(1), decision: 'REJECTED' } }],
        thisSecond() - 1,
      ),
    );
    expect((await app.call('metaWebhook', older)).status).toBe(200);
    expect(await statusOf(id)).toBe('Active');
    expect(app.sandbox.state.calls('get_waba')).toBe(reads);
  });
});
