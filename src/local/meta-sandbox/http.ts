import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import { BodyTooLargeError, listen, readBody as readBytes } from '../http-bridge';

/** Small HTTP helpers shared by the Graph and control routes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyError extends Error {
  override readonly name = 'BodyError';
}

export async function readBody(req: IncomingMessage): Promise<string> {
  try {
    return (await readBytes(req, MAX_BODY_BYTES)).toString('utf8');
  } catch (error) {
    throw error instanceof BodyTooLargeError ? new BodyError('Request body too large') : error;
  }
}

/**
 * Parameters of a Graph POST: Meta takes them from the query string, a form body or a JSON body
 * (docs/meta-graph.md); later sources win. Values are kept as sent (JSON numbers stay numbers).
 */
export function parseParams(query: URLSearchParams, contentType: string | undefined, body: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [key, value] of query) if (key !== 'access_token') params[key] = value;
  if (body.trim() === '') return params;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body)) if (key !== 'access_token') params[key] = value;
    return params;
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BodyError('The request body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BodyError('The request body must be a JSON object');
  Object.assign(params, json);
  return params;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** A string parameter, or undefined; numbers are accepted as their decimal form. */
export function stringParam(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A control request a sandbox refuses, with the status it answers (400 unless given). */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A `/_sandbox/...` request as a sandbox's control routes see it. */
export interface ControlRequest {
  method: string;
  /** The decoded path segments below `/_sandbox`. */
  segments: string[];
  /** The JSON body (empty means `{}`), validated; a failure is the sandbox's own 400 error. */
  body<T>(schema: z.ZodType<T>): Promise<T>;
}

/**
 * Both sandboxes' control routes answer alike: JSON replies, a malformed path 400, their own
 * errors with their status, a too-large body 413 and anything else 500.
 */
export async function serveControl(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  Failure: new (message: string, status?: number) => ControlError,
  answer: (request: ControlRequest) => Promise<[status: number, body: unknown]>,
): Promise<void> {
  let segments: string[];
  try {
    segments = url.pathname
      .split('/')
      .filter(Boolean)
      .slice(1)
      .map((segment) => decodeURIComponent(segment));
  } catch {
    sendJson(res, 400, { error: { message: 'Malformed path.' } });
    return;
  }
  const body = async <T>(schema: z.ZodType<T>): Promise<T> => {
    const raw = await readBody(req);
    let json: unknown = {};
    try {
      if (raw.trim() !== '') json = JSON.parse(raw);
    } catch {
      throw new Failure('The body is not valid JSON.');
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    throw new Failure(`Invalid body: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ')}`);
  };
  try {
    const [status, result] = await answer({ method: (req.method ?? 'GET').toUpperCase(), segments, body });
    sendJson(res, status, result);
  } catch (error) {
    if (error instanceof ControlError) sendJson(res, error.status, { error: { message: error.message } });
    else if (error instanceof BodyError) sendJson(res, 413, { error: { message: error.message } });
    else sendJson(res, 500, { error: { message: error instanceof Error ? error.message : String(error) } });
  }
}

/** Serves a sandbox on its own port on 127.0.0.1 (0 = a free one). */
export async function listenLocally(
  handle: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void handle(req, res, req.url ?? '/');
  });
  return {
    url: `http://127.0.0.1:${await listen(server, port, '127.0.0.1')}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** What both sandboxes are: a request handler to mount, their world, and a standalone server. */
export interface LocalSandbox<TState> {
  /** Serves one request; `path` is the request path after the mount point, with its query string. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  state: TState;
  /** A standalone server on 127.0.0.1 (port 0 = a free one); `url` has no trailing slash. */
  listen(port?: number): Promise<{ url: string; close(): Promise<void> }>;
}

/**
 * Both sandboxes route alike: `/_sandbox/...` to their control routes, the rest to the service they
 * imitate; a crash is logged and answered 500 with `internalError`, in that service's error shape.
 */
export function serveSandbox<TState>(parts: {
  state: TState;
  log: (line: string) => void;
  internalError: unknown;
  control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  service(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}): LocalSandbox<TState> {
  const handle = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    try {
      const url = new URL(path.startsWith('/') ? path : `/${path}`, 'http://sandbox.invalid');
      const control = url.pathname === '/_sandbox' || url.pathname.startsWith('/_sandbox/');
      await (control ? parts.control(req, res, url) : parts.service(req, res, url));
    } catch (error) {
      parts.log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      sendJson(res, 500, parts.internalError);
    }
  };
  return { handle, state: parts.state, listen: (port = 0) => listenLocally(handle, port) };
}
