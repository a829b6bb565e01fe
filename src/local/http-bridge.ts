/**
 * node:http ⇄ @azure/functions. The request carries the body as raw bytes so that handlers that
 * check signatures over the exact payload (Meta's X-Hub-Signature-256) see what was sent; the
 * response goes through the library's own HttpResponse, so status, headers and jsonBody get exactly
 * the defaults they get in Azure (200, `application/json` unless a content-type was set).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';

/** Far above what any function accepts (they cap bodies at 64 KiB); only stops absurd uploads. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole body; rejects with BodyTooLargeError as soon as it passes `limit`. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(`Request body of ${declared} bytes exceeds ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(`Request body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function requestUrl(req: IncomingMessage, fallbackHost: string): URL {
  const host = req.headers.host && /^[A-Za-z0-9.\-:[\]]+$/.test(req.headers.host) ? req.headers.host : fallbackHost;
  return new URL(req.url ?? '/', `http://${host}`);
}

export function toHttpRequest(options: { req: IncomingMessage; url: URL; body: Buffer; params: Record<string, string> }): HttpRequest {
  const method = (options.req.method ?? 'GET').toUpperCase();
  // GET/HEAD bodies are dropped, as in Azure; passing them would only make the library log a warning.
  const hasBody = options.body.length > 0 && method !== 'GET' && method !== 'HEAD';
  return new HttpRequest({
    method,
    url: options.url.toString(),
    headers: flattenHeaders(options.req),
    params: options.params,
    ...(hasBody ? { body: { bytes: new Uint8Array(options.body.buffer, options.body.byteOffset, options.body.length) } } : {}),
  });
}

/**
 * Writes what an HTTP handler returned. `undefined` is 204, as the Functions host (2.x and later)
 * answers when a function sets no response. A non-object is a programming error: the library throws
 * on it in Azure too, so it surfaces as a 500.
 */
export async function writeHttpResult(res: ServerResponse, result: unknown): Promise<void> {
  if (result === undefined || result === null) {
    res.writeHead(204).end();
    return;
  }
  if (typeof result !== 'object') {
    throw new TypeError('The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".');
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result as HttpResponseInit);
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers.entries()) {
    if (name === 'set-cookie') continue;
    headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const bodyless = response.status === 204 || response.status === 304 || res.req.method === 'HEAD';
  if (!bodyless) headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(bodyless ? undefined : body);
}

export interface Problem {
  status: number;
  /** By default the one this host always gives for the status. */
  title?: string;
  detail: string;
  code: string;
}

const PROBLEM_TITLES: Record<number, string> = {
  400: 'The request is not valid',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  500: 'Internal error',
};

/**
 * RFC 9457 body, the shape every error of this service has (docs/design.md §5), with the same `type` URNs as
 * src/functions/http/problem.ts; `method-not-allowed` is the host's own, as 405 never comes from a function.
 */
export function sendProblem(res: ServerResponse, problem: Problem, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({
    type: `urn:whatsapp-acs-onboarding:problem:${problem.code}`,
    title: problem.title ?? PROBLEM_TITLES[problem.status],
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
  });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(problem.status, {
    ...headers,
    'content-type': 'application/problem+json',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}

/** Starts listening; resolves with the port (the one picked when `port` is 0), rejects when it cannot listen. */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
