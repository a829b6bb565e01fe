import { createHmac } from 'node:crypto';
import partnerRemoved from '../fixtures/meta-webhook.account-update.partner-removed.json';
import type { E2eApi } from '../support/e2e-api';
import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';
import { until as untilReached } from '../support/eventually';

const APP_SECRET = 'e2e-app-secret';
let host: LocalHostProcess;
beforeAll(async () => (host = await startLocalHostProcess({ META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: 'e2e-verify' })), 90_000);
afterAll(() => host?.stop());

const json: E2eApi = (...args) => host.api(...args);

const until = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => untilReached(read, done, what, () => host.output());

describe('events on the local host', () => {
  it('connects an ACS number with no manual code, revokes it on a signed PARTNER_REMOVED, and shows both in /api/events', async () => {
    const created = await json('POST', '/api/registrations', { phoneNumber: '+1 425 555 0177', phoneNumberSource: 'acs' });
    const id = created.json.id as string;
    await json('PUT', `/api/registrations/${id}/business-account`, { businessId: '100000000000001' });
    await json('PUT', `/api/registrations/${id}/whatsapp-profile`, { whatsAppBusinessAccountId: '200000000000001', displayName: 'Contoso Bikes' });
    expect((await json('POST', `/api/registrations/${id}/verification`, { method: 'SMS' })).status).toBe(202);

    // The sandbox texts the code to the ACS number; smsEvents reads it and finishes the registration.
    const connected = await until(
      () => json('GET', `/api/registrations/${id}`),
      (r) => r.json.stage === 'Connected',
      'Connected',
    );
    expect(connected.json.status).toBe('DisplayNameReviewPending');
    const history = (await json('GET', `/api/registrations/${id}/history`)).json.items;
    expect(history.filter((item: { cause: string }) => item.cause === 'sms').map((item: { to: { stage: string } }) => item.to.stage)).toEqual([
      'CodeVerified',
      'Connected',
    ]);

    const envelope = structuredClone(partnerRemoved);
    envelope.entry[0]!.changes[0]!.value.waba_info.waba_id = '200000000000001';
    envelope.entry[0]!.time = Math.floor(Date.now() / 1000) + 5;
    const body = JSON.stringify(envelope);
    const bad = await json('POST', '/api/meta/webhook', body, { 'x-hub-signature-256': 'sha256=00' });
    expect(bad.status).toBe(401);
    const signature = `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
    const good = await json('POST', '/api/meta/webhook', body, { 'x-hub-signature-256': signature });
    expect(good.status).toBe(200);
    await until(
      () => json('GET', `/api/registrations/${id}`),
      (r) => r.json.status === 'Revoked',
      'Revoked',
    );
    // Without a topic the change is delivered to the accountEvents function itself (docs/design.md §8).
    expect(host.output()).toMatch(/Executed 'Functions\.accountEvents' \(Succeeded/);

    const events = (await json('GET', '/api/events?limit=100')).json.items.filter(
      (event: { data: { registrationId: string } }) => event.data.registrationId === id,
    );
    expect(events.some((event: { type: string; data: { to: string } }) => event.type === 'Registration.StageChanged' && event.data.to === 'Connected')).toBe(
      true,
    );
    expect(events.at(-1)).toMatchObject({
      type: 'Registration.StatusChanged',
      data: { from: 'DisplayNameReviewPending', to: 'Revoked', cause: 'account-event' },
    });
  });

  it('probes SMS capability through the ACS sandbox and its delivery report', async () => {
    const created = await json('POST', '/api/registrations', { phoneNumber: '+1 425 555 0178', phoneNumberSource: 'acs' });
    const id = created.json.id as string;
    expect((await json('POST', `/api/registrations/${id}/sms-probe`)).status).toBe(202);
    const probed = await until(
      () => json('GET', `/api/registrations/${id}`),
      (r) => r.json.smsCapability?.send === 'confirmed',
      'smsCapability confirmed',
    );
    expect(probed.json.smsCapability.detail).toContain('Delivered');
  });

  it('runs the reconcile timer on demand through the admin endpoint, and lists the run', async () => {
    const runs = await host.reconcileNow();
    expect(runs[0]).toMatchObject({ outcome: 'completed', failed: 0 });
  });
});
