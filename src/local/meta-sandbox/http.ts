import type { IncomingMessage, ServerResponse } from 'node:http';

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
 * (reference/meta-graph.md); later sources win. Values are kept as sent (JSON numbers stay numbers).
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
