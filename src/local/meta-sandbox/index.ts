/**
 * The Meta sandbox: a local, in-memory imitation of the Graph API endpoints in
 * docs/meta-graph.md, for `npm start` without META_ACCESS_TOKEN and for tests.
 *
 * Graph endpoints (any version prefix `/vNN.N`, or none, served as v25.0; `Authorization: Bearer <any token>`,
 * or `access_token=` in the query; the token `expired-token` answers 190/463). Fields a version does not
 * know answer 100 (`messaging_limit_tier` up to v23, `whatsapp_business_manager_messaging_limit` from v24:
 * FIELD_VERSIONS in graph.ts):
 *   GET  /debug_token?input_token=…             granular_scopes: shared WABAs under whatsapp_business_management
 *   GET  /{business-id}?fields=id,name
 *   GET  /{waba-id}?fields=…,health_status,phone_numbers.limit(n){…},subscribed_apps
 *                                                field expansion (default 25, max 100 a page); edges as { data, paging? }
 *   GET  /{waba-id}/phone_numbers?fields=…&limit=&after=  cursor paging (paging.cursors, paging.next)
 *   POST /{waba-id}/phone_numbers               cc, phone_number, verified_name → { id }
 *   GET|POST|DELETE /{waba-id}/subscribed_apps   { data: [{ whatsapp_business_api_data: { id, link, name } }] }
 *                                                with the sandbox's app (options.app, signup.ts); POST/DELETE → { success }
 *   GET  /{phone-number-id}?fields=…,health_status   health_status: health.ts
 *   POST /{phone-number-id}                     pin (6 digits: the two-step PIN) and/or new_display_name (2–75
 *                                                characters: new_name_status PENDING_REVIEW, the name kept) → { success }
 *   POST /{phone-number-id}/request_code        code_method SMS|VOICE, language xx_XX → a random 6-digit code
 *   POST /{phone-number-id}/verify_code         code (6 digits)
 *   POST /{phone-number-id}/register            messaging_product=whatsapp, pin (6 digits)
 *   POST /{phone-number-id}/deregister
 *   GET|POST /oauth/access_token               client_id, client_secret, code → { access_token, token_type }
 *                                                (no bearer token; Embedded Signup's code exchange, signup.ts)
 * POST parameters are read from the query, a form body or a JSON body. Errors use Meta's body
 * `{ error: { message, type, code, error_subcode?, is_transient?, fbtrace_id } }` with the HTTP status
 * of their kind (httpStatusFor in errors.ts; injected failures too, unless they name one):
 *   401  104 no access token; 190/463 token `expired-token`; 190 a made-up business token
 *   400  100/33 unknown object, unshared WABA, removed number (or a DELETED number on actions);
 *        100 bad parameter or unknown field; 2500 unknown path
 *   404  803 instead of 100/33 after `POST /_sandbox/missing-objects { style: "document-404-803" }`
 *   409  100/2388093 number already on this WABA; 100/2388094 number live on another WABA (sandbox subcodes)
 *   422  136025 verify_code: wrong code, or no code requested; 133010 register before verify_code
 *        succeeded; 133005 register with a PIN other than the number's two-step PIN
 *   429  133016 more than 10 register/deregister calls on one number; rate-limit codes
 *   403  10, 200–299 (permission, injected); 500 1, 2, 131000, 133004 (injected)
 * WABA and phone-number calls carry `X-Business-Use-Case-Usage` keyed by the WABA id, call_count a
 * percentage of 200 calls/h (5,000 once a number is registered); the sandbox reports but never
 * blocks: inject a rate limit with fail-next.
 *
 * A business token from the code exchange reaches only its session's business, WABA and numbers
 * (anything else: 100/33); a made-up one answers 190.
 *
 * Control routes (no auth; JSON; for tests driving a child process, and curl):
 *   POST   /_sandbox/embedded-signup          { phoneNumber?, verified?, onlyWaba?, verifiedName? }
 *                                               plays a signup session: creates (or, for a number already on
 *                                               a WABA, reuses) business, WABA and number; answers the popup's
 *                                               { type, event, data: { business_id, waba_id, phone_number_id? },
 *                                               code }; the code works once, for 30 s
 *   GET    /_sandbox/embedded-signup/{code}   the session, with the business token once exchanged
 *   GET    /_sandbox/state                                   businesses, WABAs, numbers (no codes, no PINs), call counts
 *   POST   /_sandbox/reset                    { seed? }      forget everything, seed again unless seed=false
 *   GET    /_sandbox/calls                                   Graph calls per operation (+ total)
 *   POST   /_sandbox/calls/reset
 *   POST   /_sandbox/businesses               { id?, name }
 *   POST   /_sandbox/wabas                    { id?, name?, businessId?, accountReviewStatus?,
 *                                               businessVerificationStatus?, ownershipType?, newNumberNameStatus? }
 *   POST   /_sandbox/wabas/{id}/phone-numbers { phoneNumber, id?, verifiedName?, codeVerificationStatus?,
 *                                               nameStatus?, newNameStatus?, status?, qualityRating?,
 *                                               messagingLimit?, registered? }   (default: connected, approved)
 *   POST   /_sandbox/wabas/{id}/phone-numbers/bulk  { count, …fields }    generated numbers +1555xxxxxxx
 *   POST   /_sandbox/wabas/{id}/unshare | /share
 *   POST   /_sandbox/wabas/{id}/health        { canSendMessage, errors? }   the WABA entity of health_status (else computed)
 *   DELETE /_sandbox/wabas/{id}/health
 *   POST   /_sandbox/wabas/{id}/unsubscribe-app                 takes the app off the WABA (as DELETE subscribed_apps)
 *   POST   /_sandbox/wabas/{id}/account-review-status       { accountReviewStatus }
 *   POST   /_sandbox/wabas/{id}/business-verification-status { businessVerificationStatus }
 *   POST   /_sandbox/wabas/{id}/new-number-name-status      { nameStatus }   for numbers added later
 *   GET    /_sandbox/phone-numbers/{id or E.164 digits}
 *   POST   /_sandbox/phone-numbers/{id or digits}/delete      { mode?: "status" (DELETED, still listed) | "remove" }
 *   POST   /_sandbox/phone-numbers/{id or digits}/name-status { nameStatus }
 *   POST   /_sandbox/phone-numbers/{id or digits}/status      { status }   CONNECTED, PENDING, FLAGGED, RESTRICTED,
 *                                                                BANNED, DISCONNECTED, DELETED, MIGRATED, RATE_LIMITED, …
 *   POST   /_sandbox/phone-numbers/{id or digits}/health      { canSendMessage: AVAILABLE|LIMITED|BLOCKED,
 *                                                                errors?: [{ errorCode, errorDescription, possibleSolution }] }
 *                                                                the PHONE_NUMBER entity of health_status (else computed)
 *   DELETE /_sandbox/phone-numbers/{id or digits}/health      computed from the number again
 *   POST   /_sandbox/phone-numbers/{id or digits}/new-name-status { newNameStatus }   decides a pending new_display_name:
 *                                                                APPROVED → it becomes verified_name, name_status APPROVED;
 *                                                                DECLINED (or another) → the name stays; 409 if none pending
 *   POST   /_sandbox/phone-numbers/{id or digits}/update      { any of the phone fields above }
 *   GET    /_sandbox/codes/{E.164 digits or id}              { phoneNumber, phoneNumberId, code, method, language, requestedAt }
 *   POST   /_sandbox/fail-next   { operation | pathPattern, error: { code, error_subcode?, message?, type?,
 *                                  is_transient? }, times?, httpStatus?, estimatedTimeToRegainAccess? }
 *   DELETE /_sandbox/fail-next                               clear injected failures
 *   POST   /_sandbox/missing-objects          { style: "graph-100-33" | "document-404-803" }   how a missing object is
 *                                                                answered (default graph-100-33; reset restores it)
 * Operations: debug_token, get_business, get_waba, get_phone_number, get_object, post_object,
 * update_phone_number, list_phone_numbers, add_phone_number, list_subscribed_apps, subscribe_app,
 * unsubscribe_app, request_code,
 * verify_code, register, deregister, oauth_access_token, unknown. `pathPattern` is a regular expression tested against
 * the path without version and query, e.g. `^/\d+/register$`.
 *
 * Seed (unless `seed: false`): business 100000000000001 "Contoso Sandbox Business" and WABA
 * 200000000000001 "Contoso Sandbox" (APPROVED, verified) without numbers.
 */
import { randomBytes } from 'node:crypto';
import { handleControl } from './control';
import { handleGraph, type SandboxCodeMessage } from './graph';
import { serveSandbox, sleep, type LocalSandbox } from './http';
import { SignupSessions, DEFAULT_SANDBOX_APP_ID, type SandboxApp } from './signup';
import { SandboxState } from './state';

export type { SandboxCodeMessage } from './graph';
export { EXPIRED_TOKEN, MAX_REGISTER_CALLS } from './graph';
export {
  SandboxState,
  SandboxControlError,
  SANDBOX_OPERATIONS,
  SEED_BUSINESS,
  SEED_WABA,
  formatDisplayNumber,
  type AddWabaInput,
  type FailNextOptions,
  type SandboxBusiness,
  type SandboxOperation,
  type SandboxPhoneFields,
  type SandboxPhoneNumber,
  type SandboxSnapshot,
  type SandboxWaba,
} from './state';
export { DEFAULT_SANDBOX_APP_ID, SIGNUP_CODE_LIFETIME_MS, SignupSessions, type SandboxApp, type SignupPopupResult, type StartSignupInput } from './signup';
export { metaSandboxWorldSchema, type MetaSandboxWorld } from './world';
export {
  SUBCODE_NUMBER_ALREADY_ON_WABA,
  SUBCODE_NUMBER_ON_OTHER_WABA,
  MISSING_OBJECT_STYLES,
  httpStatusFor,
  type MetaErrorSpec,
  type MissingObjectStyle,
} from './errors';
export { FIELD_VERSIONS } from './graph';
export { CAN_SEND_MESSAGE, type CanSendMessage, type SandboxHealth } from './state';

export interface MetaSandboxOptions {
  /** Delay before every Graph response (benchmarks); control routes are not delayed. */
  latencyMs?: number;
  /** How the latency is waited for; tests pass one they control instead of the wall clock. */
  delay?: (ms: number) => Promise<void>;
  /** Seed business and WABA (default true). */
  seed?: boolean;
  /** The sandbox's console; default: console.log with a "[meta-sandbox]" prefix. */
  log?: (line: string) => void;
  /** Called after a request_code answer was sent, as Meta's SMS or call would arrive. */
  onVerificationCode?: (message: SandboxCodeMessage) => void | Promise<void>;
  /** The Meta app whose id and secret the code exchange expects (default id 900000000000001, a random secret). */
  app?: Partial<SandboxApp>;
  /** The sandbox's clock in ms, for the signup code's lifetime (tests move it instead of waiting). */
  now?: () => number;
}

export type MetaSandbox = LocalSandbox<SandboxState> & { signups: SignupSessions };

export function createMetaSandbox(options: MetaSandboxOptions = {}): MetaSandbox {
  const state = new SandboxState({ seed: options.seed !== false });
  const log = options.log ?? ((line: string) => console.log(`[meta-sandbox] ${line}`));
  const app: SandboxApp = { id: options.app?.id ?? DEFAULT_SANDBOX_APP_ID, secret: options.app?.secret ?? randomBytes(16).toString('hex') };
  const signups = new SignupSessions(state, app, options.now ?? Date.now, log);
  const context = {
    state,
    latencyMs: Math.max(0, options.latencyMs ?? 0),
    delay: options.delay ?? sleep,
    log,
    onVerificationCode: options.onVerificationCode,
    signups,
  };

  const sandbox = serveSandbox({
    state,
    log,
    internalError: { error: { message: 'Sandbox internal error', type: 'OAuthException', code: 2, is_transient: true, fbtrace_id: 'sandbox' } },
    control: (req, res, url) => handleControl(state, req, res, url, signups),
    service: (req, res, url) => {
      // The mount point is what the full request URL has in front of `path`.
      const relative = `${url.pathname}${url.search}`;
      const full = req.url ?? relative;
      const mount = full.endsWith(relative) ? full.slice(0, full.length - relative.length) : '';
      return handleGraph(context, req, res, url, `http://${req.headers.host ?? '127.0.0.1'}${mount}`);
    },
  });
  return { ...sandbox, signups };
}
