import { ApiContract } from './api-contract';

export interface E2eResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const parseOrUndefined = (text: string): unknown => {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Calls a running host over HTTP. Every answer from the API (`/api/…`) is checked against the
 * OpenAPI document the host serves, so an e2e flow also proves the published contract.
 */
export type E2eApi = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<E2eResponse>;

export function e2eApi(baseUrl: string): E2eApi {
  let contract: Promise<ApiContract> | undefined;
  const loadContract = () =>
    (contract ??= fetch(`${baseUrl}/api/openapi.json`).then(async (response) => {
      const text = await response.text();
      const loaded = new ApiContract(JSON.parse(text));
      loaded.check({ method: 'GET', path: '/api/openapi.json', status: response.status, headers: response.headers, text });
      return loaded;
    }));

  return async (method, path, body, headers = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (ApiContract.covers(path)) (await loadContract()).check({ method, path, status: response.status, headers: response.headers, text });
    return { status: response.status, headers: response.headers, text, json: parseOrUndefined(text) };
  };
}
