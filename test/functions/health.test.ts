import { freePort, tableConnectionString } from '../../src/local/azurite';
import { startAppHarness, type AppHarness } from '../support/app-harness';

describe('GET /api/health', () => {
  let app: AppHarness;
  afterEach(() => app?.close());

  it('answers 200 ok while storage answers', async () => {
    app = await startAppHarness();
    const response = await app.call('health');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ status: 'ok', checks: { storage: { status: 'ok' }, metaCredential: { status: 'ok' } } });
  });

  it('answers 503 when storage does not answer', async () => {
    app = await startAppHarness({ env: { REGISTRATION_STORAGE: tableConnectionString(await freePort()) } });
    const response = await app.call('health');
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({ status: 'unavailable', checks: { storage: { status: 'unavailable' } } });
  });
});
