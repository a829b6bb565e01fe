import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { FunctionDefinition, HttpFunction } from '../../src/functions/definitions';

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as given. */
  body?: unknown;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  logs: string[];
}

/** The invocation context every test uses; its log lines are kept so tests can check what was logged. */
export function testContext(functionName: string, logs: string[] = []): InvocationContext {
  return new InvocationContext({
    functionName,
    invocationId: `test-${Math.random().toString(36).slice(2)}`,
    logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
  });
}

export function testRequest(definition: HttpFunction, options: CallOptions = {}): HttpRequest {
  const route = definition.route.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(options.params?.[name] ?? `missing-${name}`));
  const url = new URL(`http://localhost/api/${route}`);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
  const hasBody = options.body !== undefined;
  const body = typeof options.body === 'string' ? options.body : hasBody ? JSON.stringify(options.body) : undefined;
  return new HttpRequest({
    method: definition.methods[0]!,
    url: url.toString(),
    headers: { ...(hasBody && typeof options.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...options.headers },
    params: options.params ?? {},
    ...(body !== undefined ? { body: { string: body } } : {}),
  });
}

async function readResponse(response: HttpResponseInit, logs: string[]): Promise<CallResult> {
  const headers: Record<string, string> = {};
  new Headers(response.headers as Record<string, string>).forEach((value, key) => (headers[key] = value));
  const text =
    response.body === undefined || response.body === null
      ? ''
      : typeof response.body === 'string'
        ? response.body
        : Buffer.from(response.body as Uint8Array).toString('utf8');
  let json: unknown = undefined;
  if (response.jsonBody !== undefined) json = response.jsonBody;
  else if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status ?? 200, headers, json, text, logs };
}

/** Finds an HTTP function by name in the app's list and invokes it the way the host does. */
export function httpCaller(functions: FunctionDefinition[]) {
  return async (name: string, options: CallOptions = {}): Promise<CallResult> => {
    const definition = functions.find((candidate): candidate is HttpFunction => candidate.kind === 'http' && candidate.name === name);
    if (!definition) throw new Error(`No HTTP function ${name}`);
    const logs: string[] = [];
    const response = await definition.handler(testRequest(definition, options), testContext(name, logs));
    return readResponse(response, logs);
  };
}

/**
 * Delivers an Event Grid body (an array of events, or one CloudEvent) to an eventGrid function the
 * way the Functions host does: each event is one invocation; any throw makes the delivery a 500.
 */
export function eventDeliverer(functions: FunctionDefinition[]) {
  return async (name: string, body: unknown): Promise<{ status: number; logs: string[] }> => {
    const definition = functions.find((candidate) => candidate.kind === 'eventGrid' && candidate.name === name);
    if (!definition || definition.kind !== 'eventGrid') throw new Error(`No eventGrid function ${name}`);
    const logs: string[] = [];
    let status = 202;
    for (const event of Array.isArray(body) ? body : [body]) {
      try {
        await definition.handler(event, testContext(name, logs));
      } catch {
        status = 500;
      }
    }
    return { status, logs };
  };
}
