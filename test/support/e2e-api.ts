import { request } from 'node:http';
import { ApiContract } from './api-contract';

export interface E2eResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type E2eApi = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<E2eResponse>;

const parseOrUndefined = (text: string): unknown => {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * One connection per call: a pooled keep-alive connection that the host closes while idle (its
 * keep-alive timeout passes while a loaded machine checks the previous answer) fails the next call.
 */
function send(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<Omit<E2eResponse, 'json'>> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent: false },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: incoming.statusCode ?? 0, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * Calls a running host over HTTP. Every answer from the API (`/api/…`) is checked against the
 * OpenAPI document the host serves, so an e2e flow also proves the published contract.
 */
export function e2eApi(baseUrl: string): E2eApi {
  let contract: Promise<ApiContract> | undefined;
  const loadContract = () =>
    (contract ??= send(`${baseUrl}/api/openapi.json`, 'GET', {}, undefined).then((response) => {
      const loaded = new ApiContract(JSON.parse(response.text));
      loaded.check({ method: 'GET', path: '/api/openapi.json', ...response });
      return loaded;
    }));

  return async (method, path, body, headers = {}) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const response = await send(`${baseUrl}${path}`, method, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, text);
    if (ApiContract.covers(path)) (await loadContract()).check({ method, path, ...response });
    return { ...response, json: parseOrUndefined(response.text) };
  };
}
