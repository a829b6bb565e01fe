import { ROW } from '../../src/adapters/table-storage/keys';

/**
 * Entity-group transactions as they went over the wire: what the counting proxy and the in-process
 * tap record of the service's `POST $batch` requests, so a baseline can replay transactions of the
 * same operations and sizes (bench/lib/raw-transactions.ts). Read from the request body, the way
 * Table Storage reads it, so whatever the adapter writes is counted without knowing its layout.
 */

export type PropertyValue = string | number | boolean;

export interface RecordedOperation {
  /** `POST` inserts; `PUT` replaces, `MERGE`/`PATCH` merges, `DELETE` deletes. */
  method: 'POST' | 'PUT' | 'MERGE' | 'PATCH' | 'DELETE';
  table: string;
  partitionKey: string;
  rowKey: string;
  /** `null`: none (an insert, or an insert-or-replace); `*`: any version; else an etag. */
  ifMatch: string | null;
  /** The row's properties without its keys (inserts and updates); null for a delete. */
  properties: Record<string, PropertyValue> | null;
  /** Bytes of the operation's body as sent. */
  bodyBytes: number;
}

export interface RecordedTransaction {
  operations: RecordedOperation[];
}

const REQUEST_LINE = /^(POST|PUT|MERGE|PATCH|DELETE) (\S+) HTTP\/1\.1$/;
const KEYS = /\(PartitionKey='((?:[^']|'')*)',RowKey='((?:[^']|'')*)'\)$/;

const unquote = (value: string): string => value.replace(/''/g, "'");

function parseOperation(part: string): RecordedOperation | null {
  const lines = part.split(/\r?\n/);
  const start = lines.findIndex((line) => REQUEST_LINE.test(line));
  if (start === -1) return null;
  const [, method, url] = REQUEST_LINE.exec(lines[start] as string) as unknown as [string, RecordedOperation['method'], string];
  let ifMatch: string | null = null;
  let index = start + 1;
  for (; index < lines.length && lines[index] !== ''; index += 1) {
    const header = /^If-Match:\s*(.*)$/i.exec(lines[index] as string);
    if (header) ifMatch = (header[1] as string).trim();
  }
  const body = lines
    .slice(index + 1)
    .join('\n')
    .trim();
  const path = decodeURIComponent(new URL(url, 'http://127.0.0.1').pathname);
  const keys = KEYS.exec(path);
  const resource = (keys ? path.slice(0, keys.index) : path).split('/').filter(Boolean);
  const table = resource[resource.length - 1] ?? '';
  let properties: Record<string, PropertyValue> | null = null;
  let partitionKey = keys ? unquote(keys[1] as string) : '';
  let rowKey = keys ? unquote(keys[2] as string) : '';
  if (body.startsWith('{')) {
    const { PartitionKey, RowKey, ...rest } = JSON.parse(body) as Record<string, PropertyValue>;
    properties = rest;
    partitionKey ||= String(PartitionKey ?? '');
    rowKey ||= String(RowKey ?? '');
  }
  return { method, table, partitionKey, rowKey, ifMatch, properties, bodyBytes: Buffer.byteLength(body) };
}

/** The operations of a `$batch` body (one changeset), in their order. */
export function parseBatchBody(body: string): RecordedOperation[] {
  const boundary = /boundary=(changeset_[^\s;]+)/.exec(body)?.[1];
  if (!boundary) return [];
  return body
    .split(`--${boundary}`)
    .slice(1)
    .map(parseOperation)
    .filter((operation): operation is RecordedOperation => operation !== null);
}

/**
 * The transactions seen while recording, and how many were in flight at once: the most at any
 * moment, and the mean over the time at least one was (the write concurrency a replay reproduces).
 */
export class TransactionLog {
  /** Bodies as sent, read only when asked for: recording costs the timed run next to nothing. */
  private bodies: string[] = [];
  private parsed: RecordedTransaction[] = [];
  private inFlight = 0;
  private peak = 0;
  private busyNs = 0n;
  private weightedNs = 0n;
  private changedAt = 0n;

  /** Call when a transaction's request is sent; call the returned function once it is answered. */
  started(body: string): () => void {
    this.bodies.push(body);
    this.advance();
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.advance();
      this.inFlight -= 1;
    };
  }

  transactions(): RecordedTransaction[] {
    for (const body of this.bodies.splice(0)) this.parsed.push({ operations: parseBatchBody(body) });
    return [...this.parsed];
  }

  concurrency(): { peak: number; mean: number } {
    this.advance();
    return { peak: this.peak, mean: this.busyNs === 0n ? 0 : Number(this.weightedNs) / Number(this.busyNs) };
  }

  reset(): void {
    this.bodies = [];
    this.parsed = [];
    this.peak = this.inFlight;
    this.busyNs = 0n;
    this.weightedNs = 0n;
    this.changedAt = process.hrtime.bigint();
  }

  private advance(): void {
    const now = process.hrtime.bigint();
    if (this.inFlight > 0 && this.changedAt > 0n) {
      this.busyNs += now - this.changedAt;
      this.weightedNs += (now - this.changedAt) * BigInt(this.inFlight);
    }
    this.changedAt = now;
  }
}

/** Operations of each transaction, summed by kind (`POST`, `PUT If-Match etag`, …), for the details of a report. */
export function operationMix(transactions: readonly RecordedTransaction[]): Record<string, number> {
  const mix = new Map<string, number>();
  for (const { operations } of transactions) {
    for (const { method, ifMatch } of operations) {
      const kind = `${method}${ifMatch === null ? '' : ifMatch === '*' ? ' If-Match *' : ' If-Match etag'}`;
      mix.set(kind, (mix.get(kind) ?? 0) + 1);
    }
  }
  return Object.fromEntries([...mix.entries()].sort((a, b) => b[1] - a[1]));
}

const ENTITY_ROW = ROW.entity('');

/** The transactions that wrote a registration (its entity row among their operations): one per change, the outbox dispatch's left out. */
export const registrationTransactions = (transactions: readonly RecordedTransaction[]): RecordedTransaction[] =>
  transactions.filter(({ operations }) => operations.some((operation) => operation.rowKey.startsWith(ENTITY_ROW)));

/** The registration entity's properties as a transaction wrote them, if one did. */
export const entityProperties = (transactions: readonly RecordedTransaction[]): Record<string, PropertyValue> | undefined =>
  transactions.flatMap(({ operations }) => operations).find((operation) => operation.rowKey.startsWith(ENTITY_ROW) && operation.properties)?.properties ??
  undefined;

/** Transactions by the table they wrote to (each is in one partition, so one table), for the details of a report. */
export function tableMix(transactions: readonly RecordedTransaction[]): Record<string, number> {
  const mix = new Map<string, number>();
  for (const { operations } of transactions) {
    const table = operations[0]?.table ?? '';
    mix.set(table, (mix.get(table) ?? 0) + 1);
  }
  return Object.fromEntries([...mix.entries()].sort((a, b) => b[1] - a[1]));
}
