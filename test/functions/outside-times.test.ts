import { startAppHarness, type AppHarness } from '../support/app-harness';
import { signedWebhook, webhookEnvelope } from '../support/events';
import { registerUpTo, testClock } from '../support/onboarding';

// Held still, so "now" (a clamped time) is the time of the read that connected the number.
const clock = testClock(Math.floor(Date.now() / 1000) * 1000 + 500);
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ services: { clock } })));
afterAll(() => app.close());

const statusOf = async (id: string) => (await app.call('getRegistration', { params: { id } })).json.status as string;
const soon = (seconds: number) => new Date(clock.now().getTime() + seconds * 1000).toISOString();

function accountUpdate(wabaId: string, event: string, occurredAt: unknown) {
  return {
    specversion: '1.0',
    id: `account-${Math.random().toString(36).slice(2)}`,
    type: 'WhatsApp.AccountUpdate',
    source: `/whatsapp/business-accounts/${wabaId}`,
    data: { event, waba_info: { waba_id: wabaId }, wabaId, occurredAt },
  };
}

describe('times from outside', () => {
  it('applies an account event dated in the far future as now, so a later event still counts', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Future' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    expect((await app.deliver('accountEvents', accountUpdate(waba.id, 'PARTNER_REMOVED', '9999-12-31T23:59:59Z'))).status).toBe(202);
    expect(await statusOf(id)).toBe('Revoked');
    expect((await app.deliver('accountEvents', accountUpdate(waba.id, 'PARTNER_ADDED', soon(2)))).status).toBe(202);
    expect(await statusOf(id)).toBe('DisplayNameReviewPending');
  });

  it('drops an account event whose time is not a date', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'NotADate' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const delivery = await app.deliver('accountEvents', accountUpdate(waba.id, 'PARTNER_REMOVED', 'not-a-date'));
    expect(delivery.status).toBe(202);
    expect(delivery.logs.join('\n')).toMatch(/malformed occurredAt/);
    expect(await statusOf(id)).toBe('DisplayNameReviewPending');
  });

  it('takes a signed webhook with entry.time far in the future as received now', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'FutureWebhook' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const digits = phoneNumber.slice(1);
    const pinned = signedWebhook(
      webhookEnvelope(waba.id, [{ field: 'phone_number_name_update', value: { display_phone_number: digits, decision: 'APPROVED' } }], 99_999_999_999),
    );
    expect((await app.call('metaWebhook', pinned)).status).toBe(200);
    expect(await statusOf(id)).toBe('Active');
    const later = signedWebhook(
      webhookEnvelope(
        waba.id,
        [{ field: 'phone_number_name_update', value: { display_phone_number: digits, decision: 'REJECTED' } }],
        Math.floor(clock.now().getTime() / 1000) + 2,
      ),
    );
    expect((await app.call('metaWebhook', later)).status).toBe(200);
    expect(await statusOf(id)).toBe('DisplayNameReviewRejected');
  });
});
