import { startAppHarness, type AppHarness } from '../support/app-harness';
import { uniquePhoneNumber } from '../support/onboarding';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

describe('the query string', () => {
  it.each(['listRegistrations', 'listEvents', 'listReconcileRuns', 'health', 'openApi'])(
    '%s accepts and ignores the function key parameter `code`',
    async (name) => {
      const response = await app.call(name, { query: { code: 'function-key-value' } });
      expect(response.status).toBe(200);
    },
  );

  it('accepts `code` on a registration endpoint', async () => {
    const created = await app.call('createRegistration', { query: { code: 'k' }, body: { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' } });
    expect(created.status).toBe(201);
    expect((await app.call('getRegistration', { params: { id: created.json.id }, query: { code: 'k' } })).status).toBe(200);
  });

  it('names the query parameter in errors, never the body', async () => {
    const unknown = await app.call('listRegistrations', { query: { code: 'k', colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual([{ path: 'query.colour', message: expect.any(String) }]);
    const limit = await app.call('listRegistrations', { query: { limit: '0' } });
    expect(limit.status).toBe(400);
    expect(limit.json.errors).toEqual([{ path: 'query.limit', message: expect.any(String) }]);
  });
});

describe('request bodies', () => {
  it('answers 415 for a JSON body declared in a charset other than UTF-8', async () => {
    const body = JSON.stringify({ phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' });
    const response = await app.call('createRegistration', { body, headers: { 'content-type': 'application/json; charset=utf-16' } });
    expect(response.status).toBe(415);
    expect(response.json.code).toBe('unsupported-media-type');
    const utf8 = await app.call('createRegistration', { body, headers: { 'content-type': 'application/json; charset=UTF-8' } });
    expect(utf8.status).toBe(201);
  });

  it('skips a UTF-8 byte-order mark', async () => {
    const body = `\uFEFF${JSON.stringify({ phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' })}`;
    const response = await app.call('createRegistration', { body, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(201);
  });

  it('keeps Idempotency-Keys apart that differ only after their 256th character', async () => {
    const prefix = 'k'.repeat(256);
    const first = await app.call('createRegistration', {
      headers: { 'idempotency-key': `${prefix}-a` },
      body: { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' },
    });
    const second = await app.call('createRegistration', {
      headers: { 'idempotency-key': `${prefix}-b` },
      body: { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' },
    });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.json.id).not.toBe(first.json.id);
    const retry = await app.call('createRegistration', {
      headers: { 'idempotency-key': `${prefix}-a` },
      body: { phoneNumber: first.json.phoneNumber, phoneNumberSource: 'byo' },
    });
    expect(retry.status).toBe(200);
    expect(retry.json.id).toBe(first.json.id);
  });
});
