import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of Azurite that counts every request it forwards: the host
 * under test points its connection string at the proxy, so the count is the storage round trips
 * it made. Requests are also tallied by kind (`GET regindex (query)`, `POST $batch`, …) to show
 * where the round trips go. Listens on 127.0.0.1 only.
 */
export interface CountingProxy {
  port: number;
  count(): number;
  byKind(): Record<string, number>;
  /** Rows written inside entity-group transactions, by table (each shard table is one partition). */
  batchRowsByTable(): Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}

/** `/devstoreaccount1/regindex(PartitionKey='a',RowKey='b')?…` → `GET regindex (point)`. */
export function requestKind(method: string, url: string): string {
  const pathname = decodeURIComponent(url.split('?', 1)[0] ?? '');
  const segments = pathname.split('/').filter(Boolean);
  const resource = segments[1] ?? segments[0] ?? '';
  if (resource === '$batch') return `${method} $batch`;
  if (resource.startsWith('Tables')) return `${method} Tables`;
  const open = resource.indexOf('(');
  const table = open === -1 ? resource : resource.slice(0, open);
  const inside = open === -1 ? '' : resource.slice(open + 1, resource.lastIndexOf(')'));
  const kind = open === -1 ? 'insert' : inside === '' ? 'query' : 'point';
  return `${method} ${table} (${kind})`;
}

export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  let total = 0;
  const kinds = new Map<string, number>();
  const batchRows = new Map<string, number>();
  // Each operation of a $batch body is a request line naming its table: `PUT http://…/devstoreaccount1/regs05(…) HTTP/1.1`.
  const countBatchRows = (body: string): void => {
    for (const match of body.matchAll(/^(?:POST|PUT|PATCH|MERGE|DELETE) \S*\/([A-Za-z0-9]+)(?:\(|\s)/gm)) {
      const table = match[1] ?? '';
      batchRows.set(table, (batchRows.get(table) ?? 0) + 1);
    }
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req: IncomingMessage, res) => {
    total += 1;
    const kind = requestKind(req.method ?? 'GET', req.url ?? '/');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${error.message}`);
    });
    if (kind.endsWith('$batch')) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => countBatchRows(Buffer.concat(chunks).toString('utf8')));
    }
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    count: () => total,
    byKind: () => Object.fromEntries([...kinds.entries()].sort((a, b) => b[1] - a[1])),
    batchRowsByTable: () => Object.fromEntries([...batchRows.entries()].sort((a, b) => b[1] - a[1])),
    reset: () => {
      total = 0;
      kinds.clear();
      batchRows.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
