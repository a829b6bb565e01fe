import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';

/** Small HTTP helpers shared by the Graph and control routes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyError extends Error {
  override readonly name = 'BodyError';
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyError('Request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
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

/** A control route's JSON body (empty means `{}`), validated; failures become the sandbox's own 400 error. */
export async function readJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>, fail: (message: string) => Error): Promise<T> {
  const raw = await readBody(req);
  let json: unknown = {};
  if (raw.trim() !== '') {
    try {
      json = JSON.parse(raw);
    } catch {
      throw fail('The body is not valid JSON.');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw fail(`Invalid body: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Serves a sandbox on its own port on 127.0.0.1 (0 = a free one). */
export async function listenLocally(
  handle: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void handle(req, res, req.url ?? '/');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
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

/** Answers a failed control route: the sandbox's own errors with their status, a too-large body 413, the rest 500. */
export function sendControlFailure(res: ServerResponse, error: unknown, isControlError: (error: unknown) => error is Error & { status: number }): void {
  if (isControlError(error)) sendJson(res, error.status, { error: { message: error.message } });
  else if (error instanceof BodyError) sendJson(res, 413, { error: { message: error.message } });
  else sendJson(res, 500, { error: { message: error instanceof Error ? error.message : String(error) } });
}

/** The URL of a request as a sandbox sees it (path after its mount point), and whether it is a control route. */
export function sandboxRequestUrl(path: string): { url: URL; control: boolean } {
  const url = new URL(path.startsWith('/') ? path : `/${path}`, 'http://sandbox.invalid');
  return { url, control: url.pathname === '/_sandbox' || url.pathname.startsWith('/_sandbox/') };
}
