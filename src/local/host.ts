/**
 * The local stand-in for the Azure Functions host (docs/design.md §8): serves the same FunctionDefinition
 * list under the host's URLs, `/api/{route}`, `/runtime/webhooks/eventgrid` and
 * `/admin/functions/{name}`, and fires timers on their NCRONTAB schedules.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Timer } from '@azure/functions';
import type { EventGridFunction, FunctionDefinition, HttpFunction, TimerFunction } from '../functions/definitions';
import { EVENT_GRID_WEBHOOK_PATH, EventPayloadError, handleEventGridWebhook, parseEventGridPayload } from './event-grid-endpoint';
import { BodyTooLargeError, readBody, requestUrl, sendEmpty, sendProblem, toHttpRequest, writeHttpResult } from './http-bridge';
import { describeError, invoke, type LogLine } from './invocation';
import { matches, nextOccurrence, parseNcrontab, type NcrontabSchedule } from './ncrontab';
import { createRouter } from './route-template';

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

const ADMIN_PREFIX = '/admin/functions/';

/**
 * This host has no authentication, so a web page in the developer's browser must not be able to
 * drive it: a DNS-rebound name is refused by its Host header, and a state-changing request is
 * refused when it comes from another origin or with a content type an HTML form can send.
 */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORM_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const hostNameOf = (hostHeader: string): string => hostHeader.trim().toLowerCase().replace(/:\d+$/, '');

function originIsLocal(origin: string): boolean {
  try {
    return LOOPBACK_NAMES.has(new URL(origin).hostname.toLowerCase());
  } catch {
    return false;
  }
}

function isJsonText(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

interface Refusal {
  status: number;
  detail: string;
  code: string;
}

/**
 * Why a state-changing request is refused, or null. With `body`, also a form content type whose
 * body is not JSON (a body-less action such as disconnect, posted by a web form).
 */
function crossSiteRefusal(req: IncomingMessage, body?: Buffer): Refusal | null {
  if (SAFE_METHODS.has((req.method ?? 'GET').toUpperCase())) return null;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && !originIsLocal(origin)) {
    return { status: 403, detail: `Requests from ${origin} are refused: this host only serves local callers`, code: 'forbidden' };
  }
  if (origin === 'null' || req.headers['sec-fetch-site'] === 'cross-site') {
    return { status: 403, detail: 'Cross-site requests are refused: this host only serves local callers', code: 'forbidden' };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (body !== undefined && FORM_CONTENT_TYPES.has(type) && (body.length === 0 || !isJsonText(body))) {
    return {
      status: 415,
      detail: `A ${type} body that is not JSON is refused here (a web form can send it): send application/json`,
      code: 'unsupported-media-type',
    };
  }
  return null;
}

function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  sendProblem(res, {
    status: refusal.status,
    title: refusal.status === 403 ? 'Forbidden' : 'Unsupported media type',
    detail: refusal.detail,
    code: refusal.code,
  });
}
const MANUAL_REASON = 'This function was programmatically called via the host APIs.';

interface TimerState {
  fn: TimerFunction;
  schedule: NcrontabSchedule;
  /** Runs queued or running; a scheduled tick is skipped while this is non-zero. */
  active: number;
  tail: Promise<void>;
  lastRun: Date;
}

class UnknownFunctionError extends Error {
  override readonly name = 'UnknownFunctionError';
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log: LogLine = options.log ?? ((line) => console.log(line));
  const listenHost = options.host ?? '127.0.0.1';
  const mounts = [...(options.mounts ?? [])]
    .map((mount) => ({ ...mount, prefix: `/${mount.prefix.replace(/^\/+|\/+$/g, '')}` }))
    // Longest prefix first, so that `/a/b` wins over `/a`.
    .sort((a, b) => b.prefix.length - a.prefix.length);

  const byName = new Map<string, FunctionDefinition>();
  for (const fn of options.functions) {
    // Function names are case-insensitive in the Functions host.
    const key = fn.name.toLowerCase();
    if (byName.has(key)) throw new Error(`Two functions are named "${fn.name}"`);
    byName.set(key, fn);
  }
  const httpFunctions = options.functions.filter((fn): fn is HttpFunction => fn.kind === 'http');
  const router = createRouter(httpFunctions);
  const startedAt = new Date();
  const timers = new Map<string, TimerState>();
  for (const fn of options.functions) {
    if (fn.kind !== 'timer') continue;
    const schedule = parseNcrontab(fn.schedule);
    nextOccurrence(schedule, startedAt); // fails start-up for a schedule that never fires
    timers.set(fn.name.toLowerCase(), { fn, schedule, active: 0, tail: Promise.resolve(), lastRun: startedAt });
  }

  const background = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    background.add(settled);
    void settled.then(() => background.delete(settled));
    return promise;
  };

  const dispatchEvent = (fn: EventGridFunction, event: unknown, reason: string): Promise<void> =>
    invoke({ functionName: fn.name, triggerType: 'eventGridTrigger', log, reason }, (context) => fn.handler(event, context));

  const runTimer = (state: TimerState, reason: string): Promise<void> => {
    state.active++;
    const run = state.tail
      .catch(() => undefined)
      .then(() => {
        const now = new Date();
        const timer: Timer = {
          isPastDue: false,
          schedule: { adjustForDST: true },
          scheduleStatus: {
            last: state.lastRun.toISOString(),
            next: nextOccurrence(state.schedule, now).toISOString(),
            lastUpdated: now.toISOString(),
          },
        };
        state.lastRun = now;
        return invoke({ functionName: state.fn.name, triggerType: 'timerTrigger', log, reason }, (context) => state.fn.handler(timer, context));
      })
      .finally(() => {
        state.active--;
      });
    state.tail = run;
    return track(run);
  };

  const eventsFromInput = (input: unknown): unknown[] => {
    if (input === undefined || input === null || input === '') {
      throw new EventPayloadError('An Event Grid function needs an event as input');
    }
    if (typeof input === 'string') return parseEventGridPayload(input);
    return Array.isArray(input) ? input : [input];
  };

  const runFunction = async (name: string, input?: unknown, reason = MANUAL_REASON): Promise<void> => {
    const fn = byName.get(name.toLowerCase());
    if (!fn || fn.kind === 'http') throw new UnknownFunctionError(`No timer or Event Grid function named '${name}'`);
    if (fn.kind === 'timer') {
      await runTimer(timers.get(fn.name.toLowerCase()) as TimerState, reason);
      return;
    }
    const events = eventsFromInput(input);
    const run = (async () => {
      for (const event of events) await dispatchEvent(fn, event, reason);
    })();
    await track(run);
  };

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    let name: string;
    try {
      name = decodeURIComponent(pathname.slice(ADMIN_PREFIX.length).replace(/\/+$/, ''));
    } catch {
      name = '';
    }
    if ((req.method ?? '').toUpperCase() !== 'POST') {
      sendProblem(res, { status: 405, title: 'Method not allowed', detail: 'Use POST to run a function', code: 'method-not-allowed' }, { allow: 'POST' });
      return;
    }
    const fn = byName.get(name.toLowerCase());
    if (!fn) {
      sendProblem(res, { status: 404, title: 'Not found', detail: `No function named '${name}'`, code: 'not-found' });
      return;
    }
    if (fn.kind === 'http') {
      sendProblem(res, {
        status: 400,
        title: 'The request is not valid',
        detail: `'${fn.name}' is an HTTP function: call it at /api/${fn.route}`,
        code: 'validation-failed',
      });
      return;
    }
    const bytes = await readBody(req);
    const refusal = crossSiteRefusal(req, bytes);
    if (refusal) return sendRefusal(res, refusal);
    const text = bytes.toString('utf8').trim();
    let input: unknown;
    try {
      const parsed: unknown = text === '' ? {} : JSON.parse(text);
      input = parsed !== null && typeof parsed === 'object' ? (parsed as { input?: unknown }).input : undefined;
      if (fn.kind === 'eventGrid') eventsFromInput(input);
    } catch (error) {
      const detail = error instanceof EventPayloadError ? error.message : 'The body must be JSON like { "input": "..." }';
      sendProblem(res, { status: 400, title: 'The request is not valid', detail, code: 'validation-failed' });
      return;
    }
    // Like the Functions host: accepted now, run in the background; failures show in the log.
    sendEmpty(res, 202);
    runFunction(fn.name, input).catch(() => undefined); // invoke() has logged the failure
  }

  async function handleHttpFunction(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const routed = router.route(method, url.pathname);
    if (routed.kind === 'notFound') {
      sendProblem(res, { status: 404, title: 'Not found', detail: `No function serves ${url.pathname}`, code: 'not-found' });
      return;
    }
    if (routed.kind === 'methodNotAllowed') {
      sendProblem(
        res,
        { status: 405, title: 'Method not allowed', detail: `${method} is not allowed on ${url.pathname}`, code: 'method-not-allowed' },
        { allow: routed.allow.join(', ') },
      );
      return;
    }
    const fn = routed.target;
    const body = await readBody(req);
    const refusal = crossSiteRefusal(req, body);
    if (refusal) return sendRefusal(res, refusal);
    const request = toHttpRequest({ req, url, body, params: routed.params });
    let result: unknown;
    try {
      result = await invoke({ functionName: fn.name, triggerType: 'httpTrigger', log, reason: MANUAL_REASON }, (context) =>
        Promise.resolve(fn.handler(request, context)),
      );
    } catch {
      // The Functions host answers an unhandled exception with a bare 500; the details stay in the log.
      sendProblem(res, { status: 500, title: 'Internal error', detail: `Function '${fn.name}' failed; see the host log`, code: 'internal' });
      return;
    }
    try {
      await writeHttpResult(res, result);
    } catch (error) {
      log(`${fn.name}: error: cannot send its response: ${describeError(error)}`);
      sendProblem(res, { status: 500, title: 'Internal error', detail: `Function '${fn.name}' returned an invalid response`, code: 'internal' });
    }
  }

  let fallbackHost = `${listenHost}:${options.port}`;
  const allowedHostNames = new Set([...LOOPBACK_NAMES, listenHost.includes(':') ? `[${listenHost}]` : listenHost]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostHeader = req.headers.host;
    if (hostHeader !== undefined && !allowedHostNames.has(hostNameOf(hostHeader))) {
      sendProblem(res, { status: 403, title: 'Forbidden', detail: `Host ${hostHeader.slice(0, 100)} is not served: use localhost`, code: 'forbidden' });
      return;
    }
    const url = requestUrl(req, fallbackHost);
    const pathname = url.pathname;
    const lower = pathname.toLowerCase();
    // Mounts see the raw request target, so that what they are given is a suffix of req.url.
    const rawTarget = req.url ?? '/';
    const rawPath = rawTarget.split('?', 1)[0] as string;
    for (const mount of mounts) {
      if (rawPath === mount.prefix || rawPath.startsWith(`${mount.prefix}/`)) {
        const rest = rawTarget.slice(mount.prefix.length);
        await mount.handle(req, res, rest.startsWith('/') ? rest : `/${rest}`);
        return;
      }
    }
    const refusal = crossSiteRefusal(req);
    if (refusal) return sendRefusal(res, refusal);
    if (lower === '/api' || lower.startsWith('/api/')) {
      await handleHttpFunction(req, res, url);
      return;
    }
    if (lower === EVENT_GRID_WEBHOOK_PATH || lower === `${EVENT_GRID_WEBHOOK_PATH}/`) {
      await handleEventGridWebhook(req, res, url, {
        findFunction: (name) => {
          const fn = byName.get(name.toLowerCase());
          return fn?.kind === 'eventGrid' ? fn : undefined;
        },
        dispatch: (fn, event) => dispatchEvent(fn, event, `EventGrid trigger fired at ${new Date().toISOString()}`),
        log,
      });
      return;
    }
    if (lower.startsWith(ADMIN_PREFIX) && pathname.length > ADMIN_PREFIX.length) {
      await handleAdmin(req, res, pathname);
      return;
    }
    if (pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('The local Functions host is running.\n');
      return;
    }
    sendProblem(res, { status: 404, title: 'Not found', detail: `Nothing is served at ${pathname}`, code: 'not-found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        sendProblem(res, { status: 413, title: 'Payload too large', detail: error.message, code: 'payload-too-large' }, { connection: 'close' });
        return;
      }
      log(`Host: error while serving ${req.method ?? ''} ${req.url ?? ''}: ${describeError(error)}`);
      sendProblem(res, { status: 500, title: 'Internal error', detail: 'The local host failed to serve this request', code: 'internal' });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  fallbackHost = `${urlHost}:${port}`;

  let tickTimer: NodeJS.Timeout | undefined;
  let closed = false;
  if (options.timers !== false && timers.size > 0) {
    let lastChecked = Math.floor(Date.now() / 1000) * 1000;
    const tick = (): void => {
      const now = Math.floor(Date.now() / 1000) * 1000;
      // Seconds missed while the event loop was busy still fire (at most a minute back), once each.
      for (let second = Math.max(lastChecked + 1000, now - 60_000); second <= now; second += 1000) {
        const at = new Date(second);
        for (const state of timers.values()) {
          if (!matches(state.schedule, at)) continue;
          if (state.active > 0) {
            log(`[${new Date().toISOString()}] Timer '${state.fn.name}' is still running; skipping the ${at.toISOString()} occurrence`);
            continue;
          }
          runTimer(state, `Timer fired at ${at.toISOString()}`).catch(() => undefined); // invoke() has logged it
        }
      }
      lastChecked = Math.max(lastChecked, now);
      schedule();
    };
    const schedule = (): void => {
      if (closed) return;
      // Just past the next second boundary, so Date.now() inside tick() is in the second it fires for.
      tickTimer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
      tickTimer.unref();
    };
    schedule();
  }

  return {
    url: `http://${fallbackHost}`,
    port,
    runFunction: (name, input) => runFunction(name, input),
    async close() {
      closed = true;
      if (tickTimer) clearTimeout(tickTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client holding a request open must not keep the process alive on shutdown.
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      await Promise.all([...background]);
    },
  };
}
