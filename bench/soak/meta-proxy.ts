/**
 * Between the service and the Meta sandbox: forwards every Graph call, answers the faults the soak
 * asks for (5xx, rate limits, an expired token, seconds of latency) the way Meta answers them, and
 * keeps the call log the audit counts side effects from. Control routes (`/_sandbox/…`) pass
 * untouched and are not logged. The log keeps no secret: the code of a code exchange is kept as a
 * hash, and the PIN of a register call only to look for it in the service's log.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type MetaFault = 'none' | 'server-error' | 'rate-limit' | 'expired-token' | 'slow';

export interface GraphCall {
  at: number;
  method: string;
  /** Without the version prefix and the query, e.g. `/300000000000001/register`. */
  path: string;
  /** What the service got back; `injected` when the proxy answered in Meta's place. */
  status: number;
  injected: boolean;
  /** `oauth/access_token`: a hash of the code exchanged. */
  codeHash?: string;
  /** `register`: the PIN sent (kept only for the secrets scan of the service's log). */
  pin?: string;
}

export interface MetaProxy {
  url: string;
  calls: GraphCall[];
  setFault(fault: MetaFault): void;
  close(): Promise<void>;
}

/** How the call log names an Embedded Signup code: a short hash, never the code. */
export const codeHashOf = (code: string): string => createHash('sha256').update(code).digest('hex').slice(0, 16);

const GRAPH_PATH = /^\/v\d+\.\d+(\/.*)$/;

function faultAnswer(fault: MetaFault, sequence: number): { status: number; body: unknown; headers?: Record<string, string> } | null {
  const trace = randomUUID().slice(0, 12);
  switch (fault) {
    case 'server-error':
      return {
        status: 500,
        body: {
          error: {
            message: 'An unexpected error has occurred. Please retry your request later.',
            type: 'OAuthException',
            code: 2,
            is_transient: true,
            fbtrace_id: trace,
          },
        },
      };
    case 'rate-limit':
      // Meta's two shapes in turn: the business use-case limit (80008, with its usage header) and the throughput limit (130429).
      return sequence % 2 === 0
        ? {
            status: 400,
            body: {
              error: { message: 'There have been too many calls to this WhatsApp Business account.', type: 'OAuthException', code: 80008, fbtrace_id: trace },
            },
            headers: {
              'X-Business-Use-Case-Usage': JSON.stringify({
                '200000000000001': [{ type: 'whatsapp', call_count: 100, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: 1 }],
              }),
            },
          }
        : { status: 429, body: { error: { message: '(#130429) Rate limit hit', type: 'OAuthException', code: 130429, fbtrace_id: trace } } };
    case 'expired-token':
      return {
        status: 401,
        body: {
          error: { message: 'Error validating access token: Session has expired.', type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: trace },
        },
      };
    default:
      return null;
  }
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

function pinOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { pin?: unknown };
    return typeof parsed.pin === 'string' ? parsed.pin : undefined;
  } catch {
    return new URLSearchParams(body.toString('utf8')).get('pin') ?? undefined;
  }
}

export async function startMetaProxy(target: string): Promise<MetaProxy> {
  const upstream = new URL(target);
  const calls: GraphCall[] = [];
  let fault: MetaFault = 'none';
  let sequence = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://proxy');
    const graph = GRAPH_PATH.exec(url.pathname);
    const call: GraphCall | null = graph ? { at: Date.now(), method: req.method ?? 'GET', path: graph[1]!, status: 0, injected: false } : null;
    if (call?.path === '/oauth/access_token') {
      const code = url.searchParams.get('code');
      if (code) call.codeHash = codeHashOf(code);
    }
    if (call?.path.endsWith('/register')) {
      const pin = pinOf(body);
      if (pin) call.pin = pin;
    }
    if (call) {
      if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, 1_500 + Math.floor(Math.random() * 2_000)));
      const answer = faultAnswer(fault, sequence++);
      if (answer) {
        call.status = answer.status;
        call.injected = true;
        calls.push(call);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
        return;
      }
    }
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        if (call) {
          call.status = answer.statusCode ?? 0;
          calls.push(call);
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    forwarded.end(body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setFault: (next) => {
      fault = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
