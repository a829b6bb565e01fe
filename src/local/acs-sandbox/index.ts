/**
 * The ACS sandbox: a local, in-memory imitation of the two Azure Communication Services routes this
 * service calls (src/adapters/acs), for `npm start` without an ACS resource and for tests. The real
 * SDK clients talk to it: point them at it with a connection string such as
 * `endpoint=http://127.0.0.1:7071/acs-sandbox/;accesskey=c2FuZGJveA==` (any base64 key).
 *
 * Service routes (`Authorization` header required, any value: the HMAC signature is not checked;
 * `api-version` required and only the one the installed SDK sends, else 400 `MissingApiVersionParameter`
 * / `UnsupportedApiVersionValue`; errors use ACS's body `{ error: { code, message } }`):
 *   POST /sms?api-version=2021-03-07
 *        { from, smsRecipients: [{ to, repeatabilityRequestId?, repeatabilityFirstSent? }], message,
 *          smsSendOptions?: { enableDeliveryReport?, tag? } }
 *        → 202 { value: [{ to, messageId?, httpStatusCode, repeatabilityResult?, successful, errorMessage? }] }
 *        A recipient that is not E.164 with `+`, or is in `failingNumbers`, gets `successful: false`,
 *        httpStatusCode 400 and an errorMessage. The repeatability fields go in pairs: an id without an
 *        RFC 1123 `repeatabilityFirstSent` (or a date without an id) gets httpStatusCode 400 and
 *        `repeatabilityResult: "rejected"`, as the spec's example shows. A repeated repeatabilityRequestId
 *        (the SDK's retry) answers the first messageId and sends nothing again. `onSmsSent` is called
 *        for each SMS accepted, after the answer.
 *   GET  /messages/channels/{channelId}/templates?api-version=2024-08-30[&maxpagesize=n]
 *        → 200 { value: [one approved WhatsApp template] } for a channel in `channels`,
 *          404 otherwise (a channel that was removed), with the body `channelNotFoundShape` names:
 *          `{ error: { code: "NotFound", … } }` (default) or problem details
 *          `{ type, title: "Not Found", status: 404, traceId }`; 400 for an id that is not a GUID.
 *
 * Control routes (no auth; JSON; for e2e tests and curl):
 *   GET    /_sandbox/state                       channels, failing numbers, SMS sent (with bodies), counters
 *   POST   /_sandbox/reset                       forget everything
 *   POST   /_sandbox/channels/{id}               the channel registration (a GUID) exists from now on
 *   DELETE /_sandbox/channels/{id}               … no longer exists (its templates answer 404)
 *   POST   /_sandbox/channel-not-found-shape { shape: "error" | "problem-details" }  the body of that 404
 *   POST   /_sandbox/failing-numbers/{e164}      SMS to it are refused (`successful: false`)
 *   DELETE /_sandbox/failing-numbers/{e164}
 *   POST   /_sandbox/undeliverable-numbers/{e164} SMS to it are accepted, delivery report `Failed`
 *   DELETE /_sandbox/undeliverable-numbers/{e164}
 *   POST   /_sandbox/fail-next  { route?: "sms" | "templates", status? (500), code?, message?, times? (1),
 *                                  bare? (false: true answers with no body, as a proxy would) }
 *   DELETE /_sandbox/fail-next                   clear injected failures
 */
import { serveSandbox, type LocalSandbox } from '../meta-sandbox/http';
import { handleControl } from './control';
import { handleService } from './service';
import { AcsSandboxState, type SandboxSms } from './state';

export { ACS_SANDBOX_API_VERSIONS } from './service';

export {
  AcsSandboxState,
  AcsSandboxControlError,
  acsSandboxWorldSchema,
  type AcsSandboxWorld,
  ACS_SANDBOX_ROUTES,
  CHANNEL_NOT_FOUND_SHAPES,
  type ChannelNotFoundShape,
  type AcsSandboxCalls,
  type AcsSandboxRoute,
  type AcsSandboxSnapshot,
  type FailNextOptions as AcsFailNextOptions,
  type PendingFailure as AcsPendingFailure,
  type SandboxDeliveryReport,
  type SandboxSms,
} from './state';

/** A syntactically valid access key for sandbox connection strings (the sandbox checks no signature). */
export const ACS_SANDBOX_ACCESS_KEY = Buffer.from('acs-sandbox-key').toString('base64');

/** The connection string the ACS adapters need to reach a sandbox served at `baseUrl` (mount prefix included). */
export const acsSandboxConnectionString = (baseUrl: string): string => `endpoint=${baseUrl.replace(/\/+$/, '')}/;accesskey=${ACS_SANDBOX_ACCESS_KEY}`;

export interface AcsSandboxOptions {
  /** The sandbox's console; default: console.log with an "[acs-sandbox]" prefix. */
  log?: (line: string) => void;
  /**
   * Called after the answer to each SMS accepted, as ACS would then deliver it. `deliveryReport` is
   * what its SMSDeliveryReportReceived event should say, or null when none was requested.
   */
  onSmsSent?: (sms: SandboxSms) => void | Promise<void>;
}

export type AcsSandbox = LocalSandbox<AcsSandboxState>;

export function createAcsSandbox(options: AcsSandboxOptions = {}): AcsSandbox {
  const state = new AcsSandboxState();
  const log = options.log ?? ((line: string) => console.log(`[acs-sandbox] ${line}`));
  const context = { state, log, onSmsSent: options.onSmsSent };

  return serveSandbox({
    state,
    log,
    internalError: { error: { code: 'InternalServerError', message: 'Sandbox internal error' } },
    control: (req, res, url) => handleControl(state, req, res, url),
    service: (req, res, url) => handleService(context, req, res, url),
  });
}
