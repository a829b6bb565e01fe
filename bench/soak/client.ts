/**
 * The soak's HTTP client: every call to the local host goes through it, so every answer is counted
 * and every 5xx is judged (§11: none outside a storage outage other than 503 with Retry-After).
 * Callers are Easy Auth principals (`X-MS-CLIENT-PRINCIPAL`), trusted by the host under test.
 */
import { request } from 'node:http';

export interface Caller {
  id: string;
  roles: string[];
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
}

export interface UnexpectedServerError {
  at: number;
  method: string;
  path: string;
  status: number;
  code: string | null;
}

export const principalHeader = (caller: Caller): string =>
  Buffer.from(
    JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'azp', val: caller.id }, ...caller.roles.map((role) => ({ typ: 'roles', val: role }))] }),
  ).toString('base64');

export class SoakClient {
  requests = 0;
  failures = 0;
  /** Event Grid deliveries answered 500: the Functions host's way of asking Event Grid to deliver again (design §6). */
  redeliveriesAsked = 0;
  readonly unexpected: UnexpectedServerError[] = [];
  /** Set by the fault schedule: while true (and a short while after), a 5xx is what a storage outage answers. */
  storageOutage = false;
  private outageEndedAt = 0;

  constructor(private readonly baseUrl: () => string) {}

  markStorageOutage(down: boolean): void {
    this.storageOutage = down;
    if (!down) this.outageEndedAt = Date.now();
  }

  async call(method: string, path: string, options: { caller?: Caller; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer | null> {
    const text = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}),
      ...(options.caller ? { 'x-ms-client-principal': principalHeader(options.caller) } : {}),
      ...options.headers,
    };
    this.requests += 1;
    const answer = await new Promise<Answer | null>((resolve) => {
      const outgoing = request(`${this.baseUrl()}${path}`, { method, headers, agent: false, timeout: 60_000 }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', () => resolve(null));
        incoming.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = body ? JSON.parse(body) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, json, text: body });
        });
      });
      outgoing.on('timeout', () => outgoing.destroy());
      // The host is down (killed, restarting): no answer, not a 5xx.
      outgoing.on('error', () => resolve(null));
      outgoing.end(text);
    });
    if (!answer) {
      this.failures += 1;
      return null;
    }
    if (answer.status === 500 && path.startsWith('/runtime/webhooks/eventgrid')) {
      this.redeliveriesAsked += 1;
    } else if (answer.status >= 500) {
      const retryable = answer.status === 503 && answer.headers['retry-after'] !== undefined;
      const duringOutage = this.storageOutage || Date.now() - this.outageEndedAt < 15_000;
      if (!retryable && !duringOutage) {
        this.unexpected.push({ at: Date.now(), method, path: path.replace(/[0-9a-f-]{36}/g, '{id}'), status: answer.status, code: answer.json?.code ?? null });
      }
    }
    return answer;
  }
}
