import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { SHARDS } from './keys';
import { LazyDefaultAzureCredential } from '../lazy-credential';

export interface TableStorageOptions {
  /** A connection string (Azurite, shared key) or an `https://…table.core.windows.net` endpoint used with a token credential. */
  connection: string;
  /** Alphanumeric, starting with a letter; lets tests and several environments share one account. */
  tablePrefix?: string;
  /** For an endpoint URL; defaults to DefaultAzureCredential (managed identity in Azure). */
  credential?: TokenCredential;
}

const TABLE_NAMES = {
  phoneLocks: 'phonelocks',
  idempotency: 'idempotency',
  events: 'events',
  reconcile: 'reconcile',
  counts: 'regcounts',
} as const;

export type TableRole = keyof typeof TABLE_NAMES;

/** The table of shard `n` (see keys.ts): `regs00` … */
export const shardTableName = (prefix: string, shard: number): string => `${prefix}regs${String(shard).padStart(2, '0')}`;

export type TableClients = Record<TableRole, TableClient> & {
  /** The registration shards, indexed by shard number. */
  shards: TableClient[];
  /** The counts table without retries, for health probes that must answer quickly. */
  probe: TableClient;
};

export interface Tables {
  /** The clients, once every table exists. Memoised; a failed creation is forgotten so the next call retries. */
  ready(): Promise<TableClients>;
  /** The clients, without creating anything. */
  clients(): Promise<TableClients>;
}

const isEndpointUrl = (connection: string): boolean => /^https?:\/\//i.test(connection.trim());

export function tableNamesFor(prefix: string): Record<TableRole, string> {
  if (prefix !== '' && !/^[A-Za-z][A-Za-z0-9]*$/.test(prefix)) {
    throw new Error(`Table prefix "${prefix}" must be alphanumeric and start with a letter.`);
  }
  const names = Object.fromEntries(Object.entries(TABLE_NAMES).map(([role, name]) => [role, `${prefix}${name}`])) as Record<TableRole, string>;
  for (const name of [...Object.values(names), shardTableName(prefix, SHARDS - 1)]) {
    if (name.length > 63) throw new Error(`Table name ${name} is longer than 63 characters: use a shorter prefix.`);
  }
  return names;
}

/**
 * Retries kept short: an API caller gets 503 storage-unavailable within about a second rather
 * than after the SDK's default several seconds of backoff, and Event Grid redelivers events anyway.
 */
const RETRY_OPTIONS = { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 400 } as const;

/** Storage that lost its tables (an in-memory Azurite restarted, a table deleted) answers this on every call. */
export const TABLE_NOT_FOUND = 'TableNotFound';

type PipelinePolicy = Parameters<TableClient['pipeline']['addPolicy']>[0];
type PipelineResponse = Awaited<ReturnType<PipelinePolicy['sendRequest']>>;

/** A batch answers 202 and names the failure of its operations in the body. */
const tableWasMissing = (response: PipelineResponse): boolean =>
  (response.status === 404 && response.headers.get('x-ms-error-code') === TABLE_NOT_FOUND) ||
  (response.status === 202 && /^content-type: multipart\/mixed/im.test(response.bodyAsText ?? '') && (response.bodyAsText ?? '').includes(TABLE_NOT_FOUND));

/**
 * A pipeline policy: when storage says the table does not exist, recreate the tables and send the
 * request once more, instead of failing every call until the process restarts.
 */
function recreatingMissingTables(recreate: () => Promise<void>): PipelinePolicy {
  return {
    name: 'recreateMissingTables',
    sendRequest: async (request, next) => {
      const response = await next(request);
      if (!tableWasMissing(response)) return response;
      await recreate();
      return next(request);
    },
  };
}

async function openClients(options: TableStorageOptions, names: Record<TableRole, string>, recreate: () => Promise<void>): Promise<TableClients> {
  // Loaded on first use: the SDK costs several times a bare Functions app's start-up (docs/design.md §10).
  const { TableClient } = await import('@azure/data-tables');
  const connection = options.connection.trim();
  let makeClient: (table: string, extra?: TableServiceClientOptions) => TableClient;
  if (isEndpointUrl(connection)) {
    const credential = options.credential ?? new LazyDefaultAzureCredential();
    const insecure = connection.toLowerCase().startsWith('http:');
    makeClient = (table, extra = {}) =>
      new TableClient(connection, table, credential, { retryOptions: RETRY_OPTIONS, ...extra, allowInsecureConnection: insecure });
  } else {
    // Azurite speaks plain http; the SDK refuses shared-key auth over http unless told otherwise.
    makeClient = (table, extra = {}) =>
      TableClient.fromConnectionString(connection, table, { retryOptions: RETRY_OPTIONS, ...extra, allowInsecureConnection: true });
  }
  const withRecreation = makeClient;
  makeClient = (table, extra) => {
    const client = withRecreation(table, extra);
    // Next to the transport, so the policy sees the raw answer before it becomes an error.
    client.pipeline.addPolicy(recreatingMissingTables(recreate), { afterPhase: 'Retry' });
    return client;
  };
  const clients = Object.fromEntries(Object.entries(names).map(([role, name]) => [role, makeClient(name)])) as Record<TableRole, TableClient>;
  const shards = Array.from({ length: SHARDS }, (_, shard) => makeClient(shardTableName(options.tablePrefix ?? '', shard)));
  return { ...clients, shards, probe: makeClient(names.counts, { retryOptions: { maxRetries: 0 } }) };
}

/** Validates the options at once; sends nothing and loads no SDK until the first operation. */
export function createTables(options: TableStorageOptions): Tables {
  const names = tableNamesFor(options.tablePrefix ?? '');
  let opened: Promise<TableClients> | undefined;
  let created: Promise<TableClients> | undefined;
  // Several calls that all met a missing table share one recreation.
  let recreating: Promise<void> | undefined;
  const recreate = (): Promise<void> => {
    recreating ??= (async () => {
      created = undefined;
      await ready();
    })().finally(() => (recreating = undefined));
    return recreating;
  };
  const clients = (): Promise<TableClients> => (opened ??= openClients(options, names, recreate));
  const ready = (): Promise<TableClients> => {
    if (!created) {
      const attempt = clients().then(async (tables) => {
        // createTable already treats 409 TableAlreadyExists as success.
        await Promise.all([
          ...(Object.keys(names) as TableRole[]).map((role) => tables[role].createTable()),
          ...tables.shards.map((shard) => shard.createTable()),
        ]);
        return tables;
      });
      created = attempt;
      attempt.catch(() => {
        if (created === attempt) created = undefined;
      });
    }
    return created;
  };
  return { ready, clients };
}
