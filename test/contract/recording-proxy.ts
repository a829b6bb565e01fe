import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it went over the wire, and the answer that came back. */
export interface Exchange {
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  /** The request body parsed as JSON (undefined without one). */
  body: unknown;
  status: number;
  /** The response body parsed as JSON. */
  response: unknown;
}

/**
 * An HTTP proxy in front of `target` that records every exchange, so a test can hold what a client
 * really sent and what the server really answered against a contract. Bodies are JSON here.
 */
export async function startRecordingProxy(target: string): Promise<{ url: string; exchanges: Exchange[]; close(): Promise<void> }> {
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', target);
        const headers: Record<string, string> = {};
        for (const name of ['authorization', 'content-type', 'accept']) {
          const value = req.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const answer = await fetch(`${target}${url.pathname}${url.search}`, {
          method: req.method ?? 'GET',
          headers,
          ...(raw !== '' ? { body: raw } : {}),
        });
        const text = await answer.text();
        exchanges.push({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          authorization: headers.authorization,
          body: raw === '' ? undefined : (JSON.parse(raw) as unknown),
          status: answer.status,
          response: JSON.parse(text) as unknown,
        });
        const forwarded: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') forwarded[name] = value;
        });
        res.writeHead(answer.status, forwarded).end(text);
      })().catch((error: unknown) => {
        res.writeHead(502).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
