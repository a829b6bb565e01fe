/**
 * A verify_code call whose answer never came (a timeout, or a host that died between Meta's answer
 * and the write that records it) may have verified the number. Its retry reads the number first and
 * verifies again only when Meta does not show it verified (found by the soak, docs/soak.md).
 */
import { createMetaGraph } from '../../src/adapters/meta-graph';
import { MetaGraphError } from '../../src/domain/meta';
import type { MetaGraph } from '../../src/domain/ports';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo, testClock } from '../support/onboarding';

const clock = testClock();
let app: AppHarness;
let graph: MetaGraph;
let loseNextVerifyAnswer = false;

// The real Graph client over HTTP, with one change: the answer of a verify_code call can be lost after Meta acted on it.
const meta = new Proxy({} as MetaGraph, {
  get: (_target, name: keyof MetaGraph) => {
    if (name !== 'verifyCode') return graph[name];
    return async (phoneNumberId: string, code: string) => {
      await graph.verifyCode(phoneNumberId, code);
      if (loseNextVerifyAnswer) {
        loseNextVerifyAnswer = false;
        throw new MetaGraphError('transient', 'Meta Graph verifyCode timed out');
      }
    };
  },
});

beforeAll(async () => {
  app = await startAppHarness({ services: { clock, meta } });
  graph = createMetaGraph({ graphUrl: app.metaUrl, version: 'v25.0', accessToken: 'test-token', pinSecret: 'test-pin-secret', timeoutMs: 3000 });
});
afterAll(() => app.close());

it('does not verify a second time when the first verify_code went through but its answer was lost', async () => {
  const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
  const code = app.sandbox.state.lastCode(phoneNumber)!;
  const before = app.sandbox.state.calls('verify_code');
  loseNextVerifyAnswer = true;
  const lost = await app.call('submitVerificationCode', { params: { id }, body: { code } });
  expect(lost.status).toBe(503);
  expect(app.sandbox.state.calls('verify_code') - before).toBe(1);

  const retried = await app.call('submitVerificationCode', { params: { id }, body: { code } });
  expect(retried.status).toBe(200);
  expect(retried.json.stage).toBe('Connected');
  // Meta showed the number verified: the retry read it and made no second verify_code call.
  expect(app.sandbox.state.calls('verify_code') - before).toBe(1);
});

it('verifies on the retry when the failed attempt never reached Meta', async () => {
  const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
  const code = app.sandbox.state.lastCode(phoneNumber)!;
  app.sandbox.state.failNext('verify_code', { code: 2, is_transient: true, message: 'unexpected' }, { times: 3, httpStatus: 500 });
  const before = app.sandbox.state.calls('verify_code');
  const failed = await app.call('submitVerificationCode', { params: { id }, body: { code } });
  expect(failed.status).toBe(503);

  const retried = await app.call('submitVerificationCode', { params: { id }, body: { code } });
  expect(retried.status).toBe(200);
  expect(retried.json.stage).toBe('Connected');
  expect(app.sandbox.state.calls('verify_code') - before).toBeGreaterThan(1);
});
