/**
 * docs/design.md §5.1 through the HTTP layer, with the principal header trusted: every endpoint ×
 * every kind of caller → the status it must answer. A refused call changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { CallOptions, CallResult } from '../support/http';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { uniquePhoneNumber } from '../support/onboarding';
import { as, OPS, WRITE } from '../support/principal';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ env: { AUTH_TRUST_PRINCIPAL_HEADER: 'true' } })));
afterAll(() => app.close());

const OWNER = 'client-app-owner';
const CALLERS = {
  'no principal': {},
  'principal without role': as('client-app-no-role'),
  'Write owner': as(OWNER, WRITE),
  'Write other owner': as('client-app-other', WRITE),
  Ops: as('ops-tool', OPS),
} satisfies Record<string, Record<string, string>>;
type CallerName = keyof typeof CALLERS;
const opsHeaders = CALLERS.Ops;

interface Row {
  /** Statuses for Write owner, Write other owner, Ops; the first two callers always get 401 and 403 unless `open`. */
  expect: [number, number, number];
  /** Needs no role: every caller, principal or not, gets `expect[2]`. */
  open?: boolean;
  /** Whether the call would change the registration (checked unchanged after a refusal). */
  mutates?: boolean;
  /** Path parameters, body, query for a call on a fresh SignupStarted registration of OWNER (ACS number). */
  request: (id: string) => CallOptions;
}

const businessDetails = {
  create: { companyName: 'Contoso', website: 'https://contoso.example', businessEmail: 'ops@contoso.example', businessPhone: '+14255550100' },
};
const onId =
  (extra: CallOptions = {}) =>
  (id: string): CallOptions => ({ params: { id }, ...extra });

/** 409 where the stage forbids the step: the call got past §5.1 and reached the use case. */
const MATRIX: Record<string, Row> = {
  createRegistration: { expect: [201, 201, 201], request: () => ({ body: { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'acs' } }) },
  listRegistrations: { expect: [200, 200, 200], request: () => ({}) },
  getRegistration: { expect: [200, 404, 200], request: onId() },
  getRegistrationHistory: { expect: [200, 404, 200], request: onId() },
  cancelRegistration: { expect: [204, 404, 204], mutates: true, request: onId() },
  selectBusinessAccount: { expect: [200, 404, 200], mutates: true, request: onId({ body: businessDetails }) },
  selectWhatsAppProfile: {
    expect: [409, 404, 409],
    mutates: true,
    request: onId({ body: { whatsAppBusinessAccountId: '200000000000001', displayName: 'Contoso' } }),
  },
  requestVerificationCode: { expect: [409, 404, 409], mutates: true, request: onId({ body: { method: 'SMS' } }) },
  submitVerificationCode: { expect: [409, 404, 409], mutates: true, request: onId({ body: { code: '123456' } }) },
  disconnectRegistration: { expect: [409, 404, 409], mutates: true, request: onId() },
  reconnectRegistration: { expect: [409, 404, 409], mutates: true, request: onId() },
  reconcileRegistration: { expect: [200, 404, 200], mutates: true, request: onId() },
  changeDisplayName: { expect: [409, 404, 409], mutates: true, request: onId({ body: { displayName: 'Contoso Cycles' } }) },
  linkAcsChannel: { expect: [422, 404, 422], mutates: true, request: onId({ body: { channelRegistrationId: randomUUID() } }) },
  requestSmsProbe: { expect: [202, 404, 202], mutates: true, request: onId({ body: {} }) },
  embeddedSignup: {
    expect: [422, 404, 422],
    mutates: true,
    request: onId({
      body: { code: 'not-a-code-meta-issued', businessId: '100000000000001', whatsAppBusinessAccountId: '200000000000001', displayName: 'Contoso' },
    }),
  },
  getRegistrationSummary: { expect: [200, 200, 200], request: () => ({}) },
  listEvents: { expect: [200, 200, 200], request: () => ({}) },
  listReconcileRuns: { expect: [403, 403, 200], request: () => ({}) },
  health: { expect: [200, 200, 200], open: true, request: () => ({}) },
  openApi: { expect: [200, 200, 200], open: true, request: () => ({}) },
  // The ops console's files hold no data; the API they call applies the roles.
  opsConsole: { expect: [200, 200, 200], open: true, request: () => ({}) },
  opsConsoleFile: { expect: [200, 200, 200], open: true, request: () => ({ params: { file: 'app.js' } }) },
  metaWebhookVerify: {
    expect: [200, 200, 200],
    open: true,
    request: () => ({ query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'test-verify-token', 'hub.challenge': 'c-1' } }),
  },
  // Its own signature is its authentication: without one it answers 401 invalid-signature, whoever calls.
  metaWebhook: { expect: [401, 401, 401], open: true, request: () => ({ body: { object: 'whatsapp_business_account', entry: [] } }) },
};

function expected(row: Row, caller: CallerName): number {
  if (row.open) return row.expect[2];
  switch (caller) {
    case 'no principal':
      return 401;
    case 'principal without role':
      return 403;
    case 'Write owner':
      return row.expect[0];
    case 'Write other owner':
      return row.expect[1];
    case 'Ops':
      return row.expect[2];
  }
}

async function ownersRegistration(): Promise<{ id: string; version: string }> {
  const created = await app.call('createRegistration', {
    headers: CALLERS['Write owner'],
    body: { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'acs' },
  });
  expect(created.status).toBe(201);
  return { id: created.json.id, version: created.headers.etag! };
}

function expectProblem(response: CallResult, code: string): void {
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.json).toMatchObject({ code, status: response.status });
}

const cells = Object.entries(MATRIX).flatMap(([name, row]) =>
  (Object.keys(CALLERS) as CallerName[]).map((caller) => [name, caller, expected(row, caller)] as const),
);

describe('§5.1 matrix (principal header trusted)', () => {
  it('covers every HTTP function of the app', () => {
    const names = app.functions.filter((fn) => fn.kind === 'http').map((fn) => fn.name);
    expect(names.sort()).toEqual(Object.keys(MATRIX).sort());
  });

  it.each(cells)('%s as %s → %i', async (name, caller, status) => {
    const row = MATRIX[name]!;
    const target = await ownersRegistration();
    const response = await app.call(name, { ...row.request(target.id), headers: CALLERS[caller] });
    expect({ status: response.status, body: response.text.slice(0, 300) }).toEqual({ status, body: expect.any(String) });
    if (status === 401 && !row.open) {
      expectProblem(response, 'unauthenticated');
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
    if (status === 403) expectProblem(response, 'forbidden');
    if ((status === 401 || status === 403) && !row.open)
      expect(response.logs.join('\n')).toContain(`Request answered ${status} ${status === 401 ? 'unauthenticated' : 'forbidden'}`);
    if (status === 404) expectProblem(response, 'not-found');
    if ([401, 403, 404].includes(status) && row.mutates) {
      const after = await app.call('getRegistration', { params: { id: target.id }, headers: opsHeaders });
      expect(after.headers.etag).toBe(target.version);
    }
  });

  it('a refused create claims nothing: the same number can then be registered', async () => {
    for (const caller of ['no principal', 'principal without role'] as const) {
      const phoneNumber = uniquePhoneNumber();
      const refused = await app.call('createRegistration', { headers: CALLERS[caller], body: { phoneNumber, phoneNumberSource: 'acs' } });
      expect(refused.status).toBe(caller === 'no principal' ? 401 : 403);
      expect((await app.call('createRegistration', { headers: opsHeaders, body: { phoneNumber, phoneNumberSource: 'acs' } })).status).toBe(201);
    }
  });

  it('answers another owner’s registration exactly as one that does not exist', async () => {
    const { id } = await ownersRegistration();
    const missingId = randomUUID();
    const other = await app.call('getRegistration', { params: { id }, headers: CALLERS['Write other owner'] });
    const missing = await app.call('getRegistration', { params: { id: missingId }, headers: CALLERS['Write other owner'] });
    expect(other.status).toBe(404);
    expect(other.text).toBe(missing.text.replace(missingId, id));
    expect(other.headers).toEqual(missing.headers);
  });

  it('401 for a principal it cannot read or that names no caller, before the body is looked at', async () => {
    const headers = [
      { 'x-ms-client-principal': 'not base64!' },
      { 'x-ms-client-principal': Buffer.from('{"claims": [{"typ": "roles", "val": "Registrations.Ops"}]}').toString('base64') },
    ];
    for (const header of headers) {
      const response = await app.call('createRegistration', { headers: header, body: 'not json' });
      expect(response.status).toBe(401);
      expectProblem(response, 'unauthenticated');
    }
  });
});
