/**
 * `POST /admin/functions/{name}`: the Functions host's way to run a timer or Event Grid function
 * by hand, body `{ "input": ... }`; accepted with 202 and run in the background.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventPayloadError } from './event-grid-endpoint';
import type { FunctionRunner } from './function-runner';
import { readBody, sendEmpty, sendProblem } from './http-bridge';
import { refuseCrossSite } from './request-guard';

export const ADMIN_PREFIX = '/admin/functions/';

export async function handleAdmin(runner: FunctionRunner, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  let name: string;
  try {
    name = decodeURIComponent(pathname.slice(ADMIN_PREFIX.length).replace(/\/+$/, ''));
  } catch {
    name = '';
  }
  if ((req.method ?? '').toUpperCase() !== 'POST') {
    sendProblem(res, { status: 405, detail: 'Use POST to run a function', code: 'method-not-allowed' }, { allow: 'POST' });
    return;
  }
  const fn = runner.find(name);
  if (!fn) {
    sendProblem(res, { status: 404, detail: `No function named '${name}'`, code: 'not-found' });
    return;
  }
  if (fn.kind === 'http') {
    sendProblem(res, {
      status: 400,
      detail: `'${fn.name}' is an HTTP function: call it at /api/${fn.route}`,
      code: 'validation-failed',
    });
    return;
  }
  const bytes = await readBody(req);
  if (refuseCrossSite(req, res, bytes)) return;
  const text = bytes.toString('utf8').trim();
  let input: unknown;
  try {
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    input = parsed !== null && typeof parsed === 'object' ? (parsed as { input?: unknown }).input : undefined;
    if (fn.kind === 'eventGrid') runner.eventsFromInput(input);
  } catch (error) {
    const detail = error instanceof EventPayloadError ? error.message : 'The body must be JSON like { "input": "..." }';
    sendProblem(res, { status: 400, detail, code: 'validation-failed' });
    return;
  }
  // Like the Functions host: accepted now, run in the background; failures show in the log.
  sendEmpty(res, 202);
  runner.runFunction(fn.name, input).catch(() => undefined); // invoke() has logged the failure
}
