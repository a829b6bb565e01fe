/**
 * A role definition id that names no built-in role fails the whole deployment with
 * RoleDefinitionDoesNotExist, and one that names another role grants the wrong rights without a
 * word; the Bicep compiler cannot tell. So every id is a named constant in infra/roles.bicep, and
 * every role assignment of the compiled templates is checked against the table copied from
 * Microsoft's "Azure built-in roles" page.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import builtInRoles from '../fixtures/azure-built-in-roles.json';
import { allResources, armOf, bicepOrSkip, lintInfra, literalValues } from '../support/bicep';

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** "Storage Blob Data Owner" → "storageBlobDataOwner", the key the role has in infra/roles.bicep. */
const constantName = (roleName: string): string =>
  roleName
    .split(/\s+/)
    .map((word, index) => (index === 0 ? word.charAt(0).toLowerCase() + word.slice(1) : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');

const builtInById = new Map(builtInRoles.roles.map((role) => [role.id.toLowerCase(), role.name]));
const builtInByConstant = new Map(builtInRoles.roles.map((role) => [constantName(role.name), role]));
const bicep = bicepOrSkip();
const describeCompiled = bicep ? describe : describe.skip;

describe('built-in role ids in the Bicep sources', () => {
  it('are written only in infra/roles.bicep, so every other file names its roles', () => {
    const elsewhere = lintInfra
      .bicepFiles()
      .filter((file) => path.basename(file) !== 'roles.bicep')
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(GUID)].map(([id]) => `${file}: ${id}`));
    expect(elsewhere).toEqual([]);
  });
});

describeCompiled('built-in role ids in the compiled templates', () => {
  it('each constant in infra/roles.bicep has the id the table gives that role name', () => {
    const roles = armOf(bicep!, 'roles.bicep').variables?.roles as Record<string, string>;
    expect(Object.keys(roles).length).toBeGreaterThan(0);
    for (const [key, id] of Object.entries(roles)) {
      const role = builtInByConstant.get(key);
      expect({ key, role: role?.name ?? 'no built-in role of that name in the table', id }).toEqual({ key, role: role?.name, id: role?.id });
    }
  });

  it.each(['main.bicep', 'event-subscriptions.bicep'])('every role assignment %s deploys grants a built-in role by its id', (entry) => {
    const assignments = allResources(armOf(bicep!, entry)).filter(({ resource }) => resource.type === 'Microsoft.Authorization/roleAssignments');
    if (entry === 'main.bicep') expect(assignments.length).toBeGreaterThanOrEqual(8);
    const wrong = assignments.flatMap(({ resource, template }) => {
      const definition = String((resource.properties as { roleDefinitionId: string }).roleDefinitionId);
      const argument = /^\[subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', (.+)\)\]$/.exec(definition)?.[1];
      const ids = argument ? literalValues(`[${argument}]`, template) : undefined;
      if (!ids || ids.length === 0) return [`${resource.name}: ${definition} names no literal role id`];
      return ids.filter((id) => !builtInById.has(String(id).toLowerCase())).map((id) => `${resource.name}: ${String(id)} is no built-in role`);
    });
    expect(wrong).toEqual([]);
  });
});
