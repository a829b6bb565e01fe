import { httpEndpoints } from '../../src/app';
import { openApi } from '../../src/functions/openapi';
import type { Services } from '../../src/functions/services';
import { ApiContract, type ObservedResponse } from './api-contract';

/** The checker every e2e call goes through must refuse what the document does not describe. */
describe('ApiContract', () => {
  let contract: ApiContract;
  beforeAll(async () => {
    const served = await openApi.handle({} as never, { endpoints: () => httpEndpoints } as unknown as Services);
    contract = new ApiContract(JSON.parse(served.body as string));
  });

  const problem = {
    type: 'urn:whatsapp-acs-onboarding:problem:not-found',
    title: 'Not found',
    status: 404,
    detail: 'Registration x does not exist.',
    code: 'not-found',
  };
  const response = (
    overrides: Partial<Omit<ObservedResponse, 'headers'>> & { headers?: Record<string, string>; body?: unknown; contentType?: string },
  ): ObservedResponse => ({
    method: overrides.method ?? 'GET',
    path: overrides.path ?? '/api/registrations/x',
    status: overrides.status ?? 404,
    headers: new Headers(overrides.headers ?? { 'content-type': overrides.contentType ?? 'application/problem+json' }),
    text: overrides.text ?? JSON.stringify(overrides.body ?? problem),
  });

  it('accepts a documented problem, and a literal route with a query string', () => {
    expect(() => contract.check(response({}))).not.toThrow();
    const page = { items: [], nextCursor: null };
    expect(() => contract.check(response({ path: '/api/registrations?limit=5', status: 200, contentType: 'application/json', body: page }))).not.toThrow();
  });

  it('refuses an unknown operation, an undocumented status or media type, and a body off the schema', () => {
    expect(() => contract.check(response({ path: '/api/nowhere' }))).toThrow(/no operation/);
    expect(() => contract.check(response({ method: 'PATCH' }))).toThrow(/no operation/);
    expect(() => contract.check(response({ status: 418 }))).toThrow(/status not in the OpenAPI document/);
    expect(() => contract.check(response({ contentType: 'text/html' }))).toThrow(/content-type text\/html/);
    expect(() => contract.check(response({ body: { ...problem, code: undefined } }))).toThrow(/must have required property 'code'/);
    expect(() => contract.check(response({ status: 200, contentType: 'application/json', body: { id: 'x' } }))).toThrow(/does not match/);
    expect(() => contract.check(response({ method: 'DELETE', status: 204, text: 'unexpected' }))).toThrow(/does not describe/);
  });

  it('requires Retry-After where the document does', () => {
    const cooldown = { ...problem, status: 429, code: 'verification-cooldown', title: 'Verification code requested too recently' };
    const request = { method: 'POST', path: '/api/registrations/x/verification', status: 429, body: cooldown };
    expect(() => contract.check(response(request))).toThrow(/Retry-After/);
    expect(() => contract.check(response({ ...request, headers: { 'content-type': 'application/problem+json', 'retry-after': '30' } }))).not.toThrow();
  });
});
