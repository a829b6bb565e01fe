import { TableClient } from '@azure/data-tables';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { submitBatch } from '../../../src/adapters/table-storage/batch';
import { parseBatchBody, registrationTransactions } from '../../../bench/lib/transactions';

/** A server that keeps the body of one `$batch` and refuses it (the adapter's request is all we want). */
async function captureBatch(send: (client: TableClient) => Promise<unknown>): Promise<string> {
  let body = '';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      body = Buffer.concat(chunks).toString('utf8');
      response.writeHead(400, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const connection = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('key').toString('base64')};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const client = TableClient.fromConnectionString(connection, 'regs07', { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    await send(client).catch(() => undefined);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return body;
}

describe('recorded transactions', () => {
  it('reads each operation of the adapter’s $batch: method, keys, condition and properties', async () => {
    const body = await captureBatch((client) =>
      submitBatch(client, [
        ['update', { partitionKey: 'shard-07', rowKey: "e|it's", stage: 'Connected', version: 3 }, 'Replace', { etag: 'W/"datetime\'1\'"' }],
        ['create', { partitionKey: 'shard-07', rowKey: 's|Connected.Active|id', r: '{"id":"id"}' }],
        ['update', { partitionKey: 'shard-07', rowKey: 'w|200|id', r: '{}' }, 'Merge', { etag: '*' }],
        ['upsert', { partitionKey: 'shard-07', rowKey: 'p|1425|id', flag: true }, 'Replace'],
        ['delete', { partitionKey: 'shard-07', rowKey: 's|Connected.Rejected|id' }],
      ]),
    );
    const operations = parseBatchBody(body);
    expect(operations.map(({ method, table, partitionKey, rowKey, ifMatch }) => ({ method, table, partitionKey, rowKey, ifMatch }))).toEqual([
      { method: 'PUT', table: 'regs07', partitionKey: 'shard-07', rowKey: "e|it's", ifMatch: 'W/"datetime\'1\'"' },
      { method: 'POST', table: 'regs07', partitionKey: 'shard-07', rowKey: 's|Connected.Active|id', ifMatch: null },
      { method: 'MERGE', table: 'regs07', partitionKey: 'shard-07', rowKey: 'w|200|id', ifMatch: '*' },
      { method: 'PUT', table: 'regs07', partitionKey: 'shard-07', rowKey: 'p|1425|id', ifMatch: null },
      { method: 'DELETE', table: 'regs07', partitionKey: 'shard-07', rowKey: 's|Connected.Rejected|id', ifMatch: '*' },
    ]);
    expect(operations[0]?.properties).toEqual({ stage: 'Connected', version: 3 });
    expect(operations[1]?.properties).toEqual({ r: '{"id":"id"}' });
    expect(operations[4]?.properties).toBeNull();
    expect(registrationTransactions([{ operations }, { operations: operations.slice(1) }])).toHaveLength(1);
  });

  it('finds no operation in a body that is not a changeset', () => {
    expect(parseBatchBody('not a batch')).toEqual([]);
  });
});
