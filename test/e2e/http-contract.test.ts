import { randomUUID } from 'node:crypto';
import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';
import { uniquePhoneNumber } from '../support/onboarding';

/*
 * docs/design.md §5: the parts of the HTTP contract that only show over the wire (headers,
 * concurrent clients), through the local host as a child process.
 */

let host: LocalHostProcess;
beforeAll(async () => (host = await startLocalHostProcess()), 90_000);
afterAll(() => host?.stop());

const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text) as any) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

const NEW_BUSINESS = {
  create: { companyName: 'Contoso', website: 'https://contoso.example', businessEmail: 'a@contoso.example', businessPhone: '+14255550100' },
};

async function created() {
  const response = await api('POST', '/api/registrations', { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' });
  expect(response.status).toBe(201);
  return { id: response.json.id as string, etag: response.headers.get('etag')! };
}

describe('If-Match over HTTP (strong comparison, RFC 9110 §13.1.1)', () => {
  it('the ETag as received matches; the same version as a weak tag does not (412), and the refusal changes nothing', async () => {
    const { id, etag } = await created();
    expect(etag).toMatch(/^"\d+"$/);
    const weak = await api('PUT', `/api/registrations/${id}/business-account`, NEW_BUSINESS, { 'if-match': `W/${etag}` });
    expect(weak.status).toBe(412);
    expect(weak.headers.get('content-type')).toBe('application/problem+json');
    expect(weak.json.code).toBe('concurrency-conflict');
    const unchanged = await api('GET', `/api/registrations/${id}`);
    expect(unchanged.json.stage).toBe('SignupStarted');
    expect(unchanged.headers.get('etag')).toBe(etag);

    const strong = await api('PUT', `/api/registrations/${id}/business-account`, NEW_BUSINESS, { 'if-match': etag });
    expect(strong.status).toBe(200);
    expect(strong.json.stage).toBe('BusinessAccountSelected');
    expect(strong.headers.get('etag')).not.toBe(etag);
    // The old ETag is now stale.
    expect((await api('PUT', `/api/registrations/${id}/business-account`, NEW_BUSINESS, { 'if-match': etag })).status).toBe(412);
  });

  it('* matches whatever the current version is', async () => {
    const { id } = await created();
    const any = await api('PUT', `/api/registrations/${id}/business-account`, NEW_BUSINESS, { 'if-match': '*' });
    expect(any.status).toBe(200);
    expect(any.json.stage).toBe('BusinessAccountSelected');
  });

  it('a well-formed tag that is none of our versions is a stale precondition (412)', async () => {
    const { id, etag } = await created();
    for (const tag of ['"abc"', '""', `"0${etag.slice(1)}`]) {
      const response = await api('PUT', `/api/registrations/${id}/business-account`, NEW_BUSINESS, { 'if-match': tag });
      expect([tag, response.status, response.json.code]).toEqual([tag, 412, 'concurrency-conflict']);
    }
    expect((await api('GET', `/api/registrations/${id}`)).json.stage).toBe('SignupStarted');
  });

  it('a value that is not one entity-tag is a 400 naming If-Match, and changes nothing', async () => {
    const { id, etag } = await created();
    const bare = etag.replace(/"/g, '');
    for (const value of [bare, `W/${bare}`, `${etag}, "999"`, `"${bare}`, 'W/', '**']) {
      const response = await api('PUT', `/api/registrations/${id}/business-account`, NEW_BUSINESS, { 'if-match': value });
      expect([value, response.status, response.headers.get('content-type')]).toEqual([value, 400, 'application/problem+json']);
      expect(response.json).toMatchObject({ code: 'validation-failed', errors: [{ path: 'If-Match' }] });
    }
    const unchanged = await api('GET', `/api/registrations/${id}`);
    expect(unchanged.json.stage).toBe('SignupStarted');
    expect(unchanged.headers.get('etag')).toBe(etag);
  });
});

describe('Idempotency-Key over HTTP', () => {
  it('eight concurrent retries of one create make one registration, and every answer is the same registration', async () => {
    const phoneNumber = uniquePhoneNumber();
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api('POST', '/api/registrations', { phoneNumber, phoneNumberSource: 'byo' }, { 'idempotency-key': key })),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const first = answers.find((answer) => answer.status === 201)!;
    for (const answer of answers) {
      expect(answer.json).toEqual(first.json);
      expect(answer.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(answer.headers.get('location')).toBe(`/api/registrations/${first.json.id}`);
    }
    const listed = await api('GET', `/api/registrations?phoneNumber=${encodeURIComponent(phoneNumber)}`);
    expect(listed.json.items.map((item: { id: string }) => item.id)).toEqual([first.json.id]);
  });
});

describe('cursors over HTTP', () => {
  const tamper = (cursor: string): string => {
    const index = Math.floor(cursor.length / 2);
    return `${cursor.slice(0, index)}${cursor[index] === 'A' ? 'B' : 'A'}${cursor.slice(index + 1)}`;
  };

  it('a registrations cursor changed by one character is a 400', async () => {
    await created();
    await created();
    const page = await api('GET', '/api/registrations?limit=1');
    expect(page.status).toBe(200);
    const cursor = page.json.nextCursor as string;
    expect(typeof cursor).toBe('string');
    expect((await api('GET', `/api/registrations?limit=1&cursor=${encodeURIComponent(cursor)}`)).status).toBe(200);
    const tampered = await api('GET', `/api/registrations?limit=1&cursor=${encodeURIComponent(tamper(cursor))}`);
    expect(tampered.status).toBe(400);
    expect(tampered.headers.get('content-type')).toBe('application/problem+json');
    expect(tampered.json.code).toBe('validation-failed');
  });

  it('an events cursor changed by one character is a 400', async () => {
    await created();
    const { id } = await created();
    expect((await api('PUT', `/api/registrations/${id}/business-account`, NEW_BUSINESS)).status).toBe(200);
    const page = await api('GET', '/api/events?limit=1');
    expect(page.status).toBe(200);
    const cursor = page.json.nextCursor as string;
    expect(typeof cursor).toBe('string');
    expect((await api('GET', `/api/events?limit=1&after=${encodeURIComponent(cursor)}`)).status).toBe(200);
    const tampered = await api('GET', `/api/events?limit=1&after=${encodeURIComponent(tamper(cursor))}`);
    expect(tampered.status).toBe(400);
    expect(tampered.headers.get('content-type')).toBe('application/problem+json');
  });
});
