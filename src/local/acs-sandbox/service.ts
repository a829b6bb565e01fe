import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { BodyError, readBody, sendJson } from '../meta-sandbox/http';
import { isGuid, sandboxE164, type AcsSandboxRoute, type AcsSandboxState, type SandboxSms } from './state';

/** The two ACS data-plane routes the adapters call (listed in index.ts). */
export interface AcsServiceContext {
  state: AcsSandboxState;
  log: (line: string) => void;
  onSmsSent: ((sms: SandboxSms) => void | Promise<void>) | undefined;
}

const TEMPLATES_PATH = /^\/messages\/channels\/([^/]+)\/templates$/;

/**
 * The api-versions the sandbox serves: exactly what the SDK clients in package-lock.json send
 * (`@azure/communication-sms` 1.1.0 for the SMS route, `@azure-rest/communication-messages` 2.0.0
 * for the templates route; test/local/acs-sandbox.test.ts checks it against the SDKs' requests). A
 * newer SDK that moves to another version (whose routes may differ: 2025-09-01-preview renames
 * `maxpagesize` to `maxPageSize`) is refused until the sandbox is taught that version.
 */
export const ACS_SANDBOX_API_VERSIONS: Readonly<Record<AcsSandboxRoute, readonly string[]>> = {
  sms: ['2021-03-07'],
  templates: ['2024-08-30'],
};

/** `Tue, 26 Mar 2019 16:06:51 GMT`: the RFC 1123 date `repeatabilityFirstSent` must be. */
const RFC_1123_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const isRfc1123Date = (value: string): boolean => RFC_1123_DATE.test(value) && Number.isFinite(Date.parse(value));

/**
 * Why a recipient's repeatability fields are refused, or null when they are fine. The SMS spec pairs
 * them: `repeatabilityFirstSent` MUST come with a `repeatabilityRequestId`, and its example refuses
 * an id sent without a first-sent date (per recipient: 400, `repeatabilityResult: "rejected"`).
 */
function repeatabilityProblem(recipient: { repeatabilityRequestId?: string | undefined; repeatabilityFirstSent?: string | undefined }): string | null {
  const { repeatabilityRequestId: id, repeatabilityFirstSent: firstSent } = recipient;
  if (id === undefined && firstSent === undefined) return null;
  if (firstSent === undefined || !isRfc1123Date(firstSent)) {
    return 'Request sent with Invalid DateTime value for repeatability-first-sent. Expected is DateTime, RFC1123 pattern.';
  }
  if (id === undefined || id.trim() === '') return 'Request sent with repeatability-first-sent but without repeatability-request-id.';
  return null;
}

/** What ACS's SMS API takes (generated models of @azure/communication-sms 1.1.0); unknown fields pass. */
const smsRequestSchema = z.object({
  from: z.string().trim().min(1),
  smsRecipients: z
    .array(
      z.object({
        to: z.string(),
        repeatabilityRequestId: z.string().optional(),
        repeatabilityFirstSent: z.string().optional(),
      }),
    )
    .min(1)
    .max(100),
  message: z.string().max(2048),
  smsSendOptions: z.object({ enableDeliveryReport: z.boolean().optional(), tag: z.string().optional() }).optional(),
});

/** ACS's error body: `{ error: { code, message } }`. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } }, { 'x-ms-error-code': code });
}

const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

const masked = (e164: string): string => {
  const digits = e164.replace(/\D/g, '');
  return digits.length < 7 ? '+****' : `+${digits.slice(0, 4)}****${digits.slice(-3)}`;
};

export async function handleService(context: AcsServiceContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const templates = TEMPLATES_PATH.exec(url.pathname);
  const route: AcsSandboxRoute | null = url.pathname === '/sms' ? 'sms' : templates ? 'templates' : null;
  if (route === null) {
    sendError(res, 404, 'NotFound', `No ACS sandbox route ${method} ${url.pathname}.`);
    return;
  }
  const expected = route === 'sms' ? 'POST' : 'GET';
  if (method !== expected) {
    sendError(res, 405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}.`);
    return;
  }
  // The signature is not checked (it is a sandbox), but a client that signs nothing is a bug worth seeing.
  if (!req.headers.authorization) {
    context.state.calls.unauthorized += 1;
    sendError(res, 401, 'Denied', 'Denied by the resource provider: no Authorization header.');
    return;
  }
  // As Azure services answer (Microsoft's REST API guidelines; the ACS specs document no error here).
  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion) {
    sendError(res, 400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    return;
  }
  const served = ACS_SANDBOX_API_VERSIONS[route];
  if (!served.includes(apiVersion)) {
    sendError(res, 400, 'UnsupportedApiVersionValue', `Unsupported api-version '${apiVersion}'. The supported api-versions are '${served.join(', ')}'.`);
    return;
  }
  context.state.calls[route] += 1;
  const failure = context.state.takeFailure(route);
  if (failure) {
    context.log(`${method} ${url.pathname}: injected failure ${failure.status} ${failure.bare ? '(no body)' : failure.code}`);
    if (failure.bare) res.writeHead(failure.status, { 'Content-Length': '0' }).end();
    else sendError(res, failure.status, failure.code, failure.message);
    return;
  }
  if (route === 'sms') await sendSms(context, req, res);
  else listTemplates(context, res, url, decodeURIComponent(templates![1]!));
}

function listTemplates(context: AcsServiceContext, res: ServerResponse, url: URL, channelId: string): void {
  const pageSizeText = url.searchParams.get('maxpagesize');
  const pageSize = pageSizeText === null ? 100 : Number(pageSizeText);
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    sendError(res, 400, 'BadRequest', 'maxpagesize must be a positive integer.');
    return;
  }
  if (!isGuid(channelId)) {
    sendError(res, 400, 'BadRequest', `The channel id "${channelId}" is not a valid GUID.`);
    return;
  }
  if (!context.state.hasChannel(channelId)) {
    context.log(`GET templates of channel ${channelId}: 404 (no such channel, ${context.state.channelNotFoundShape} body)`);
    if (context.state.channelNotFoundShape === 'problem-details') {
      sendJson(
        res,
        404,
        { type: 'https://tools.ietf.org/html/rfc9110#section-15.5.5', title: 'Not Found', status: 404, traceId: `00-${randomHex(16)}-${randomHex(8)}-00` },
        { 'Content-Type': 'application/problem+json; charset=utf-8' },
      );
      return;
    }
    sendError(res, 404, 'NotFound', `Channel registration ${channelId} was not found.`);
    return;
  }
  const template = {
    kind: 'whatsApp',
    name: 'sandbox_welcome',
    language: 'en_US',
    status: 'approved',
    content: {
      name: 'sandbox_welcome',
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Welcome to the ACS sandbox, {{1}}.' }],
    },
  };
  sendJson(res, 200, { value: [template].slice(0, pageSize) });
}

async function sendSms(context: AcsServiceContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(await readBody(req));
  } catch (error) {
    if (error instanceof BodyError) sendError(res, 413, 'RequestEntityTooLarge', error.message);
    else sendError(res, 400, 'BadRequest', 'The request body is not valid JSON.');
    return;
  }
  const parsed = smsRequestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    sendError(res, 400, 'BadRequest', `Invalid SMS request: ${problems.join('; ')}`);
    return;
  }
  const request = parsed.data;
  const sent: SandboxSms[] = [];
  const value = request.smsRecipients.map((recipient) => {
    const refused = repeatabilityProblem(recipient);
    if (refused !== null) {
      return { to: recipient.to, httpStatusCode: 400, repeatabilityResult: 'rejected', successful: false, errorMessage: refused };
    }
    const requestId = recipient.repeatabilityRequestId ?? null;
    const earlier = context.state.repeated(requestId);
    if (earlier !== undefined) {
      // ACS answers a repeated request id with the first result and does not send again.
      return { to: recipient.to, messageId: earlier, httpStatusCode: 202, repeatabilityResult: 'accepted', successful: true };
    }
    const to = sandboxE164(recipient.to);
    if (to === null) {
      return { to: recipient.to, httpStatusCode: 400, successful: false, errorMessage: 'Invalid To phone number format.' };
    }
    if (context.state.failingNumbers.has(to)) {
      context.log(`SMS to ${masked(to)} refused (failing number)`);
      return { to: recipient.to, httpStatusCode: 400, successful: false, errorMessage: 'Sandbox: this number is configured to fail.' };
    }
    const sms = context.state.recordSms({
      from: request.from,
      to,
      message: request.message,
      tag: request.smsSendOptions?.tag ?? null,
      enableDeliveryReport: request.smsSendOptions?.enableDeliveryReport ?? false,
      repeatabilityRequestId: requestId,
    });
    sent.push(sms);
    context.log(`SMS ${sms.messageId} to ${masked(to)} accepted${sms.tag === null ? '' : ` (tag ${sms.tag})`}`);
    return {
      to: recipient.to,
      messageId: sms.messageId,
      httpStatusCode: 202,
      ...(requestId === null ? {} : { repeatabilityResult: 'accepted' }),
      successful: true,
    };
  });
  sendJson(res, 202, { value });
  // After the answer, as the delivery report of a real SMS arrives after the send call returned.
  for (const sms of sent) {
    try {
      await context.onSmsSent?.(sms);
    } catch (error) {
      context.log(`onSmsSent failed for ${sms.messageId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
