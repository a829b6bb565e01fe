/**
 * A role definition id that names no built-in role fails the whole deployment with
 * RoleDefinitionDoesNotExist, and one that names another role grants the wrong rights without a
 * word; no Bicep compiler can tell. So every id is a named constant in infra/roles.bicep, checked
 * here against the table copied from Microsoft's "Azure built-in roles" page.
 */
import builtInRoles from '../fixtures/azure-built-in-roles.json';
import { literalString, objectProperties, readInfra, variable, type BicepFile } from '../support/bicep';

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ROLES_FILE = 'roles.bicep';

/** "Storage Blob Data Owner" → "storageBlobDataOwner", the key the role has in infra/roles.bicep. */
const constantName = (roleName: string): string =>
  roleName
    .split(/\s+/)
    .map((word, index) => (index === 0 ? word.charAt(0).toLowerCase() + word.slice(1) : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');

const builtInById = new Map(builtInRoles.roles.map((role) => [role.id.toLowerCase(), role.name]));
const builtInByConstant = new Map(builtInRoles.roles.map((role) => [constantName(role.name), role]));

let files: BicepFile[];
beforeAll(async () => {
  files = await readInfra();
});

describe('built-in role ids in the Bicep templates', () => {
  it('every id anywhere in the templates is a built-in role id from the table', () => {
    const unknown = files.flatMap((file) =>
      [...file.source.matchAll(GUID)].filter(([id]) => !builtInById.has(id.toLowerCase())).map(([id]) => `${file.name}: ${id}`),
    );
    expect(unknown).toEqual([]);
  });

  it('ids are written only in infra/roles.bicep, so every other file names its roles', () => {
    const elsewhere = files.filter((file) => file.name !== ROLES_FILE).flatMap((file) => [...file.source.matchAll(GUID)].map(([id]) => `${file.name}: ${id}`));
    expect(elsewhere).toEqual([]);
  });

  it('each constant in infra/roles.bicep has the id the table gives that role name', () => {
    const rolesFile = files.find((file) => file.name === ROLES_FILE);
    const roles = rolesFile && variable(rolesFile, 'roles');
    expect(roles?.type).toBe('object');
    const constants = objectProperties(roles!).map(({ key, value }) => ({ key, id: literalString(value) }));
    expect(constants.length).toBeGreaterThan(0);
    for (const { key, id } of constants) {
      const role = builtInByConstant.get(key);
      expect({ key, role: role?.name ?? 'no built-in role of that name in the table', id }).toEqual({ key, role: role?.name, id: role?.id });
    }
  });

  it('every roles.<name> the templates use is declared in infra/roles.bicep', () => {
    const rolesFile = files.find((file) => file.name === ROLES_FILE)!;
    const declared = new Set(objectProperties(variable(rolesFile, 'roles')!).map(({ key }) => key));
    const used = files.flatMap((file) =>
      file.root
        .descendantsOfType('member_expression')
        .filter((expression) => expression.namedChildren[0]?.text === 'roles')
        .map((expression) => ({ file: file.name, name: expression.namedChildren[1]?.text ?? '' })),
    );
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter(({ name }) => !declared.has(name))).toEqual([]);
  });
});
