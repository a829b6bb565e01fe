/**
 * What the deployment relies on, read from the ARM JSON the Bicep compiler builds (the templates
 * `azd up` deploys): the compiler and the linter report nothing, the app sets every setting the code
 * requires in Azure, the Event Grid subscriptions name functions the app has, Easy Auth leaves exactly
 * the anonymous endpoints reachable, and the postdeploy hook passes what the subscriptions template
 * asks for (docs/design.md §5.1, §7, §9).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/adapters/config';
import { REQUIRED_IN_AZURE } from '../../src/adapters/required-settings';
import { createFunctions } from '../../src/app';
import { toManifest } from '../../src/functions/manifest';
import { allResources, armOf, bicepOrSkip, INFRA_DIR, lintInfra, ROOT, type ArmResource, type ArmTemplate } from '../support/bicep';

const manifest = toManifest(createFunctions(loadConfig({ REGISTRATION_PIN_SECRET: 'test' })));
const bicep = bicepOrSkip();
const describeCompiled = bicep ? describe : describe.skip;

const main = (): ArmTemplate => armOf(bicep!, 'main.bicep');
const subscriptions = (): ArmTemplate => armOf(bicep!, 'event-subscriptions.bicep');
const resourceOfType = (template: ArmTemplate, type: string, nameEnding = ''): ArmResource => {
  const found = allResources(template).filter(({ resource }) => resource.type === type && resource.name.includes(nameEnding));
  expect(found).toHaveLength(1);
  return found[0]!.resource;
};

describeCompiled('the Bicep compiler and linter', () => {
  it('report no error and no warning on the entry templates and every file (infra/bicepconfig.json rules)', () => {
    expect(lintInfra.infraDiagnostics(bicep!)).toEqual([]);
  });

  it('would report a warning: an unused parameter in a file linted with the same rules is caught', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bicep-lint-'));
    try {
      copyFileSync(path.join(INFRA_DIR, 'bicepconfig.json'), path.join(dir, 'bicepconfig.json'));
      writeFileSync(path.join(dir, 'unused.bicep'), "param unused string = 'x'\n");
      // The CLI prints diagnostics on stderr and exits 0 on warnings: both streams are read.
      const linted = spawnSync(bicep!, ['lint', path.join(dir, 'unused.bicep')], { encoding: 'utf8' });
      const output = `${linted.stdout}${linted.stderr}`;
      expect(output).toMatch(/\) : (Warning|Error) no-unused-params: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeCompiled('the Function App settings', () => {
  const appSettings = (): Array<{ name: string; value: unknown }> => {
    const site = resourceOfType(main(), 'Microsoft.Web/sites');
    return (site.properties as { siteConfig: { appSettings: Array<{ name: string; value: unknown }> } }).siteConfig.appSettings;
  };
  const settingNames = (): string[] => appSettings().map((setting) => setting.name);

  it('set every setting the code requires in Azure', () => {
    const names = new Set(settingNames());
    const unmet = REQUIRED_IN_AZURE.filter((alternatives) => !alternatives.some((name) => names.has(name))).map((alternatives) => alternatives.join(' or '));
    expect(names.size).toBeGreaterThan(10);
    expect(unmet).toEqual([]);
  });

  it('set none that Flex Consumption rejects, and each name once', () => {
    const names = settingNames();
    const rejected = ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_NODE_DEFAULT_VERSION'];
    expect(names.filter((name) => rejected.includes(name))).toEqual([]);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('leave out what must not be set in Azure: header trust without Easy Auth, topic keys', () => {
    expect(settingNames()).not.toEqual(expect.arrayContaining(['AUTH_TRUST_PRINCIPAL_HEADER']));
    expect(settingNames()).not.toEqual(expect.arrayContaining(['EVENTGRID_TOPIC_KEY']));
  });

  it('reference only Key Vault secrets the template creates, and the secrets through Key Vault only', () => {
    const reference = /^\[format\('@Microsoft\.KeyVault\(\{0\}\{1\}\)', variables\('keyVaultReference'\), variables\('secretNames'\)\.(\w+)\)\]$/;
    const referenced = appSettings().flatMap((setting) => {
      const match = typeof setting.value === 'string' ? reference.exec(setting.value) : null;
      return match ? [{ setting: setting.name, key: match[1]! }] : [];
    });
    expect(referenced.map(({ setting }) => setting).sort()).toEqual(['META_ACCESS_TOKEN', 'META_APP_SECRET', 'META_WEBHOOK_VERIFY_TOKEN', 'REGISTRATION_PIN_SECRET']);
    const created = allResources(main())
      .filter(({ resource }) => resource.type === 'Microsoft.KeyVault/vaults/secrets')
      .map(({ resource }) => /variables\('secretNames'\)\.(\w+)\)\]$/.exec(resource.name)?.[1]);
    expect(referenced.filter(({ key }) => !created.includes(key))).toEqual([]);
  });
});

describeCompiled('the Event Grid subscriptions', () => {
  /** The function each subscription module delivers to, as the entry template names it. */
  const destinations = (): string[] =>
    allResources(subscriptions())
      .filter(({ resource }) => resource.type === 'Microsoft.Resources/deployments')
      .map(({ resource }) => String((resource.properties as { parameters: Record<string, { value: unknown }> }).parameters.functionName?.value));

  it('deliver to AzureFunction destinations: the resource id of the named function of the app', () => {
    const subscribed = allResources(subscriptions()).filter(({ resource }) => resource.type.endsWith('/eventSubscriptions'));
    expect(subscribed).toHaveLength(2);
    for (const { resource } of subscribed) {
      const destination = (resource.properties as { destination: { endpointType: string; properties: { resourceId: string } } }).destination;
      expect(destination.endpointType).toBe('AzureFunction');
      expect(destination.properties.resourceId).toMatch(/'Microsoft\.Web\/sites\/functions', parameters\('functionAppName'\), parameters\('functionName'\)\)\]$/);
    }
  });

  it('name Event Grid functions the app has', () => {
    const eventGridFunctions = manifest.filter((entry) => entry.kind === 'eventGrid').map((entry) => entry.name);
    expect(destinations().sort()).toEqual(['accountEvents', 'smsEvents']);
    expect(destinations().filter((name) => !eventGridFunctions.includes(name))).toEqual([]);
  });

  it('are deployed by infra/event-subscriptions.bicep, not by main.bicep (the functions exist only after deploy)', () => {
    expect(allResources(main()).filter(({ resource }) => resource.type.endsWith('/eventSubscriptions'))).toEqual([]);
  });

  describe.each(['create-event-subscriptions.sh', 'create-event-subscriptions.ps1'])('the postdeploy hook scripts/%s', (script) => {
    const text = () => readFileSync(path.join(ROOT, 'scripts', script), 'utf8');

    it('passes every parameter of infra/event-subscriptions.bicep', () => {
      const parameters = Object.keys(subscriptions().parameters ?? {});
      expect(parameters.length).toBeGreaterThan(0);
      expect(parameters.filter((name) => !new RegExp(`\\b${name}=`).test(text()))).toEqual([]);
    });

    it('requires only values azd has: its own, or outputs of main.bicep', () => {
      const outputs = new Set(Object.keys(main().outputs ?? {}));
      const fromAzd = new Set(['AZURE_SUBSCRIPTION_ID', 'AZURE_ENV_NAME', 'AZURE_LOCATION']);
      // sh: `: "${NAME:?…}"`; PowerShell: `$required = 'NAME', …`.
      const required = script.endsWith('.sh')
        ? [...text().matchAll(/^: "\$\{([A-Z0-9_]+):\?/gm)].map(([, name]) => name!)
        : [...(/\$required = ([^\n]+(?:\n\s+'[^\n]+)*)/.exec(text())?.[1] ?? '').matchAll(/'([A-Z0-9_]+)'/g)].map(([, name]) => name!);
      expect(required).toEqual(expect.arrayContaining(['AZURE_FUNCTION_APP_NAME', 'ACS_SYSTEM_TOPIC_NAME']));
      expect(required.filter((name) => !outputs.has(name) && !fromAzd.has(name))).toEqual([]);
    });
  });
});

describeCompiled('the outputs azd keeps', () => {
  it('include what the README and the hooks read back (azd env get-value)', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const readBack = [...readme.matchAll(/azd env get-value ([A-Z0-9_]+)/g)].map(([, name]) => name!);
    expect(readBack.length).toBeGreaterThan(0);
    const outputs = Object.keys(main().outputs ?? {});
    expect([...readBack, 'AZURE_FUNCTION_APP_NAME', 'API_BASE_URL', 'META_WEBHOOK_URL', 'AZURE_KEY_VAULT_NAME'].filter((name) => !outputs.includes(name))).toEqual([]);
  });
});

describeCompiled('App Service Authentication (Easy Auth)', () => {
  interface AuthSettings {
    globalValidation: { requireAuthentication: boolean; unauthenticatedClientAction: string; excludedPaths: string[] };
    identityProviders: { azureActiveDirectory: { registration: { clientId: string }; validation: { allowedAudiences: string[] } } };
  }
  const auth = (): AuthSettings => resourceOfType(main(), 'Microsoft.Web/sites/config', 'authsettingsV2').properties as unknown as AuthSettings;

  it('answers 401 to unauthenticated calls', () => {
    expect(auth().globalValidation).toMatchObject({ requireAuthentication: true, unauthenticatedClientAction: 'Return401' });
  });

  it('excludes exactly health, OpenAPI, the Meta webhook, Event Grid deliveries, the host admin API and the ops console files', () => {
    expect([...auth().globalValidation.excludedPaths].sort()).toEqual(
      ['/admin/functions/*', '/api/health', '/api/meta/webhook', '/api/openapi.json', '/api/ops', '/api/ops/*', '/runtime/webhooks/eventgrid'].sort(),
    );
  });

  it('lets every anonymous HTTP function through (it needs no principal)', () => {
    const excluded = auth().globalValidation.excludedPaths;
    const reachable = (route: string) => excluded.some((excludedPath) => excludedPath === route || (excludedPath.endsWith('/*') && route.startsWith(excludedPath.slice(0, -1))));
    const blocked = manifest
      .filter((entry) => entry.kind === 'http' && entry.authLevel === 'anonymous')
      .map((entry) => `/api/${(entry as { route: string }).route}`)
      .filter((route) => !reachable(route));
    expect(blocked).toEqual([]);
  });

  it('validates Entra ID tokens for the API app registration given as a parameter', () => {
    const { registration, validation } = auth().identityProviders.azureActiveDirectory;
    expect(registration.clientId).toBe("[parameters('apiClientId')]");
    expect(validation.allowedAudiences).toContain("[format('api://{0}', parameters('apiClientId'))]");
    const parameters = JSON.parse(readFileSync(path.join(INFRA_DIR, 'main.parameters.json'), 'utf8')).parameters;
    expect(parameters.apiClientId).toEqual({ value: '${API_CLIENT_ID}' });
  });
});
