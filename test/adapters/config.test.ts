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
    [{ META_APP_ID: 'my-app' }, 'META_APP_ID'],
  ])('refuses %p naming the setting', (env, name) => {
    expect(() => loadConfig({ REGISTRATION_PIN_SECRET: 's', ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ REGISTRATION_PIN_SECRET: 's', ...env })).toThrow(name);
  });

  it('requires the secrets in Azure and names the missing ones', () => {
    expect(() => loadConfig({ WEBSITE_SITE_NAME: 'func', REGISTRATION_PIN_SECRET: 's', META_ACCESS_TOKEN: 't' })).toThrow(
      'Missing required app setting(s): META_APP_SECRET, META_WEBHOOK_VERIFY_TOKEN, REGISTRATION_STORAGE or AzureWebJobsStorage',
    );
  });

  it('refuses a Key Vault reference the platform has not resolved, naming the setting', () => {
    expect(() => loadConfig({ REGISTRATION_PIN_SECRET: 's', META_APP_SECRET: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x)' })).toThrow(
      'Key Vault reference(s) not resolved: META_APP_SECRET',
    );
  });

  it('takes META_APP_ID as optional, even in Azure (only Embedded Signup needs it)', () => {
    expect(loadConfig({ REGISTRATION_PIN_SECRET: 's' }).metaAppId).toBeUndefined();
    expect(loadConfig({ REGISTRATION_PIN_SECRET: 's', META_APP_ID: ' 1234567890 ' }).metaAppId).toBe('1234567890');
    const azure = {
      WEBSITE_SITE_NAME: 'func',
      REGISTRATION_STORAGE: 'https://account.table.core.windows.net',
      REGISTRATION_PIN_SECRET: 's',
      META_ACCESS_TOKEN: 't',
      META_APP_SECRET: 'a',
      META_WEBHOOK_VERIFY_TOKEN: 'v',
    };
    expect(loadConfig(azure).metaAppId).toBeUndefined();
  });

  it('recognises the development storage setting', () => {
    expect(isDevelopmentStorage('UseDevelopmentStorage=true')).toBe(true);
    expect(isDevelopmentStorage('DefaultEndpointsProtocol=https;AccountName=x')).toBe(false);
  });
});
