/** docs/design.md §5.1 over the wire: the local host trusting X-MS-CLIENT-PRINCIPAL (AUTH_TRUST_PRINCIPAL_HEADER=true). */
import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';
import { uniquePhoneNumber } from '../support/onboarding';
import { as, OPS, WRITE } from '../support/principal';

let host: LocalHostProcess;
beforeAll(async () => (host = await startLocalHostProcess({ AUTH_TRUST_PRINCIPAL_HEADER: 'true' })), 90_000);
afterAll(() => host?.stop());

const api = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as any) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

const appA = as('e2e-client-app-a', WRITE);
const appB = as('e2e-client-app-b', WRITE);
const ops = as('e2e-ops', OPS);

describe('the local host with the principal header trusted', () => {
  it('says so at start-up', () => {
    expect(host.output()).toMatch(/X-MS-CLIENT-PRINCIPAL is trusted/);
  });

  it('answers 401 without a principal and 403 without the role, as problems; health needs neither', async () => {
    const anonymous = await api('GET', '/api/registrations', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    expect(anonymous.json.code).toBe('unauthenticated');
    const noRole = await api('GET', '/api/reconcile/runs', appA);
    expect(noRole.status).toBe(403);
    expect(noRole.json.code).toBe('forbidden');
    expect((await api('GET', '/api/reconcile/runs', ops)).status).toBe(200);
    expect((await api('GET', '/api/health', {})).status).toBe(200);
  });

  it('keeps each client app to its own registrations, and ops to all', async () => {
    const created = await api('POST', '/api/registrations', appA, { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' });
    expect(created.status).toBe(201);
    expect(created.json.owner).toBe('e2e-client-app-a');
    const id = created.json.id as string;
    expect((await api('GET', `/api/registrations/${id}`, appA)).status).toBe(200);
    const other = await api('GET', `/api/registrations/${id}`, appB);
    expect(other.status).toBe(404);
    expect(other.json.code).toBe('not-found');
    expect((await api('DELETE', `/api/registrations/${id}`, appB)).status).toBe(404);
    expect((await api('GET', `/api/registrations?owner=e2e-client-app-a`, appB)).json.items).toEqual([]);
    const byOps = await api('GET', `/api/registrations?owner=e2e-client-app-a`, ops);
    expect(byOps.json.items.map((item: { id: string }) => item.id)).toContain(id);
    const history = await api('GET', `/api/registrations/${id}/history`, ops);
    expect(history.json.items).toEqual([expect.objectContaining({ cause: 'api', actor: 'e2e-client-app-a' })]);
  });
});
