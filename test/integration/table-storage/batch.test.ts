import { RestError } from '@azure/core-rest-pipeline';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { submitBatch } from '../../../src/adapters/table-storage/batch';
import { testStorageConnectionString, uniqueTablePrefix } from '../../support/storage';

let table: TableClient;
const PK = 'shard07';

beforeAll(async () => {
  table = TableClient.fromConnectionString(testStorageConnectionString(), `${uniqueTablePrefix('batch')}rows`, { allowInsecureConnection: true });
  await table.createTable();
});

const rowsOf = async (prefix: string): Promise<Array<Record<string, unknown>>> => {
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${PK}' and RowKey ge '${prefix}' and RowKey lt '${prefix}~'` } }))
    rows.push(row);
  return rows;
};

const failureOf = async (actions: TransactionAction[]): Promise<RestError> => {
  const error = await submitBatch(table, actions).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RestError);
  return error as RestError;
};

describe('submitBatch (one entity group transaction)', () => {
  it('applies create, conditional update, upsert and delete together, keys with quotes and bars included', async () => {
    await table.createEntity({ partitionKey: PK, rowKey: 'a|entity', v: 1 });
    await table.createEntity({ partitionKey: PK, rowKey: "a|old|o'brien", v: 1 });
    const entity = await table.getEntity(PK, 'a|entity');

    const result = await submitBatch(table, [
      ['update', { partitionKey: PK, rowKey: 'a|entity', v: 2, note: "it's", ok: true, ratio: 1.5 }, 'Replace', { etag: entity.etag }],
      ['create', { partitionKey: PK, rowKey: "a|new|o'brien", r: '{"json":"copy"}' }],
      ['upsert', { partitionKey: PK, rowKey: 'a|upserted', v: 7 }, 'Replace'],
      ['delete', { partitionKey: PK, rowKey: "a|old|o'brien" }],
    ]);

    const rows = Object.fromEntries((await rowsOf('a|')).map((row) => [row.rowKey, row]));
    expect(Object.keys(rows).sort()).toEqual(['a|entity', "a|new|o'brien", 'a|upserted']);
    expect(rows['a|entity']).toMatchObject({ v: 2, note: "it's", ok: true, ratio: 1.5 });
    expect(rows["a|new|o'brien"]).toMatchObject({ r: '{"json":"copy"}' });
    expect(rows['a|upserted']).toMatchObject({ v: 7 });
    // One answer per action, in order; the etags are those now stored (a later write can be conditional on them).
    expect(result.subResponses.map((sub) => sub.status)).toEqual([204, 204, 204, 204]);
    expect(result.subResponses[0]?.etag).toBe(rows['a|entity']?.etag);
    expect(result.subResponses[2]?.etag).toBe(rows['a|upserted']?.etag);
  });

  it('refuses the whole transaction with 412 when a condition fails, and changes nothing', async () => {
    await table.createEntity({ partitionKey: PK, rowKey: 'b|entity', v: 1 });
    const stale = (await table.getEntity(PK, 'b|entity')).etag;
    await table.updateEntity({ partitionKey: PK, rowKey: 'b|entity', v: 2 }, 'Replace');

    const error = await failureOf([
      ['update', { partitionKey: PK, rowKey: 'b|entity', v: 3 }, 'Replace', { etag: stale }],
      ['create', { partitionKey: PK, rowKey: 'b|history|1', v: 3 }],
    ]);

    expect(error.statusCode).toBe(412);
    expect(error.code).toBe('UpdateConditionNotSatisfied');
    expect((await rowsOf('b|')).map((row) => [row.rowKey, row.v])).toEqual([['b|entity', 2]]);
  });

  it('answers 409 when a row it creates exists, and 404 when a row it deletes does not', async () => {
    await table.createEntity({ partitionKey: PK, rowKey: 'c|marker', v: 1 });

    const exists = await failureOf([
      ['create', { partitionKey: PK, rowKey: 'c|other', v: 1 }],
      ['create', { partitionKey: PK, rowKey: 'c|marker', v: 2 }],
    ]);
    const missing = await failureOf([['delete', { partitionKey: PK, rowKey: 'c|nothing' }]]);

    expect(exists.statusCode).toBe(409);
    expect(missing.statusCode).toBe(404);
    expect((await rowsOf('c|')).map((row) => [row.rowKey, row.v])).toEqual([['c|marker', 1]]);
  });

  it('refuses a property it cannot send as the service would read it', async () => {
    await expect(submitBatch(table, [['create', { partitionKey: PK, rowKey: 'd|1', at: new Date() }]])).rejects.toThrow(/at of a transaction row/);
  });
});
