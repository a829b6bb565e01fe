import { freePort, startAzurite, tableConnectionString, type RunningAzurite } from '../../src/local/azurite';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo, uniquePhoneNumber } from '../support/onboarding';

/**
 * An in-memory Azurite that restarts under traffic comes back empty: without its tables. The API
 * answers 503 storage-unavailable while it is down, and works again once it is back (the tables
 * are recreated), with health telling the truth throughout.
 */
describe('storage that goes away and comes back without its tables', () => {
  let azurite: RunningAzurite | undefined;
  let app: AppHarness;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    azurite = await startAzurite({ port });
    app = await startAppHarness({ env: { REGISTRATION_STORAGE: tableConnectionString(port) } });
  });
  afterAll(async () => {
    await app?.close();
    await azurite?.stop();
  });

  it('answers 503 storage-unavailable with Retry-After while down, then recreates the tables', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    await azurite!.stop();

    const down = await app.call('getRegistration', { params: { id } });
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({ code: 'storage-unavailable', status: 503 });
    expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.call('health')).status).toBe(503);

    azurite = await startAzurite({ port });
    const health = await app.call('health');
    expect(health.status).toBe(200);
    expect(health.json.checks.storage.status).toBe('ok');
    // The data went with the in-memory store; the service itself works again.
    expect((await app.call('getRegistration', { params: { id } })).status).toBe(404);
    const created = await app.call('createRegistration', { body: { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' } });
    expect(created.status).toBe(201);
    expect((await app.call('getRegistration', { params: { id: created.json.id } })).status).toBe(200);
    expect((await app.call('listRegistrations', { query: { stage: 'SignupStarted' } })).json.items.map((item: { id: string }) => item.id)).toContain(
      created.json.id,
    );
  }, 120_000);
});
