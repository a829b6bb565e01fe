import { httpEndpoints } from '../../../src/app';
import { buildOpenApiDocument } from '../../../src/functions/http/openapi-document';

type Operation = { operationId: string; security?: Array<Record<string, string[]>>; responses: Record<string, { content?: Record<string, unknown> }> };

const document = buildOpenApiDocument(httpEndpoints, { title: 't', version: '1' });
const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods) as Operation[]);
const operation = (id: string): Operation => operations.find((candidate) => candidate.operationId === id)!;

describe('the OpenAPI document declares §5.1', () => {
  it('has a bearer security scheme for the Entra ID token App Service Authentication checks', () => {
    expect(document.components.securitySchemes).toMatchObject({ entraId: { type: 'http', scheme: 'bearer' } });
  });

  it.each(httpEndpoints.filter((spec) => spec.roles !== 'none').map((spec) => [spec.name, spec.roles] as const))(
    '%s needs one of its roles and may answer 401 and 403 as problems',
    (name, roles) => {
      const op = operation(name);
      expect(op.security).toEqual((roles as readonly string[]).map((role) => ({ functionKey: [], entraId: [role] })));
      for (const status of ['401', '403']) expect(op.responses[status]?.content?.['application/problem+json']).toBeDefined();
    },
  );

  it('names Registrations.Ops alone for the reconcile runs, and both roles for registrations', () => {
    expect(operation('listReconcileRuns').security).toEqual([{ functionKey: [], entraId: ['Registrations.Ops'] }]);
    expect(operation('getRegistration').security).toEqual([
      { functionKey: [], entraId: ['Registrations.Write'] },
      { functionKey: [], entraId: ['Registrations.Ops'] },
    ]);
  });

  it.each(['health', 'openApi', 'metaWebhook', 'metaWebhookVerify'])('%s needs no principal', (name) => {
    const op = operation(name);
    expect(JSON.stringify(op.security ?? [])).not.toContain('entraId');
  });
});
