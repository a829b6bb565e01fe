import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import rateLimitedFixture from '../../fixtures/meta-graph.error.rate-limited.json';
import objectMissingFixture from '../../fixtures/meta-graph.error.object-missing.json';
import wabaFixture from '../../fixtures/meta-graph.waba.json';
import { createMetaGraph, deriveTwoStepPin, type MetaGraphOptions } from '../../../src/adapters/meta-graph';
import { MetaGraphError, type BusinessUseCaseUsage } from '../../../src/domain/meta';
import type { MetaGraph } from '../../../src/domain/ports';
import { rejectionOf } from '../../support/rejection';

/**
 * The adapter against a tiny raw HTTP server that answers with Meta's exact shapes (the shared
 * fixtures), never answers (timeout), or answers nonsense.
 */
interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Responder = (req: Captured, res: ServerResponse) => void;

let requests: Captured[];
let responder: Responder;
let url: string;
let close: () => Promise<void>;

beforeEach(async () => {
  requests = [];
  responder = (_req, res) => json(res, 200, {});
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(captured);
      responder(captured, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
});

afterEach(async () => {
  await close();
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const graphWith = (overrides: Partial<MetaGraphOptions> = {}): MetaGraph =>
  createMetaGraph({
    graphUrl: url,
    version: 'v25.0',
    accessToken: 'raw-test-token',
    pinSecret: 'raw-pin-secret',
    timeoutMs: 2000,
    retry: { attempts: 3, baseDelayMs: 1 },
    ...overrides,
  });

const failure = (promise: Promise<unknown>): Promise<MetaGraphError> => rejectionOf(promise, MetaGraphError);

describe("Meta's exact shapes", () => {
  it('reads the rate-limited fixture: kind, usage, retryAfterSeconds, no retry', async () => {
    const { ['_header_X-Business-Use-Case-Usage']: header, ...body } = rateLimitedFixture;
    responder = (_req, res) => json(res, 400, body, { 'X-Business-Use-Case-Usage': header });
    const seen: BusinessUseCaseUsage[][] = [];
    const error = await failure(graphWith({ onUsage: (usage) => seen.push(usage) }).getWhatsAppBusinessAccount('611200938475521'));
    expect(error.kind).toBe('rate-limited');
    expect(error.details).toEqual({
      code: 80008,
      httpStatus: 400,
      fbtraceId: 'XyZ987',
      usage: [
        {
          objectId: '611200938475521',
          type: 'whatsapp_business_management',
          callCount: 100,
          totalCpuTime: 12,
          totalTime: 20,
          estimatedTimeToRegainAccess: 7,
        },
      ],
      retryAfterSeconds: 420,
    });
    expect(seen).toEqual([error.details.usage]);
    expect(requests).toHaveLength(1);
  });

  it('reads the object-missing fixture', async () => {
    responder = (_req, res) => json(res, 400, objectMissingFixture);
    const error = await failure(graphWith().getWhatsAppBusinessAccount('611200938475521'));
    expect(error.kind).toBe('object-missing');
    expect(error.details).toEqual({ code: 100, subcode: 33, httpStatus: 400, fbtraceId: 'AbCdEfGh123' });
    expect(requests).toHaveLength(1);
  });

  it('reads the WABA fixture, and a last page with cursors but no `next` ends the listing', async () => {
    responder = (_req, res) => json(res, 200, wabaFixture);
    await expect(graphWith().getWhatsAppBusinessAccount('611200938475521')).resolves.toEqual({
      id: '611200938475521',
      name: 'Contoso Bikes',
      accountReviewStatus: 'APPROVED',
      businessVerificationStatus: 'verified',
      healthStatus: {
        canSendMessage: 'LIMITED',
        entities: [
          { entityType: 'WABA', id: '611200938475521', canSendMessage: 'AVAILABLE', errors: [] },
          {
            entityType: 'BUSINESS',
            id: '100000000000009',
            canSendMessage: 'LIMITED',
            errors: [
              {
                code: 141010,
                description: 'The business has not completed business verification.',
                possibleSolution: 'Start or finish business verification in the business settings.',
              },
            ],
          },
          { entityType: 'APP', id: '900000000000001', canSendMessage: 'AVAILABLE', errors: [] },
        ],
      },
      phoneNumbers: [
        {
          id: '520033118845170',
          displayPhoneNumber: '+1 425-555-0100',
          e164: '+14255550100',
          verifiedName: 'Contoso Bikes',
          codeVerificationStatus: 'VERIFIED',
          nameStatus: 'PENDING_REVIEW',
          newNameStatus: 'NONE',
          status: 'CONNECTED',
          qualityRating: 'GREEN',
          messagingLimit: 'TIER_250',
          healthStatus: {
            canSendMessage: 'AVAILABLE',
            entities: [{ entityType: 'PHONE_NUMBER', id: '520033118845170', canSendMessage: 'AVAILABLE', errors: [] }],
          },
        },
      ],
      subscribedAppIds: [],
    });
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.method).toBe('GET');
    expect(request.headers.authorization).toBe('Bearer raw-test-token');
    const requested = new URL(request.url, url);
    expect(requested.pathname).toBe('/v25.0/611200938475521');
    expect(requested.searchParams.get('fields')).toBe(
      'id,name,account_review_status,business_verification_status,health_status,subscribed_apps,phone_numbers.limit(100){id,display_phone_number,verified_name,code_verification_status,name_status,new_name_status,status,quality_rating,health_status,whatsapp_business_manager_messaging_limit}',
    );
  });

  it('follows cursors.after with its own URL while `next` is present', async () => {
    const phone = wabaFixture.phone_numbers.data[0]!;
    responder = (req, res) => {
      const requested = new URL(req.url, url);
      if (requested.pathname === '/v25.0/611200938475521') {
        json(res, 200, {
          ...wabaFixture,
          phone_numbers: { data: [phone], paging: { cursors: { after: 'CUR1' }, next: 'https://elsewhere.invalid/steal' } },
        });
      } else if (requested.searchParams.get('after') === 'CUR1') {
        json(res, 200, { data: [{ ...phone, id: '2' }], paging: { cursors: { after: 'CUR2' }, next: 'x' } });
      } else {
        json(res, 200, { data: [{ ...phone, id: '3' }], paging: { cursors: { after: 'CUR3' } } });
      }
    };
    const waba = await graphWith().getWhatsAppBusinessAccount('611200938475521');
    expect(waba.phoneNumbers.map((entry) => entry.id)).toEqual(['520033118845170', '2', '3']);
    expect(requests).toHaveLength(3);
    const page = new URL(requests[1]!.url, url);
    expect(page.pathname).toBe('/v25.0/611200938475521/phone_numbers');
    expect(page.searchParams.get('limit')).toBe('100');
    expect(page.searchParams.get('after')).toBe('CUR1');
    expect(page.searchParams.get('fields')).toContain('display_phone_number');
  });

  it('refuses a cursor that does not advance', async () => {
    const phone = wabaFixture.phone_numbers.data[0]!;
    responder = (req, res) => {
      const requested = new URL(req.url, url);
      if (requested.pathname.endsWith('/phone_numbers')) json(res, 200, { data: [phone], paging: { cursors: { after: 'SAME' }, next: 'x' } });
      else json(res, 200, { ...wabaFixture, phone_numbers: { data: [phone], paging: { cursors: { after: 'SAME' }, next: 'x' } } });
    };
    expect((await failure(graphWith().getWhatsAppBusinessAccount('611200938475521'))).kind).toBe('rejected');
    expect(requests.length).toBeLessThanOrEqual(3);
  });

  it('asks versions before v24 for messaging_limit_tier and maps it', async () => {
    responder = (_req, res) => json(res, 200, { id: '1', display_phone_number: '+44 20 7946 0958', messaging_limit_tier: 'TIER_1K' });
    const phone = await graphWith({ version: 'v23.0' }).getPhoneNumber('1');
    expect(phone).toEqual(expect.objectContaining({ e164: '+442079460958', messagingLimit: 'TIER_1K', status: null }));
    const fields = new URL(requests[0]!.url, url).searchParams.get('fields')!;
    expect(fields).toContain('messaging_limit_tier');
    expect(fields).not.toContain('whatsapp_business_manager_messaging_limit');
  });

  it("asks v23 only for fields of Meta's v23 document, health_status included, on the WABA and its numbers", async () => {
    responder = (_req, res) => json(res, 200, { id: '1', name: 'W' });
    await graphWith({ version: 'v23.0' }).getWhatsAppBusinessAccount('1');
    expect(new URL(requests[0]!.url, url).searchParams.get('fields')).toBe(
      'id,name,account_review_status,business_verification_status,health_status,subscribed_apps,phone_numbers.limit(100){id,display_phone_number,verified_name,code_verification_status,name_status,status,quality_rating,health_status,messaging_limit_tier}',
    );
  });

  it('reads health_status leniently: unknown values stay raw, malformed parts are dropped, never failing the read', async () => {
    const answers: unknown[] = [
      'not an object',
      { can_send_message: 42, entities: 'nope' },
      {
        can_send_message: 'SOMETHING_NEW',
        entities: [
          'junk',
          { entity_type: 'PHONE_NUMBER', id: 1234, can_send_message: 'BLOCKED', errors: [{ error_code: '131031', error_description: 'Locked.' }, 'junk', {}] },
          { entity_type: 7, errors: { not: 'a list' } },
        ],
      },
    ];
    let next = 0;
    responder = (_req, res) => json(res, 200, { id: '1', display_phone_number: '+1 425-555-0100', status: 'CONNECTED', health_status: answers[next++] });
    const graph = graphWith();
    await expect(graph.getPhoneNumber('1')).resolves.toMatchObject({ status: 'CONNECTED', healthStatus: null });
    await expect(graph.getPhoneNumber('1')).resolves.toMatchObject({ status: 'CONNECTED', healthStatus: null });
    await expect(graph.getPhoneNumber('1')).resolves.toMatchObject({
      healthStatus: {
        canSendMessage: 'SOMETHING_NEW',
        entities: [
          { entityType: 'PHONE_NUMBER', id: '1234', canSendMessage: 'BLOCKED', errors: [{ code: 131031, description: 'Locked.', possibleSolution: null }] },
          { entityType: null, id: null, canSendMessage: null, errors: [] },
        ],
      },
    });
  });

  it('keeps unknown enum values and unknown fields', async () => {
    responder = (_req, res) =>
      json(res, 200, {
        id: '1',
        display_phone_number: '15550783881',
        status: 'SOMETHING_NEW',
        brand_new_field: { x: 1 },
        whatsapp_business_manager_messaging_limit: { tier: 'X' },
      });
    await expect(graphWith().getPhoneNumber('1')).resolves.toEqual(
      expect.objectContaining({ status: 'SOMETHING_NEW', e164: '+15550783881', messagingLimit: null }),
    );
  });
});

describe('requests', () => {
  it('sends POST parameters as JSON and the derived PIN to register', async () => {
    responder = (_req, res) => json(res, 200, { success: true });
    const graph = graphWith();
    await graph.registerPhoneNumber('520033118845170');
    await graph.requestVerificationCode('520033118845170', 'SMS', 'en_US');
    await graph.verifyCode('520033118845170', '123-456');
    const [register, requestCode, verify] = requests;
    expect(register!.method).toBe('POST');
    expect(register!.url).toBe('/v25.0/520033118845170/register');
    expect(register!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(register!.body)).toEqual({
      messaging_product: 'whatsapp',
      pin: deriveTwoStepPin('raw-pin-secret', '520033118845170'),
    });
    expect(JSON.parse(requestCode!.body)).toEqual({ code_method: 'SMS', language: 'en_US' });
    expect(JSON.parse(verify!.body)).toEqual({ code: '123456' });
  });

  it('adds a number with cc, phone_number and verified_name', async () => {
    responder = (_req, res) => json(res, 200, { id: '777' });
    await expect(graphWith().addPhoneNumber('611200938475521', { countryCode: '1', phoneNumber: '4255550100', verifiedName: 'Contoso' })).resolves.toEqual({
      id: '777',
    });
    expect(requests[0]!.url).toBe('/v25.0/611200938475521/phone_numbers');
    expect(JSON.parse(requests[0]!.body)).toEqual({ cc: '1', phone_number: '4255550100', verified_name: 'Contoso' });
  });

  it('asks debug_token about its own token and reads only whatsapp_business_management', async () => {
    responder = (_req, res) =>
      json(res, 200, {
        data: {
          is_valid: true,
          granular_scopes: [
            { scope: 'business_management', target_ids: ['1'] },
            { scope: 'whatsapp_business_management', target_ids: ['611200938475521', '2'] },
            { scope: 'whatsapp_business_messaging', target_ids: ['3'] },
          ],
        },
      });
    await expect(graphWith().grantedWabaIds()).resolves.toEqual(['611200938475521', '2']);
    const requested = new URL(requests[0]!.url, url);
    expect(requested.pathname).toBe('/v25.0/debug_token');
    expect(requested.searchParams.get('input_token')).toBe('raw-test-token');
  });

  it('an invalid token in debug_token is a token error', async () => {
    responder = (_req, res) => json(res, 200, { data: { is_valid: false, error: { code: 190, subcode: 460 } } });
    const error = await failure(graphWith().grantedWabaIds());
    expect(error.kind).toBe('token');
    expect(error.message).not.toContain('raw-test-token');
  });

  it('refuses ids that would change the path', async () => {
    expect((await failure(graphWith().getPhoneNumber('1/../debug_token'))).kind).toBe('rejected');
    expect(requests).toHaveLength(0);
  });
});

describe('faults', () => {
  it('a malformed success body is rejected as not understood and not retried', async () => {
    responder = (_req, res) => json(res, 200, { id: 12345, name: 'number id' });
    const error = await failure(graphWith().getBusiness('12345'));
    expect(error.kind).toBe('rejected');
    expect(error.message).toMatch(/response was not understood/);
    expect(error.message).toContain('id');
    expect(requests).toHaveLength(1);
  });

  it('a success body that is not JSON is rejected', async () => {
    responder = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>hello</html>');
    };
    expect((await failure(graphWith().getBusiness('1'))).message).toMatch(/not understood/);
  });

  it('a 502 from a proxy is transient and retried', async () => {
    responder = (_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    const error = await failure(graphWith().getBusiness('1'));
    expect(error.kind).toBe('transient');
    expect(error.details.httpStatus).toBe(502);
    expect(requests).toHaveLength(3);
  });

  it('a request that gets no answer times out as transient', async () => {
    responder = () => undefined;
    const error = await failure(graphWith({ timeoutMs: 200, retry: { attempts: 2, baseDelayMs: 1 } }).getBusiness('1'));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/timed out after 200 ms/);
    expect(error.details.httpStatus).toBeUndefined();
    expect(requests).toHaveLength(2);
  });

  it('verify_code is not repeated after a timeout (the code may have been used)', async () => {
    responder = () => undefined;
    const error = await failure(graphWith({ timeoutMs: 200 }).verifyCode('1', '123456'));
    expect(error.kind).toBe('transient');
    expect(requests).toHaveLength(1);
  });

  it('a refused connection is transient', async () => {
    await close();
    const error = await failure(graphWith({ retry: { attempts: 2, baseDelayMs: 1 } }).getBusiness('1'));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/could not reach Meta/);
    // Re-open something for afterEach to close.
    close = async () => undefined;
  });

  it('takes the token and the call secrets out of Meta messages', async () => {
    responder = (_req, res) =>
      json(res, 400, { error: { message: 'Bad token raw-test-token or code 654321', type: 'OAuthException', code: 100, fbtrace_id: 'T' } });
    const error = await failure(graphWith().verifyCode('1', '654321'));
    expect(error.message).not.toContain('raw-test-token');
    expect(error.message).not.toContain('654321');
    expect(error.message).toContain('[redacted]');
  });

  it('an error body that is not Meta-shaped is classified by HTTP status', async () => {
    responder = (_req, res) => json(res, 429, { message: 'slow down' });
    expect((await failure(graphWith().getBusiness('1'))).kind).toBe('rate-limited');
    responder = (_req, res) => json(res, 404, { message: 'nope' });
    // A 404 without Meta's code is not Meta saying the object is gone (a wrong URL answers it too).
    expect((await failure(graphWith().getBusiness('1'))).kind).toBe('request-refused');
    responder = (_req, res) => json(res, 401, { message: 'who are you' });
    expect((await failure(graphWith().getBusiness('1'))).kind).toBe('token');
  });

  it('a usage header that is not JSON is ignored', async () => {
    responder = (_req, res) => json(res, 200, { id: '1', name: 'x' }, { 'X-Business-Use-Case-Usage': 'not json' });
    const seen: unknown[] = [];
    await expect(graphWith({ onUsage: (usage) => seen.push(usage) }).getBusiness('1')).resolves.toEqual({ id: '1', name: 'x' });
    expect(seen).toEqual([]);
  });
});

describe("errors and subscriptions as Meta's document shows them", () => {
  it('404 with code 803 is a missing object, asked once', async () => {
    responder = (_req, res) =>
      json(res, 404, {
        error: { message: 'WhatsApp Business Account not found', type: 'GraphMethodException', code: 803, fbtrace_id: 'AXsgnV2Cm3ZMGF3dF_cfYIn' },
      });
    const error = await failure(graphWith().getWhatsAppBusinessAccount('1234567890123456'));
    expect(error.kind).toBe('object-missing');
    expect(error.details).toMatchObject({ code: 803, httpStatus: 404 });
    expect(requests).toHaveLength(1);
  });

  it('400 with code 100 and no subcode is a request Meta refused as malformed, asked once, its message kept', async () => {
    responder = (_req, res) =>
      json(res, 400, { error: { message: '(#100) Tried accessing nonexisting field (colour)', type: 'OAuthException', code: 100, fbtrace_id: 'Ab1' } });
    const error = await failure(graphWith().getWhatsAppBusinessAccount('1234567890123456'));
    expect(error.kind).toBe('request-refused');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('nonexisting field (colour)');
    expect(requests).toHaveLength(1);
  });

  it('reads subscribed_apps expanded on the WABA, in both of the shapes the document gives', async () => {
    const wrapped = {
      data: [
        {
          whatsapp_business_api_data: {
            id: '1234567890123456',
            name: 'Business Messaging App',
            link: 'https://www.facebook.com/games/?app_id=1234567890123456',
          },
        },
      ],
    };
    responder = (_req, res) => json(res, 200, { id: '611200938475521', subscribed_apps: wrapped });
    expect((await graphWith().getWhatsAppBusinessAccount('611200938475521')).subscribedAppIds).toEqual(['1234567890123456']);
    responder = (_req, res) => json(res, 200, { id: '611200938475521', subscribed_apps: [{ id: '9876543210987654', name: 'WhatsApp Integration App' }] });
    expect((await graphWith().getWhatsAppBusinessAccount('611200938475521')).subscribedAppIds).toEqual(['9876543210987654']);
    // Meta leaves an empty edge out of a field-expanded answer.
    responder = (_req, res) => json(res, 200, { id: '611200938475521' });
    expect((await graphWith().getWhatsAppBusinessAccount('611200938475521')).subscribedAppIds).toEqual([]);
    // A shape not understood leaves the subscription unknown, and the rest of the WABA read stands.
    responder = (_req, res) => json(res, 200, { id: '611200938475521', name: 'Contoso Bikes', subscribed_apps: 'surprise' });
    const read = await graphWith().getWhatsAppBusinessAccount('611200938475521');
    expect(read).toMatchObject({ id: '611200938475521', name: 'Contoso Bikes' });
    expect(read.subscribedAppIds).toBeUndefined();
  });

  it('GET /{waba}/subscribed_apps: the ids of the subscribed apps, none when data is empty', async () => {
    responder = (_req, res) =>
      json(res, 200, {
        data: [
          {
            whatsapp_business_api_data: {
              id: '1234567890123456',
              name: 'Business Messaging App',
              link: 'https://www.facebook.com/games/?app_id=1234567890123456',
            },
          },
          {
            whatsapp_business_api_data: {
              id: '2345678901234567',
              name: 'Customer Support Bot',
              link: 'https://www.facebook.com/games/?app_id=2345678901234567',
            },
          },
        ],
      });
    await expect(graphWith().subscribedAppIds('611200938475521')).resolves.toEqual(['1234567890123456', '2345678901234567']);
    expect(requests[0]).toMatchObject({ method: 'GET' });
    expect(new URL(requests[0]!.url, url).pathname).toBe('/v25.0/611200938475521/subscribed_apps');
    responder = (_req, res) => json(res, 200, { data: [] });
    await expect(graphWith().subscribedAppIds('611200938475521')).resolves.toEqual([]);
  });

  it('request_code sends the language as given', async () => {
    responder = (_req, res) => json(res, 200, { success: true });
    await graphWith().requestVerificationCode('520033118845170', 'SMS', 'pt_BR');
    expect(JSON.parse(requests[0]!.body)).toEqual({ code_method: 'SMS', language: 'pt_BR' });
  });
});

describe('configuration', () => {
  it('can be built without a token; calls then fail as a token fault without a request', async () => {
    const error = await failure(graphWith({ accessToken: '' }).getBusiness('1'));
    expect(error.kind).toBe('token');
    expect(requests).toHaveLength(0);
  });
});
