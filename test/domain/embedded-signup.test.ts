import { DomainError } from '../../src/domain/errors';
import { MetaGraphError, type MetaPhoneNumber, type MetaWaba } from '../../src/domain/meta';
import type { EmbeddedSignup, Logger, MetaGraph, RegistrationRepository, UpdateOptions } from '../../src/domain/ports';
import { newRegistration, type Change, type Registration } from '../../src/domain/registration';
import { makeCompleteEmbeddedSignup, type EmbeddedSignupRequest } from '../../src/domain/use-cases/embedded-signup';

/** The use case with in-memory fakes: which Meta calls happen with which token, and what is written. */
const NUMBER = '+14255550123';
const clock = { now: () => new Date('2026-05-01T10:00:00Z') };
const ids = {
  newId: (() => {
    let n = 0;
    return () => `id-${(n += 1)}`;
  })(),
};

function fakeRepository(initial: Registration[]) {
  const rows = new Map(initial.map((registration) => [registration.id, registration]));
  const markers = new Set<string>();
  const writes: Change[] = [];
  const repository: RegistrationRepository = {
    async get(id) {
      return rows.get(id) ?? null;
    },
    async update(id, mutate, options: UpdateOptions = {}) {
      const current = rows.get(id);
      if (!current) throw new DomainError('not-found', 'no such registration');
      if (options.eventId && markers.has(`${id}/${options.eventId}`)) return { registration: current, changed: false, duplicate: true };
      if (options.ifMatchVersion !== undefined && options.ifMatchVersion !== current.version) throw new DomainError('concurrency-conflict', 'stale');
      const change = mutate(current);
      if (change.next === current) return { registration: current, changed: false, duplicate: false };
      const next = { ...change.next, version: current.version + 1 };
      rows.set(id, next);
      if (options.eventId) markers.add(`${id}/${options.eventId}`);
      writes.push(change);
      return { registration: next, changed: true, duplicate: false };
    },
    async listByPhoneNumber(phoneNumber) {
      return [...rows.values()].filter((registration) => registration.phoneNumber === phoneNumber);
    },
    create: unused('create'),
    summarize: unused('summarize'),
    newId: unused('newId'),
    history: unused('history'),
    list: unused('list'),
    listByWaba: unused('listByWaba'),
    ping: unused('ping'),
  };
  return { repository, rows, writes };
}

function unused(name: string): () => never {
  return () => {
    throw new Error(`${name} is not expected here`);
  };
}

const phone = (overrides: Partial<MetaPhoneNumber> = {}): MetaPhoneNumber => ({
  id: '300000000000001',
  displayPhoneNumber: '+1 425-555-0123',
  e164: NUMBER,
  verifiedName: 'Contoso Signup',
  codeVerificationStatus: 'VERIFIED',
  nameStatus: 'APPROVED',
  newNameStatus: 'NONE',
  status: 'PENDING',
  qualityRating: 'GREEN',
  messagingLimit: 'TIER_250',
  ...overrides,
});

/** Meta as the business's token sees it; records every call. */
function businessGraph(phones: MetaPhoneNumber[] = [phone()], failures: { register?: MetaGraphError } = {}) {
  const calls: string[] = [];
  const waba: MetaWaba = {
    id: '200000000000009',
    name: 'Signup WABA',
    accountReviewStatus: 'APPROVED',
    businessVerificationStatus: 'verified',
    phoneNumbers: phones,
  };
  const graph: MetaGraph = {
    async getBusiness(id) {
      calls.push(`getBusiness ${id}`);
      if (id !== '100000000000009') throw new MetaGraphError('object-missing', 'no', { code: 100, subcode: 33 });
      return { id, name: 'Signup Business' };
    },
    async getWhatsAppBusinessAccount(id) {
      calls.push(`getWhatsAppBusinessAccount ${id}`);
      if (id !== waba.id) throw new MetaGraphError('object-missing', 'no', { code: 100, subcode: 33 });
      return waba;
    },
    async addPhoneNumber(wabaId, input) {
      calls.push(`addPhoneNumber ${wabaId} ${input.verifiedName}`);
      return { id: '300000000000077' };
    },
    async registerPhoneNumber(id) {
      calls.push(`registerPhoneNumber ${id}`);
      if (failures.register) throw failures.register;
    },
    async subscribeApp(id) {
      calls.push(`subscribeApp ${id}`);
    },
    getPhoneNumber: unused('getPhoneNumber'),
    requestVerificationCode: unused('requestVerificationCode'),
    verifyCode: unused('verifyCode'),
    grantedWabaIds: unused('grantedWabaIds'),
    requestDisplayNameChange: unused('requestDisplayNameChange'),
    subscribedAppIds: unused('subscribedAppIds'),
  };
  return { graph, calls };
}

function signupPort(graph: MetaGraph, refuse = false) {
  const exchanged: string[] = [];
  const port: EmbeddedSignup = {
    async exchangeCode(code) {
      exchanged.push(code);
      return refuse ? { refused: true } : { refused: false, meta: graph };
    },
    fingerprint: (request) => `hmac(${request.length})`,
  };
  return { port, exchanged };
}

const logLines: string[] = [];
const log: Logger = {
  info: (message, properties) => void logLines.push(`${message} ${JSON.stringify(properties ?? {})}`),
  warn: (message, properties) => void logLines.push(`${message} ${JSON.stringify(properties ?? {})}`),
  error: (message, properties) => void logLines.push(`${message} ${JSON.stringify(properties ?? {})}`),
};
const trigger = { cause: 'api' as const, eventId: 'request-1', log };

const registration = (overrides: Partial<Registration> = {}): Registration => ({
  ...newRegistration({ id: 'r1', phoneNumber: NUMBER, phoneNumberSource: 'byo', at: '2026-05-01T09:00:00Z' }),
  ...overrides,
});

const finish: EmbeddedSignupRequest = {
  code: 'AQD-secret-code',
  businessId: '100000000000009',
  whatsAppBusinessAccountId: '200000000000009',
  phoneNumberId: '300000000000001',
};

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a refusal');
}

beforeEach(() => (logLines.length = 0));

describe('makeCompleteEmbeddedSignup', () => {
  it('registers and subscribes with the business graph and connects; the code reaches no log', async () => {
    const { repository, rows } = fakeRepository([registration()]);
    const business = businessGraph();
    const { port, exchanged } = signupPort(business.graph);
    const result = await makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: finish }, trigger);
    expect(result.stage).toBe('Connected');
    expect(exchanged).toEqual([finish.code]);
    expect(business.calls).toEqual(
      expect.arrayContaining(['getBusiness 100000000000009', 'registerPhoneNumber 300000000000001', 'subscribeApp 200000000000009']),
    );
    expect(rows.get('r1')).toMatchObject({ businessAccount: { id: '100000000000009', name: 'Signup Business' }, displayName: 'Contoso Signup' });
    expect(JSON.stringify(rows.get('r1'))).not.toContain(finish.code);
    expect(logLines.join('\n')).not.toContain(finish.code);
    expect(logLines.join('\n')).not.toContain('4255550123');
  });

  it('answers a retry of the same request from what was stored, without exchanging again', async () => {
    const { repository, writes } = fakeRepository([registration()]);
    const business = businessGraph();
    const { port, exchanged } = signupPort(business.graph);
    const deps = { registrations: repository, clock, ids, embeddedSignup: port };
    const first = await makeCompleteEmbeddedSignup(deps)({ id: 'r1', request: finish }, trigger);
    const written = writes.length;
    const again = await makeCompleteEmbeddedSignup(deps)({ id: 'r1', request: { ...finish } }, trigger);
    expect(again).toEqual(first);
    expect(exchanged).toHaveLength(1);
    expect(business.calls.filter((call) => call.startsWith('registerPhoneNumber'))).toHaveLength(1);
    expect(writes).toHaveLength(written);
  });

  it('refuses the same WABA and number as another registration that is not Cancelled, before spending the code', async () => {
    const other = registration({ id: 'r0', stage: 'ProfileSelected', whatsAppBusinessAccountId: finish.whatsAppBusinessAccountId });
    const { repository } = fakeRepository([other, registration()]);
    const { port, exchanged } = signupPort(businessGraph().graph);
    const error = await refusal(
      makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: finish }, trigger),
    );
    expect(error.code).toBe('phone-number-locked');
    expect(exchanged).toEqual([]);
  });

  it('lets a Cancelled registration of the same WABA and number go', async () => {
    const other = registration({ id: 'r0', stage: 'Cancelled', whatsAppBusinessAccountId: finish.whatsAppBusinessAccountId });
    const { repository } = fakeRepository([other, registration()]);
    const { port } = signupPort(businessGraph().graph);
    const result = await makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: finish }, trigger);
    expect(result.stage).toBe('Connected');
  });

  it('turns a refused code into meta-code-exchange-failed and writes nothing', async () => {
    const { repository, writes } = fakeRepository([registration()]);
    const { port } = signupPort(businessGraph().graph, true);
    const error = await refusal(
      makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: finish }, trigger),
    );
    expect(error.code).toBe('meta-code-exchange-failed');
    expect(error.message).not.toContain(finish.code);
    expect(writes).toEqual([]);
  });

  it("answers a retry that raced the first call with the first call's outcome once the code turns out spent", async () => {
    const { repository } = fakeRepository([registration()]);
    let marker = '';
    const port: EmbeddedSignup = {
      fingerprint: (request) => (marker = `hmac(${request.length})`),
      // While this call waited, the first call with the same body finished and wrote its marker.
      async exchangeCode() {
        await repository.update('r1', (current) => ({ next: { ...current, stage: 'ProfileSelected' }, history: [] }), { eventId: `embedded-signup:${marker}` });
        return { refused: true };
      },
    };
    const result = await makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: finish }, trigger);
    expect(result.stage).toBe('ProfileSelected');
  });

  it('stays in CodeVerified, answered as a success, when register must wait; the retry does not register again', async () => {
    const { repository } = fakeRepository([registration()]);
    const business = businessGraph([phone()], { register: new MetaGraphError('not-ready', 'provisioning', { code: 100, subcode: 2388001 }) });
    const { port } = signupPort(business.graph);
    const deps = { registrations: repository, clock, ids, embeddedSignup: port };
    const result = await makeCompleteEmbeddedSignup(deps)({ id: 'r1', request: finish }, trigger);
    expect(result).toMatchObject({ stage: 'CodeVerified', metaRegistration: { notBefore: expect.any(String) } });
    await makeCompleteEmbeddedSignup(deps)({ id: 'r1', request: finish }, trigger);
    expect(business.calls.filter((call) => call.startsWith('registerPhoneNumber'))).toHaveLength(1);
  });

  it.each([
    ['a number that is not the registration’s', [phone({ e164: '+14255550999', displayPhoneNumber: '+1 425-555-0999' })]],
    ['a number that is not on the WABA', [phone({ id: '300000000000002' })]],
  ])('refuses %s with embedded-signup-mismatch, writing nothing', async (_label, phones) => {
    const { repository, writes } = fakeRepository([registration()]);
    const { port } = signupPort(businessGraph(phones).graph);
    const error = await refusal(
      makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: finish }, trigger),
    );
    expect(error.code).toBe('embedded-signup-mismatch');
    expect(writes).toEqual([]);
  });

  it('after FINISH_ONLY_WABA adds the number with the display name given and stops at ProfileSelected', async () => {
    const { repository } = fakeRepository([registration({ stage: 'BusinessAccountSelected' })]);
    const business = businessGraph([]);
    const { port } = signupPort(business.graph);
    const { phoneNumberId: _none, ...onlyWaba } = finish;
    const result = await makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })(
      { id: 'r1', request: { ...onlyWaba, displayName: 'Contoso Bikes' } },
      trigger,
    );
    expect(result).toMatchObject({ stage: 'ProfileSelected', phoneNumberId: '300000000000077', displayName: 'Contoso Bikes' });
    expect(business.calls).toContain('addPhoneNumber 200000000000009 Contoso Bikes');
    expect(business.calls.some((call) => call.startsWith('registerPhoneNumber'))).toBe(false);
  });

  it('needs a display name after FINISH_ONLY_WABA', async () => {
    const { repository } = fakeRepository([registration()]);
    const { port, exchanged } = signupPort(businessGraph().graph);
    const { phoneNumberId: _none, ...onlyWaba } = finish;
    const error = await refusal(
      makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: onlyWaba }, trigger),
    );
    expect(error.code).toBe('validation-failed');
    expect(exchanged).toEqual([]);
  });

  it.each(['CodeVerified', 'Connected', 'Cancelled'] as const)('refuses stage %s with invalid-transition before exchanging', async (stage) => {
    const { repository } = fakeRepository([registration({ stage })]);
    const { port, exchanged } = signupPort(businessGraph().graph);
    const error = await refusal(
      makeCompleteEmbeddedSignup({ registrations: repository, clock, ids, embeddedSignup: port })({ id: 'r1', request: finish }, trigger),
    );
    expect(error.code).toBe('invalid-transition');
    expect(exchanged).toEqual([]);
  });
});
