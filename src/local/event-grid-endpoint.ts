/**
 * `/runtime/webhooks/eventgrid?functionName=NAME` with the Functions host's Event Grid extension
 * semantics (docs/azure-events.md): the host, not the function, answers the validation
 * handshakes; a Notification is split into single events, each one invocation; 202 when all
 * succeed, 500 (so Event Grid redelivers the whole batch) when any throws.
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
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new EventPayloadError('The request body is not valid JSON');
  }
  if (exceedsJsonDepth(value)) throw new EventPayloadError(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') return [value];
  throw new EventPayloadError('The request body must be an event object or an array of events');
}

function validationCode(events: unknown[]): string | undefined {
  const first = events[0];
  if (first === null || typeof first !== 'object') return undefined;
  const data = (first as { data?: unknown }).data;
  if (data === null || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  const code = record.validationCode ?? record.ValidationCode;
  return typeof code === 'string' ? code : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** CloudEvents 1.0 webhook abuse protection: Event Grid asks once, with OPTIONS, before it delivers. */
function answerCloudEventsHandshake(req: IncomingMessage, res: ServerResponse): void {
  const origin = header(req, 'webhook-request-origin')?.trim();
  if (!origin) {
    sendProblem(res, { status: 400, detail: 'Missing WebHook-Request-Origin header', code: 'validation-failed' });
    return;
  }
  sendEmpty(res, 200, { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*', allow: 'OPTIONS, POST' });
}

export async function handleEventGridWebhook(req: IncomingMessage, res: ServerResponse, url: URL, deps: EventGridEndpointDeps): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (method === 'OPTIONS') {
    answerCloudEventsHandshake(req, res);
    return;
  }
  if (method !== 'POST') {
    sendProblem(res, { status: 405, detail: `${method} is not allowed on ${EVENT_GRID_WEBHOOK_PATH}`, code: 'method-not-allowed' }, { allow: 'OPTIONS, POST' });
    return;
  }

  const functionName = url.searchParams.get('functionName') ?? '';
  const fn = functionName ? deps.findFunction(functionName) : undefined;
  if (!fn) {
    deps.log(`Event Grid: cannot find function '${functionName}'`);
    sendProblem(res, { status: 404, detail: `No Event Grid function named '${functionName}'`, code: 'not-found' });
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

  let events: unknown[];
  try {
    events = parseEventGridPayload(body.toString('utf8'));
  } catch (error) {
    if (!(error instanceof EventPayloadError)) throw error;
    sendProblem(res, { status: 400, detail: error.message, code: 'validation-failed' });
    return;
  }

  if (eventType === 'subscriptionvalidation') {
    const code = validationCode(events);
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

  // In order, one at a time, and every event even after a failure: the batch is redelivered as a whole
  // anyway, and handlers are idempotent, so running the rest now loses nothing and saves work later.
  let failed = 0;
  for (const event of events) {
    try {
      await deps.dispatch(fn, event);
    } catch {
      failed++; // dispatch has logged it
    }
  }
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
