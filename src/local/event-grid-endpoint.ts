/**
 * `/runtime/webhooks/eventgrid?functionName=NAME` with the Functions host's Event Grid extension
 * semantics (docs/azure-events.md): the function name is checked first, for every method; the host,
 * not the function, answers the validation handshakes; a Notification is split into single events,
 * all started at once and each one invocation, as the extension does; 202 when all succeed, 500 (so
 * Event Grid redelivers the whole batch) when any throws.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../domain/json-depth';
import type { EventGridFunction } from '../functions/definitions';
import { readBody, sendEmpty, sendJson, sendProblem } from './http-bridge';

export const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid';

export interface EventGridEndpointDeps {
  findFunction(name: string): EventGridFunction | undefined;
  /** Runs one event through the function; rejects when the handler throws. */
  dispatch(fn: EventGridFunction, event: unknown): Promise<void>;
  log(line: string): void;
}

export class EventPayloadError extends Error {
  override readonly name = 'EventPayloadError';
}

/**
 * An Event Grid schema delivery is an array; a CloudEvents delivery is one object, or an array when
 * batched. The content type (application/json, application/cloudevents+json,
 * application/cloudevents-batch+json) is not consulted: the JSON shape says which it is.
 */
export function parseEventGridPayload(text: string): unknown[] {
  const value = parseEventGridBody(text);
  return Array.isArray(value) ? value : [value];
}

/** The body as sent: an array of events, or one event object. */
function parseEventGridBody(text: string): unknown[] | object {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new EventPayloadError('The request body is not valid JSON');
  }
  if (exceedsJsonDepth(value)) throw new EventPayloadError(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) return value as unknown[];
  if (value !== null && typeof value === 'object') return value;
  throw new EventPayloadError('The request body must be an event object or an array of events');
}

/**
 * `data.validationCode` of the handshake. An array is the Event Grid schema (its first event's
 * `data` is an object); a single object is how the extension also reads it, with `data` either an
 * object or that object's JSON text (the extension parses `data` again: "double-encoded").
 */
function validationCode(body: unknown): string | undefined {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (first === null || typeof first !== 'object') return undefined;
  let data = (first as { data?: unknown }).data;
  if (!Array.isArray(body) && typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  if (data === null || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  const code = record.validationCode ?? record.ValidationCode;
  return typeof code === 'string' ? code : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The origins the extension echoes back; any other, or none, is answered with the public cloud's. */
const EVENT_GRID_ORIGINS = new Set([
  'eventgrid.azure.net',
  'eventgrid.azure.us',
  'eventgrid.azure.eaglex.ic.gov',
  'eventgrid.azure.microsoft.scloud',
  'eventgrid.azure.cn',
]);
const PUBLIC_CLOUD_ORIGIN = 'eventgrid.azure.net';

/**
 * CloudEvents 1.0 webhook abuse protection: Event Grid asks once, with OPTIONS, before it delivers.
 * The extension always agrees (200), naming the requesting Event Grid cloud, or the public cloud
 * when the origin is missing or not one of Event Grid's.
 */
function answerCloudEventsHandshake(req: IncomingMessage, res: ServerResponse): void {
  const origin = header(req, 'webhook-request-origin')?.trim();
  sendEmpty(res, 200, { 'webhook-allowed-origin': origin !== undefined && EVENT_GRID_ORIGINS.has(origin) ? origin : PUBLIC_CLOUD_ORIGIN });
}

export async function handleEventGridWebhook(req: IncomingMessage, res: ServerResponse, url: URL, deps: EventGridEndpointDeps): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method !== 'OPTIONS' && method !== 'POST') {
    sendProblem(res, { status: 405, detail: `${method} is not allowed on ${EVENT_GRID_WEBHOOK_PATH}`, code: 'method-not-allowed' }, { allow: 'OPTIONS, POST' });
    return;
  }

  // The extension looks the function up before it looks at the method: OPTIONS for a function
  // that does not exist is a 404 too.
  const functionName = url.searchParams.get('functionName') ?? '';
  const fn = functionName ? deps.findFunction(functionName) : undefined;
  if (!fn) {
    deps.log(`Event Grid: cannot find function '${functionName}'`);
    sendProblem(res, { status: 404, detail: `No Event Grid function named '${functionName}'`, code: 'not-found' });
    return;
  }

  if (method === 'OPTIONS') {
    answerCloudEventsHandshake(req, res);
    return;
  }

  const eventType = header(req, 'aeg-event-type')?.trim().toLowerCase();
  if (!eventType || !['subscriptionvalidation', 'notification', 'unsubscribe'].includes(eventType)) {
    sendProblem(res, {
      status: 400,
      detail: 'The aeg-event-type header must be SubscriptionValidation, Notification or Unsubscribe',
      code: 'validation-failed',
    });
    return;
  }

  // A body too large is answered 413 by the host, as for every route.
  const body = await readBody(req);

  if (eventType === 'unsubscribe') {
    sendEmpty(res, 202);
    return;
  }

  let payload: unknown[] | object;
  try {
    payload = parseEventGridBody(body.toString('utf8'));
  } catch (error) {
    if (!(error instanceof EventPayloadError)) throw error;
    sendProblem(res, { status: 400, detail: error.message, code: 'validation-failed' });
    return;
  }

  if (eventType === 'subscriptionvalidation') {
    const code = validationCode(payload);
    if (code === undefined) {
      sendProblem(res, {
        status: 400,
        detail: 'A SubscriptionValidation request must carry data.validationCode',
        code: 'validation-failed',
      });
      return;
    }
    deps.log(`Event Grid: handshake for function '${fn.name}'`);
    sendJson(res, 200, { validationResponse: code });
    return;
  }

  const events = Array.isArray(payload) ? payload : [payload];
  // All events of the batch at once, then wait for every one, as the extension does (Task.WhenAll):
  // events of one batch race in Azure, so they race here too, and handlers must hold up to it.
  const outcomes = await Promise.allSettled(events.map((event) => deps.dispatch(fn, event)));
  const failed = outcomes.filter((outcome) => outcome.status === 'rejected').length; // dispatch has logged each
  if (failed > 0) {
    sendProblem(res, {
      status: 500,
      detail: `${failed} of ${events.length} event(s) failed; Event Grid will redeliver the batch`,
      code: 'internal',
    });
    return;
  }
  sendEmpty(res, 202);
}
