import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMetaSandbox,
  SEED_BUSINESS,
  SEED_WABA,
  SUBCODE_NUMBER_ALREADY_ON_WABA,
  SUBCODE_NUMBER_ON_OTHER_WABA,
  type MetaSandbox,
  type SandboxCodeMessage,
} from '../../src/local/meta-sandbox';
import { eventually } from '../support/eventually';
import { jsonCall, type JsonAnswer } from '../support/json-call';

/** The sandbox over HTTP, the way the adapter, e2e tests and curl see it. */
let sandbox: MetaSandbox;
let server: { url: string; close(): Promise<void> };
let logLines: string[];
let messages: SandboxCodeMessage[];

const AUTH = { Authorization: 'Bearer any-token' };

type Answer = JsonAnswer;

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<Answer> =>
  jsonCall(server.url, method, path, body, headers);

const get = (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers);
const post = (path: string, body: unknown = {}, headers?: Record<string, string>) => call('POST', path, body, headers);

/** Meta's error body with the HTTP status of its kind: 400 unless the test says otherwise. */
function expectMetaError(answer: Answer, code: number, subcode?: number, status = 400): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    error: expect.objectContaining({ message: expect.any(String), type: expect.any(String), code, fbtrace_id: expect.any(String) }),
  });
  if (subcode !== undefined) expect(answer.body.error.error_subcode).toBe(subcode);
}

async function addNumber(local = '4255550123', waba: string = SEED_WABA.id): Promise<string> {
  const answer = await post(`/v25.0/${waba}/phone_numbers`, { cc: '1', phone_number: local, verified_name: 'Contoso Bikes' });
  expect(answer.status).toBe(200);
  return answer.body.id as string;
}

beforeEach(async () => {
  logLines = [];
  messages = [];
  sandbox = createMetaSandbox({ log: (line) => logLines.push(line), onVerificationCode: (message) => void messages.push(message) });
  server = await sandbox.listen(0);
});

afterEach(async () => {
  await server.close();
});

describe('Graph basics', () => {
  it('listens on 127.0.0.1 with a url without trailing slash', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('is seeded with a business and a WABA without numbers', async () => {
    expect((await get(`/v25.0/${SEED_BUSINESS.id}?fields=id,name`)).body).toEqual({ id: SEED_BUSINESS.id, name: SEED_BUSINESS.name });
    const waba = await get(`/v23.0/${SEED_WABA.id}?fields=id,name,account_review_status,business_verification_status,phone_numbers{id}`);
    expect(waba.body).toEqual({
      id: SEED_WABA.id,
      name: 'Contoso Sandbox',
      account_review_status: 'APPROVED',
      business_verification_status: 'verified',
    });
  });

  it('can start empty', async () => {
    const empty = createMetaSandbox({ seed: false, log: () => undefined });
    expect(empty.state.snapshot()).toEqual(expect.objectContaining({ businesses: [], wabas: [], phoneNumbers: [] }));
  });

  it('requires a bearer token, and rejects the expired one with 190/463', async () => {
    expectMetaError(await get(`/v25.0/${SEED_BUSINESS.id}`, {}), 104, undefined, 401);
    const expired = await get(`/v25.0/${SEED_BUSINESS.id}`, { Authorization: 'Bearer expired-token' });
    expectMetaError(expired, 190, 463, 401);
    expect(expired.body.error.type).toBe('OAuthException');
    expect((await get(`/v25.0/${SEED_BUSINESS.id}?access_token=query-token`, {})).status).toBe(200);
  });

  it("answers unknown objects with Meta's 100/33 body", async () => {
    const answer = await get('/v25.0/999999999');
    expectMetaError(answer, 100, 33);
    expect(answer.body.error.type).toBe('GraphMethodException');
    expect(answer.body.error.message).toContain("Object with ID '999999999' does not exist");
  });

  it('refuses unknown fields and unknown paths', async () => {
    const field = await get(`/v25.0/${SEED_WABA.id}?fields=id,nonsense`);
    expectMetaError(field, 100);
    expect(field.body.error.message).toContain('nonexisting field (nonsense)');
    expectMetaError(await get(`/v25.0/${SEED_WABA.id}?fields=id,phone_numbers{id`), 100);
    expectMetaError(await get(`/v25.0/${SEED_WABA.id}/templates_of_nothing`), 2500);
  });

  it('sends the usage header on WABA-scoped calls only', async () => {
    const waba = await get(`/v25.0/${SEED_WABA.id}?fields=id`);
    const usage = JSON.parse(waba.headers.get('x-business-use-case-usage')!);
    expect(usage).toEqual({
      [SEED_WABA.id]: [expect.objectContaining({ type: 'whatsapp_business_management', call_count: expect.any(Number), estimated_time_to_regain_access: 0 })],
    });
    expect((await get(`/v25.0/${SEED_BUSINESS.id}`)).headers.get('x-business-use-case-usage')).toBeNull();
  });

  it('counts the call percentage against 200 calls an hour for a WABA without a registered number', async () => {
    let last = 0;
    for (let index = 0; index < 4; index += 1) {
      const answer = await get(`/v25.0/${SEED_WABA.id}?fields=id`);
      last = JSON.parse(answer.headers.get('x-business-use-case-usage')!)[SEED_WABA.id][0].call_count;
    }
    expect(last).toBe(2);
  });

  it('delays Graph answers by latencyMs, not control routes', async () => {
    const waits: number[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = createMetaSandbox({ latencyMs: 300, delay: (ms) => (waits.push(ms), held), log: () => undefined });
    const slowServer = await slow.listen(0);
    try {
      let graphAnswered = false;
      const graph = fetch(`${slowServer.url}/v25.0/${SEED_BUSINESS.id}`, { headers: AUTH }).then((response) => ((graphAnswered = true), response));
      await eventually(() => expect(waits).toEqual([300]));
      // The control route answers while the Graph answer is still held.
      expect((await fetch(`${slowServer.url}/_sandbox/state`)).status).toBe(200);
      expect(graphAnswered).toBe(false);
      expect(waits).toEqual([300]);
      release();
      expect((await graph).status).toBe(200);
    } finally {
      release();
      await slowServer.close();
    }
  });
});

describe('a number from added to connected', () => {
  it('adds a pending number with the WABA default name status', async () => {
    const id = await addNumber();
    const phone = await get(
      `/v25.0/${id}?fields=id,display_phone_number,verified_name,code_verification_status,name_status,status,quality_rating,whatsapp_business_manager_messaging_limit`,
    );
    expect(phone.body).toEqual({
      id,
      display_phone_number: '+1 425-555-0123',
      verified_name: 'Contoso Bikes',
      code_verification_status: 'NOT_VERIFIED',
      name_status: 'PENDING_REVIEW',
      status: 'PENDING',
      quality_rating: 'UNKNOWN',
      whatsapp_business_manager_messaging_limit: 'TIER_250',
    });
    sandbox.state.setNewNumberNameStatus(SEED_WABA.id, 'APPROVED');
    const second = await addNumber('4255550124');
    expect(sandbox.state.phoneNumber(second)!.nameStatus).toBe('APPROVED');
  });

  it('accepts form-encoded and query parameters too', async () => {
    const response = await fetch(`${server.url}/v25.0/${SEED_WABA.id}/phone_numbers?cc=44`, {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'phone_number=2079460958&verified_name=Contoso%20UK',
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    expect(sandbox.state.phoneNumber(id)).toEqual(expect.objectContaining({ e164: '+442079460958', displayPhoneNumber: '+44 20 7946 0958' }));
  });

  it('refuses a number already on the WABA, or live on another one', async () => {
    await addNumber();
    const again = await post(`/v25.0/${SEED_WABA.id}/phone_numbers`, { cc: '1', phone_number: '425-555-0123', verified_name: 'X' });
    expectMetaError(again, 100, SUBCODE_NUMBER_ALREADY_ON_WABA, 409);
    const other = sandbox.state.addWaba({ name: 'Other' });
    const elsewhere = await post(`/v25.0/${other.id}/phone_numbers`, { cc: '1', phone_number: '4255550123', verified_name: 'X' });
    expectMetaError(elsewhere, 100, SUBCODE_NUMBER_ON_OTHER_WABA, 409);
    expectMetaError(await post(`/v25.0/${SEED_WABA.id}/phone_numbers`, { cc: '1', phone_number: '4255550199' }), 100);
  });

  it('adds a deleted number again under a new id', async () => {
    const first = await addNumber();
    sandbox.state.deletePhoneNumber(first, 'status');
    const second = await addNumber();
    expect(second).not.toBe(first);
    expectMetaError(await get(`/v25.0/${first}`), 100, 33);
    const list = await get(`/v25.0/${SEED_WABA.id}/phone_numbers?fields=id,status`);
    expect(list.body.data).toEqual([{ id: second, status: 'PENDING' }]);
  });

  it('requests a code, logs where to read it (never the code), hands it to onVerificationCode after answering', async () => {
    const id = await addNumber();
    const answer = await post(`/v25.0/${id}/request_code`, { code_method: 'SMS', language: 'en_US' });
    expect(answer).toEqual(expect.objectContaining({ status: 200, body: { success: true } }));
    const code = sandbox.state.lastCode(id)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(sandbox.state.lastCode('+14255550123')).toBe(code);
    expect(logLines).toEqual([`WhatsApp code for +1425****123 sent by SMS; read it at _sandbox/codes/${id}`]);
    expect(logLines.join('\n')).not.toMatch(new RegExp(`${code.slice(0, 3)}-?${code.slice(3)}`));
    await eventually(() => expect(messages).toEqual([{ phoneNumber: '+14255550123', phoneNumberId: id, code, method: 'SMS' }]));
    expect((await get('/_sandbox/codes/14255550123')).body).toEqual(
      expect.objectContaining({ phoneNumber: '+14255550123', phoneNumberId: id, code, method: 'SMS' }),
    );
    expect((await get(`/_sandbox/codes/${id}`)).body.code).toBe(code);
  });

  it('survives an onVerificationCode that throws', async () => {
    const failing = createMetaSandbox({
      log: (line) => logLines.push(line),
      onVerificationCode: () => Promise.reject(new Error('nobody listening')),
    });
    const failingServer = await failing.listen(0);
    try {
      const { id } = failing.state.addPendingPhoneNumber(SEED_WABA.id, '+14255550123', 'X');
      const response = await fetch(`${failingServer.url}/v25.0/${id}/request_code`, {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'application/json' },
        body: JSON.stringify({ code_method: 'VOICE', language: 'en_US' }),
      });
      expect(response.status).toBe(200);
      await eventually(() => expect(logLines.some((line) => line.includes('nobody listening'))).toBe(true));
    } finally {
      await failingServer.close();
    }
  });

  it('refuses a bad code_method or language', async () => {
    const id = await addNumber();
    expectMetaError(await post(`/v25.0/${id}/request_code`, { code_method: 'EMAIL', language: 'en_US' }), 100);
    expectMetaError(await post(`/v25.0/${id}/request_code`, { code_method: 'SMS' }), 100);
  });

  it('verify_code: 6 digits only, 136025 on a wrong code, VERIFIED on the right one', async () => {
    const id = await addNumber();
    expectMetaError(await post(`/v25.0/${id}/verify_code`, { code: '123456' }), 136025, undefined, 422);
    await post(`/v25.0/${id}/request_code`, { code_method: 'SMS', language: 'en_US' });
    const code = sandbox.state.lastCode(id)!;
    const wrong = code === '000000' ? '111111' : '000000';
    const mismatch = await post(`/v25.0/${id}/verify_code`, { code: wrong });
    expectMetaError(mismatch, 136025, undefined, 422);
    expect(mismatch.body.error.message).toBe('Verification code mismatch');
    expectMetaError(await post(`/v25.0/${id}/verify_code`, { code: `${code.slice(0, 3)}-${code.slice(3)}` }), 100);
    expectMetaError(await post(`/v25.0/${id}/verify_code`, { code: '12345' }), 100);
    expect((await post(`/v25.0/${id}/verify_code`, { code })).body).toEqual({ success: true });
    expect(sandbox.state.phoneNumber(id)!.codeVerificationStatus).toBe('VERIFIED');
    expect(sandbox.state.calls('verify_code')).toBe(5);
  });

  it('register: needs VERIFIED, a 6-digit PIN, the same PIN the second time, at most 10 calls', async () => {
    const id = await addNumber();
    const register = (pin: unknown, product: unknown = 'whatsapp') => post(`/v25.0/${id}/register`, { messaging_product: product, pin });
    expectMetaError(await register('123456'), 133010, undefined, 422);
    await post(`/v25.0/${id}/request_code`, { code_method: 'SMS', language: 'en_US' });
    await post(`/v25.0/${id}/verify_code`, { code: sandbox.state.lastCode(id) });
    expectMetaError(await register('12345'), 100);
    expectMetaError(await register('123456', 'sms'), 100);
    expect((await register('123456')).body).toEqual({ success: true });
    expect(sandbox.state.phoneNumber(id)).toEqual(expect.objectContaining({ status: 'CONNECTED', registered: true }));
    expect((await get(`/v25.0/${id}?fields=status,platform_type`)).body).toEqual({ status: 'CONNECTED', platform_type: 'CLOUD_API' });
    expectMetaError(await register('654321'), 133005, undefined, 422);
    // 1 (133010) + 1 success + 1 mismatch so far; 7 more reach 10, the 11th is refused.
    for (let index = 0; index < 7; index += 1) expect((await register('123456')).status).toBe(200);
    expectMetaError(await register('123456'), 133016, undefined, 429);
    // The PIN is not kept in plain text, nor shown.
    expect(JSON.stringify(sandbox.state.snapshot())).not.toContain('123456');
    expect(JSON.stringify((await get('/_sandbox/state')).body)).not.toContain(sandbox.state.lastCode(id)!);
  });

  it('subscribes the app to the WABA', async () => {
    expect((await get(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).body).toEqual({ data: [] });
    expect((await post(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).body).toEqual({ success: true });
    expect((await get(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).body.data).toHaveLength(1);
  });
});

describe('paging', () => {
  it('pages the phone list with cursors and an absolute next URL on the same host', async () => {
    const waba = sandbox.state.addWaba({ name: 'Paged' });
    sandbox.state.addPhoneNumbers(waba.id, 60);
    const first = await get(`/v25.0/${waba.id}/phone_numbers?fields=id,status`);
    expect(first.body.data).toHaveLength(25);
    expect(first.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    const next = new URL(first.body.paging.next);
    expect(next.origin).toBe(server.url);
    expect(next.pathname).toBe(`/v25.0/${waba.id}/phone_numbers`);
    const second = await get(`${next.pathname}${next.search}`);
    expect(second.body.data).toHaveLength(25);
    const third = await get(`/v25.0/${waba.id}/phone_numbers?fields=id&limit=25&after=${second.body.paging.cursors.after}`);
    expect(third.body.data).toHaveLength(10);
    expect(third.body.paging.next).toBeUndefined();
    const ids = [...first.body.data, ...second.body.data, ...third.body.data].map((phone: { id: string }) => phone.id);
    expect(new Set(ids).size).toBe(60);
    expect((await get(`/v25.0/${waba.id}/phone_numbers?limit=500`)).body.data).toHaveLength(60);
    expectMetaError(await get(`/v25.0/${waba.id}/phone_numbers?after=garbage`), 100);
  });

  it('pages the field-expanded list: 25 by default, `.limit(n)` up to 100', async () => {
    const waba = sandbox.state.addWaba({ name: 'Expanded' });
    sandbox.state.addPhoneNumbers(waba.id, 130);
    const plain = await get(`/v25.0/${waba.id}?fields=id,phone_numbers{id,display_phone_number}`);
    expect(plain.body.phone_numbers.data).toHaveLength(25);
    const limited = await get(`/v25.0/${waba.id}?fields=id,phone_numbers.limit(500){id}`);
    expect(limited.body.phone_numbers.data).toHaveLength(100);
    const next = new URL(limited.body.phone_numbers.paging.next);
    expect(next.searchParams.get('fields')).toBe('id');
    expect(next.searchParams.get('limit')).toBe('100');
    expect((await get(`${next.pathname}${next.search}`)).body.data).toHaveLength(30);
  });

  it('builds next URLs under the mount point when mounted in another server', async () => {
    const host = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/meta-sandbox/')) void sandbox.handle(req, res, url.slice('/meta-sandbox'.length));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    try {
      sandbox.state.addPhoneNumbers(SEED_WABA.id, 30);
      const response = await fetch(`${origin}/meta-sandbox/v25.0/${SEED_WABA.id}/phone_numbers`, { headers: AUTH });
      const body = (await response.json()) as { paging: { next: string } };
      expect(body.paging.next.startsWith(`${origin}/meta-sandbox/v25.0/${SEED_WABA.id}/phone_numbers?`)).toBe(true);
      const state = await fetch(`${origin}/meta-sandbox/_sandbox/state`);
      expect(state.status).toBe(200);
    } finally {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
    }
  });
});

describe('the world changing', () => {
  it('an unshared WABA answers 100/33 on WABA and phone calls and leaves debug_token', async () => {
    const id = await addNumber();
    const granted = async () =>
      (await get('/v25.0/debug_token?input_token=any-token')).body.data.granular_scopes.find(
        (scope: { scope: string }) => scope.scope === 'whatsapp_business_management',
      ).target_ids;
    expect(await granted()).toEqual([SEED_WABA.id]);
    expect((await post(`/_sandbox/wabas/${SEED_WABA.id}/unshare`)).status).toBe(200);
    expectMetaError(await get(`/v25.0/${SEED_WABA.id}`), 100, 33);
    expectMetaError(await get(`/v25.0/${SEED_WABA.id}/phone_numbers`), 100, 33);
    expectMetaError(await get(`/v25.0/${id}`), 100, 33);
    expectMetaError(await post(`/v25.0/${id}/request_code`, { code_method: 'SMS', language: 'en_US' }), 100, 33);
    expect(await granted()).toEqual([]);
    await post(`/_sandbox/wabas/${SEED_WABA.id}/share`);
    expect(await granted()).toEqual([SEED_WABA.id]);
  });

  it('debug_token of the expired token says is_valid false', async () => {
    const answer = await get('/v25.0/debug_token?input_token=expired-token');
    expect(answer.body.data).toEqual(expect.objectContaining({ is_valid: false, error: expect.objectContaining({ code: 190 }) }));
  });

  it('deletes a number: status DELETED, or removed from the list', async () => {
    const [a, b] = sandbox.state.addPhoneNumbers(SEED_WABA.id, 2);
    await post(`/_sandbox/phone-numbers/${a!.id}/delete`);
    expect((await get(`/v25.0/${a!.id}?fields=status`)).body).toEqual({ status: 'DELETED' });
    expectMetaError(await post(`/v25.0/${a!.id}/request_code`, { code_method: 'SMS', language: 'en_US' }), 100, 33);
    await post(`/_sandbox/phone-numbers/${b!.e164.slice(1)}/delete`, { mode: 'remove' });
    expectMetaError(await get(`/v25.0/${b!.id}`), 100, 33);
    const list = await get(`/v25.0/${SEED_WABA.id}/phone_numbers?fields=id,status`);
    expect(list.body.data).toEqual([{ id: a!.id, status: 'DELETED' }]);
  });

  it('changes name status, phone status and account review status over HTTP', async () => {
    const [phone] = sandbox.state.addPhoneNumbers(SEED_WABA.id, 1);
    await post(`/_sandbox/phone-numbers/${phone!.id}/name-status`, { nameStatus: 'DECLINED' });
    await post(`/_sandbox/phone-numbers/${phone!.id}/update`, { qualityRating: 'RED', newNameStatus: 'PENDING_REVIEW' });
    await post(`/_sandbox/wabas/${SEED_WABA.id}/account-review-status`, { accountReviewStatus: 'REJECTED' });
    expect((await get(`/v25.0/${phone!.id}?fields=name_status,new_name_status,quality_rating`)).body).toEqual({
      name_status: 'DECLINED',
      new_name_status: 'PENDING_REVIEW',
      quality_rating: 'RED',
    });
    expect((await get(`/v25.0/${SEED_WABA.id}?fields=account_review_status`)).body).toEqual({ account_review_status: 'REJECTED' });
    await post(`/_sandbox/phone-numbers/${phone!.id}/status`, { status: 'FLAGGED' });
    expect(sandbox.state.phoneNumber(phone!.id)!.status).toBe('FLAGGED');
  });

  it('sets up businesses, WABAs and numbers over HTTP', async () => {
    const business = await post('/_sandbox/businesses', { name: 'Fabrikam' });
    expect(business.status).toBe(201);
    const waba = await post('/_sandbox/wabas', { name: 'Fabrikam WA', businessId: business.body.id, newNumberNameStatus: 'NONE' });
    expect(waba.status).toBe(201);
    const phone = await post(`/_sandbox/wabas/${waba.body.id}/phone-numbers`, { phoneNumber: '+1 (425) 555-0177', nameStatus: 'APPROVED' });
    expect(phone.status).toBe(201);
    expect(phone.body).toEqual(expect.objectContaining({ e164: '+14255550177', displayPhoneNumber: '+1 425-555-0177', status: 'CONNECTED' }));
    expect(phone.body.pinHash).toBeUndefined();
    const bulk = await post(`/_sandbox/wabas/${waba.body.id}/phone-numbers/bulk`, { count: 5 });
    expect(bulk.body.count).toBe(5);
    expect((await get(`/v25.0/${waba.body.id}/phone_numbers`)).body.data).toHaveLength(6);
    expect((await post('/_sandbox/wabas', { nonsense: true, name: 3 })).status).toBe(400);
    expect((await post('/_sandbox/wabas/404/unshare')).status).toBe(404);
    expect((await get('/_sandbox/codes/14255550177')).status).toBe(404);
    expect((await get('/_sandbox/nothing')).status).toBe(404);
  });

  it('resets to the seed', async () => {
    sandbox.state.addWaba({ name: 'Gone soon' });
    await get(`/v25.0/${SEED_BUSINESS.id}`);
    const reset = await post('/_sandbox/reset', {});
    expect(reset.body.wabas.map((waba: { id: string }) => waba.id)).toEqual([SEED_WABA.id]);
    expect(reset.body.calls).toEqual({ total: 0 });
  });
});

describe('error injection and counters', () => {
  it('fails the next matching calls by operation, then recovers', async () => {
    sandbox.state.failNext('get_business', { code: 131000, is_transient: true }, 2);
    const failed = await get(`/v25.0/${SEED_BUSINESS.id}`);
    expectMetaError(failed, 131000, undefined, 500);
    expect(failed.body.error.is_transient).toBe(true);
    expect((await get(`/v25.0/${SEED_BUSINESS.id}`)).status).toBe(500);
    expect((await get(`/v25.0/${SEED_BUSINESS.id}`)).status).toBe(200);
    expect(sandbox.state.calls('get_business')).toBe(3);
  });

  it('fails by path pattern with another HTTP status', async () => {
    sandbox.state.failNext(/^\/\d+\/subscribed_apps$/, { code: 2 }, { httpStatus: 503 });
    expect((await post(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).status).toBe(503);
    expect((await post(`/v25.0/${SEED_WABA.id}/subscribed_apps`)).status).toBe(200);
  });

  it('injects a rate limit with the usage header', async () => {
    await post('/_sandbox/fail-next', {
      operation: 'get_waba',
      error: { code: 80008, is_transient: true },
      estimatedTimeToRegainAccess: 7,
    });
    const answer = await get(`/v25.0/${SEED_WABA.id}`);
    expectMetaError(answer, 80008, undefined, 429);
    expect(JSON.parse(answer.headers.get('x-business-use-case-usage')!)).toEqual({
      [SEED_WABA.id]: [expect.objectContaining({ call_count: 100, estimated_time_to_regain_access: 7 })],
    });
  });

  it('manages injected failures and counters over HTTP', async () => {
    expect((await post('/_sandbox/fail-next', { pathPattern: '/register$', error: { code: 1 }, times: 3 })).status).toBe(201);
    expect((await post('/_sandbox/fail-next', { operation: 'nope', error: { code: 1 } })).status).toBe(400);
    expect((await post('/_sandbox/fail-next', { error: { code: 1 } })).status).toBe(400);
    expect(sandbox.state.pendingFailures()).toHaveLength(1);
    expect((await call('DELETE', '/_sandbox/fail-next')).status).toBe(200);
    expect(sandbox.state.pendingFailures()).toHaveLength(0);
    await get(`/v25.0/${SEED_WABA.id}`);
    expect((await get('/_sandbox/calls')).body).toEqual({ get_waba: 1, total: 1 });
    await post('/_sandbox/calls/reset');
    expect(sandbox.state.callCounts()).toEqual({ total: 0 });
  });
});
