import { createMetaGraph, deriveTwoStepPin, type MetaGraphOptions } from '../../../src/adapters/meta-graph';
import { MetaGraphError, type BusinessUseCaseUsage } from '../../../src/domain/meta';
import type { MetaGraph } from '../../../src/domain/ports';
import { createMetaSandbox, SEED_BUSINESS, SEED_WABA, type MetaSandbox } from '../../../src/local/meta-sandbox';
import { rejectionOf } from '../../support/rejection';

/** The adapter against the Meta sandbox over real HTTP. */
const PIN_SECRET = 'test-pin-secret';
const TOKEN = 'test-access-token';

let sandbox: MetaSandbox;
let server: { url: string; close(): Promise<void> };
let usage: BusinessUseCaseUsage[][];
let logLines: string[];

const graphWith = (overrides: Partial<MetaGraphOptions> = {}): MetaGraph =>
  createMetaGraph({
    graphUrl: server.url,
    version: 'v25.0',
    accessToken: TOKEN,
    pinSecret: PIN_SECRET,
    timeoutMs: 5000,
    retry: { attempts: 3, baseDelayMs: 1 },
    onUsage: (entries) => usage.push(entries),
    ...overrides,
  });

const failure = (promise: Promise<unknown>): Promise<MetaGraphError> => rejectionOf(promise, MetaGraphError);

/** A number added through the Graph API and taken to the given stage. */
async function numberAt(graph: MetaGraph, stage: 'added' | 'verified', local = '4255550123'): Promise<string> {
  const { id } = await graph.addPhoneNumber(SEED_WABA.id, { countryCode: '1', phoneNumber: local, verifiedName: 'Contoso Bikes' });
  if (stage === 'verified') {
    await graph.requestVerificationCode(id, 'SMS', 'en_US');
    await graph.verifyCode(id, sandbox.state.lastCode(id)!);
  }
  return id;
}

beforeEach(async () => {
  logLines = [];
  usage = [];
  sandbox = createMetaSandbox({ log: (line) => logLines.push(line) });
  server = await sandbox.listen(0);
});

afterEach(async () => {
  await server.close();
});

describe('happy paths', () => {
  it('reads a business', async () => {
    await expect(graphWith().getBusiness(SEED_BUSINESS.id)).resolves.toEqual({ id: SEED_BUSINESS.id, name: SEED_BUSINESS.name });
  });

  it('reads a WABA without numbers', async () => {
    await expect(graphWith().getWhatsAppBusinessAccount(SEED_WABA.id)).resolves.toEqual({
      id: SEED_WABA.id,
      name: SEED_WABA.name,
      accountReviewStatus: 'APPROVED',
      businessVerificationStatus: 'verified',
      healthStatus: {
        canSendMessage: 'AVAILABLE',
        entities: expect.arrayContaining([expect.objectContaining({ entityType: 'WABA', canSendMessage: 'AVAILABLE', errors: [] })]),
      },
      phoneNumbers: [],
      subscribedAppIds: [],
    });
  });

  it('adds, verifies and registers a number, then subscribes the app', async () => {
    const graph = graphWith();
    const { id } = await graph.addPhoneNumber(SEED_WABA.id, {
      countryCode: '1',
      phoneNumber: '4255550123',
      verifiedName: 'Contoso Bikes',
    });
    expect(id).toMatch(/^\d+$/);
    await expect(graph.getPhoneNumber(id)).resolves.toEqual({
      id,
      displayPhoneNumber: '+1 425-555-0123',
      e164: '+14255550123',
      verifiedName: 'Contoso Bikes',
      codeVerificationStatus: 'NOT_VERIFIED',
      nameStatus: 'PENDING_REVIEW',
      newNameStatus: 'NONE',
      status: 'PENDING',
      qualityRating: 'UNKNOWN',
      messagingLimit: 'TIER_250',
      healthStatus: {
        canSendMessage: 'BLOCKED',
        entities: expect.arrayContaining([
          expect.objectContaining({
            entityType: 'PHONE_NUMBER',
            id,
            canSendMessage: 'BLOCKED',
            errors: [expect.objectContaining({ possibleSolution: expect.any(String) })],
          }),
        ]),
      },
    });

    await graph.requestVerificationCode(id, 'VOICE', 'en_US');
    const code = sandbox.state.lastCode(id)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(sandbox.state.phoneNumber(id)!.lastCode!.method).toBe('VOICE');
    await graph.verifyCode(id, `${code.slice(0, 3)}-${code.slice(3)}`);
    expect((await graph.getPhoneNumber(id)).codeVerificationStatus).toBe('VERIFIED');

    await graph.registerPhoneNumber(id);
    expect((await graph.getPhoneNumber(id)).status).toBe('CONNECTED');
    // A second register (after a display-name change, a reconnect) presents the same derived PIN.
    await graph.registerPhoneNumber(id);

    await graph.subscribeApp(SEED_WABA.id);
    expect(sandbox.state.waba(SEED_WABA.id)!.subscribedApp).toBe(true);

    const waba = await graph.getWhatsAppBusinessAccount(SEED_WABA.id);
    expect(waba.phoneNumbers.map((phone) => [phone.id, phone.status, phone.e164])).toEqual([[id, 'CONNECTED', '+14255550123']]);
    expect(sandbox.state.calls('request_code')).toBe(1);
    expect(sandbox.state.calls('verify_code')).toBe(1);
    expect(sandbox.state.calls('register')).toBe(2);
  });

  it('lists the WABAs the token is granted on', async () => {
    const other = sandbox.state.addWaba({ name: 'Second' });
    const graph = graphWith();
    await expect(graph.grantedWabaIds()).resolves.toEqual([SEED_WABA.id, other.id]);
    sandbox.state.unshareWaba(SEED_WABA.id);
    await expect(graph.grantedWabaIds()).resolves.toEqual([other.id]);
  });

  it('reports the usage header of WABA-scoped calls', async () => {
    await graphWith().getWhatsAppBusinessAccount(SEED_WABA.id);
    expect(usage).toHaveLength(1);
    expect(usage[0]).toEqual([expect.objectContaining({ objectId: SEED_WABA.id, type: 'whatsapp_business_management', estimatedTimeToRegainAccess: 0 })]);
    // At least this call counts against a WABA with no registered number (200 calls an hour).
    expect(usage[0]![0]!.callCount).toBeGreaterThan(0);
    expect(usage[0]![0]!.callCount).toBeLessThanOrEqual(100);
  });
});

describe('field expansion and paging', () => {
  it('returns all 230 numbers of a WABA in three calls', async () => {
    const waba = sandbox.state.addWaba({ name: 'Big' });
    const added = sandbox.state.addPhoneNumbers(waba.id, 230);
    const result = await graphWith().getWhatsAppBusinessAccount(waba.id);
    expect(result.phoneNumbers).toHaveLength(230);
    expect(result.phoneNumbers.map((phone) => phone.id)).toEqual(added.map((phone) => phone.id));
    expect(new Set(result.phoneNumbers.map((phone) => phone.e164)).size).toBe(230);
    // One field-expanded read of the first 100, then two pages of at most 100.
    expect(sandbox.state.calls('get_waba')).toBe(1);
    expect(sandbox.state.calls('list_phone_numbers')).toBe(2);
  });

  it('stops after one call when the expansion held every number', async () => {
    const waba = sandbox.state.addWaba({ name: 'Exactly one page' });
    sandbox.state.addPhoneNumbers(waba.id, 100);
    expect((await graphWith().getWhatsAppBusinessAccount(waba.id)).phoneNumbers).toHaveLength(100);
    expect(sandbox.state.callCounts().total).toBe(1);
  });

  it('keeps numbers deleted on the WhatsApp side visible as DELETED, and drops removed ones', async () => {
    const waba = sandbox.state.addWaba({ name: 'Deletions' });
    const [kept, deleted, removed] = sandbox.state.addPhoneNumbers(waba.id, 3);
    sandbox.state.deletePhoneNumber(deleted!.id, 'status');
    sandbox.state.deletePhoneNumber(removed!.id, 'remove');
    const graph = graphWith();
    const result = await graph.getWhatsAppBusinessAccount(waba.id);
    expect(result.phoneNumbers.map((phone) => [phone.id, phone.status])).toEqual([
      [kept!.id, 'CONNECTED'],
      [deleted!.id, 'DELETED'],
    ]);
    expect((await failure(graph.getPhoneNumber(removed!.id))).kind).toBe('object-missing');
  });
});

describe('error classification', () => {
  it('100/33 for an unshared WABA and its numbers', async () => {
    const graph = graphWith();
    const phoneId = await numberAt(graph, 'added');
    sandbox.state.unshareWaba(SEED_WABA.id);
    const error = await failure(graph.getWhatsAppBusinessAccount(SEED_WABA.id));
    expect(error.kind).toBe('object-missing');
    expect(error.details).toMatchObject({ code: 100, subcode: 33, httpStatus: 400 });
    expect(error.details.fbtraceId).toEqual(expect.any(String));
    expect((await failure(graph.getPhoneNumber(phoneId))).kind).toBe('object-missing');
    // Not transient: asked once.
    expect(sandbox.state.calls('get_waba')).toBe(1);
  });

  it('190 for an expired token, not retried, the token not in the message', async () => {
    const graph = graphWith({ accessToken: 'expired-token' });
    const error = await failure(graph.getBusiness(SEED_BUSINESS.id));
    expect(error.kind).toBe('token');
    expect(error.details).toMatchObject({ code: 190, subcode: 463 });
    expect(error.message).not.toContain('expired-token');
    expect(sandbox.state.calls('get_business')).toBe(1);
  });

  it.each([
    [{ code: 10 }, 'permission'],
    [{ code: 200 }, 'permission'],
    [{ code: 299 }, 'permission'],
    [{ code: 100 }, 'request-refused'],
    [{ code: 368 }, 'rejected'],
    [{ code: 100, error_subcode: 2388001 }, 'not-ready'],
  ] as const)('%j is %s and not retried', async (error, kind) => {
    sandbox.state.failNext('get_waba', error, 5);
    expect((await failure(graphWith().getWhatsAppBusinessAccount(SEED_WABA.id))).kind).toBe(kind);
    expect(sandbox.state.calls('get_waba')).toBe(1);
  });

  it('rate limit with the usage header: retryAfterSeconds from estimated_time_to_regain_access, not retried', async () => {
    sandbox.state.failNext('get_waba', { code: 80008, is_transient: true }, { estimatedTimeToRegainAccess: 7 });
    const error = await failure(graphWith().getWhatsAppBusinessAccount(SEED_WABA.id));
    expect(error.kind).toBe('rate-limited');
    expect(error.transient).toBe(true);
    expect(error.details.retryAfterSeconds).toBe(420);
    expect(error.details.usage).toEqual([expect.objectContaining({ objectId: SEED_WABA.id, callCount: 100, estimatedTimeToRegainAccess: 7 })]);
    expect(usage).toEqual([error.details.usage]);
    expect(sandbox.state.calls('get_waba')).toBe(1);
  });

  it.each([4, 17, 32, 613, 80007])('code %i is rate-limited', async (code) => {
    sandbox.state.failNext('get_business', { code });
    expect((await failure(graphWith().getBusiness(SEED_BUSINESS.id))).kind).toBe('rate-limited');
  });

  it('133016 after ten register calls on one number', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'verified');
    for (let call = 0; call < 10; call += 1) await graph.registerPhoneNumber(id);
    const error = await failure(graph.registerPhoneNumber(id));
    expect(error.kind).toBe('registration-limit');
    expect(error.details.code).toBe(133016);
    expect(sandbox.state.calls('register')).toBe(11);
  });

  it('2388001 on register is not-ready, asked once', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'verified');
    sandbox.state.failNext('register', { code: 100, error_subcode: 2388001, message: 'Cannot Create Certificate' });
    const error = await failure(graph.registerPhoneNumber(id));
    expect(error.kind).toBe('not-ready');
    expect(sandbox.state.calls('register')).toBe(1);
  });

  it('register before the code was verified is rejected (133010)', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'added');
    const error = await failure(graph.registerPhoneNumber(id));
    expect(error.kind).toBe('rejected');
    expect(error.details.code).toBe(133010);
  });

  it('a wrong code is rejected (136025) without the code in the message', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'added');
    await graph.requestVerificationCode(id, 'SMS', 'en_US');
    const wrong = sandbox.state.lastCode(id) === '000000' ? '111111' : '000000';
    const error = await failure(graph.verifyCode(id, wrong));
    expect(error.kind).toBe('rejected');
    expect(error.details.code).toBe(136025);
    expect(error.message).not.toContain(wrong);
    expect(sandbox.state.calls('verify_code')).toBe(1);
  });
});

describe('retries', () => {
  it('retries a transient fault and succeeds', async () => {
    sandbox.state.failNext('get_business', { code: 131000, is_transient: true }, 2);
    await expect(graphWith().getBusiness(SEED_BUSINESS.id)).resolves.toEqual(expect.objectContaining({ id: SEED_BUSINESS.id }));
    expect(sandbox.state.calls('get_business')).toBe(3);
  });

  it.each([[{ code: 1 }], [{ code: 2 }], [{ code: 133004 }], [{ code: 555, is_transient: true }]])('treats %j as transient', async (error) => {
    sandbox.state.failNext('get_business', error);
    await graphWith().getBusiness(SEED_BUSINESS.id);
    expect(sandbox.state.calls('get_business')).toBe(2);
  });

  it('retries an HTTP 5xx without a known code', async () => {
    sandbox.state.failNext('get_phone_number', { code: 99999 }, { httpStatus: 503 });
    const graph = graphWith();
    const id = await numberAt(graph, 'added');
    await expect(graph.getPhoneNumber(id)).resolves.toEqual(expect.objectContaining({ id }));
    expect(sandbox.state.calls('get_phone_number')).toBe(2);
  });

  it('gives up after the configured attempts', async () => {
    sandbox.state.failNext('get_waba', { code: 2, is_transient: true }, 10);
    const error = await failure(graphWith({ retry: { attempts: 4, baseDelayMs: 1 } }).getWhatsAppBusinessAccount(SEED_WABA.id));
    expect(error.kind).toBe('transient');
    expect(sandbox.state.calls('get_waba')).toBe(4);
  });

  it('never retries request_code', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'added');
    sandbox.state.failNext('request_code', { code: 131000, is_transient: true });
    expect((await failure(graph.requestVerificationCode(id, 'SMS', 'en_US'))).kind).toBe('transient');
    expect(sandbox.state.calls('request_code')).toBe(1);
    expect(sandbox.state.lastCode(id)).toBeNull();
  });

  it('never retries register', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'verified');
    sandbox.state.failNext('register', { code: 1 }, { httpStatus: 500 });
    expect((await failure(graph.registerPhoneNumber(id))).kind).toBe('transient');
    expect(sandbox.state.calls('register')).toBe(1);
  });

  it('retries verify_code when Meta answered with a transient error', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'added');
    await graph.requestVerificationCode(id, 'SMS', 'en_US');
    sandbox.state.failNext('verify_code', { code: 131000 });
    await graph.verifyCode(id, sandbox.state.lastCode(id)!);
    expect(sandbox.state.calls('verify_code')).toBe(2);
  });

  it('retries the phone pages of a WABA', async () => {
    const waba = sandbox.state.addWaba({ name: 'Flaky pages' });
    sandbox.state.addPhoneNumbers(waba.id, 150);
    sandbox.state.failNext('list_phone_numbers', { code: 2 });
    expect((await graphWith().getWhatsAppBusinessAccount(waba.id)).phoneNumbers).toHaveLength(150);
    expect(sandbox.state.calls('list_phone_numbers')).toBe(2);
  });
});

describe('two-step PIN', () => {
  it('is 6 digits, deterministic per phone id and secret, and differs between ids and secrets', () => {
    const pin = deriveTwoStepPin(PIN_SECRET, '300000000000001');
    expect(pin).toMatch(/^\d{6}$/);
    expect(deriveTwoStepPin(PIN_SECRET, '300000000000001')).toBe(pin);
    expect(deriveTwoStepPin(PIN_SECRET, '300000000000002')).not.toBe(pin);
    expect(deriveTwoStepPin('another-secret', '300000000000001')).not.toBe(pin);
    const pins = new Set(Array.from({ length: 500 }, (_, index) => deriveTwoStepPin(PIN_SECRET, String(300000000000000 + index))));
    expect(pins.size).toBeGreaterThan(490);
    for (const value of pins) expect(value).toMatch(/^\d{6}$/);
  });

  it('is what register sends, and a different secret fails with 133005 without any PIN in the error', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'verified');
    await graph.registerPhoneNumber(id);
    const other = graphWith({ pinSecret: 'rotated-secret' });
    const error = await failure(other.registerPhoneNumber(id));
    expect(error.kind).toBe('rejected');
    expect(error.details.code).toBe(133005);
    const text = `${error.message} ${JSON.stringify(error.details)} ${String(error.stack)}`;
    expect(text).not.toContain(deriveTwoStepPin(PIN_SECRET, id));
    expect(text).not.toContain(deriveTwoStepPin('rotated-secret', id));
    expect(text).not.toContain(TOKEN);
  });
});

describe('the sandbox console', () => {
  it('says where to read the code, with the number masked, and never prints the code', async () => {
    const graph = graphWith();
    const id = await numberAt(graph, 'added');
    await graph.requestVerificationCode(id, 'SMS', 'en_US');
    const code = sandbox.state.lastCode(id)!;
    expect(logLines).toContain(`WhatsApp code for +1425****123 sent by SMS; read it at _sandbox/codes/${id}`);
    expect(logLines.join('\n')).not.toMatch(new RegExp(`${code.slice(0, 3)}-?${code.slice(3)}`));
    expect(logLines.join('\n')).not.toContain('4255550123');
  });
});
