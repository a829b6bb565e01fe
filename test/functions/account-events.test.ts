import disabledUpdate from '../fixtures/meta-webhook.account-update.disabled-update.json';
import partnerRemoved from '../fixtures/meta-webhook.account-update.partner-removed.json';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { signedWebhook, webhookEnvelope } from '../support/events';
import { registerUpTo } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

const statusOf = async (id: string) => (await app.call('getRegistration', { params: { id } })).json.status as string;

describe('Meta webhook → account events', () => {
  it('answers the handshake only with the right token', async () => {
    const ok = await app.call('metaWebhookVerify', {
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'test-verify-token', 'hub.challenge': '1158201444' },
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('1158201444');
    expect(ok.headers['content-type']).toBe('text/plain');
    const wrong = await app.call('metaWebhookVerify', { query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' } });
    expect(wrong.status).toBe(403);
  });

  it('a signed PARTNER_REMOVED makes every registration of the WABA Revoked; a bad signature changes nothing', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Partner' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const envelope = structuredClone(partnerRemoved);
    envelope.entry[0]!.changes[0]!.value.waba_info.waba_id = waba.id;
    envelope.entry[0]!.time = Math.floor(Date.now() / 1000) + 5;

    const forged = signedWebhook(envelope, 'not-the-secret');
    const refused = await app.call('metaWebhook', { body: forged.body, headers: forged.headers });
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('invalid-signature');
    const unsigned = await app.call('metaWebhook', { body: forged.body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    expect(await statusOf(id)).toBe('DisplayNameReviewPending');

    const signed = signedWebhook(envelope);
    const accepted = await app.call('metaWebhook', { body: signed.body, headers: signed.headers });
    expect(accepted.status).toBe(200);
    expect(await statusOf(id)).toBe('Revoked');
    // Meta redelivers: same content, same event id, nothing new in history.
    const historyLength = (await app.call('getRegistrationHistory', { params: { id } })).json.items.length;
    expect((await app.call('metaWebhook', { body: signed.body, headers: signed.headers })).status).toBe(200);
    expect((await app.call('getRegistrationHistory', { params: { id } })).json.items).toHaveLength(historyLength);
    const last = (await app.call('getRegistrationHistory', { params: { id } })).json.items.at(-1);
    expect(last).toMatchObject({ cause: 'account-event', to: { status: 'Revoked' }, eventId: expect.any(String) });
  });

  it('a signed DISABLED_UPDATE with waba_ban_state as Meta documents it (an array) bans the account; REINSTATE lifts it', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Banned' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const before = await statusOf(id);
    expect(before).not.toBe('BusinessAccountReviewRejected');

    const ban = structuredClone(disabledUpdate);
    ban.entry[0]!.id = waba.id;
    ban.entry[0]!.time = Math.floor(Date.now() / 1000) + 10;
    expect((await app.call('metaWebhook', signedWebhook(ban))).status).toBe(200);
    expect(await statusOf(id)).toBe('BusinessAccountReviewRejected');

    const reinstate = structuredClone(ban);
    reinstate.entry[0]!.changes[0]!.value.ban_info.waba_ban_state = ['REINSTATE'];
    reinstate.entry[0]!.time += 10;
    expect((await app.call('metaWebhook', signedWebhook(reinstate))).status).toBe(200);
    expect(await statusOf(id)).toBe(before);
  });

  it('accountEvents applies a ban given as an array or as a single string, and REINSTATE in either form lifts it', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Banned twice' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const before = await statusOf(id);
    const base = Date.now() + 60_000;
    const banEvent = (step: number, state: unknown) => ({
      specversion: '1.0',
      id: `ban-${id}-${step}`,
      type: 'WhatsApp.AccountUpdate',
      source: `/whatsapp/business-accounts/${waba.id}`,
      data: {
        event: 'DISABLED_UPDATE',
        ban_info: { waba_ban_state: state, waba_ban_date: '2025-11-02' },
        wabaId: waba.id,
        occurredAt: new Date(base + step * 1000).toISOString(),
      },
    });
    const steps: Array<[unknown, string]> = [
      [['DISABLE'], 'BusinessAccountReviewRejected'],
      [['REINSTATE'], before],
      ['DISABLE', 'BusinessAccountReviewRejected'],
      ['REINSTATE', before],
      [['SCHEDULE_FOR_DISABLE'], before],
    ];
    for (const [step, [state, expected]] of steps.entries()) {
      expect((await app.deliver('accountEvents', banEvent(step, state))).status).toBe(202);
      expect(await statusOf(id)).toBe(expected);
    }
  });

  it('applies review and display-name decisions, and an older event never rolls a newer one back', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Reviewed' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const now = Math.floor(Date.now() / 1000) + 10;
    const digits = phoneNumber.slice(1);
    const approve = signedWebhook(
      webhookEnvelope(waba.id, [{ field: 'phone_number_name_update', value: { display_phone_number: digits, decision: 'APPROVED' } }], now + 20),
    );
    const olderReject = signedWebhook(
      webhookEnvelope(waba.id, [{ field: 'phone_number_name_update', value: { display_phone_number: digits, decision: 'REJECTED' } }], now),
    );
    await app.call('metaWebhook', approve);
    expect(await statusOf(id)).toBe('Active');
    await app.call('metaWebhook', olderReject);
    expect(await statusOf(id)).toBe('Active');
    const review = signedWebhook(webhookEnvelope(waba.id, [{ field: 'account_review_update', value: { decision: 'REJECTED' } }], now + 30));
    await app.call('metaWebhook', review);
    expect(await statusOf(id)).toBe('BusinessAccountReviewRejected');
    const quality = signedWebhook(
      webhookEnvelope(
        waba.id,
        [{ field: 'phone_number_quality_update', value: { display_phone_number: digits, event: 'UPGRADE', max_daily_conversations_per_business: 'TIER_10K' } }],
        now + 40,
      ),
    );
    await app.call('metaWebhook', quality);
    expect((await app.call('getRegistration', { params: { id } })).json.messaging.messagingLimit).toBe('TIER_10K');
  });

  it('converges to the in-order result when 200 events for 20 registrations come shuffled and duplicated', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Busy' });
    const registrations = [];
    for (let index = 0; index < 20; index += 5) {
      registrations.push(...(await Promise.all(Array.from({ length: 5 }, () => registerUpTo(app, 'Connected', { wabaId: waba.id })))));
    }
    const base = Math.floor(Date.now() / 1000) + 100;
    const decisions = ['APPROVED', 'REJECTED', 'PENDING', 'APPROVED', 'REJECTED'];
    const events = registrations.flatMap(({ phoneNumber }, r) =>
      decisions.map((_decision, step) => ({
        specversion: '1.0',
        id: `evt-${waba.id}-${r}-${step}`,
        type: 'WhatsApp.PhoneNumberNameUpdate',
        source: `/whatsapp/business-accounts/${waba.id}`,
        time: new Date((base + step) * 1000).toISOString(),
        data: {
          display_phone_number: phoneNumber.slice(1),
          decision: decisions[(step + r) % decisions.length],
          wabaId: waba.id,
          occurredAt: new Date((base + step) * 1000).toISOString(),
        },
      })),
    );
    const expected = new Map(
      registrations.map(({ id }, r) => [
        id,
        { APPROVED: 'Active', REJECTED: 'DisplayNameReviewRejected', PENDING: 'DisplayNameReviewPending' }[
          decisions[(decisions.length - 1 + r) % decisions.length]!
        ],
      ]),
    );
    // Twice each, in a fixed pseudo-random order (so a failure is reproducible).
    const deliveries = [...events, ...events].map((event, index) => ({ event, key: (index * 7919) % 997 })).sort((a, b) => a.key - b.key);
    // Batches of 10, four in flight at a time, as Event Grid delivers them.
    const batches = Array.from({ length: deliveries.length / 10 }, (_, index) => deliveries.slice(index * 10, index * 10 + 10).map(({ event }) => event));
    for (let index = 0; index < batches.length; index += 4) {
      const results = await Promise.all(batches.slice(index, index + 4).map((batch) => app.deliver('accountEvents', batch)));
      results.forEach((result) => expect(result.status).toBe(202));
    }
    for (const { id } of registrations) expect(await statusOf(id)).toBe(expected.get(id));
  });

  it('loses no update when 50 events hit one registration at once', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Hot' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const base = Date.now() + 60_000;
    const events = Array.from({ length: 50 }, (_, index) => ({
      specversion: '1.0',
      id: `hot-${id}-${index}`,
      type: 'WhatsApp.PhoneNumberNameUpdate',
      source: `/whatsapp/business-accounts/${waba.id}`,
      data: {
        display_phone_number: phoneNumber.slice(1),
        decision: index % 2 === 0 ? 'APPROVED' : 'REJECTED',
        wabaId: waba.id,
        occurredAt: new Date(base + index * 1000).toISOString(),
      },
    }));
    const results = await Promise.all(events.map((event) => app.deliver('accountEvents', event)));
    expect(results.every((result) => result.status === 202)).toBe(true);
    // The newest decision (index 49, REJECTED) wins whatever the interleaving.
    expect(await statusOf(id)).toBe('DisplayNameReviewRejected');
    const history = (await app.call('getRegistrationHistory', { params: { id } })).json.items as Array<{ from: { status: string }; to: { status: string } }>;
    // History is a chain: every entry starts where the previous one ended.
    for (let index = 1; index < history.length; index += 1) expect(history[index]!.from).toEqual(history[index - 1]!.to);
  });
});

describe('GET /api/events', () => {
  it('serves the outgoing stage and status changes oldest first, with a cursor', async () => {
    const { id } = await registerUpTo(app, 'Connected');
    const all: Array<{ type: string; data: { registrationId: string; from: string | null; to: string | null } }> = [];
    let after: string | null = null;
    do {
      const page: { json: { items: typeof all; nextCursor: string | null } } = await app.call('listEvents', {
        query: { limit: '7', ...(after ? { after } : {}) },
      });
      all.push(...page.json.items);
      after = page.json.nextCursor;
    } while (after);
    const mine = all.filter((event) => event.data.registrationId === id);
    expect(mine.filter((event) => event.type === 'Registration.StageChanged').map((event) => event.data.to)).toEqual([
      'BusinessAccountSelected',
      'ProfileSelected',
      'CodeRequested',
      'CodeVerified',
      'Connected',
    ]);
    expect(mine.filter((event) => event.type === 'Registration.StatusChanged').map((event) => event.data.to)).toEqual(['DisplayNameReviewPending']);
    expect(new Set(all.map((event) => (event as unknown as { id: string }).id)).size).toBe(all.length);
    expect(all[0]).toMatchObject({ specversion: '1.0', source: expect.stringMatching(/^\/registrations\//) });
  });
});
