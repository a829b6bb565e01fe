import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { httpEndpoints } from '../../src/app';
import { openApi } from '../../src/functions/openapi';
import type { Services } from '../../src/functions/services';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const bin = (...segments: string[]) => path.join(ROOT, 'node_modules', ...segments);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let folder: string;
let documentFile: string;
let document: Json;
let typesFile: string;
/** The two tools run side by side from the start (they are the slow part); each test awaits its own. */
let lint: Promise<string>;
let generate: Promise<void>;

const runTool = (name: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) => {
  const result = run(process.execPath, args, { ...options, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout }) => stdout,
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`${name} failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    },
  );
  result.catch(() => undefined); // reported by the test that awaits it
  return result;
};

/** The document exactly as GET /api/openapi.json serves it. */
async function servedDocument(): Promise<string> {
  const response = await openApi.handle({} as never, { endpoints: () => httpEndpoints } as unknown as Services);
  return response.body as string;
}

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'openapi-'));
  documentFile = path.join(folder, 'openapi.json');
  const body = await servedDocument();
  writeFileSync(documentFile, body);
  document = JSON.parse(body);
  lint = runTool(
    'redocly lint',
    [bin('@redocly', 'cli', 'bin', 'cli.js'), 'lint', documentFile, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'json'],
    {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  typesFile = path.join(folder, 'api.d.ts');
  generate = runTool('openapi-typescript', [bin('openapi-typescript', 'bin', 'cli.js'), documentFile, '--output', typesFile], { cwd: folder }).then(
    () => undefined,
  );
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const operations = (): Array<{ method: string; path: string; operation: Json }> =>
  Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path: route, operation })),
  );

const resolvePointer = (pointer: string): unknown =>
  pointer
    .slice(2)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, segment) => (node === undefined ? undefined : node[segment]), document);

describe('the OpenAPI document', () => {
  it('resolves every $ref inside itself, and every named schema lives under components/schemas', () => {
    const refs: string[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === '$defs') throw new Error('a schema carries its own $defs');
        if (key === '$ref') refs.push(value as string);
        else visit(value);
      }
    };
    visit(document);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(resolvePointer(ref)).toEqual(expect.any(Object));
    }
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Problem', 'Registration']));
  });

  it('declares each operation’s problems as application/problem+json with the Problem schema', () => {
    const problem = document.components.schemas.Problem;
    expect(problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(Object.keys(problem.properties)).toEqual(['type', 'title', 'status', 'detail', 'code', 'errors', 'suggestedAction']);
    expect(problem.properties.errors.items.required).toEqual(['path', 'message']);

    const responses = (method: string, route: string) => document.paths[route][method].responses as Record<string, Json>;
    const problemStatuses = (method: string, route: string) =>
      Object.entries(responses(method, route))
        .filter(([, response]) => response.content?.['application/problem+json']?.schema?.$ref === '#/components/schemas/Problem')
        .map(([status]) => status);

    // Containing, not equal: roles add 401 and 403 to the endpoints that need one.
    expect(problemStatuses('post', '/api/registrations')).toEqual(expect.arrayContaining(['400', '409', '413', '415', '503']));
    expect(problemStatuses('get', '/api/registrations/{id}')).toEqual(expect.arrayContaining(['404', '503']));
    expect(problemStatuses('get', '/api/registrations')).toEqual(expect.arrayContaining(['400', '503']));
    expect(problemStatuses('put', '/api/registrations/{id}/channel')).toEqual(expect.arrayContaining(['400', '404', '412', '413', '415', '422', '503']));
    expect(problemStatuses('delete', '/api/registrations/{id}')).toEqual(expect.arrayContaining(['404', '409', '412', '503']));
    expect(problemStatuses('post', '/api/meta/webhook')).toEqual(expect.arrayContaining(['401']));
    expect(problemStatuses('get', '/api/health')).toEqual([]);

    const cooldown = responses('post', '/api/registrations/{id}/verification')['429'];
    expect(cooldown.headers['Retry-After']).toMatchObject({ required: true, schema: { type: 'integer' } });
    expect(responses('post', '/api/registrations')['503'].headers['Retry-After']).toBeDefined();
    // Every operation answers something documented for a success.
    for (const { operation } of operations()) expect(Object.keys(operation.responses).some((status) => /^2/.test(status))).toBe(true);
  });

  it('passes redocly lint with the recommended rules: no error, and only the warnings redocly.yaml explains', async () => {
    const stdout = await lint;
    const report = JSON.parse(stdout) as { totals: { errors: number }; problems: Array<{ ruleId: string; severity: string; message: string }> };
    expect(report.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    expect(report.totals.errors).toBe(0);
    const explained = ['operation-4xx-response'];
    expect(report.problems.filter((problem) => !explained.includes(problem.ruleId))).toEqual([]);
  });

  it('generates a typed client with openapi-typescript that type-checks against usage', async () => {
    await generate;
    const usage = path.join(folder, 'usage.ts');
    writeFileSync(
      usage,
      [
        "import type { components, operations, paths } from './api';",
        "type Registration = components['schemas']['Registration'];",
        "type Problem = components['schemas']['Problem'];",
        "type Created = paths['/api/registrations']['post']['responses'][201]['content']['application/json'];",
        "type CreateBody = NonNullable<operations['createRegistration']['requestBody']>['content']['application/json'];",
        "type NotFound = paths['/api/registrations/{id}']['get']['responses'][404]['content']['application/problem+json'];",
        "type Page = operations['listRegistrations']['responses'][200]['content']['application/json'];",
        "export const body: CreateBody = { phoneNumber: '+14255550123', phoneNumberSource: 'acs' };",
        "export const stageOf = (created: Created): Registration['stage'] => created.stage;",
        'export const firstIds = (page: Page): string[] => page.items.map((item) => item.id);',
        "export const codeOf = (problem: NotFound): Problem['code'] => problem.code;",
        'export const fieldErrors = (problem: Problem): string[] => (problem.errors ?? []).map((error) => `${error.path}: ${error.message}`);',
        '// @ts-expect-error a stage the API does not have',
        "export const unknownStage: Registration['stage'] = 'Nowhere';",
        '// @ts-expect-error a registration has no such field',
        'export const wrongField = (registration: Registration) => registration.colour;',
      ].join('\n'),
    );
    // The generated declarations are checked too (no skipLibCheck); the standard library is not.
    const options = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipDefaultLibCheck: true,
    };
    const program = ts.createProgram([usage], options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });
});
