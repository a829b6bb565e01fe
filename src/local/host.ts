/**
 * The local stand-in for the Azure Functions host (docs/design.md §8): serves the same FunctionDefinition
 * list under the host's URLs, `/api/{route}`, `/runtime/webhooks/eventgrid` and
 * `/admin/functions/{name}`, and fires timers on their NCRONTAB schedules.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FunctionDefinition } from '../functions/definitions';
import { ADMIN_PREFIX, handleAdmin } from './admin-endpoint';
import { createApiEndpoint } from './api-endpoint';
import { EVENT_GRID_WEBHOOK_PATH, handleEventGridWebhook } from './event-grid-endpoint';
import { createFunctionRunner, type FunctionRunner } from './function-runner';
import { BodyTooLargeError, listen, requestUrl, sendProblem } from './http-bridge';
import { describeError, type LogLine } from './invocation';
import { refuseCrossSite, refuseForeignHost } from './request-guard';
import { startTimerClock } from './timer-clock';

export interface Mount {
  /** e.g. `/meta-sandbox`; requests to it and below it go to `handle`. */
  prefix: string;
  /**
   * `path` is the request target below the prefix, raw, with its query string and always starting
   * with `/` (`/meta-sandbox/v25.0/1?fields=id` → `/v25.0/1?fields=id`); `req.url` is untouched.
   */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
}

export interface LocalHostOptions {
  functions: FunctionDefinition[];
  /** 0 picks a free port. */
  port: number;
  /** Loopback by default: this host has no authentication and must not be reachable from the network. */
  host?: string;
  mounts?: Mount[];
  log?: LogLine;
  /** Fire timers on their schedules (default true); tests turn it off and use runFunction. */
  timers?: boolean;
}

export interface LocalHost {
  /** Base URL, e.g. `http://127.0.0.1:7071`. */
  url: string;
  port: number;
  /**
   * Runs a timer or Event Grid function now and resolves when it finished (rejects with its error).
   * `input` is the event for an Event Grid function: an object, or JSON text (an array runs each event).
   */
  runFunction(name: string, input?: unknown): Promise<void>;
  /** Stops timers, waits for background runs, closes the server. */
  close(): Promise<void>;
}

/** Longest prefix first, so that `/a/b` wins over `/a`; prefixes get one leading and no trailing slash. */
function normalizeMounts(mounts: readonly Mount[]): Mount[] {
  return mounts.map((mount) => ({ ...mount, prefix: `/${mount.prefix.replace(/^\/+|\/+$/g, '')}` })).sort((a, b) => b.prefix.length - a.prefix.length);
}

/** Hands a request to the mount its raw target falls under; false when none does. */
async function serveMount(mounts: readonly Mount[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  // Mounts see the raw request target, so that what they are given is a suffix of req.url.
  const rawTarget = req.url ?? '/';
  const rawPath = rawTarget.split('?', 1)[0] as string;
  const mount = mounts.find((candidate) => rawPath === candidate.prefix || rawPath.startsWith(`${candidate.prefix}/`));
  if (!mount) return false;
  const rest = rawTarget.slice(mount.prefix.length);
  await mount.handle(req, res, rest.startsWith('/') ? rest : `/${rest}`);
  return true;
}

/** The Functions host's own webhook for Event Grid deliveries, served by the runner's Event Grid functions. */
function serveEventGrid(runner: FunctionRunner, log: LogLine, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  return handleEventGridWebhook(req, res, url, {
    findFunction: (name) => {
      const fn = runner.find(name);
      return fn?.kind === 'eventGrid' ? fn : undefined;
    },
    dispatch: (fn, event) => runner.dispatchEvent(fn, event, `EventGrid trigger fired at ${new Date().toISOString()}`),
    log,
  });
}

/** A handler failure becomes a problem answer rather than a dropped connection. */
function answerFailure(res: ServerResponse, req: IncomingMessage, log: LogLine, error: unknown): void {
  if (error instanceof BodyTooLargeError) {
    sendProblem(res, { status: 413, detail: error.message, code: 'payload-too-large' }, { connection: 'close' });
    return;
  }
  log(`Host: error while serving ${req.method ?? ''} ${req.url ?? ''}: ${describeError(error)}`);
  sendProblem(res, { status: 500, detail: 'The local host failed to serve this request', code: 'internal' });
}

/** Closes the server without letting a client that holds a request open keep the process alive. */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log: LogLine = options.log ?? ((line) => console.log(line));
  const listenHost = options.host ?? '127.0.0.1';
  const mounts = normalizeMounts(options.mounts ?? []);
  const runner = createFunctionRunner(options.functions, log, new Date());
  const serveApi = createApiEndpoint(options.functions, log);
  const refuseHost = refuseForeignHost(listenHost);
  // The host a request URL is resolved against when its Host header is unusable; the real port once listening.
  let fallbackHost = `${listenHost}:${options.port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (refuseHost(req, res)) return;
    const url = requestUrl(req, fallbackHost);
    if ((await serveMount(mounts, req, res)) || refuseCrossSite(req, res)) return;
    const pathname = url.pathname;
    const lower = pathname.toLowerCase();
    if (lower === '/api' || lower.startsWith('/api/')) return serveApi(req, res, url);
    if (lower === EVENT_GRID_WEBHOOK_PATH || lower === `${EVENT_GRID_WEBHOOK_PATH}/`) return serveEventGrid(runner, log, req, res, url);
    if (lower.startsWith(ADMIN_PREFIX) && pathname.length > ADMIN_PREFIX.length) return handleAdmin(runner, req, res, pathname);
    if (pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('The local Functions host is running.\n');
      return;
    }
    sendProblem(res, { status: 404, detail: `Nothing is served at ${pathname}`, code: 'not-found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answerFailure(res, req, log, error));
  });
  const port = await listen(server, options.port, listenHost);
  const urlHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  fallbackHost = `${urlHost}:${port}`;
  const stopTimers = options.timers !== false && runner.timers.size > 0 ? startTimerClock(runner, log) : () => undefined;

  return {
    url: `http://${fallbackHost}`,
    port,
    runFunction: (name, input) => runner.runFunction(name, input),
    async close() {
      stopTimers();
      await closeServer(server);
      await runner.settled();
    },
  };
}
