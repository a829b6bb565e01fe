import { ACCOUNT_STATUSES, STAGES } from '../../src/domain/stages';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

describe('GET /api/registrations/summary', () => {
  it('names every status and stage, zeros included, and counts what is stored', async () => {
    const empty = await app.call('getRegistrationSummary');
    expect(empty.status).toBe(200);
    expect(Object.keys(empty.json.byStatus).sort()).toEqual([...ACCOUNT_STATUSES].sort());
    expect(Object.keys(empty.json.byStage).sort()).toEqual([...STAGES].sort());
    expect(empty.json.total).toBe(0);
    expect(Number.isNaN(Date.parse(empty.json.asOf))).toBe(false);

    await registerUpTo(app, 'SignupStarted');
    await registerUpTo(app, 'ProfileSelected');
    const connected = await registerUpTo(app, 'Connected');
    expect((await app.call('disconnectRegistration', { params: { id: connected.id } })).status).toBe(200);

    const summary = await app.call('getRegistrationSummary');
    expect(summary.json.total).toBe(3);
    expect(summary.json.byStage).toMatchObject({ SignupStarted: 1, ProfileSelected: 1, Connected: 1, Cancelled: 0 });
    expect(summary.json.byStatus).toMatchObject({ Disconnected: 1, Active: 0 });
    const statusSum = Object.values(summary.json.byStatus as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(statusSum).toBe(summary.json.byStage.Connected);
  });
});

describe('GET /api/ops', () => {
  it('serves the page with a policy that allows only its own files and origin', async () => {
    const page = await app.call('opsConsole');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.text).toContain('<script type="module" src="/api/ops/app.js">');
    // The page holds no data: nothing from storage is rendered on the server.
    expect(page.text).not.toMatch(/\+\d{8,}/);
  });

  it('serves its script and style sheet, and nothing else', async () => {
    const script = await app.call('opsConsoleFile', { params: { file: 'app.js' } });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.text).toContain('/api/registrations/summary');
    expect((await app.call('opsConsoleFile', { params: { file: 'styles.css' } })).headers['content-type']).toMatch(/^text\/css/);
    for (const file of ['../package.json', 'index.htm', '.env', 'app.js.map']) {
      const response = await app.call('opsConsoleFile', { params: { file } });
      expect(response.status).toBe(404);
      expect(response.json.code).toBe('not-found');
    }
  });
});
