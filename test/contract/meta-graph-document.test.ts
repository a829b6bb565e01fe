import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createEmbeddedSignup, createMetaGraph, type MetaGraphOptions } from '../../src/adapters/meta-graph';
import type { MetaGraph } from '../../src/domain/ports';
import { verificationRequestBody } from '../../src/functions/http/schemas';
import { createMetaSandbox, SEED_BUSINESS, SEED_WABA, type MetaSandbox } from '../../src/local/meta-sandbox';
import { parseFields, type FieldSpec } from '../../src/local/meta-sandbox/fields';
import * as shapes from './meta-graph-shapes';
import { startRecordingProxy, type Exchange } from './recording-proxy';

/**
 * The real Graph adapter against the Meta sandbox over HTTP, through a recording proxy: every
 * request the adapter sends and every answer the sandbox gives is held against the shapes of Meta's
 * document (meta-graph-shapes.ts). Both sides are ours, so neither may pass by agreeing with the
 * other: the document decides.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validators = new Map<shapes.Schema, ValidateFunction>();
function problemsOf(schema: shapes.Schema, value: unknown, what: string): string[] {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate(value) ? [] : [`${what}: ${ajv.errorsText(validate.errors)}`];
}

type Node = 'business' | 'waba' | 'phone';
interface Operation {
  name: string;
  /** False for calls the v23 document does not describe (debug_token, the code exchange): only the envelope and auth are checked. */
  inDocument: boolean;
  bearer: boolean;
  node?: Node;
  body?: shapes.Schema;
  query?: shapes.Schema;
  response?: shapes.Schema;
}

const NODE_SCHEMAS: Record<Node, shapes.Schema> = { business: shapes.businessNode, waba: shapes.wabaNode, phone: shapes.phoneNumberNode };

function operationOf(sandbox: MetaSandbox, method: string, path: string): Operation | undefined {
  const [id, edge, ...rest] = path
    .replace(/^\/v\d+\.\d+/, '')
    .split('/')
    .filter(Boolean);
  if (id === undefined || rest.length > 0) return undefined;
  const node: Node | undefined = sandbox.state.business(id)
    ? 'business'
    : sandbox.state.waba(id)
      ? 'waba'
      : sandbox.state.phoneNumbers.has(id)
        ? 'phone'
        : undefined;
  const op = (name: string, parts: Omit<Operation, 'name' | 'inDocument' | 'bearer'>): Operation => ({ name, inDocument: true, bearer: true, ...parts });
  if (edge === undefined) {
    if (id === 'debug_token' && method === 'GET') return { name: 'debug_token', inDocument: false, bearer: true };
    if (method === 'GET') return op(`get ${node ?? 'object'}`, { ...(node ? { node, response: NODE_SCHEMAS[node] } : {}) });
    if (method === 'POST') return op('update phone number', { node: 'phone', body: shapes.updatePhoneNumberBody, response: shapes.success });
    return undefined;
  }
  if (id === 'oauth' && edge === 'access_token' && method === 'GET') return { name: 'code exchange', inDocument: false, bearer: false };
  switch (`${method} ${edge}`) {
    case 'GET phone_numbers':
      return op('list phone numbers', { node: 'phone', query: shapes.phoneNumberListQuery, response: shapes.phoneNumberList });
    case 'POST phone_numbers':
      return op('add phone number', { body: shapes.addPhoneNumberBody, response: shapes.created });
    case 'GET subscribed_apps':
      return op('list subscribed apps', { response: shapes.subscribedAppsList });
    case 'POST subscribed_apps':
      return op('subscribe app', { body: shapes.subscribeBody, response: shapes.success });
    case 'DELETE subscribed_apps':
      return op('unsubscribe app', { response: shapes.success });
    case 'POST request_code':
      return op('request code', { body: shapes.requestCodeBody, response: shapes.success });
    case 'POST verify_code':
      return op('verify code', { body: shapes.verifyCodeBody, response: shapes.success });
    case 'POST register':
      return op('register', { body: shapes.registerBody, response: shapes.success });
    case 'POST deregister':
      return op('deregister', { response: shapes.success });
    default:
      return undefined;
  }
}

/** Fields asked of a node must be fields the request's version knows (expansions checked one level down). */
function fieldProblems(node: Node, fields: FieldSpec[], version: number, where: string): string[] {
  const problems: string[] = [];
  for (const field of fields) {
    const known = shapes.KNOWN_FIELDS[node][field.name];
    if (!known) problems.push(`${where}: field ${field.name} is not a field of the ${node} node`);
    else if ((known.firstVersion !== undefined && version < known.firstVersion) || (known.lastVersion !== undefined && version > known.lastVersion)) {
      problems.push(`${where}: field ${field.name} is unknown in v${version}`);
    }
    if (field.subfields && node === 'waba' && field.name === 'phone_numbers') problems.push(...fieldProblems('phone', field.subfields, version, where));
  }
  return problems;
}

function check(sandbox: MetaSandbox, exchange: Exchange): string[] {
  const where = `${exchange.method} ${exchange.path} → ${exchange.status}`;
  const operation = operationOf(sandbox, exchange.method, exchange.path);
  if (!operation) return [`${where}: no operation of the document`];
  const problems: string[] = [];
  const version = Number(/^\/v(\d+)\./.exec(exchange.path)?.[1]);
  if (!Number.isFinite(version)) problems.push(`${where}: no /vNN.N version in the path`);
  if ('access_token' in exchange.query) problems.push(`${where}: the token is in the query`);
  if (operation.bearer && !/^Bearer \S+$/.test(exchange.authorization ?? '')) problems.push(`${where}: no Authorization: Bearer header`);
  if (!operation.bearer && exchange.authorization !== undefined) problems.push(`${where}: an Authorization header on a call that takes none`);
  if (operation.body) problems.push(...problemsOf(operation.body, exchange.body ?? {}, `${where} request body`));
  if (operation.query) problems.push(...problemsOf(operation.query, exchange.query, `${where} query`));
  if (operation.node && exchange.query.fields !== undefined)
    problems.push(...fieldProblems(operation.node, parseFields(exchange.query.fields), version, where));
  if (exchange.status >= 200 && exchange.status < 300) {
    if (operation.response) problems.push(...problemsOf(operation.response, exchange.response, `${where} response`));
    return problems;
  }
  problems.push(...problemsOf(shapes.errorEnvelope, exchange.response, `${where} error body`));
  const error = (exchange.response as { error?: { code?: number; error_subcode?: number } }).error;
  if (typeof error?.code === 'number') {
    const allowed = shapes.allowedErrorStatuses(error.code, error.error_subcode);
    if (!allowed.includes(exchange.status)) problems.push(`${where}: code ${error.code} comes with HTTP ${allowed.join(' or ')}`);
  }
  return problems;
}

let sandbox: MetaSandbox;
let sandboxServer: { url: string; close(): Promise<void> };
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;

const APP = { id: '900000000000123', secret: 'contract-app-secret' };

beforeEach(async () => {
  sandbox = createMetaSandbox({ log: () => undefined, app: APP });
  sandboxServer = await sandbox.listen(0);
  proxy = await startRecordingProxy(sandboxServer.url);
});

afterEach(async () => {
  await proxy.close();
  await sandboxServer.close();
});

const options = (version: string, overrides: Partial<MetaGraphOptions> = {}): MetaGraphOptions => ({
  graphUrl: proxy.url,
  version,
  accessToken: 'contract-test-token',
  pinSecret: 'contract-test-pin-secret',
  timeoutMs: 5000,
  retry: { attempts: 1, baseDelayMs: 0 },
  ...overrides,
});

const allProblems = (): string[] => proxy.exchanges.flatMap((exchange) => check(sandbox, exchange));
const operationsSeen = (): string[] =>
  [...new Set(proxy.exchanges.map((exchange) => operationOf(sandbox, exchange.method, exchange.path)?.name ?? '?'))].sort();

/** The language the API passes to Meta when the client names none. */
const defaultLanguage = (): string => verificationRequestBody.parse({ method: 'SMS' }).language;

async function onboard(meta: MetaGraph): Promise<string> {
  const { id } = await meta.addPhoneNumber(SEED_WABA.id, { countryCode: '1', phoneNumber: '4255550123', verifiedName: 'Contoso Bikes' });
  await meta.requestVerificationCode(id, 'SMS', defaultLanguage());
  await meta.verifyCode(id, sandbox.state.lastCode(id)!);
  await meta.registerPhoneNumber(id);
  await meta.subscribeApp(SEED_WABA.id);
  return id;
}

describe.each(['v23.0', 'v25.0'])('the adapter at %s against the document', (version) => {
  it('sends and receives only what the document describes, through a whole onboarding and a paged WABA', async () => {
    const meta = createMetaGraph(options(version));
    await meta.getBusiness(SEED_BUSINESS.id);
    await meta.getWhatsAppBusinessAccount(SEED_WABA.id);
    const id = await onboard(meta);
    await meta.getPhoneNumber(id);
    const big = sandbox.state.addWaba({ name: 'Many numbers' });
    sandbox.state.addPhoneNumbers(big.id, 130);
    expect((await meta.getWhatsAppBusinessAccount(big.id)).phoneNumbers).toHaveLength(130);
    await meta.grantedWabaIds();

    expect(allProblems()).toEqual([]);
    expect(operationsSeen()).toEqual(
      expect.arrayContaining([
        'get business',
        'get waba',
        'get phone',
        'list phone numbers',
        'add phone number',
        'request code',
        'verify code',
        'register',
        'subscribe app',
        'debug_token',
      ]),
    );
    // The paged list was asked at the document's page size, with the cursor.
    const page = proxy.exchanges.find((exchange) => exchange.path.endsWith('/phone_numbers') && exchange.method === 'GET');
    expect(page?.query).toEqual(expect.objectContaining({ limit: '100', after: expect.any(String) }));
  });

  it('answers each kind of error with its status and the envelope', async () => {
    const meta = createMetaGraph(options(version));
    const refused = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('expected a refusal');
        },
        () => undefined,
      );
    await refused(meta.getWhatsAppBusinessAccount('999999999'));
    await refused(createMetaGraph(options(version, { accessToken: 'expired-token' })).getBusiness(SEED_BUSINESS.id));
    sandbox.state.failNext('get_business', { code: 200, error_subcode: 1349174 });
    await refused(meta.getBusiness(SEED_BUSINESS.id));
    sandbox.state.failNext('get_waba', { code: 4, error_subcode: 2446079, is_transient: true });
    await refused(meta.getWhatsAppBusinessAccount(SEED_WABA.id));
    sandbox.state.failNext('get_phone_number', { code: 2, is_transient: true });
    const { id } = await meta.addPhoneNumber(SEED_WABA.id, { countryCode: '1', phoneNumber: '4255550123', verifiedName: 'Contoso Bikes' });
    await refused(meta.getPhoneNumber(id));
    await refused(meta.addPhoneNumber(SEED_WABA.id, { countryCode: '1', phoneNumber: '4255550123', verifiedName: 'Contoso Bikes' }));
    await meta.requestVerificationCode(id, 'VOICE', defaultLanguage());
    await refused(meta.verifyCode(id, sandbox.state.lastCode(id) === '000000' ? '111111' : '000000'));
    sandbox.state.missingObjectStyle = 'document-404-803';
    await refused(meta.getWhatsAppBusinessAccount('999999999'));

    expect(allProblems()).toEqual([]);
    expect([...new Set(proxy.exchanges.filter((exchange) => exchange.status >= 400).map((exchange) => exchange.status))].sort()).toEqual([
      400, 401, 403, 404, 409, 422, 429, 500,
    ]);
  });
});

describe('calls the v23 document does not describe', () => {
  it('the Embedded Signup code exchange goes without a bearer token', async () => {
    const popup = sandbox.signups.start({ phoneNumber: '+14255550124' });
    const signup = createEmbeddedSignup({ ...options('v25.0'), appId: APP.id, appSecret: APP.secret });
    expect((await signup.exchangeCode(popup.code)).refused).toBe(false);
    expect((await signup.exchangeCode(popup.code)).refused).toBe(true);
    expect(allProblems()).toEqual([]);
    expect(operationsSeen()).toEqual(['code exchange']);
  });
});

describe('the checker itself', () => {
  const exchange = (overrides: Partial<Exchange>): Exchange => ({
    method: 'POST',
    path: `/v25.0/${SEED_WABA.id}/subscribed_apps`,
    query: {},
    authorization: 'Bearer x',
    body: undefined,
    status: 200,
    response: { success: true },
    ...overrides,
  });

  it('refuses what the document refuses', () => {
    const phone = sandbox.state.addPhoneNumber(SEED_WABA.id, '+14255550100');
    expect(check(sandbox, exchange({}))).toEqual([]);
    const refusedBy = (overrides: Partial<Exchange>) => expect(check(sandbox, exchange(overrides))).not.toEqual([]);
    refusedBy({ authorization: undefined });
    refusedBy({ query: { access_token: 'x' } });
    refusedBy({ path: `/${SEED_WABA.id}/subscribed_apps` });
    refusedBy({ path: `/v25.0/${phone.id}/request_code`, body: { code_method: 'SMS', language: 'en' } });
    refusedBy({ path: `/v25.0/${phone.id}/request_code`, body: { code_method: 'EMAIL', language: 'en_US' } });
    refusedBy({ path: `/v25.0/${phone.id}/verify_code`, body: { code: '123-456' } });
    refusedBy({ path: `/v25.0/${phone.id}/register`, body: { messaging_product: 'whatsapp', pin: '12345' } });
    refusedBy({ path: `/v25.0/${phone.id}`, body: { new_display_name: 'X' } });
    refusedBy({ method: 'GET', path: `/v25.0/${phone.id}`, query: { fields: 'id,messaging_limit_tier' }, response: { id: phone.id } });
    refusedBy({ method: 'GET', path: `/v23.0/${phone.id}`, query: { fields: 'whatsapp_business_manager_messaging_limit' }, response: { id: phone.id } });
    refusedBy({ method: 'GET', path: `/v25.0/${phone.id}`, response: { id: phone.id, status: 'LINKED' } });
    refusedBy({ method: 'GET', path: `/v25.0/${phone.id}`, response: { id: phone.id, health_status: { can_send_message: 'MAYBE' } } });
    refusedBy({ method: 'GET', path: `/v25.0/${SEED_WABA.id}`, response: { id: SEED_WABA.id, phone_numbers: [{ id: phone.id }] } });
    refusedBy({ method: 'GET', path: `/v25.0/${SEED_WABA.id}/subscribed_apps`, response: { data: [{ id: APP.id, name: 'flat' }] } });
    refusedBy({ status: 400, response: { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190, fbtrace_id: 'x' } } });
    refusedBy({ status: 404, response: { error: { message: 'missing', type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: 'x' } } });
    refusedBy({ status: 400, response: { error: { message: 'no trace', type: 'OAuthException', code: 100 } } });
    refusedBy({ path: '/v25.0/unknown/thing/here' });
  });
});

// The API's own request schema decides what reaches request_code: it refuses a bare language, and
// its default is sent in the only form the document allows (`xx_XX`).
test('what the API accepts as a language reaches Meta in the form the document allows', async () => {
  expect(verificationRequestBody.safeParse({ method: 'SMS', language: 'en' }).success).toBe(false);
  const meta = createMetaGraph(options('v25.0'));
  const { id } = await meta.addPhoneNumber(SEED_WABA.id, { countryCode: '1', phoneNumber: '4255550123', verifiedName: 'Contoso Bikes' });
  const defaulted = verificationRequestBody.parse({ method: 'SMS' });
  await meta.requestVerificationCode(id, 'SMS', defaulted.language);
  expect(allProblems()).toEqual([]);
});
