import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskPhoneNumber } from '../../domain/phone-number';
import { RATE_LIMIT_CODES, SandboxGraphError, errorBody, fbtraceId, graphErrors, type MetaErrorSpec } from './errors';
import { phoneHealthStatus, wabaHealthStatus } from './health';
import type { SignupSessions } from './signup';
import { FieldsSyntaxError, parseFields, serializeFields, type FieldSpec } from './fields';
import { BodyError, parseParams, readBody, sendJson, stringParam } from './http';
import { hashPin, type SandboxBusiness, type SandboxOperation, type SandboxPhoneNumber, type SandboxState, type SandboxWaba } from './state';

/** The Graph endpoints of docs/meta-graph.md, served from a SandboxState. */
export interface SandboxCodeMessage {
  /** E.164, `+<digits>`. */
  phoneNumber: string;
  phoneNumberId: string;
  code: string;
  method: 'SMS' | 'VOICE';
}

export interface GraphContext {
  state: SandboxState;
  latencyMs: number;
  delay: (ms: number) => Promise<void>;
  log: (line: string) => void;
  onVerificationCode: ((message: SandboxCodeMessage) => void | Promise<void>) | undefined;
  signups: SignupSessions;
}

/** The literal token the sandbox treats as expired (190/463); any other bearer token is accepted. */
export const EXPIRED_TOKEN = 'expired-token';
export const MAX_REGISTER_CALLS = 10;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;
const USAGE_HEADER = 'X-Business-Use-Case-Usage';
/** The version a request without a `/vNN.N` prefix is served as (the service's default too). */
const DEFAULT_VERSION = 'v25.0';
const SANDBOX_APP_NAME = 'Meta sandbox app';

interface RequestInfo {
  method: string;
  url: URL;
  /** `/v25.0` or '' when the request named no version. */
  versionPrefix: string;
  /** The major Graph version the request is served as: its `/vNN.N` prefix, DEFAULT_VERSION without one. */
  version: number;
  /** `http://host` + mount point, for `paging.next`. */
  base: string;
  params: Record<string, unknown>;
}

interface RouteResult {
  body: unknown;
  /** Runs once the response is sent. */
  after?: () => void;
}

interface Route {
  operation: SandboxOperation;
  /** The object the call is about, for usage headers of injected rate limits. */
  objectId: string | undefined;
  /** The WABA whose budget the call counts against, when the caller has access to it. */
  usageWabaId: string | undefined;
  /** Authenticated by its parameters (the app's id and secret), not by a bearer token. */
  public?: boolean;
  run(request: RequestInfo): RouteResult;
}

// ---- fields -----------------------------------------------------------------------------------

/** What a field reader may look at besides its node. */
interface NodeView {
  state: SandboxState;
  appId: string;
}

type FieldTable<T> = Record<string, (node: T, view: NodeView) => unknown>;

/**
 * Fields that only some Graph versions know, by `node type.field`: asking a version for a field it
 * does not know answers code 100, as real Graph does. A field not listed here is known in every
 * version. The one table of version gates (docs/meta-graph.md "Meta's document and real Graph"):
 * - `messaging_limit_tier` up to v23 and `whatsapp_business_manager_messaging_limit` from v24: the
 *   rename of v24.0 (Meta's v23 document lists only the first);
 * - `platform_type`, `new_name_status` and `health_status` (phone), `health_status` and
 *   `subscribed_apps` (WABA): not gated. Meta's v23 document leaves the first three out of the phone
 *   node (it names `host_platform` instead of `platform_type`, and shows `health_status` only on
 *   Flows), but real Graph answers all of them in v23 and later, and the service reads them there.
 */
export const FIELD_VERSIONS: Readonly<Record<string, { firstVersion?: number; lastVersion?: number }>> = {
  'WhatsAppBusinessPhoneNumber.messaging_limit_tier': { lastVersion: 23 },
  'WhatsAppBusinessPhoneNumber.whatsapp_business_manager_messaging_limit': { firstVersion: 24 },
};

export function versionKnowsField(nodeType: string, field: string, version: number): boolean {
  const gate = FIELD_VERSIONS[`${nodeType}.${field}`];
  if (!gate) return true;
  return (gate.firstVersion === undefined || version >= gate.firstVersion) && (gate.lastVersion === undefined || version <= gate.lastVersion);
}

const BUSINESS_FIELDS: FieldTable<SandboxBusiness> = {
  id: (business) => business.id,
  name: (business) => business.name,
  verification_status: () => 'verified',
};
const BUSINESS_DEFAULT = ['id', 'name'];

const PHONE_FIELDS: FieldTable<SandboxPhoneNumber> = {
  id: (phone) => phone.id,
  display_phone_number: (phone) => phone.displayPhoneNumber,
  verified_name: (phone) => phone.verifiedName,
  code_verification_status: (phone) => phone.codeVerificationStatus,
  name_status: (phone) => phone.nameStatus,
  new_name_status: (phone) => phone.newNameStatus,
  status: (phone) => phone.status,
  quality_rating: (phone) => phone.qualityRating,
  platform_type: (phone) => (phone.registered ? phone.platformType : 'NOT_APPLICABLE'),
  whatsapp_business_manager_messaging_limit: (phone) => phone.messagingLimit,
  messaging_limit_tier: (phone) => phone.messagingLimit,
  health_status: (phone, view) => phoneHealthStatus(view.state, phone, view.appId),
  throughput: () => ({ level: 'STANDARD' }),
  is_official_business_account: () => false,
  account_mode: () => 'LIVE',
  is_pin_enabled: (phone) => phone.pinHash !== null,
};
const PHONE_DEFAULT = ['verified_name', 'code_verification_status', 'display_phone_number', 'quality_rating', 'platform_type', 'throughput', 'id'];
const PHONE_NODE = 'WhatsAppBusinessPhoneNumber';

const WABA_FIELDS: FieldTable<SandboxWaba> = {
  id: (waba) => waba.id,
  name: (waba) => waba.name,
  account_review_status: (waba) => waba.accountReviewStatus,
  business_verification_status: (waba) => waba.businessVerificationStatus,
  ownership_type: (waba) => waba.ownershipType,
  status: () => 'ACTIVE',
  currency: () => 'USD',
  timezone_id: () => '1',
  message_template_namespace: (waba) => `sandbox_${waba.id}`,
  health_status: (waba, view) => wabaHealthStatus(view.state, waba, view.appId),
};
const WABA_DEFAULT = ['id', 'name', 'currency', 'timezone_id', 'message_template_namespace'];
/** Edges a WABA read may expand (`fields=…,phone_numbers{…}`); answered as `{ data, paging? }`. */
const WABA_EDGES = new Set(['phone_numbers', 'subscribed_apps']);

function requestedFields(request: RequestInfo, defaults: string[]): FieldSpec[] {
  const fields = request.url.searchParams.get('fields');
  if (fields === null || fields.trim() === '') return defaults.map((name) => ({ name, modifiers: {} }));
  return parseFields(fields);
}

function render<T>(node: T, table: FieldTable<T>, fields: readonly FieldSpec[], nodeType: string, version: number, view: NodeView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const read = table[field.name];
    if (!read || !versionKnowsField(nodeType, field.name, version)) throw graphErrors.nonexistingField(field.name, nodeType);
    const value = read(node, view);
    // Meta leaves out fields without a value.
    if (value !== null && value !== undefined && value !== '') out[field.name] = value;
  }
  return out;
}

// ---- paging -----------------------------------------------------------------------------------

const encodeCursor = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw graphErrors.invalidParameter('Invalid cursor');
  return Number(match[1]);
}

function pageSize(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw graphErrors.invalidParameter('Param limit must be a positive integer');
  return Math.min(MAX_PAGE_SIZE, Number(raw));
}

function phonePage(
  request: RequestInfo,
  waba: SandboxWaba,
  view: NodeView,
  fields: readonly FieldSpec[],
  limit: number,
  after: string | undefined,
): Record<string, unknown> | undefined {
  const phones = view.state.listedPhoneNumbers(waba.id);
  const start = after ? decodeCursor(after) : 0;
  const slice = phones.slice(start, start + limit);
  const data = slice.map((phone) => render(phone, PHONE_FIELDS, fields, PHONE_NODE, request.version, view));
  if (slice.length === 0) return { data };
  const end = start + slice.length;
  const paging: Record<string, unknown> = { cursors: { before: encodeCursor(start), after: encodeCursor(end) } };
  const link = (cursor: 'after' | 'before', offset: number): string => {
    const query = new URLSearchParams({ fields: serializeFields(fields), limit: String(limit), [cursor]: encodeCursor(offset) });
    return `${request.base}${request.versionPrefix}/${waba.id}/phone_numbers?${query.toString()}`;
  };
  if (end < phones.length) paging.next = link('after', end);
  if (start > 0) paging.previous = link('before', start);
  return { data, paging };
}

// ---- routes -----------------------------------------------------------------------------------

function resolve(ctx: GraphContext, method: string, segments: string[]): Route {
  const { state } = ctx;
  const view: NodeView = { state, appId: ctx.signups.app.id };
  const missing = (objectId: string, verb: 'get' | 'post' | 'delete') => graphErrors.objectMissing(objectId, verb, state.missingObjectStyle);
  const route = (operation: SandboxOperation, objectId: string | undefined, usageWabaId: string | undefined, run: Route['run']): Route => ({
    operation,
    objectId,
    usageWabaId,
    run,
  });
  const fail = (error: SandboxGraphError) => (): never => {
    throw error;
  };
  const unknown = (path: string): Route => route('unknown', undefined, undefined, fail(graphErrors.unknownPath(path)));
  const [id, edge, ...extra] = segments;
  if (id === undefined || extra.length > 0) return unknown(`/${segments.join('/')}`);

  const accessibleWaba = (wabaId: string, verb: 'get' | 'post' | 'delete'): SandboxWaba => {
    const waba = state.waba(wabaId);
    if (!waba || !waba.shared) throw missing(wabaId, verb);
    return waba;
  };
  const accessiblePhone = (phoneId: string, verb: 'get' | 'post' | 'delete', action: boolean): SandboxPhoneNumber => {
    const phone = state.phoneNumbers.get(phoneId);
    const waba = phone ? state.waba(phone.wabaId) : undefined;
    if (!phone || phone.removed || !waba?.shared || (action && phone.status === 'DELETED')) {
      throw missing(phoneId, verb);
    }
    return phone;
  };
  const wabaUsage = (wabaId: string): string | undefined => (state.waba(wabaId)?.shared ? wabaId : undefined);
  const phoneUsage = (phoneId: string): string | undefined => {
    const phone = state.phoneNumbers.get(phoneId);
    return phone && !phone.removed ? wabaUsage(phone.wabaId) : undefined;
  };

  if (edge === undefined) {
    if (id === 'debug_token' && method === 'GET') return route('debug_token', undefined, undefined, (request) => debugToken(state, request, view.appId));
    if (method === 'POST' && state.phoneNumbers.has(id)) {
      return route('update_phone_number', id, phoneUsage(id), (request) => updatePhoneNumber(state, accessiblePhone(id, 'post', true), request));
    }
    if (method !== 'GET') return route('post_object', id, undefined, fail(missing(id, 'post')));
    const business = state.business(id);
    if (business) {
      return route('get_business', id, undefined, (request) => ({
        body: render(business, BUSINESS_FIELDS, requestedFields(request, BUSINESS_DEFAULT), 'Business', request.version, view),
      }));
    }
    if (state.waba(id)) return route('get_waba', id, wabaUsage(id), (request) => ({ body: getWaba(view, request, accessibleWaba(id, 'get')) }));
    if (state.phoneNumbers.has(id)) {
      return route('get_phone_number', id, phoneUsage(id), (request) => ({
        body: render(accessiblePhone(id, 'get', false), PHONE_FIELDS, requestedFields(request, PHONE_DEFAULT), PHONE_NODE, request.version, view),
      }));
    }
    return route('get_object', id, undefined, fail(missing(id, 'get')));
  }

  if (id === 'oauth' && edge === 'access_token') {
    return { ...route('oauth_access_token', undefined, undefined, (request) => ({ body: ctx.signups.exchange(request.params) })), public: true };
  }

  const verb = method === 'GET' ? 'get' : method === 'DELETE' ? 'delete' : 'post';
  const on = (operation: SandboxOperation, usageWabaId: string | undefined, run: Route['run']): Route => route(operation, id, usageWabaId, run);
  switch (`${method} ${edge}`) {
    case 'GET phone_numbers':
      return on('list_phone_numbers', wabaUsage(id), (request) => {
        const waba = accessibleWaba(id, verb);
        const fields = requestedFields(request, PHONE_DEFAULT);
        const limit = pageSize(request.url.searchParams.get('limit') ?? undefined);
        const after = request.url.searchParams.get('after') ?? undefined;
        return { body: phonePage(request, waba, view, fields, limit, after) };
      });
    case 'POST phone_numbers':
      return on('add_phone_number', wabaUsage(id), (request) => addPhoneNumber(state, accessibleWaba(id, verb), request));
    case 'GET subscribed_apps':
      return on('list_subscribed_apps', wabaUsage(id), () => ({ body: { data: subscribedApps(accessibleWaba(id, verb), view.appId) } }));
    case 'POST subscribed_apps':
      return on('subscribe_app', wabaUsage(id), () => {
        accessibleWaba(id, verb).subscribedApp = true;
        return { body: { success: true } };
      });
    case 'DELETE subscribed_apps':
      return on('unsubscribe_app', wabaUsage(id), () => {
        state.unsubscribeApp(accessibleWaba(id, verb).id);
        return { body: { success: true } };
      });
    case 'POST request_code':
      return on('request_code', phoneUsage(id), (request) => requestCode(ctx, accessiblePhone(id, verb, true), request));
    case 'POST verify_code':
      return on('verify_code', phoneUsage(id), (request) => verifyCode(accessiblePhone(id, verb, true), request));
    case 'POST register':
      return on('register', phoneUsage(id), (request) => register(accessiblePhone(id, verb, true), request));
    case 'POST deregister':
      return on('deregister', phoneUsage(id), () => deregister(accessiblePhone(id, verb, true)));
    default:
      return unknown(`/${segments.join('/')}`);
  }
}

/** The app subscribed to a WABA's webhooks: the sandbox's own app (signup.ts), when subscribed. */
function subscribedApps(waba: SandboxWaba, appId: string): Array<{ whatsapp_business_api_data: { id: string; link: string; name: string } }> {
  if (!waba.subscribedApp) return [];
  return [{ whatsapp_business_api_data: { id: appId, link: `https://www.facebook.com/games/?app_id=${appId}`, name: SANDBOX_APP_NAME } }];
}

function getWaba(view: NodeView, request: RequestInfo, waba: SandboxWaba): Record<string, unknown> {
  const fields = requestedFields(request, WABA_DEFAULT);
  const plain = fields.filter((field) => !WABA_EDGES.has(field.name));
  const body = render(waba, WABA_FIELDS, plain, 'WhatsAppBusinessAccount', request.version, view);
  const expansion = fields.find((field) => field.name === 'phone_numbers');
  if (expansion) {
    const limit = pageSize(expansion.modifiers.limit);
    const subfields = expansion.subfields ?? PHONE_DEFAULT.map((name) => ({ name, modifiers: {} }));
    const page = phonePage(request, waba, view, subfields, limit, expansion.modifiers.after);
    // Meta leaves an empty edge out of a field-expanded answer.
    if (page && Array.isArray(page.data) && page.data.length > 0) body.phone_numbers = page;
  }
  if (fields.some((field) => field.name === 'subscribed_apps')) {
    // The edge's shape, as for phone_numbers (Meta's document shows a bare array: docs/meta-graph.md).
    const data = subscribedApps(waba, view.appId);
    if (data.length > 0) body.subscribed_apps = { data };
  }
  return body;
}

/** Parameters `POST /{phone-number-id}` understands here: the two-step PIN and a display-name change. */
const PHONE_UPDATE_PARAMS = new Set(['pin', 'new_display_name']);

function updatePhoneNumber(state: SandboxState, phone: SandboxPhoneNumber, request: RequestInfo): RouteResult {
  const names = Object.keys(request.params);
  const unsupported = names.find((name) => !PHONE_UPDATE_PARAMS.has(name));
  if (unsupported !== undefined) throw graphErrors.invalidParameter(`The sandbox does not support the parameter ${unsupported} on a phone number`);
  if (names.length === 0) throw graphErrors.invalidParameter('One of the parameters pin or new_display_name is required');
  // Both are checked before either is applied, so a refused call changes nothing.
  const pin = stringParam(request.params, 'pin');
  if (names.includes('pin') && (pin === undefined || !/^\d{6}$/.test(pin))) throw graphErrors.invalidParameter('Param pin must be a 6-digit number');
  const name = stringParam(request.params, 'new_display_name')?.trim();
  if (names.includes('new_display_name') && (name === undefined || name.length < 2 || name.length > 75)) throw graphErrors.invalidDisplayName();
  if (pin !== undefined) phone.pinHash = hashPin(pin);
  if (name !== undefined) state.requestDisplayName(phone.id, name);
  return { body: { success: true } };
}

function addPhoneNumber(state: SandboxState, waba: SandboxWaba, request: RequestInfo): RouteResult {
  const cc = stringParam(request.params, 'cc');
  const number = stringParam(request.params, 'phone_number');
  const verifiedName = stringParam(request.params, 'verified_name');
  for (const [name, value] of [
    ['cc', cc],
    ['phone_number', number],
    ['verified_name', verifiedName],
  ] as const) {
    if (value === undefined || value.trim() === '') throw graphErrors.invalidParameter(`The parameter ${name} is required`);
  }
  const ccDigits = cc!.replace(/\D/g, '');
  const numberDigits = number!.replace(/\D/g, '');
  const digits = `${ccDigits}${numberDigits}`;
  if (!/^\d{1,3}$/.test(ccDigits) || digits.length < 8 || digits.length > 15) {
    throw graphErrors.invalidParameter('Invalid phone number');
  }
  const e164 = `+${digits}`;
  const live = state.findLive(e164);
  if (live) throw live.wabaId === waba.id ? graphErrors.numberAlreadyOnWaba() : graphErrors.numberOnOtherWaba();
  const phone = state.addPendingPhoneNumber(waba.id, e164, verifiedName!.trim());
  return { body: { id: phone.id } };
}

function requestCode(ctx: GraphContext, phone: SandboxPhoneNumber, request: RequestInfo): RouteResult {
  const method = stringParam(request.params, 'code_method')?.toUpperCase();
  if (method !== 'SMS' && method !== 'VOICE') throw graphErrors.invalidParameter('Param code_method must be one of {SMS, VOICE}');
  const language = stringParam(request.params, 'language');
  // Meta's document: two lower-case letters, an underscore, two capitals (en_US, pt_BR).
  if (!language || !/^[a-z]{2}_[A-Z]{2}$/.test(language)) {
    throw graphErrors.invalidParameter('Param language must be a locale such as en_US');
  }
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  phone.lastCode = { code, method, language, requestedAt: new Date().toISOString() };
  phone.codeRequests += 1;
  // The sandbox shares the service's output (npm start), where no code may appear: it says where to read it.
  ctx.log(`WhatsApp code for ${maskPhoneNumber(phone.e164)} sent by ${method}; read it at _sandbox/codes/${phone.id}`);
  const message: SandboxCodeMessage = { phoneNumber: phone.e164, phoneNumberId: phone.id, code, method };
  return {
    body: { success: true },
    // After the answer, as with Meta: the SMS comes after request_code has returned.
    after: () => {
      if (!ctx.onVerificationCode) return;
      Promise.resolve()
        .then(() => ctx.onVerificationCode?.(message))
        .catch((error: unknown) => ctx.log(`onVerificationCode failed: ${error instanceof Error ? error.message : String(error)}`));
    },
  };
}

function verifyCode(phone: SandboxPhoneNumber, request: RequestInfo): RouteResult {
  const code = stringParam(request.params, 'code');
  if (code === undefined || !/^\d{6}$/.test(code)) throw graphErrors.invalidParameter('Param code must be a 6-digit number');
  if (phone.lastCode === null || phone.lastCode.code !== code) throw graphErrors.codeMismatch();
  phone.codeVerificationStatus = 'VERIFIED';
  return { body: { success: true } };
}

function register(phone: SandboxPhoneNumber, request: RequestInfo): RouteResult {
  if (stringParam(request.params, 'messaging_product') !== 'whatsapp') {
    throw graphErrors.invalidParameter('Param messaging_product must be whatsapp');
  }
  const pin = stringParam(request.params, 'pin');
  if (pin === undefined || !/^\d{6}$/.test(pin)) throw graphErrors.invalidParameter('Param pin must be a 6-digit number');
  if (phone.registerCalls >= MAX_REGISTER_CALLS) throw graphErrors.registerLimit();
  phone.registerCalls += 1;
  if (phone.codeVerificationStatus !== 'VERIFIED') throw graphErrors.notVerified();
  const hash = hashPin(pin);
  if (phone.pinHash !== null && phone.pinHash !== hash) throw graphErrors.pinMismatch();
  phone.pinHash = hash;
  phone.registered = true;
  phone.status = 'CONNECTED';
  return { body: { success: true } };
}

function deregister(phone: SandboxPhoneNumber): RouteResult {
  if (phone.registerCalls >= MAX_REGISTER_CALLS) throw graphErrors.registerLimit();
  phone.registerCalls += 1;
  phone.registered = false;
  phone.status = 'DISCONNECTED';
  return { body: { success: true } };
}

function debugToken(state: SandboxState, request: RequestInfo, appId: string): RouteResult {
  const input = request.url.searchParams.get('input_token');
  if (!input) throw graphErrors.invalidParameter('The parameter input_token is required');
  const common = {
    app_id: appId,
    type: 'SYSTEM_USER',
    application: SANDBOX_APP_NAME,
    data_access_expires_at: 0,
    expires_at: 0,
    user_id: '900000000000002',
  };
  if (input === EXPIRED_TOKEN) {
    return {
      body: {
        data: {
          ...common,
          is_valid: false,
          error: { code: 190, message: 'Error validating access token: Session has expired.', subcode: 463 },
          scopes: [],
        },
      },
    };
  }
  const wabaIds = state.grantedWabaIds();
  return {
    body: {
      data: {
        ...common,
        is_valid: true,
        scopes: ['business_management', 'whatsapp_business_management', 'whatsapp_business_messaging'],
        granular_scopes: [
          { scope: 'business_management', target_ids: [...state.businesses.keys()] },
          { scope: 'whatsapp_business_management', target_ids: wabaIds },
          { scope: 'whatsapp_business_messaging', target_ids: wabaIds },
        ],
      },
    },
  };
}

// ---- the request ------------------------------------------------------------------------------

function bearerToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? url.searchParams.get('access_token') ?? undefined;
}

function usageHeader(objectId: string, callCount: number, regainMinutes: number): string {
  const share = Math.min(100, Math.ceil(callCount / 2));
  return JSON.stringify({
    [objectId]: [
      {
        type: 'whatsapp_business_management',
        call_count: callCount,
        total_cputime: share,
        total_time: share,
        estimated_time_to_regain_access: regainMinutes,
      },
    ],
  });
}

/**
 * Serves one Graph request. `url` is the request path after the mount point (with query) parsed
 * against any origin; `base` is `http://host` + the mount point.
 */
export async function handleGraph(ctx: GraphContext, req: IncomingMessage, res: ServerResponse, url: URL, base: string): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const match = /^(\/v\d+\.\d+)?(\/.*)?$/.exec(url.pathname);
  const versionPrefix = match?.[1] ?? '';
  const rest = match?.[2] ?? '/';
  let segments: string[];
  try {
    segments = rest
      .split('/')
      .filter(Boolean)
      .map((segment) => decodeURIComponent(segment));
  } catch {
    segments = ['%'];
  }
  const route = resolve(ctx, method, segments);
  ctx.state.recordCall(route.operation);

  let status = 200;
  let body: unknown;
  let after: (() => void) | undefined;
  let usage: string | undefined;
  try {
    const raw = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
    const params = parseParams(url.searchParams, req.headers['content-type'], raw);
    if (!route.public) {
      const token = bearerToken(req, url);
      if (!token) throw graphErrors.missingToken();
      if (token === EXPIRED_TOKEN) throw graphErrors.expiredToken();
      const reach = ctx.signups.reaches(token, route.objectId);
      if (reach === false && !ctx.signups.reaches(token, undefined)) throw graphErrors.invalidToken();
      if (reach === false) {
        throw graphErrors.objectMissing(route.objectId ?? '', method === 'GET' ? 'get' : method === 'DELETE' ? 'delete' : 'post', ctx.state.missingObjectStyle);
      }
      if (reach === true) ctx.signups.recordBusinessTokenCall(route.operation);
    }
    const injected = ctx.state.takeFailure(route.operation, rest);
    if (injected) {
      if (RATE_LIMIT_CODES.has(injected.error.code)) {
        usage = usageHeader(route.usageWabaId ?? route.objectId ?? 'app', 100, injected.estimatedTimeToRegainAccess ?? 1);
      }
      throw new SandboxGraphError(injected.error, injected.httpStatus);
    }
    const version = Number(/^\/v(\d+)/.exec(versionPrefix || `/${DEFAULT_VERSION}`)?.[1]);
    const result = route.run({ method, url, versionPrefix, version, base, params });
    body = result.body;
    after = result.after;
  } catch (error) {
    const failure =
      error instanceof SandboxGraphError
        ? error
        : error instanceof BodyError || error instanceof FieldsSyntaxError
          ? graphErrors.invalidParameter(error.message)
          : graphErrors.internal();
    if (!(error instanceof SandboxGraphError || error instanceof BodyError || error instanceof FieldsSyntaxError)) {
      ctx.log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
    status = failure.httpStatus;
    body = errorBody(failure.spec satisfies MetaErrorSpec);
  }
  if (usage === undefined && route.usageWabaId !== undefined) {
    usage = usageHeader(route.usageWabaId, ctx.state.countWabaCall(route.usageWabaId), 0);
  }
  if (ctx.latencyMs > 0) await ctx.delay(ctx.latencyMs);
  const headers: Record<string, string> = { 'x-fb-trace-id': fbtraceId(), 'facebook-api-version': versionPrefix.slice(1) || DEFAULT_VERSION };
  if (usage !== undefined) headers[USAGE_HEADER] = usage;
  if (after) res.once('finish', after);
  sendJson(res, status, body, headers);
}
