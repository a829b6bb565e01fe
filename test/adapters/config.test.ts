import { ConfigError, isDevelopmentStorage, loadConfig } from '../../src/adapters/config';

describe('loadConfig (docs/design.md §7)', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ REGISTRATION_PIN_SECRET: 'secret' });
    expect(config).toMatchObject({
      storage: 'UseDevelopmentStorage=true',
      meta: { graphUrl: 'https://graph.facebook.com', version: 'v25.0', accessToken: undefined },
      reconcile: { schedule: '0 */15 * * * *', timeBudgetSeconds: 240 },
      port: 7071,
      runningInAzure: false,
    });
  });

  it('prefers REGISTRATION_STORAGE over AzureWebJobsStorage', () => {
    expect(loadConfig({ REGISTRATION_PIN_SECRET: 's', AzureWebJobsStorage: 'a', REGISTRATION_STORAGE: 'https://acct.table.core.windows.net' }).storage).toBe(
      'https://acct.table.core.windows.net',
    );
  });

  it.each([
    [{}, false],
    [{ AUTH_TRUST_PRINCIPAL_HEADER: 'false' }, false],
    [{ AUTH_TRUST_PRINCIPAL_HEADER: 'true' }, true],
    [{ AUTH_TRUST_PRINCIPAL_HEADER: 'TRUE' }, true],
    [{ WEBSITE_AUTH_ENABLED: 'True' }, true],
    [{ WEBSITE_AUTH_ENABLED: 'true' }, true],
    [{ WEBSITE_AUTH_ENABLED: 'False' }, false],
    [{ WEBSITE_AUTH_ENABLED: 'False', AUTH_TRUST_PRINCIPAL_HEADER: 'true' }, true],
  ])('trusts the principal header only when Easy Auth is on or when told to: %p → %p', (env, trusted) => {
    expect(loadConfig({ REGISTRATION_PIN_SECRET: 's', ...env }).auth).toEqual({ trustPrincipalHeader: trusted });
  });

  it.each([
    [{ META_GRAPH_VERSION: '25' }, 'META_GRAPH_VERSION'],
    [{ AUTH_TRUST_PRINCIPAL_HEADER: 'yes' }, 'AUTH_TRUST_PRINCIPAL_HEADER'],
    [{ META_GRAPH_URL: 'not a url' }, 'META_GRAPH_URL'],
    [{ PORT: 'seventy' }, 'PORT'],
    [{ RECONCILE_TIME_BUDGET_SECONDS: '1' }, 'RECONCILE_TIME_BUDGET_SECONDS'],
  ])('refuses %p naming the setting', (env, name) => {
    expect(() => loadConfig({ REGISTRATION_PIN_SECRET: 's', ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ REGISTRATION_PIN_SECRET: 's', ...env })).toThrow(name);
  });

  it('requires the secrets in Azure and names the missing ones', () => {
    expect(() => loadConfig({ WEBSITE_SITE_NAME: 'func', REGISTRATION_PIN_SECRET: 's', META_ACCESS_TOKEN: 't' })).toThrow(
      'Missing required app setting(s): META_APP_SECRET, META_WEBHOOK_VERIFY_TOKEN',
    );
  });

  it('recognises the development storage setting', () => {
    expect(isDevelopmentStorage('UseDevelopmentStorage=true')).toBe(true);
    expect(isDevelopmentStorage('DefaultEndpointsProtocol=https;AccountName=x')).toBe(false);
  });
});
