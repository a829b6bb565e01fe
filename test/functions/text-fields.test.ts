import { SEED_WABA } from '../../src/local/meta-sandbox';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

const FORBIDDEN = [
  ['NUL', '\u0000'],
  ['BEL', '\u0007'],
  ['VT', '\u000b'],
  ['FF', '\u000c'],
  ['NEL (U+0085)', '\u0085'],
  ['line separator (U+2028)', '\u2028'],
  ['paragraph separator (U+2029)', '\u2029'],
] as const;

describe('names and text fields', () => {
  it.each(FORBIDDEN)('refuses a display name with %s before calling Meta, and changes nothing', async (_label, character) => {
    const { id } = await registerUpTo(app, 'BusinessAccountSelected');
    const before = app.sandbox.state.callCounts().total;
    const response = await app.call('selectWhatsAppProfile', {
      params: { id },
      body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: `Contoso${character}Bikes` },
    });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ code: 'validation-failed', errors: [{ path: 'displayName', message: expect.any(String) }] });
    expect(app.sandbox.state.callCounts().total).toBe(before);
    expect((await app.call('getRegistration', { params: { id } })).json.stage).toBe('BusinessAccountSelected');
  });

  it.each([
    ['description', { description: 'Bikes\u2029and more' }],
    ['category', { category: 'RETAIL\u0000' }],
  ])('applies the same rule to the profile %s', async (field, extra) => {
    const { id } = await registerUpTo(app, 'BusinessAccountSelected');
    const response = await app.call('selectWhatsAppProfile', {
      params: { id },
      body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: 'Contoso Bikes', ...extra },
    });
    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([{ path: field, message: expect.any(String) }]);
  });

  it('applies the same rule to a company name', async () => {
    const { id } = await registerUpTo(app, 'SignupStarted');
    const create = {
      companyName: 'Contoso\u0085Bikes',
      website: 'https://contoso.example',
      businessEmail: 'ops@contoso.example',
      businessPhone: '+14255550100',
    };
    const response = await app.call('selectBusinessAccount', { params: { id }, body: { create } });
    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([{ path: 'create.companyName', message: expect.any(String) }]);
  });

  it('still accepts names with accents, apostrophes and non-Latin scripts', async () => {
    const { id } = await registerUpTo(app, 'BusinessAccountSelected');
    const response = await app.call('selectWhatsAppProfile', {
      params: { id },
      body: { whatsAppBusinessAccountId: SEED_WABA.id, displayName: "Café Zoë's 自転車" },
    });
    expect(response.status).toBe(200);
  });
});
