import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HttpRequest, InvocationContext, Timer } from '@azure/functions';
import type { FunctionDefinition } from '../../src/functions/definitions';
import { startLocalHost, type LocalHost } from '../../src/local/host';

const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(__dirname, '../fixtures', name), 'utf8'));
const fixtureText = (name: string): string => readFileSync(path.join(__dirname, '../fixtures', name), 'utf8');

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const events: unknown[] = [];
const timerRuns: Timer[] = [];
let timerWaiters: Array<Deferred<Timer>> = [];
let eventWaiters: Array<Deferred<unknown>> = [];
let concurrentTimerRuns = 0;
let maxConcurrentTimerRuns = 0;
let timerGate: Promise<void> | undefined;
const mounted: Array<{ path: string; url: string | undefined }> = [];
const batchStarted: unknown[] = [];
const batchFinished: unknown[] = [];
let batchAllStarted = deferred<unknown>();
const logLines: string[] = [];

const functions: FunctionDefinition[] = [
  {
    kind: 'http',
    name: 'echo',
    methods: ['GET', 'POST', 'PUT'],
    route: 'echo/{id}',
    authLevel: 'function',
    handler: async (request: HttpRequest, context: InvocationContext) => {
      context.log('hello from handler', request.params.id);
      const bytes = Buffer.from(await request.arrayBuffer());
      return {
        status: Number(request.headers.get('x-status') ?? 200),
        headers: { 'x-echo-id': request.params.id ?? '', location: `/api/echo/${request.params.id ?? ''}` },
        jsonBody: {
          method: request.method,
          id: request.params.id,
          query: Object.fromEntries(request.query.entries()),
          custom: request.headers.get('x-custom'),
          url: request.url,
          functionName: context.functionName,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          length: bytes.length,
        },
      };
    },
  },
  {
    kind: 'http',
    name: 'echoLiteral',
    methods: ['GET'],
    route: 'echo/literal',
    authLevel: 'function',
    handler: () => ({ jsonBody: { literal: true } }),
  },
  {
    kind: 'http',
    name: 'raw',
    methods: ['POST'],
    route: 'raw',
    authLevel: 'anonymous',
    handler: async (request: HttpRequest) => ({
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(await request.arrayBuffer()),
    }),
  },
  {
    kind: 'http',
    name: 'shapes',
    methods: ['GET'],
    route: 'shapes/{shape}',
    authLevel: 'anonymous',
    handler: (request: HttpRequest) => {
      switch (request.params.shape) {
        case 'text':
          return { body: 'plain text' };
        case 'problem':
          return { status: 409, headers: { 'content-type': 'application/problem+json' }, jsonBody: { code: 'x' } };
        case 'nothing':
          return undefined as never;
        case 'invalid':
          return 'not an object' as never;
        default:
          throw new Error('handler exploded');
      }
    },
  },
  {
    kind: 'eventGrid',
    name: 'smsEvents',
    handler: async (event: unknown, context: InvocationContext) => {
      events.push(event);
      context.log('event', (event as { id?: string }).id);
      eventWaiters.forEach((waiter) => waiter.resolve(event));
      eventWaiters = [];
      if ((event as { data?: { fail?: boolean } }).data?.fail) throw new Error('transient fault');
    },
  },
  {
    // Each event waits until every event of its batch has started: only a host that starts them all
    // before awaiting any (as the Functions host does) gets through a batch of these.
    kind: 'eventGrid',
    name: 'batchEvents',
    handler: async (event: unknown) => {
      const { batchSize, fail } = (event as { data: { batchSize: number; fail?: boolean } }).data;
      batchStarted.push(event);
      if (batchStarted.length >= batchSize) batchAllStarted.resolve(undefined);
      await batchAllStarted.promise;
      if (fail) throw new Error('transient fault in a batch');
      batchFinished.push(event);
    },
  },
  {
    kind: 'timer',
    name: 'reconcile',
    schedule: '0 0 0 1 1 *',
    handler: async (timer: Timer) => {
      concurrentTimerRuns++;
      maxConcurrentTimerRuns = Math.max(maxConcurrentTimerRuns, concurrentTimerRuns);
      try {
        if (timerGate) await timerGate;
        timerRuns.push(timer);
        timerWaiters.forEach((waiter) => waiter.resolve(timer));
        timerWaiters = [];
      } finally {
        concurrentTimerRuns--;
      }
    },
  },
];

let host: LocalHost;
let base: string;

beforeAll(async () => {
  host = await startLocalHost({
    functions,
    port: 0,
    timers: false,
    log: (line) => logLines.push(line),
    mounts: [
      {
        prefix: '/mock/',
        handle: async (req, res, subPath) => {
          mounted.push({ path: subPath, url: req.url });
          res.writeHead(200, { 'content-type': 'text/plain' }).end(`mock:${subPath}`);
        },
      },
    ],
  });
  base = host.url;
});

afterAll(async () => {
  await host.close();
});

beforeEach(() => {
  events.length = 0;
  batchStarted.length = 0;
  batchFinished.length = 0;
  batchAllStarted = deferred<unknown>();
  timerRuns.length = 0;
  mounted.length = 0;
});

const post = (url: string, body: string | Buffer | undefined, headers: Record<string, string> = {}) =>
  fetch(`${base}${url}`, { method: 'POST', body, headers });
const notify = (functionName: string, body: unknown, headers: Record<string, string> = {}) =>
  post(`/runtime/webhooks/eventgrid?functionName=${functionName}`, typeof body === 'string' ? body : JSON.stringify(body), {
    'content-type': 'application/json',
    'aeg-event-type': 'Notification',
    ...headers,
  });

describe('HTTP functions', () => {
  it('listens on loopback and reports its URL', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.port).toBeGreaterThan(0);
  });

  it('routes by template, passes params, query, headers and the full URL, and round-trips status, headers and jsonBody', async () => {
    const response = await fetch(`${base}/api/echo/a%20b?x=1&y=two`, { headers: { 'x-custom': 'yes', 'x-status': '201' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-echo-id')).toBe('a b');
    expect(response.headers.get('location')).toBe('/api/echo/a b');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ method: 'GET', id: 'a b', query: { x: '1', y: 'two' }, custom: 'yes', functionName: 'echo', length: 0 });
    expect(body.url).toBe(`${base}/api/echo/a%20b?x=1&y=two`);
  });

  it('lets a literal route win over a parameter route', async () => {
    const response = await fetch(`${base}/api/echo/literal`);
    expect(await response.json()).toEqual({ literal: true });
  });

  it('hands the handler the exact request bytes, including ones that are not UTF-8', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0xfe, 0x0d, 0x0a, 0xe2, 0x82, 0xac, 0x22, 0x7d]);
    const response = await fetch(`${base}/api/echo/bytes`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/json' } });
    const body = (await response.json()) as { sha256: string; length: number };
    expect(body.length).toBe(bytes.length);
    expect(body.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    const raw = await fetch(`${base}/api/raw`, { method: 'POST', body: bytes });
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await raw.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('uses the library defaults for other response shapes', async () => {
    const text = await fetch(`${base}/api/shapes/text`);
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await text.text()).toBe('plain text');

    const problem = await fetch(`${base}/api/shapes/problem`);
    expect(problem.status).toBe(409);
    expect(problem.headers.get('content-type')).toBe('application/problem+json');
    expect(await problem.json()).toEqual({ code: 'x' });

    const nothing = await fetch(`${base}/api/shapes/nothing`);
    expect(nothing.status).toBe(204);
    expect(await nothing.text()).toBe('');
  });

  it('answers 500 problem+json when a handler throws or returns something that is not a response', async () => {
    for (const shape of ['throw', 'invalid']) {
      const response = await fetch(`${base}/api/shapes/${shape}`);
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 500, code: 'internal' });
    }
    expect(logLines.some((line) => line.includes('handler exploded'))).toBe(true);
  });

  it('answers 404 problem+json for unknown paths and 405 with Allow for a wrong method', async () => {
    for (const url of ['/api/nope', '/api/echo/a/b', '/elsewhere']) {
      const response = await fetch(`${base}${url}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 404, code: 'not-found' });
    }
    const response = await fetch(`${base}/api/echo/x`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST, PUT');
    expect(await response.json()).toMatchObject({ status: 405 });
  });

  it('logs through the log option, each line prefixed with the function name, between Executing and Executed', async () => {
    await fetch(`${base}/api/echo/logged`);
    const index = logLines.findIndex((line) => line.includes('echo: hello from handler logged'));
    expect(index).toBeGreaterThan(0);
    expect(logLines.slice(0, index).some((line) => line.includes("Executing 'Functions.echo'"))).toBe(true);
    expect(logLines.slice(index).some((line) => /Executed 'Functions\.echo' \(Succeeded/.test(line))).toBe(true);
  });

  it('answers 413 past 10 MiB', async () => {
    const response = await fetch(`${base}/api/echo/big`, { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'payload-too-large' });
  });
});

describe('Event Grid webhook', () => {
  it('answers the subscription validation handshake itself, with exactly the code', async () => {
    const validation = fixture('subscription-validation.eventgrid.json') as Array<{ data: { validationCode: string } }>;
    const response = await post('/runtime/webhooks/eventgrid?functionName=smsEvents', fixtureText('subscription-validation.eventgrid.json'), {
      'content-type': 'application/json',
      'aeg-event-type': 'SubscriptionValidation',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ validationResponse: validation[0]?.data.validationCode });
    expect(events).toEqual([]);
  });

  it('answers 400 without aeg-event-type, or with an unknown one', async () => {
    const body = fixtureText('sms-received.eventgrid.json');
    expect((await post('/runtime/webhooks/eventgrid?functionName=smsEvents', body, { 'content-type': 'application/json' })).status).toBe(400);
    expect((await notify('smsEvents', body, { 'aeg-event-type': 'Bogus' })).status).toBe(400);
    expect(events).toEqual([]);
  });

  it('answers 404 for an unknown function, a missing functionName and a function that is not an Event Grid one', async () => {
    const body = fixtureText('sms-received.eventgrid.json');
    expect((await notify('nope', body)).status).toBe(404);
    expect((await post('/runtime/webhooks/eventgrid', body, { 'aeg-event-type': 'Notification' })).status).toBe(404);
    expect((await notify('echo', body)).status).toBe(404);
    expect((await notify('reconcile', body)).status).toBe(404);
    expect(events).toEqual([]);
  });

  it('dispatches each event of an Event Grid array separately, in order, and answers 202', async () => {
    const [received] = fixture('sms-received.eventgrid.json') as Array<Record<string, unknown>>;
    const [report] = fixture('sms-delivery-report.eventgrid.json') as Array<Record<string, unknown>>;
    const third = { ...received, id: 'third' };
    const response = await notify('smsEvents', [received, report, third]);
    expect(response.status).toBe(202);
    expect(events).toEqual([received, report, third]);

    events.length = 0;
    expect((await notify('smsEvents', fixtureText('sms-received.eventgrid.json'))).status).toBe(202);
    expect(events).toEqual(fixture('sms-received.eventgrid.json'));
  });

  it('accepts the function name in any case, like the Functions host', async () => {
    expect((await notify('SMSEVENTS', [{ id: 'x' }])).status).toBe(202);
    expect(events).toEqual([{ id: 'x' }]);
  });

  it('dispatches a single CloudEvent, and each of a CloudEvents batch', async () => {
    const cloudEvent = fixture('sms-received.cloudevent.json') as Record<string, unknown>;
    const single = await notify('smsEvents', fixtureText('sms-received.cloudevent.json'), { 'content-type': 'application/cloudevents+json; charset=utf-8' });
    expect(single.status).toBe(202);
    expect(events).toEqual([cloudEvent]);

    events.length = 0;
    const second = { ...cloudEvent, id: 'second' };
    const batch = await notify('smsEvents', [cloudEvent, second], { 'content-type': 'application/cloudevents-batch+json' });
    expect(batch.status).toBe(202);
    expect(events).toEqual([cloudEvent, second]);
  });

  it('answers 500 when any event throws, after trying every event of the batch', async () => {
    const response = await notify('smsEvents', [{ id: 'ok-1' }, { id: 'bad', data: { fail: true } }, { id: 'ok-2' }]);
    expect(response.status).toBe(500);
    expect(events.map((event) => (event as { id: string }).id)).toEqual(['ok-1', 'bad', 'ok-2']);
    expect(logLines.some((line) => line.includes('transient fault'))).toBe(true);
  });

  it('answers 202 to Unsubscribe and to an empty array, without invoking the function', async () => {
    expect((await notify('smsEvents', [], { 'aeg-event-type': 'Unsubscribe' })).status).toBe(202);
    expect((await notify('smsEvents', [])).status).toBe(202);
    expect(events).toEqual([]);
  });

  it('answers 400 to malformed JSON and to JSON that is not an event', async () => {
    expect((await notify('smsEvents', '[{"id":')).status).toBe(400);
    expect((await notify('smsEvents', '')).status).toBe(400);
    expect((await notify('smsEvents', '42')).status).toBe(400);
    expect(events).toEqual([]);
  });

  it('answers the CloudEvents abuse-protection handshake on OPTIONS, naming the Event Grid cloud that asks', async () => {
    const options = (headers: Record<string, string>, functionName = 'smsEvents') =>
      fetch(`${base}/runtime/webhooks/eventgrid?functionName=${functionName}`, { method: 'OPTIONS', headers });
    const response = await options({ 'WebHook-Request-Origin': 'eventgrid.azure.net' });
    expect(response.status).toBe(200);
    expect(response.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');

    const government = await options({ 'WebHook-Request-Origin': 'eventgrid.azure.us' });
    expect(government.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.us');
    expect(events).toEqual([]);
  });

  it('answers OPTIONS without WebHook-Request-Origin, or from another origin, 200 naming the public cloud, as the extension does', async () => {
    for (const headers of [{}, { 'WebHook-Request-Origin': 'attacker.example' }] as Array<Record<string, string>>) {
      const response = await fetch(`${base}/runtime/webhooks/eventgrid?functionName=smsEvents`, { method: 'OPTIONS', headers });
      expect(response.status).toBe(200);
      expect(response.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    }
  });

  it('checks the function name before the method: OPTIONS for an unknown function is 404', async () => {
    const headers = { 'WebHook-Request-Origin': 'eventgrid.azure.net' };
    for (const query of ['?functionName=nope', '', '?functionName=echo']) {
      const response = await fetch(`${base}/runtime/webhooks/eventgrid${query}`, { method: 'OPTIONS', headers });
      expect(response.status).toBe(404);
      expect(response.headers.get('webhook-allowed-origin')).toBeNull();
    }
  });

  it('reads the handshake code of one validation object, its data an object or double-encoded JSON text', async () => {
    const validate = (body: unknown) =>
      post('/runtime/webhooks/eventgrid?functionName=smsEvents', JSON.stringify(body), {
        'content-type': 'application/json',
        'aeg-event-type': 'SubscriptionValidation',
      });
    const event = { id: 'v1', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', subject: '', eventTime: '2025-01-01T00:00:00Z' };
    const doubleEncoded = await validate({ ...event, data: JSON.stringify({ validationCode: 'code-in-text', validationUrl: 'https://x' }) });
    expect(doubleEncoded.status).toBe(200);
    expect(await doubleEncoded.json()).toEqual({ validationResponse: 'code-in-text' });
    const plain = await validate({ ...event, data: { validationCode: 'code-in-object' } });
    expect(await plain.json()).toEqual({ validationResponse: 'code-in-object' });
    expect((await validate({ ...event, data: 'not json' })).status).toBe(400);
    expect((await validate({ ...event, data: JSON.stringify({ other: 1 }) })).status).toBe(400);
    expect(events).toEqual([]);
  });

  it('starts every event of a batch before awaiting any, as the Functions host does, and answers 202 when all succeed', async () => {
    const batch = Array.from({ length: 10 }, (_, index) => ({ id: `e${index}`, data: { batchSize: 10 } }));
    const response = await notify('batchEvents', batch);
    expect(response.status).toBe(202);
    expect(batchStarted).toHaveLength(10);
    expect(batchFinished).toHaveLength(10);
  });

  it('answers 500 when one event of a concurrent batch fails, after every event ran', async () => {
    const batch = Array.from({ length: 4 }, (_, index) => ({ id: `e${index}`, data: { batchSize: 4, fail: index === 2 } }));
    const response = await notify('batchEvents', batch);
    expect(response.status).toBe(500);
    expect(batchFinished.map((event) => (event as { id: string }).id).sort()).toEqual(['e0', 'e1', 'e3']);
  });

  it('answers 405 to other methods', async () => {
    const response = await fetch(`${base}/runtime/webhooks/eventgrid?functionName=smsEvents`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('OPTIONS, POST');
  });
});

describe('running functions by hand', () => {
  it('POST /admin/functions/NAME runs a timer in the background and answers 202', async () => {
    const ran = deferred<Timer>();
    timerWaiters.push(ran);
    const response = await post('/admin/functions/reconcile', JSON.stringify({ input: '' }), { 'content-type': 'application/json' });
    expect(response.status).toBe(202);
    const timer = await ran.promise;
    expect(timer.isPastDue).toBe(false);
  });

  it('POST /admin/functions/NAME with an empty body runs a timer too', async () => {
    const ran = deferred<Timer>();
    timerWaiters.push(ran);
    expect((await post('/admin/functions/reconcile', undefined)).status).toBe(202);
    await ran.promise;
  });

  it('POST /admin/functions/NAME runs an Event Grid function with the input parsed as the event', async () => {
    const ran = deferred<unknown>();
    eventWaiters.push(ran);
    const cloudEvent = fixture('sms-received.cloudevent.json');
    const response = await post('/admin/functions/smsEvents', JSON.stringify({ input: JSON.stringify(cloudEvent) }));
    expect(response.status).toBe(202);
    expect(await ran.promise).toEqual(cloudEvent);
  });

  it('POST /admin/functions/NAME answers 404 for an unknown function and 400 for bad input or an HTTP function', async () => {
    expect((await post('/admin/functions/nope', '{}')).status).toBe(404);
    expect((await post('/admin/functions/echo', '{}')).status).toBe(400);
    expect((await post('/admin/functions/smsEvents', JSON.stringify({ input: '' }))).status).toBe(400);
    expect((await post('/admin/functions/smsEvents', JSON.stringify({ input: '{oops' }))).status).toBe(400);
    expect((await post('/admin/functions/reconcile', '{oops', { 'content-type': 'application/json' })).status).toBe(400);
  });

  it('runFunction runs a timer, awaits it and passes a Timer', async () => {
    await host.runFunction('reconcile');
    expect(timerRuns).toHaveLength(1);
    const [timer] = timerRuns as [Timer];
    expect(timer).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    const { last, next, lastUpdated } = timer.scheduleStatus;
    for (const value of [last, next, lastUpdated]) expect(new Date(value).toISOString()).toBe(value);
    // `0 0 0 1 1 *`: the next run is midnight on a New Year's Day after this one.
    expect(next).toMatch(/^\d{4}-01-01T00:00:00\.000Z$/);
    expect(new Date(next).getTime()).toBeGreaterThan(new Date(lastUpdated).getTime());
  });

  it('runFunction never overlaps two runs of the same timer', async () => {
    const gate = deferred<void>();
    timerGate = gate.promise;
    maxConcurrentTimerRuns = 0;
    const first = host.runFunction('reconcile');
    const second = host.runFunction('reconcile');
    gate.resolve();
    await Promise.all([first, second]);
    timerGate = undefined;
    expect(timerRuns).toHaveLength(2);
    expect(maxConcurrentTimerRuns).toBe(1);
  });

  it('runFunction dispatches an Event Grid event and rejects with the handler error', async () => {
    await host.runFunction('smsEvents', { id: 'direct' });
    await host.runFunction('smsEvents', '[{"id":"a"},{"id":"b"}]');
    expect(events).toEqual([{ id: 'direct' }, { id: 'a' }, { id: 'b' }]);
    await expect(host.runFunction('smsEvents', { id: 'x', data: { fail: true } })).rejects.toThrow('transient fault');
    await expect(host.runFunction('smsEvents')).rejects.toThrow(/needs an event/);
    await expect(host.runFunction('nope')).rejects.toThrow(/No timer or Event Grid function/);
    await expect(host.runFunction('echo')).rejects.toThrow(/No timer or Event Grid function/);
  });
});

describe('mounts', () => {
  it('hands requests below the prefix to the mount with the prefix stripped (query kept) and req.url untouched', async () => {
    const response = await fetch(`${base}/mock/v25.0/123?fields=id`);
    expect(await response.text()).toBe('mock:/v25.0/123?fields=id');
    await fetch(`${base}/mock`);
    await fetch(`${base}/mock?x=1`);
    expect(mounted).toEqual([
      { path: '/v25.0/123?fields=id', url: '/mock/v25.0/123?fields=id' },
      { path: '/', url: '/mock' },
      { path: '/?x=1', url: '/mock?x=1' },
    ]);
    expect((await fetch(`${base}/mockery`)).status).toBe(404);
  });
});

describe('start-up', () => {
  it('refuses an invalid timer schedule', async () => {
    await expect(
      startLocalHost({ functions: [{ kind: 'timer', name: 't', schedule: '0 */15 * * *', handler: async () => undefined }], port: 0, log: () => undefined }),
    ).rejects.toThrow(/expected 6 fields/);
  });

  it('refuses duplicate function names and ambiguous routes', async () => {
    const http = (name: string): FunctionDefinition => ({
      kind: 'http',
      name,
      methods: ['GET'],
      route: 'same',
      authLevel: 'anonymous',
      handler: () => undefined as never,
    });
    await expect(startLocalHost({ functions: [http('a'), http('A')], port: 0, log: () => undefined })).rejects.toThrow(/Two functions are named/);
    await expect(startLocalHost({ functions: [http('a'), http('b')], port: 0, log: () => undefined })).rejects.toThrow(/both serve GET/);
  });

  it('starts and stops with timers enabled', async () => {
    const other = await startLocalHost({ functions, port: 0, log: () => undefined });
    expect((await fetch(`${other.url}/api/echo/literal`)).status).toBe(200);
    await other.close();
  });
});

describe('refusals that keep web pages from driving the local host', () => {
  const rawRequest = (options: { method: string; path: string; headers: Record<string, string>; body?: string }) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(base);
      const request = httpRequest({ host: url.hostname, port: url.port, method: options.method, path: options.path, headers: options.headers }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end(options.body);
    });

  it.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain'])(
    'refuses a body-less POST sent as %s, and runs nothing',
    async (type) => {
      const status = await rawRequest({ method: 'POST', path: '/api/echo/1', headers: { 'content-type': type, 'content-length': '0' } });
      expect(status).toBe(415);
      expect(await rawRequest({ method: 'POST', path: '/admin/functions/reconcile', headers: { 'content-type': type, 'content-length': '0' } })).toBe(415);
      expect(timerRuns).toEqual([]);
    },
  );

  it('refuses a form body that is not JSON, and accepts JSON sent as text/plain', async () => {
    expect(await rawRequest({ method: 'POST', path: '/api/echo/1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' })).toBe(415);
    expect(await rawRequest({ method: 'POST', path: '/api/echo/1', headers: { 'content-type': 'text/plain' }, body: '{"a":1}' })).toBe(200);
  });

  it('refuses a state-changing request from another origin', async () => {
    expect(
      await rawRequest({ method: 'POST', path: '/api/echo/1', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' }),
    ).toBe(403);
    expect(
      await rawRequest({ method: 'POST', path: '/api/echo/1', headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' }, body: '{}' }),
    ).toBe(200);
    expect(await rawRequest({ method: 'GET', path: '/api/echo/1', headers: { origin: 'https://evil.example' } })).toBe(200);
  });

  it.each(['localhost', '127.0.0.1', '[::1]'])('serves the Host name %s', async (name) => {
    expect(await rawRequest({ method: 'GET', path: '/api/echo/1', headers: { host: `${name}:${new URL(base).port}` } })).toBe(200);
  });

  it('refuses any other Host name (DNS rebinding)', async () => {
    expect(await rawRequest({ method: 'GET', path: '/api/echo/1', headers: { host: 'attacker.example' } })).toBe(403);
    expect(await rawRequest({ method: 'GET', path: '/mock/x', headers: { host: 'attacker.example:7071' } })).toBe(403);
  });
});
