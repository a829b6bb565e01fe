import { startAppHarness, type AppHarness } from '../support/app-harness';
import { registerUpTo, testClock } from '../support/onboarding';

/** Each test gets its own tables and sandbox: a run visits every WABA in storage. */
let app: AppHarness;
const clock = testClock();
const startWith = async (reconcileOptions = { budgetMs: 60_000, concurrency: 4 }) => {
  app = await startAppHarness({ services: { clock, reconcileOptions } });
};
afterEach(() => app?.close());

const statusOf = async (id: string) => (await app.call('getRegistration', { params: { id } })).json.status as string;
const latestRun = async () => (await app.call('listReconcileRuns', { query: { limit: '1' } })).json.items[0];

describe('reconcile timer', () => {
  it('finds rejected display names, deleted numbers and unshared WABAs in one run, with one Graph call per WABA', async () => {
    await startWith();
    const first = app.sandbox.state.addWaba({ name: 'First' });
    const second = app.sandbox.state.addWaba({ name: 'Second' });
    const rejected = await registerUpTo(app, 'Connected', { wabaId: first.id });
    const deleted = await registerUpTo(app, 'Connected', { wabaId: first.id });
    const untouched = await registerUpTo(app, 'Connected', { wabaId: first.id });
    const revoked = await registerUpTo(app, 'Connected', { wabaId: second.id });
    app.sandbox.state.setNameStatus(rejected.phoneNumber, 'DECLINED');
    app.sandbox.state.deletePhoneNumber(deleted.phoneNumber, 'remove');
    app.sandbox.state.unshareWaba(second.id);
    app.sandbox.state.resetCalls();

    await app.runTimer('reconcile');
    expect(await statusOf(rejected.id)).toBe('DisplayNameReviewRejected');
    expect(await statusOf(deleted.id)).toBe('PhoneNumberDeleted');
    expect(await statusOf(untouched.id)).toBe('DisplayNameReviewPending');
    expect(await statusOf(revoked.id)).toBe('Revoked');
    expect(app.sandbox.state.calls('get_waba')).toBe(2);
    expect(await latestRun()).toMatchObject({ checked: 4, changed: 3, failed: 0, rateLimited: 0, outcome: 'completed' });
    const history = (await app.call('getRegistrationHistory', { params: { id: deleted.id } })).json.items;
    expect(history.at(-1)).toMatchObject({ cause: 'reconcile', to: { stage: 'Connected', status: 'PhoneNumberDeleted' } });

    // Nothing changed on Meta's side: the next run writes no history.
    clock.advance(60);
    const before = (await app.call('getRegistrationHistory', { params: { id: untouched.id } })).json.items.length;
    await app.runTimer('reconcile');
    expect((await app.call('getRegistrationHistory', { params: { id: untouched.id } })).json.items).toHaveLength(before);
    expect(await latestRun()).toMatchObject({ checked: 4, changed: 0 });
  });

  it('calls a WABA revoked only after 100/33 twice in a row when debug_token still lists it', async () => {
    await startWith();
    const waba = app.sandbox.state.addWaba({ name: 'Flaky' });
    const { id } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
    const missing = { code: 100, error_subcode: 33, message: 'Object does not exist' };
    app.sandbox.state.failNext('get_waba', missing, 1);
    await app.runTimer('reconcile');
    expect(await statusOf(id)).toBe('DisplayNameReviewPending');
    app.sandbox.state.failNext('get_waba', missing, 1);
    clock.advance(60);
    await app.runTimer('reconcile');
    expect(await statusOf(id)).toBe('Revoked');
  });

  it('a token error changes no status, stops the run and degrades health', async () => {
    await startWith();
    const { id } = await registerUpTo(app, 'Connected');
    app.sandbox.state.failNext('get_waba', { code: 190, error_subcode: 463, message: 'Session has expired' }, 1);
    await app.runTimer('reconcile');
    expect(await statusOf(id)).toBe('DisplayNameReviewPending');
    expect(await latestRun()).toMatchObject({ outcome: 'credential-broken', changed: 0 });
    const health = await app.call('health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'degraded', checks: { storage: { status: 'ok' }, metaCredential: { status: 'degraded' } } });
    // A later run that reaches Meta clears it.
    clock.advance(60);
    await app.runTimer('reconcile');
    expect((await app.call('health')).json.status).toBe('ok');
  });

  it('skips a rate-limited WABA for the time Meta gives, then finishes it in a later run', async () => {
    await startWith();
    const busy = app.sandbox.state.addWaba({ name: 'Busy' });
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: busy.id });
    app.sandbox.state.setNameStatus(phoneNumber, 'APPROVED');
    app.sandbox.state.failNext('get_waba', { code: 80008, message: 'Too many calls', is_transient: true }, { times: 1, estimatedTimeToRegainAccess: 7 });
    await app.runTimer('reconcile');
    expect(await latestRun()).toMatchObject({ rateLimited: 1, failed: 0, checked: 0 });
    expect(await statusOf(id)).toBe('DisplayNameReviewPending');
    const calls = app.sandbox.state.calls('get_waba');
    clock.advance(60);
    await app.runTimer('reconcile');
    expect(app.sandbox.state.calls('get_waba')).toBe(calls);
    expect(await latestRun()).toMatchObject({ rateLimited: 1 });
    clock.advance(8 * 60);
    await app.runTimer('reconcile');
    expect(await statusOf(id)).toBe('Active');
    expect(await latestRun()).toMatchObject({ rateLimited: 0, checked: 1, changed: 1 });
  });

  it('stops at its time budget and the next run resumes from the checkpoint', async () => {
    await startWith({ budgetMs: 0, concurrency: 1 });
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const waba = app.sandbox.state.addWaba({ name: `W${index}` });
      const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: waba.id });
      app.sandbox.state.setNameStatus(phoneNumber, 'APPROVED');
      ids.push(id);
    }
    const runs = [];
    for (let run = 0; run < 3; run += 1) {
      clock.advance(60);
      await app.runTimer('reconcile');
      runs.push(await latestRun());
    }
    expect(runs.map((run) => run.checked)).toEqual([1, 1, 1]);
    expect(runs[0].resumedFrom).toBeUndefined();
    expect(runs[1].resumedFrom).toEqual(expect.any(String));
    expect(runs[2].resumedFrom).not.toBe(runs[1].resumedFrom);
    for (const id of ids) expect(await statusOf(id)).toBe('Active');
    // The cycle is over: the next run starts from the beginning again.
    clock.advance(60);
    await app.runTimer('reconcile');
    expect((await latestRun()).resumedFrom).toBeUndefined();
  });

  it('follows paging past 100 numbers on one WABA', async () => {
    await startWith();
    const big = app.sandbox.state.addWaba({ name: 'Big' });
    app.sandbox.state.addPhoneNumbers(big.id, 150);
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { wabaId: big.id });
    app.sandbox.state.setNameStatus(phoneNumber, 'APPROVED');
    app.sandbox.state.resetCalls();
    await app.runTimer('reconcile');
    expect(await statusOf(id)).toBe('Active');
    expect(app.sandbox.state.calls('get_waba')).toBe(1);
    expect(app.sandbox.state.calls('list_phone_numbers')).toBe(1);
  });
});
