/**
 * What the deployment relies on, checked without Azure and without the Bicep CLI: the templates
 * parse with the Bicep grammar, they set every setting the code requires in Azure, the Event Grid
 * subscriptions name functions the app has, Easy Auth leaves the anonymous endpoints reachable, and
 * the postdeploy hook passes what the subscriptions template asks for (docs/design.md §5.1, §7, §9).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/adapters/config';
import { REQUIRED_IN_AZURE } from '../../src/adapters/required-settings';
import { createFunctions } from '../../src/app';
import { toManifest } from '../../src/functions/manifest';
import { INFRA_DIR, literalString, objectProperties, propertiesNamed, readInfra, syntaxProblems, type BicepFile, type SyntaxNode } from '../support/bicep';

const ROOT = path.resolve(__dirname, '..', '..');
const manifest = toManifest(createFunctions(loadConfig({ REGISTRATION_PIN_SECRET: 'test' })));

let files: BicepFile[];
beforeAll(async () => {
  files = await readInfra();
});
const file = (name: string): BicepFile => {
  const found = files.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`infra/${name} is missing`);
  return found;
};

/** Objects of an array node, as key → value node maps. */
const arrayObjects = (array: SyntaxNode): Array<Map<string, SyntaxNode>> =>
  array.namedChildren.filter((item) => item.type === 'object').map((item) => new Map(objectProperties(item).map(({ key, value }) => [key, value])));

const stringItems = (array: SyntaxNode | undefined): string[] => (array?.namedChildren ?? []).map((item) => literalString(item) ?? `<not a literal: ${item.text}>`);

const declarations = (bicep: BicepFile, type: string): SyntaxNode[] => bicep.root.namedChildren.filter((child) => child.type === type);

describe('the Bicep templates', () => {
  it('parse with the Bicep grammar, with no ERROR or MISSING node', () => {
    expect(files.map((bicep) => bicep.name)).toEqual(expect.arrayContaining(['main.bicep', 'event-subscriptions.bicep', 'roles.bicep', 'modules/app.bicep']));
    expect(files.flatMap(syntaxProblems)).toEqual([]);
  });

  it('refer only to module and import files that exist', () => {
    const missing = files.flatMap((bicep) =>
      [...declarations(bicep, 'module_declaration'), ...declarations(bicep, 'import_functionality')]
        .map((declaration) => literalString(declaration.namedChildren.find((child) => child.type === 'string')))
        .filter((target): target is string => target !== undefined)
        .filter((target) => !existsSync(path.join(INFRA_DIR, path.dirname(bicep.name), target)))
        .map((target) => `${bicep.name} → ${target}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('the Function App settings in infra/modules/app.bicep', () => {
  const settingNames = (): string[] => {
    const [appSettings] = propertiesNamed(file('modules/app.bicep'), 'appSettings');
    expect(appSettings?.type).toBe('array');
    return arrayObjects(appSettings!).map((setting) => literalString(setting.get('name')) ?? '<computed name>');
  };

  it('set every setting the code requires in Azure', () => {
    const names = new Set(settingNames());
    const unmet = REQUIRED_IN_AZURE.filter((alternatives) => !alternatives.some((name) => names.has(name))).map((alternatives) => alternatives.join(' or '));
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

  it('reference only Key Vault secrets the template creates', () => {
    const app = file('modules/app.bicep');
    const secretNames = new Set(objectProperties(app.root.namedChildren.find((child) => child.type === 'variable_declaration' && child.namedChildren[0]?.text === 'secretNames')!.namedChildren[1]!).map(({ key }) => key));
    const referenced = [...app.source.matchAll(/@Microsoft\.KeyVault\(\$\{keyVaultReference\}\$\{secretNames\.(\w+)\}\)/g)].map(([, key]) => key!);
    expect(referenced.length).toBeGreaterThanOrEqual(4);
    expect(referenced.filter((key) => !secretNames.has(key))).toEqual([]);
  });
});

describe('the Event Grid subscriptions', () => {
  const destinations = (): Array<{ file: string; functionName: string }> =>
    files.flatMap((bicep) =>
      bicep.root
        .descendantsOfType('string')
        .flatMap((node) => [...node.text.matchAll(/\/functions\/([A-Za-z0-9_-]+)/g)])
        .map(([, functionName]) => ({ file: bicep.name, functionName: functionName! })),
    );

  it('name Event Grid functions the app has', () => {
    const eventGridFunctions = manifest.filter((entry) => entry.kind === 'eventGrid').map((entry) => entry.name);
    const named = destinations();
    expect(named.map((destination) => destination.functionName).sort()).toEqual(['accountEvents', 'smsEvents']);
    expect(named.filter((destination) => !eventGridFunctions.includes(destination.functionName))).toEqual([]);
  });

  it('are deployed by infra/event-subscriptions.bicep, not by main.bicep (the functions exist only after deploy)', () => {
    const modulesOf = (bicep: BicepFile) => declarations(bicep, 'module_declaration').map((declaration) => literalString(declaration.namedChildren.find((child) => child.type === 'string')));
    expect(modulesOf(file('event-subscriptions.bicep')).sort()).toEqual(['modules/account-events-subscription.bicep', 'modules/sms-events-subscription.bicep']);
    expect(modulesOf(file('main.bicep'))).not.toEqual(expect.arrayContaining(['modules/sms-events-subscription.bicep']));
  });

  describe.each(['create-event-subscriptions.sh', 'create-event-subscriptions.ps1'])('the postdeploy hook scripts/%s', (script) => {
    const text = () => readFileSync(path.join(ROOT, 'scripts', script), 'utf8');

    it('passes every parameter of infra/event-subscriptions.bicep', () => {
      const parameters = declarations(file('event-subscriptions.bicep'), 'parameter_declaration').map((declaration) => declaration.namedChildren[0]!.text);
      expect(parameters.length).toBeGreaterThan(0);
      expect(parameters.filter((name) => !new RegExp(`\\b${name}=`).test(text()))).toEqual([]);
    });

    it('requires only values azd has: its own, or outputs of main.bicep', () => {
      const outputs = new Set(declarations(file('main.bicep'), 'output_declaration').map((declaration) => declaration.namedChildren[0]!.text));
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

describe('App Service Authentication (Easy Auth) in infra/modules/app.bicep', () => {
  const authSettings = () => {
    const app = file('modules/app.bicep');
    const resource = declarations(app, 'resource_declaration').find((declaration) => declaration.text.includes("'Microsoft.Web/sites/config@") && declaration.text.includes("'authsettingsV2'"));
    expect(resource).toBeDefined();
    const [globalValidation] = resource!.descendantsOfType('object_property').filter((property) => property.namedChildren[0]?.text === 'globalValidation');
    const validation = new Map(objectProperties(globalValidation!.namedChildren[1]!).map(({ key, value }) => [key, value]));
    return { resource: resource!, validation };
  };

  it('answers 401 to unauthenticated calls', () => {
    const { validation } = authSettings();
    expect(validation.get('requireAuthentication')?.text).toBe('true');
    expect(literalString(validation.get('unauthenticatedClientAction'))).toBe('Return401');
  });

  it('excludes health, OpenAPI, the Meta webhook, Event Grid deliveries and the ops console files', () => {
    const excluded = stringItems(authSettings().validation.get('excludedPaths'));
    expect(excluded).toEqual(
      expect.arrayContaining(['/api/health', '/api/openapi.json', '/api/meta/webhook', '/runtime/webhooks/eventgrid', '/api/ops', '/api/ops/*']),
    );
    expect(excluded.filter((excludedPath) => excludedPath.startsWith('/api/registrations') || excludedPath === '/api/events' || excludedPath === '/api/*')).toEqual([]);
  });

  it('lets every anonymous HTTP function through (it needs no principal)', () => {
    const excluded = stringItems(authSettings().validation.get('excludedPaths'));
    const reachable = (route: string) => excluded.some((excludedPath) => excludedPath === route || (excludedPath.endsWith('/*') && route.startsWith(excludedPath.slice(0, -1))));
    const blocked = manifest.filter((entry) => entry.kind === 'http' && entry.authLevel === 'anonymous').map((entry) => `/api/${(entry as { route: string }).route}`).filter((route) => !reachable(route));
    expect(blocked).toEqual([]);
  });

  it('validates Entra ID tokens for the API app registration given as a parameter', () => {
    const { resource } = authSettings();
    expect(resource.text).toMatch(/clientId: apiClientId/);
    expect(resource.text).toMatch(/'api:\/\/\$\{apiClientId\}'/);
    const parameters = JSON.parse(readFileSync(path.join(INFRA_DIR, 'main.parameters.json'), 'utf8')).parameters;
    expect(parameters.apiClientId).toEqual({ value: '${API_CLIENT_ID}' });
  });
});
