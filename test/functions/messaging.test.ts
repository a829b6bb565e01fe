import { startAppHarness, type AppHarness } from '../support/app-harness';
import { signedWebhook, webhookEnvelope } from '../support/events';
import { registerUpTo, testClock } from '../support/onboarding';

/** Held in the past, so that webhook times can be placed between the reads of Meta. */
const clock = testClock(Date.now() - 600_000);
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ services: { clock } })));
afterAll(() => app.close());

const get = async (id: string) => (await app.call('getRegistration', { params: { id } })).json;

/** A connected number whose display name Meta approved: status Active. */
async function activeNumber() {
  const waba = app.sandbox.state.addWaba({ name: 'Messaging' });
  const registration = await registerUpTo(app, 'Connected', { wabaId: waba.id });
  app.sandbox.state.setNameStatus(registration.phoneNumber, 'APPROVED');
  expect((await app.call('reconcileRegistration', { params: { id: registration.id } })).json).toMatchObject({
    status: 'Active',
    messaging: { canSend: true, limited: false, reason: null, blockedBy: [] },
  });
  return { ...registration, wabaId: waba.id };
}

describe("messaging carries Meta's own answer", () => {
  it('an Active account whose number Meta reports FLAGGED answers canSend false with the reason, and nothing says ready to send', async () => {
    const { id, phoneNumber } = await activeNumber();
    app.sandbox.state.setPhoneStatus(phoneNumber, 'FLAGGED');

    const reconciled = await app.call('reconcileRegistration', { params: { id } });
    expect(reconciled.status).toBe(200);
    expect(reconciled.json).toMatchObject({ stage: 'Connected', status: 'Active', messaging: { canSend: false, limited: false } });
    // Meta's health answer for the flagged number names the entity and a possible solution.
    expect(reconciled.json.messaging.blockedBy).toEqual([
      expect.objectContaining({ entity: expect.stringMatching(/^PHONE_NUMBER \d+$/), possibleSolution: expect.any(String) }),
    ]);
    expect(reconciled.json.messaging.reason).toContain('FLAGGED');
    expect(reconciled.json.statusDetails.meaning).toContain('FLAGGED');
    expect(JSON.stringify(reconciled.json)).not.toMatch(/ready to send/);
    // What reconcile answered is what is kept.
    expect((await get(id)).messaging).toEqual(reconciled.json.messaging);

    // An unchanged account read again writes nothing.
    const version = reconciled.headers.etag;
    expect((await app.call('reconcileRegistration', { params: { id } })).headers.etag).toBe(version);

    app.sandbox.state.setPhoneStatus(phoneNumber, 'CONNECTED');
    expect((await app.call('reconcileRegistration', { params: { id } })).json.messaging).toMatchObject({ canSend: true, limited: false, reason: null });
  });

  it.each(['RESTRICTED', 'BANNED', 'DISCONNECTED', 'PENDING'])('a number Meta reports %s cannot send, under any status', async (phoneStatus) => {
    const { id, phoneNumber } = await registerUpTo(app, 'Connected');
    app.sandbox.state.setPhoneStatus(phoneNumber, phoneStatus);
    const answer = (await app.call('reconcileRegistration', { params: { id } })).json;
    expect(answer.status).toBe('DisplayNameReviewPending');
    expect(answer.messaging).toMatchObject({ canSend: false });
    expect(answer.messaging.reason).toContain(phoneStatus);
  });

  it('account_review_status LIMIT_REACHED limits an Active account, with the reason', async () => {
    const { id, wabaId } = await activeNumber();
    app.sandbox.state.setAccountReviewStatus(wabaId, 'LIMIT_REACHED');
    const answer = (await app.call('reconcileRegistration', { params: { id } })).json;
    expect(answer).toMatchObject({ status: 'Active', messaging: { canSend: true, limited: true } });
    expect(answer.messaging.reason).toContain('LIMIT_REACHED');
    expect(answer.statusDetails.meaning).not.toMatch(/ready to send/);
  });

  it('a FLAGGED quality webhook blocks at once; UNFLAGGED is confirmed with Meta', async () => {
    const { id, phoneNumber, wabaId } = await activeNumber();
    const digits = phoneNumber.slice(1);
    const readAt = Math.floor(clock.now().getTime() / 1000);
    const quality = (event: string, time: number) =>
      signedWebhook(
        webhookEnvelope(wabaId, [{ field: 'phone_number_quality_update', value: { display_phone_number: digits, event, current_limit: 'TIER_1K' } }], time),
      );

    clock.advance(10);
    await app.call('metaWebhook', quality('FLAGGED', readAt + 5));
    expect((await get(id)).messaging).toMatchObject({ canSend: false, messagingLimit: 'TIER_1K' });

    // Meta still reports the number FLAGGED: UNFLAGGED alone does not unblock it.
    app.sandbox.state.setPhoneStatus(phoneNumber, 'FLAGGED');
    clock.advance(10);
    await app.call('metaWebhook', quality('UNFLAGGED', readAt + 15));
    expect((await get(id)).messaging.canSend).toBe(false);
    app.sandbox.state.setPhoneStatus(phoneNumber, 'CONNECTED');
    clock.advance(10);
    await app.call('metaWebhook', quality('UNFLAGGED', readAt + 25));
    expect((await get(id)).messaging).toMatchObject({ canSend: true, reason: null });
  });
});
