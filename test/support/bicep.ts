/**
 * The infrastructure as the Bicep compiler builds it: the ARM JSON of `bicep build --stdout`, the
 * same templates `azd up` deploys. The CLI is the one `npm run lint:infra` uses
 * (scripts/install-bicep.sh, or BICEP_PATH); without it the infra tests skip and say so, except
 * where BICEP_REQUIRED=true (CI), where a missing CLI fails them.
 */
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const INFRA_DIR = path.join(ROOT, 'infra');

interface LintInfraModule {
  bicepPath(): string | null;
  bicepRequired(): boolean;
  bicepFiles(): string[];
  compile(bicep: string, entry: string): ArmTemplate;
  infraDiagnostics(bicep: string): string[];
}
export const lintInfra = jest.requireActual<LintInfraModule>(path.join(ROOT, 'scripts', 'lint-infra.js'));

/** An ARM template (or a module's nested one): ARM expressions stay strings such as "[parameters('x')]". */
export interface ArmTemplate {
  parameters?: Record<string, { type: string; defaultValue?: unknown }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { type: string; value: unknown }>;
}

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  copy?: { name: string; count: unknown };
  properties?: Record<string, unknown> & { template?: ArmTemplate };
  [key: string]: unknown;
}

/** The CLI, or null when the tests must skip; throws where it is required and missing. */
export function bicepOrSkip(): string | null {
  const bicep = lintInfra.bicepPath();
  if (bicep) return bicep;
  if (lintInfra.bicepRequired()) throw new Error('BICEP_REQUIRED=true but there is no Bicep CLI: run scripts/install-bicep.sh');
  process.stdout.write('\nSKIPPED the Bicep compiler tests: no Bicep CLI. Run scripts/install-bicep.sh (needs dotnet), or set BICEP_PATH.\n');
  return null;
}

const compiled = new Map<string, ArmTemplate>();
/** The compiled ARM JSON of an entry template under infra/. */
export function armOf(bicep: string, entry: string): ArmTemplate {
  let template = compiled.get(entry);
  if (!template) {
    template = lintInfra.compile(bicep, entry);
    compiled.set(entry, template);
  }
  return template;
}

export const resourcesOf = (template: ArmTemplate): ArmResource[] =>
  Array.isArray(template.resources) ? template.resources : Object.values(template.resources);

/** Every resource with the template that declares it, modules' nested templates included. */
export function allResources(template: ArmTemplate): Array<{ resource: ArmResource; template: ArmTemplate }> {
  return resourcesOf(template).flatMap((resource) => {
    const nested = resource.type === 'Microsoft.Resources/deployments' ? resource.properties?.template : undefined;
    return [{ resource, template }, ...(nested ? allResources(nested) : [])];
  });
}

/**
 * The literal values an ARM expression can take, for the few shapes the templates use:
 * a literal, `variables('x')` followed by `.member` or `[copyIndex()]` steps, or a string that is no
 * expression. Anything else (parameters, references) has no value before deployment: undefined.
 */
export function literalValues(expression: unknown, template: ArmTemplate): unknown[] | undefined {
  if (typeof expression !== 'string') return [expression];
  if (!expression.startsWith('[') || expression.startsWith('[[')) return [expression];
  const inner = expression.slice(1, -1).trim();
  const literal = /^'((?:[^']|'')*)'$/.exec(inner);
  if (literal) return [literal[1]!.replace(/''/g, "'")];
  const variable = /^variables\('([^']+)'\)((?:\.[A-Za-z0-9_]+|\[copyIndex\(\)\])*)$/.exec(inner);
  if (!variable) return undefined;
  let values: unknown[] = [template.variables?.[variable[1]!]];
  for (const step of variable[2]!.match(/\.[A-Za-z0-9_]+|\[copyIndex\(\)\]/g) ?? []) {
    values = values.flatMap((value) => {
      if (step === '[copyIndex()]') return Array.isArray(value) ? value : [undefined];
      return [value && typeof value === 'object' ? (value as Record<string, unknown>)[step.slice(1)] : undefined];
    });
  }
  const resolved = values.map((value) => literalValues(value, template));
  return resolved.some((value) => value === undefined) ? undefined : resolved.flat();
}
