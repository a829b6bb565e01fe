import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startAzurite, tableConnectionString, type RunningAzurite } from '../../src/local/azurite';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo } from '../support/onboarding';

/**
 * Storage goes away in the middle of deliveries: the delivery fails with 500 (so Event Grid
 * redelivers) and changes nothing; once storage is back the redelivery converges.
 */
describe('storage outage during an Event Grid delivery', () => {
  let azurite: RunningAzurite | undefined;
  let app: AppHarness;
  let port: number;
  const location = mkdtempSync(path.join(tmpdir(), 'azurite-outage-'));

  beforeAll(async () => {
    port = await freePort();
    azurite = await startAzurite({ port, location });
    app = await startAppHarness({ env: { REGISTRATION_STORAGE: tableConnectionString(port) } });
  });
  afterAll(async () => {
    await app?.close();
    await azurite?.stop();
    rmSync(location, { recursive: true, force: true });
  });

  it('answers 500 while Azurite is down and converges on redelivery after it restarts', async () => {
    const waba = app.sandbox.state.addWaba({ name: 'Outage' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const event = {
      specversion: '1.0',
      id: `outage-${id}`,
      type: 'WhatsApp.PhoneNumberNameUpdate',
      source: `/whatsapp/business-accounts/${waba.id}`,
      data: { display_phone_number: phoneNumber.slice(1), decision: 'APPROVED', wabaId: waba.id, occurredAt: new Date(Date.now() + 60_000).toISOString() },
    };
    await azurite!.stop();
    const during = await app.deliver('accountEvents', [event]);
    expect(during.status).toBe(500);

    azurite = await startAzurite({ port, location });
    expect((await app.call('getRegistration', { params: { id } })).json.status).toBe('DisplayNameReviewPending');
    const after = await app.deliver('accountEvents', [event]);
    expect(after.status).toBe(202);
    expect((await app.call('getRegistration', { params: { id } })).json.status).toBe('Active');
    // And a further redelivery of the same event changes nothing.
    const historyLength = (await app.call('getRegistrationHistory', { params: { id } })).json.items.length;
    expect((await app.deliver('accountEvents', [event])).status).toBe(202);
    expect((await app.call('getRegistrationHistory', { params: { id } })).json.items).toHaveLength(historyLength);
  }, 120_000);
});
