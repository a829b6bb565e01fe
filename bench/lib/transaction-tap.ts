import { ClientRequest } from 'node:http';
import { TransactionLog, type RecordedTransaction } from './transactions';

/**
 * Records the entity-group transactions this process sends to one storage port, from inside the
 * process: the body of every `POST …/$batch` request is read as it is ended, and the request counts
 * as in flight until its answer is read. The reconcile benchmark times its runs with it instead of
 * the counting proxy: a proxy in the same process forwards every read and write of the run through
 * the event loop the run is timed on (thousands of requests at the design size).
 */
export interface TransactionTap {
  transactions(): RecordedTransaction[];
  /** Writes outside transactions (single-entity inserts, updates and deletes), counted. */
  singleWrites(): number;
  concurrency(): { peak: number; mean: number };
  stop(): void;
}

const WRITES = new Set(['POST', 'PUT', 'MERGE', 'PATCH', 'DELETE']);

type End = (this: ClientRequest, ...args: unknown[]) => ClientRequest;

export function startTransactionTap(port: number): TransactionTap {
  const log = new TransactionLog();
  log.reset();
  let singles = 0;
  const prototype = ClientRequest.prototype as unknown as { end: End };
  const own = Object.getOwnPropertyDescriptor(prototype, 'end');
  const original = prototype.end;
  const tapped: End = function (this: ClientRequest, ...args: unknown[]) {
    observe(this, args[0]);
    return original.apply(this, args);
  };
  const observe = (request: ClientRequest, chunk: unknown): void => {
    if (String(request.getHeader('host') ?? '').endsWith(`:${port}`) && WRITES.has(request.method)) {
      if (request.path.split('?', 1)[0]?.endsWith('/$batch')) {
        const body = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
        if (body === '') return;
        const done = log.started(body);
        request.once('response', (answer) => answer.once('end', done).once('close', done));
        request.once('close', done);
      } else {
        singles += 1;
      }
    }
  };
  Object.defineProperty(prototype, 'end', { value: tapped, writable: true, configurable: true });
  return {
    transactions: () => log.transactions(),
    singleWrites: () => singles,
    concurrency: () => log.concurrency(),
    stop: () => {
      if (own) Object.defineProperty(prototype, 'end', own);
      else delete (prototype as { end?: End }).end;
    },
  };
}
