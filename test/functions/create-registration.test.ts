import { startAppHarness, type AppHarness } from '../support/app-harness';

let app: AppHarness;
beforeAll(async () => (app = await startAppHarness()));
afterAll(() => app.close());

let counter = 0;
/** A distinct valid US test number per test, so tests never collide on the phone lock. */
const nextNumber = () => `+1425555${String(1000 + (counter++ % 9000)).padStart(4, '0')}`;

describe('POST /api/registrations', () => {
  it('creates a registration in SignupStarted with Location and ETag', async () => {
    const response = await app.call('createRegistration', { body: { phoneNumber: '+1 (425) 555-0123', phoneNumberSource: 'acs' } });
    expect(response.status).toBe(201);
    expect(response.headers.location).toBe(`/api/registrations/${response.json.id}`);
    expect(response.headers.etag).toMatch(/^"\d+"$/);
    expect(response.json).toMatchObject({
      phoneNumber: '+14255550123',
      phoneNumberSource: 'acs',
      stage: 'SignupStarted',
      status: null,
      statusDetails: null,
      messaging: { canSend: false, limited: false },
    });
    const read = await app.call('getRegistration', { params: { id: response.json.id } });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(response.json);
  });

  it('refuses a second registration of the same number until the first is cancelled', async () => {
    const phoneNumber = nextNumber();
    const first = await app.call('createRegistration', { body: { phoneNumber, phoneNumberSource: 'byo' } });
    expect(first.status).toBe(201);
    const second = await app.call('createRegistration', { body: { phoneNumber: phoneNumber.slice(1), phoneNumberSource: 'acs' } });
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toBe('application/problem+json');
    expect(second.json).toMatchObject({ code: 'phone-number-in-use', status: 409 });
    expect((await app.call('cancelRegistration', { params: { id: first.json.id } })).status).toBe(204);
    const third = await app.call('createRegistration', { body: { phoneNumber, phoneNumberSource: 'acs' } });
    expect(third.status).toBe(201);
  });

  it('returns the first result for a retry with the same Idempotency-Key', async () => {
    const phoneNumber = nextNumber();
    const headers = { 'idempotency-key': `key-${phoneNumber}` };
    const first = await app.call('createRegistration', { body: { phoneNumber, phoneNumberSource: 'acs' }, headers });
    const retry = await app.call('createRegistration', { body: { phoneNumber, phoneNumberSource: 'acs' }, headers });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.json.id).toBe(first.json.id);
    const different = await app.call('createRegistration', { body: { phoneNumber, phoneNumberSource: 'byo' }, headers });
    expect(different.status).toBe(400);
    expect(different.json.code).toBe('validation-failed');
  });

  it('lets exactly one of 8 concurrent creates of one number win', async () => {
    const phoneNumber = nextNumber();
    const results = await Promise.all(Array.from({ length: 8 }, () => app.call('createRegistration', { body: { phoneNumber, phoneNumberSource: 'acs' } })));
    expect(results.filter((result) => result.status === 201)).toHaveLength(1);
    expect(results.filter((result) => result.status === 409 && result.json.code === 'phone-number-in-use')).toHaveLength(7);
  });

  describe('bad input gets a problem and changes nothing', () => {
    it.each([
      ['an invalid phone number', { phoneNumber: '+1 425 555', phoneNumberSource: 'acs' }, 'phoneNumber'],
      ['letters in the number', { phoneNumber: '+1 425 CALL NOW', phoneNumberSource: 'acs' }, 'phoneNumber'],
      ['an unknown source', { phoneNumber: '+14255550999', phoneNumberSource: 'sim' }, 'phoneNumberSource'],
      ['an unknown field', { phoneNumber: '+14255550999', phoneNumberSource: 'acs', admin: true }, '(body)'],
      ['a missing field', { phoneNumber: '+14255550999' }, 'phoneNumberSource'],
    ])('%s → 400 validation-failed', async (_label, body, path) => {
      const response = await app.call('createRegistration', { body });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.json).toMatchObject({
        code: 'validation-failed',
        status: 400,
        type: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
      });
      expect(response.json.errors.map((error: { path: string }) => error.path)).toContain(path);
    });

    it('malformed JSON → 400', async () => {
      const response = await app.call('createRegistration', { body: '{"phoneNumber":', headers: { 'content-type': 'application/json' } });
      expect(response.status).toBe(400);
      expect(response.json.code).toBe('validation-failed');
    });

    it('wrong content type → 415', async () => {
      const response = await app.call('createRegistration', {
        body: 'phoneNumber=+14255550999',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.status).toBe(415);
      expect(response.json.code).toBe('unsupported-media-type');
    });

    it('a body over 64 KiB → 413', async () => {
      const body = JSON.stringify({ phoneNumber: '+14255550999', phoneNumberSource: 'acs', padding: 'x'.repeat(70 * 1024) });
      const response = await app.call('createRegistration', { body, headers: { 'content-type': 'application/json' } });
      expect(response.status).toBe(413);
      expect(response.json.code).toBe('payload-too-large');
    });

    it('none of the refused requests created anything', async () => {
      const listed = await app.call('listRegistrations', { query: { phoneNumber: '+14255550999' } });
      expect(listed.status).toBe(200);
      expect(listed.json.items).toEqual([]);
    });
  });
});

describe('GET /api/registrations/{id}', () => {
  it('answers 404 not-found as a problem', async () => {
    const response = await app.call('getRegistration', { params: { id: 'does-not-exist' } });
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ code: 'not-found', status: 404 });
  });
});
