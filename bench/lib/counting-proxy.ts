import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransactionLog, type RecordedTransaction } from './transactions';

/**
 * A pass-through HTTP proxy in front of Azurite that counts every request it forwards: the host
 * under test points its connection string at the proxy, so the count is the storage round trips
 * it made. Requests are also tallied by kind (`GET regindex (query)`, `POST $batch`, …) to show
 * where the round trips go, and every entity-group transaction is recorded with its operations
 * (bench/lib/transactions.ts). Listens on 127.0.0.1 only.
 */
export interface CountingProxy {
  port: number;
  count(): number;
  byKind(): Record<string, number>;
  /** Rows written inside entity-group transactions, by table (each shard table is one partition). */
  batchRowsByTable(): Record<string, number>;
  /** The entity-group transactions forwarded since the last reset, in the order they were sent. */
  transactions(): RecordedTransaction[];
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
  const log = new TransactionLog();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req: IncomingMessage, res) => {
    total += 1;
    const kind = requestKind(req.method ?? 'GET', req.url ?? '/');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    let answered = (): void => undefined;
    res.once('close', () => answered());
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
      req.on('end', () => (answered = log.started(Buffer.concat(chunks).toString('utf8'))));
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
    batchRowsByTable: () => {
      const rows = new Map<string, number>();
      for (const { operations } of log.transactions()) for (const { table } of operations) rows.set(table, (rows.get(table) ?? 0) + 1);
      return Object.fromEntries([...rows.entries()].sort((a, b) => b[1] - a[1]));
    },
    transactions: () => log.transactions(),
    reset: () => {
      total = 0;
      kinds.clear();
      log.reset();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
