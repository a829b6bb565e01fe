import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetaGraph } from '../../../src/adapters/meta-graph';
import { MetaGraphError } from '../../../src/domain/meta';
import type { MetaGraph } from '../../../src/domain/ports';
import { rejectionOf } from '../../support/rejection';

/**
 * `requestDisplayNameChange` against a tiny HTTP server answering as Meta's document of
 * `POST /{Version}/{Phone-Number-ID}` does: `{ success: true }`, or Meta's error body.
 */
interface Captured {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

let requests: Captured[];
let answer: (res: ServerResponse) => void;
let graph: MetaGraph;
let close: () => Promise<void>;

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeEach(async () => {
  requests = [];
  answer = (res) => json(res, 200, { success: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  graph = createMetaGraph({
    graphUrl: url,
    version: 'v23.0',
    accessToken: 'rename-token',
    pinSecret: 'pin',
    timeoutMs: 2000,
    retry: { attempts: 3, baseDelayMs: 1 },
  });
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});

afterEach(() => close());

const failure = (promise: Promise<unknown>): Promise<MetaGraphError> => rejectionOf(promise, MetaGraphError);

describe('requestDisplayNameChange', () => {
  it('POSTs new_display_name as JSON to the phone-number node, with the bearer token', async () => {
    await expect(graph.requestDisplayNameChange('1234567890123456', 'Contoso Cycles')).resolves.toBeUndefined();
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/v23.0/1234567890123456',
        authorization: 'Bearer rename-token',
        contentType: 'application/json',
        body: JSON.stringify({ new_display_name: 'Contoso Cycles' }),
      },
    ]);
  });

  it('reads an invalid parameter (code 100) as a refused request, and does not repeat it', async () => {
    answer = (res) => json(res, 400, { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100, fbtrace_id: 'x' } });
    const error = await failure(graph.requestDisplayNameChange('1234567890123456', 'Best Bikes Ever'));
    expect(error.kind).toBe('request-refused');
    expect(error.details.code).toBe(100);
    expect(requests).toHaveLength(1);
  });

  it('reads `success: false` as a refusal, and an answer of another shape as not understood', async () => {
    answer = (res) => json(res, 200, { success: false });
    expect((await failure(graph.requestDisplayNameChange('1234567890123456', 'Contoso Cycles'))).kind).toBe('rejected');
    answer = (res) => json(res, 200, { id: '1234567890123456' });
    await failure(graph.requestDisplayNameChange('1234567890123456', 'Contoso Cycles'));
  });

  it('repeats only when Meta answered that it failed transiently, never after an unanswered gateway error', async () => {
    let calls = 0;
    answer = (res) => {
      calls += 1;
      if (calls === 1) json(res, 500, { error: { message: 'Please retry', type: 'GraphMethodException', code: 2, is_transient: true, fbtrace_id: 'x' } });
      else json(res, 200, { success: true });
    };
    await graph.requestDisplayNameChange('1234567890123456', 'Contoso Cycles');
    expect(requests).toHaveLength(2);

    requests = [];
    answer = (res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    expect((await failure(graph.requestDisplayNameChange('1234567890123456', 'Contoso Cycles'))).kind).toBe('transient');
    expect(requests).toHaveLength(1);
  });

  it('refuses an id that could change the request before sending anything', async () => {
    expect((await failure(graph.requestDisplayNameChange('123/register', 'Contoso Cycles'))).kind).toBe('rejected');
    expect(requests).toHaveLength(0);
  });
});
