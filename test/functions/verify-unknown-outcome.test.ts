/**
 * A verify_code call whose answer never came (a timeout, or a host that died between Meta's answer
 * and the write that records it) may have verified the number. Its retry reads the number first and
 * verifies again only when Meta does not show it verified (found by the soak, docs/soak.md).
 */
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { metaLosingAnswersOf } from '../support/meta';
import { registerUpTo, testClock } from '../support/onboarding';

const clock = testClock();
let app: AppHarness;
const lossy = metaLosingAnswersOf('verifyCode');

beforeAll(async () => {
  app = await startAppHarness({ services: { clock, meta: lossy.meta } });
  lossy.connect(app.metaUrl);
});
afterAll(() => app.close());

it('does not verify a second time when the first verify_code went through but its answer was lost', async () => {
  const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
  const code = app.sandbox.state.lastCode(phoneNumber)!;
  const before = app.sandbox.state.calls('verify_code');
  lossy.loseNextAnswer();
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
  const afterFailure = app.sandbox.state.calls('verify_code');
  expect(afterFailure - before).toBeGreaterThan(0);

  const retried = await app.call('submitVerificationCode', { params: { id }, body: { code } });
  expect(retried.status).toBe(200);
  expect(retried.json.stage).toBe('Connected');
  // Meta did not show the number verified: the retry made the one verify_code call that verified it.
  expect(app.sandbox.state.calls('verify_code') - afterFailure).toBe(1);
});
