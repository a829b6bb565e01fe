import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, RestError, type HttpClient } from '@azure/core-rest-pipeline';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';

/**
 * An entity group transaction (`POST $batch`) written as the service documents it and sent through
 * the table client's own pipeline (its authentication, retries and our table-recreation policy).
 *
 * Why not `TableClient.submitTransaction`: the SDK builds a whole new TableClient and pipeline for
 * every transaction and runs each operation through it only to capture its text; on the hot path
 * (every account event, every reconcile change) that was most of the process's storage CPU
 * (docs/storage.md). The request is the same one the SDK sends, and a failure is the same
 * `RestError` with the failed operation's status and code.
 */

const CRLF = '\r\n';
let httpClient: HttpClient | undefined;

type Value = string | number | boolean;

/** Property values as the service reads untyped JSON (string, Int32/Double, Boolean), as the SDK sends them. */
function entityJson(entity: { partitionKey?: string; rowKey?: string } & Record<string, unknown>): string {
  const body: Record<string, Value> = {};
  for (const [name, value] of Object.entries(entity)) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(`Property ${name} of a transaction row must be a string, number or boolean.`);
    }
    body[name === 'partitionKey' ? 'PartitionKey' : name === 'rowKey' ? 'RowKey' : name] = value;
  }
  return JSON.stringify(body);
}

const keyPart = (value: string): string => encodeURIComponent(value.replace(/'/g, "''"));

function operation(tableUrl: string, action: TransactionAction): string {
  const [kind, entity] = action;
  const entityUrl = `${tableUrl}(PartitionKey='${keyPart(entity.partitionKey)}',RowKey='${keyPart(entity.rowKey)}')`;
  const lines: string[] = [];
  let body: string | null = null;
  switch (kind) {
    case 'create':
      lines.push(`POST ${tableUrl} HTTP/1.1`, 'Content-Type: application/json', 'Accept: application/json;odata=minimalmetadata', 'Prefer: return-no-content');
      body = entityJson(entity);
      break;
    case 'delete':
      lines.push(`DELETE ${entityUrl} HTTP/1.1`, 'Accept: application/json;odata=minimalmetadata', 'If-Match: *');
      break;
    case 'update':
    case 'upsert': {
      const mode = action[2] ?? 'Merge';
      lines.push(`${mode === 'Replace' ? 'PUT' : 'MERGE'} ${entityUrl} HTTP/1.1`, 'Content-Type: application/json', 'Accept: application/json');
      // An update without an etag matches any version; an upsert sends no If-Match at all (insert or replace).
      if (kind === 'update') lines.push(`If-Match: ${action[3]?.etag ?? '*'}`);
      body = entityJson(entity);
      break;
    }
  }
  lines.push('DataServiceVersion: 3.0', '');
  return [...lines, body ?? ''].join(CRLF);
}

interface Answer {
  status: number;
  etag: string | null;
  text: string;
}

/** One answer per operation, in their order (a failed transaction answers only for the operation that failed). */
const answersOf = (text: string): Answer[] =>
  text
    .split('--changesetresponse_')
    .slice(1, -1)
    .map((part) => ({ status: Number(/HTTP\/1\.1 (\d{3})/.exec(part)?.[1] ?? 0), etag: /^ETag: (.*?)\r?$/im.exec(part)?.[1] ?? null, text: part }));

/** A failed operation (or a refused request) as the RestError the SDK would throw: its status and the service's error code. */
function errorOf(answer: Answer, request: ReturnType<typeof createPipelineRequest>): RestError {
  let detail: { code?: string | undefined; message?: string | undefined } = {};
  try {
    const json = /\{.*\}/s.exec(answer.text)?.[0];
    const parsed = json ? (JSON.parse(json) as { 'odata.error'?: { code?: string; message?: { value?: string } } }) : {};
    detail = { code: parsed['odata.error']?.code, message: parsed['odata.error']?.message?.value };
  } catch {
    // A body that is not the documented error shape still fails with its status.
  }
  return new RestError(detail.message ?? `Transaction failed with status ${answer.status}`, {
    statusCode: answer.status,
    ...(detail.code ? { code: detail.code } : {}),
    request,
  });
}

export interface BatchResult {
  /** One per action, in the order of the actions: the status and the new etag of each operation. */
  subResponses: Array<{ status: number; etag: string | null }>;
}

/** Submits `actions` (one partition, at most 100) as one atomic transaction; throws on any failed operation. */
export async function submitBatch(client: TableClient, actions: readonly TransactionAction[]): Promise<BatchResult> {
  if (actions.length === 0) return { subResponses: [] };
  const [account, query = ''] = client.url.split('?') as [string, string?];
  const base = account.replace(/\/+$/, '');
  const tableUrl = `${base}/${client.tableName}`;
  const batch = `batch_${randomUUID()}`;
  const changeset = `changeset_${randomUUID()}`;
  const body = [
    `--${batch}`,
    `Content-Type: multipart/mixed; boundary=${changeset}`,
    '',
    ...actions.flatMap((action) => [`--${changeset}`, 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '', operation(tableUrl, action)]),
    `--${changeset}--`,
    `--${batch}--`,
    '',
  ].join(CRLF);
  const request = createPipelineRequest({
    url: `${base}/$batch${query ? `?${query}` : ''}`,
    method: 'POST',
    body,
    headers: createHttpHeaders({
      accept: 'application/json',
      'x-ms-version': '2019-02-02',
      DataServiceVersion: '3.0;',
      MaxDataServiceVersion: '3.0;NetFx',
      'Content-Type': `multipart/mixed; boundary=${batch}`,
    }),
    allowInsecureConnection: base.startsWith('http:'),
  });
  httpClient ??= createDefaultHttpClient();
  const response = await client.pipeline.sendRequest(httpClient, request);
  const text = response.bodyAsText ?? '';
  const answers = answersOf(text);
  const refused = response.status < 200 || response.status >= 300 ? { status: response.status, etag: null, text } : undefined;
  const failed = answers.find((answer) => answer.status >= 300) ?? refused;
  if (failed) throw errorOf(failed, request);
  return { subResponses: answers.map(({ status, etag }) => ({ status, etag })) };
}
