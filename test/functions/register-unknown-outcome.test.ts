/**
 * A register call whose answer never came (a timeout, or a host that died between Meta's answer and
 * the write that records it) may have registered the number. Registering again would spend one of the
 * 10 register calls Meta allows a number in 72 hours for nothing, so the retry reads the number first
 * (found by the soak, docs/soak.md).
 */
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { metaLosingAnswersOf } from '../support/meta';
import { registerUpTo, testClock } from '../support/onboarding';

const clock = testClock();
let app: AppHarness;
const lossy = metaLosingAnswersOf('registerPhoneNumber');

beforeAll(async () => {
  app = await startAppHarness({ services: { clock, meta: lossy.meta } });
  lossy.connect(app.metaUrl);
});
afterAll(() => app.close());

it('does not register a second time when the first register went through but its answer was lost', async () => {
  const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
  lossy.loseNextAnswer();
  const verified = await app.call('submitVerificationCode', { params: { id }, body: { code: app.sandbox.state.lastCode(phoneNumber)! } });
  expect(verified.status).toBe(200);
  expect(verified.json.stage).toBe('CodeVerified');
  expect(app.sandbox.state.calls('register')).toBe(1);

  clock.advance(24 * 60 * 60);
  const reconciled = await app.call('reconcileRegistration', { params: { id } });
  expect(reconciled.json.stage).toBe('Connected');
  // Meta already had the number registered: the retry read it and made no second register call.
  expect(app.sandbox.state.calls('register')).toBe(1);
});

it('registers on the retry when the lost attempt never reached Meta', async () => {
  const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested');
  app.sandbox.state.failNext('register', { code: 2, is_transient: true, message: 'unexpected' }, { times: 1, httpStatus: 500 });
  const before = app.sandbox.state.calls('register');
  const verified = await app.call('submitVerificationCode', { params: { id }, body: { code: app.sandbox.state.lastCode(phoneNumber)! } });
  expect(verified.json.stage).toBe('CodeVerified');

  clock.advance(24 * 60 * 60);
  const reconciled = await app.call('reconcileRegistration', { params: { id } });
  expect(reconciled.json.stage).toBe('Connected');
  expect(app.sandbox.state.calls('register') - before).toBe(2);
});
