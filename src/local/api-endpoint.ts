/**
 * `/api/{route}`: the HTTP functions behind their route templates, with the Functions host's
 * answers for what no function handles (404, 405 with Allow, a bare 500 for a throwing handler).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionDefinition, HttpFunction } from '../functions/definitions';
import { readBody, sendProblem, toHttpRequest, writeHttpResult } from './http-bridge';
import { describeError, invoke, type LogLine } from './invocation';
import { refuseCrossSite } from './request-guard';
import { MANUAL_REASON } from './function-runner';
import { createRouter } from './route-template';

export type ApiEndpoint = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** Routes are compiled here, so that a bad or ambiguous one fails start-up rather than a request. */
export function createApiEndpoint(functions: readonly FunctionDefinition[], log: LogLine): ApiEndpoint {
  const router = createRouter(functions.filter((fn): fn is HttpFunction => fn.kind === 'http'));
  return async (req, res, url) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const routed = router.route(method, url.pathname);
    if (routed.kind === 'notFound') {
      sendProblem(res, { status: 404, detail: `No function serves ${url.pathname}`, code: 'not-found' });
      return;
    }
    if (routed.kind === 'methodNotAllowed') {
      sendProblem(res, { status: 405, detail: `${method} is not allowed on ${url.pathname}`, code: 'method-not-allowed' }, { allow: routed.allow.join(', ') });
      return;
    }
    const fn = routed.target;
    const body = await readBody(req);
    if (refuseCrossSite(req, res, body)) return;
    const request = toHttpRequest({ req, url, body, params: routed.params });
    let result: unknown;
    try {
      result = await invoke({ functionName: fn.name, triggerType: 'httpTrigger', log, reason: MANUAL_REASON }, (context) =>
        Promise.resolve(fn.handler(request, context)),
      );
    } catch {
      // The Functions host answers an unhandled exception with a bare 500; the details stay in the log.
      sendProblem(res, { status: 500, detail: `Function '${fn.name}' failed; see the host log`, code: 'internal' });
      return;
    }
    try {
      await writeHttpResult(res, result);
    } catch (error) {
      log(`${fn.name}: error: cannot send its response: ${describeError(error)}`);
      sendProblem(res, { status: 500, detail: `Function '${fn.name}' returned an invalid response`, code: 'internal' });
    }
  };
}
