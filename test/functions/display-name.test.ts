/**
 * `PUT /api/registrations/{id}/display-name` (docs/design.md §5) and what follows Meta's decision:
 * the webhook `phone_number_name_update` or reconcile reading `new_name_status`.
 */
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { signedWebhook, webhookEnvelope } from '../support/events';
import type { CallOptions } from '../support/http';
import { registerUpTo, testClock } from '../support/onboarding';
import { as, OPS, WRITE } from '../support/principal';

const clock = testClock();
let app: AppHarness;
beforeAll(async () => (app = await startAppHarness({ services: { clock }, env: { AUTH_TRUST_PRINCIPAL_HEADER: 'true' } })));
afterAll(() => app.close());

const OWNER = as('client-app-owner', WRITE);
const OTHER = as('client-app-other', WRITE);
const OPS_CALLER = as('ops-tool', OPS);

const call = (name: string, options: CallOptions = {}) => app.call(name, { headers: OPS_CALLER, ...options });
const connected = () => registerUpTo(app, 'Connected', { headers: OWNER });
const changeName = (id: string, displayName: string, headers = OWNER) => call('changeDisplayName', { params: { id }, headers, body: { displayName } });
const read = async (id: string) => (await call('getRegistration', { params: { id } })).json;
const history = async (id: string) => (await call('getRegistrationHistory', { params: { id } })).json.items as Array<Record<string, unknown>>;
const registers = () => app.sandbox.state.calls('register');
/** `POST /{phone-number-id}` calls Meta received: the rename requests (the service sets no PIN this way). */
const renameCalls = () => app.sandbox.state.calls('update_phone_number');

/** What reconcile recorded: who, what it moved to, and why. */
const reconcileEntries = (entries: Array<Record<string, unknown>>) =>
  entries.filter((entry) => entry.cause === 'reconcile').map((entry) => [entry.actor, (entry.to as { status: string }).status, entry.detail]);

/**
 * Meta's approval makes the new name the verified one (`name_status` APPROVED), so reconcile moves the
 * status to Active, then records the approval and the number registered again, all as `actor`.
 */
const approvalEntries = (actor: string) => [
  [actor, 'Active', expect.any(String)],
  [actor, 'Active', expect.stringContaining('approved')],
  [actor, 'Active', expect.stringContaining('registered again')],
];

/** A signed `phone_number_name_update` about the number, timed now (Meta's whole seconds). */
function nameUpdate(wabaId: string, phoneNumber: string, value: Record<string, unknown>) {
  return signedWebhook(
    webhookEnvelope(
      wabaId,
      [{ field: 'phone_number_name_update', value: { display_phone_number: phoneNumber.slice(1), ...value } }],
      Math.floor(clock.now().getTime() / 1000),
    ),
  );
}

/** A connected number whose new name `name` Meta is reviewing. */
async function pendingChange(name: string) {
  const registration = await connected();
  const response = await changeName(registration.id, name);
  expect(response.status).toBe(202);
  // The decision comes later than the request, as it does at Meta.
  clock.advance(5);
  return { ...registration, wabaId: response.json.whatsAppBusinessAccountId as string };
}

describe('PUT …/display-name', () => {
  it('asks Meta once and answers 202 with the change Pending; the history says who asked', async () => {
    const { id, phoneNumber } = await connected();
    const before = renameCalls();
    const response = await changeName(id, 'Contoso Cycles');
    expect(response.status).toBe(202);
    expect(response.headers.etag).toBeDefined();
    expect(response.json).toMatchObject({
      stage: 'Connected',
      displayName: 'Contoso Bikes',
      displayNameChange: { requested: 'Contoso Cycles', requestedAt: clock.now().toISOString(), state: 'Pending', decidedAt: null, registeredAgain: null },
    });
    expect(renameCalls() - before).toBe(1);
    expect(app.sandbox.state.phoneNumber(response.json.phoneNumberId)).toMatchObject({
      e164: phoneNumber,
      requestedDisplayName: 'Contoso Cycles',
      newNameStatus: 'PENDING_REVIEW',
    });
    expect((await history(id)).at(-1)).toMatchObject({ cause: 'api', actor: 'client-app-owner', detail: expect.stringContaining('Contoso Cycles') });
  });

  it('answers 409 operation-in-progress to another PUT while Meta reviews, without calling Meta', async () => {
    const { id } = await pendingChange('Contoso Cycles');
    const before = { calls: renameCalls(), etag: (await call('getRegistration', { params: { id } })).headers.etag };
    for (const name of ['Contoso Cycles', 'Contoso Wheels']) {
      const again = await changeName(id, name);
      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toBe('application/problem+json');
      expect(again.json.code).toBe('operation-in-progress');
    }
    expect(renameCalls()).toBe(before.calls);
    expect((await call('getRegistration', { params: { id } })).headers.etag).toBe(before.etag);
  });

  it('reaches Meta once when the same request arrives 8 times at once', async () => {
    const { id } = await connected();
    const before = renameCalls();
    const responses = await Promise.all(Array.from({ length: 8 }, () => changeName(id, 'Contoso Racing')));
    expect(responses.map((response) => response.status).sort()).toEqual([202, ...Array<number>(7).fill(409)]);
    expect(responses.filter((response) => response.status === 409).every((response) => response.json.code === 'operation-in-progress')).toBe(true);
    expect(renameCalls() - before).toBe(1);
  });

  it('answers 409 invalid-transition before Connected and when Disconnected, without calling Meta', async () => {
    const profile = await registerUpTo(app, 'ProfileSelected', { headers: OWNER });
    const { id } = await connected();
    expect((await call('disconnectRegistration', { params: { id } })).json.status).toBe('Disconnected');
    const before = renameCalls();
    for (const target of [profile.id, id]) {
      const refused = await changeName(target, 'Contoso Cycles');
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('invalid-transition');
      expect((await read(target)).displayNameChange).toBeNull();
    }
    expect(renameCalls()).toBe(before);
  });

  it('answers 422 meta-display-name-rejected when Meta refuses the name, and changes nothing', async () => {
    const { id } = await connected();
    const historyBefore = await history(id);
    app.sandbox.state.failNext('update_phone_number', { code: 100, message: 'Invalid parameter: new_display_name' });
    const refused = await changeName(id, 'Best Bikes Ever');
    expect(refused.status).toBe(422);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ code: 'meta-display-name-rejected', status: 422, suggestedAction: expect.any(String) });
    expect(await read(id)).toMatchObject({ displayName: 'Contoso Bikes', displayNameChange: null });
    expect(await history(id)).toEqual(historyBefore);
    // The claim went with the refusal: another name can be submitted at once.
    expect((await changeName(id, 'Contoso Cycles')).status).toBe(202);
  });

  it('refuses a bad body with 400 problem+json, naming the field, and changes nothing', async () => {
    const { id } = await connected();
    const etag = (await call('getRegistration', { params: { id } })).headers.etag;
    const before = renameCalls();
    const bodies: unknown[] = [
      { displayName: 'C' },
      { displayName: 'C'.repeat(76) },
      { displayName: 'https://contoso.example' },
      { displayName: 'Contoso\u0007Bikes' },
      { displayName: 'Contoso Cycles', category: 'RETAIL' },
      {},
      'not json',
    ];
    for (const body of bodies) {
      const refused = await call('changeDisplayName', {
        params: { id },
        headers: { ...OWNER, 'content-type': 'application/json' },
        body,
      });
      expect({ body, status: refused.status, type: refused.headers['content-type'], code: refused.json.code }).toEqual({
        body,
        status: 400,
        type: 'application/problem+json',
        code: 'validation-failed',
      });
    }
    const tooLong = await changeName(id, 'C'.repeat(76));
    expect(tooLong.json.errors).toEqual([{ path: 'displayName', message: expect.stringContaining('75') }]);
    expect(renameCalls()).toBe(before);
    expect((await call('getRegistration', { params: { id } })).headers.etag).toBe(etag);
  });

  it('answers 404 to a Write caller for another owner’s registration, and changes nothing', async () => {
    const { id } = await connected();
    const etag = (await call('getRegistration', { params: { id } })).headers.etag;
    const before = renameCalls();
    const refused = await changeName(id, 'Contoso Cycles', OTHER);
    expect(refused.status).toBe(404);
    expect(refused.json.code).toBe('not-found');
    expect(renameCalls()).toBe(before);
    expect((await call('getRegistration', { params: { id } })).headers.etag).toBe(etag);
  });
});

describe('Meta’s decision', () => {
  it('an approval by webhook sets the name and registers the number again once; a redelivery registers nothing', async () => {
    const { id, phoneNumber, wabaId } = await pendingChange('Contoso Cycles');
    const registersBefore = registers();
    const approval = nameUpdate(wabaId, phoneNumber, { decision: 'APPROVED', requested_verified_name: 'Contoso Cycles' });
    expect((await app.call('metaWebhook', approval)).status).toBe(200);
    const approved = await read(id);
    expect(approved).toMatchObject({
      displayName: 'Contoso Cycles',
      status: 'Active',
      displayNameChange: { state: 'Approved', decidedAt: expect.any(String), registeredAgain: { registeredAt: expect.any(String), lastError: null } },
    });
    expect(registers() - registersBefore).toBe(1);
    const entries = await history(id);
    expect(entries.filter((entry) => entry.cause === 'account-event').map((entry) => [entry.actor, entry.detail])).toEqual([
      ['system', expect.stringContaining('phone_number_name_update APPROVED')],
      ['system', expect.stringContaining('approved')],
      ['system', expect.stringContaining('registered again')],
    ]);

    // Meta redelivers the same webhook, and sends another approval a second later: nothing twice.
    expect((await app.call('metaWebhook', approval)).status).toBe(200);
    clock.advance(1);
    expect((await app.call('metaWebhook', nameUpdate(wabaId, phoneNumber, { decision: 'APPROVED', requested_verified_name: 'Contoso Cycles' }))).status).toBe(
      200,
    );
    expect(registers() - registersBefore).toBe(1);
    expect(await history(id)).toHaveLength(entries.length);
  });

  it('an approval in the same second as what is known still applies, after confirming with Meta', async () => {
    // The webhook's whole second must hold the connection's reading, which it cannot be ordered against.
    if (clock.now().getTime() % 1000 === 0) clock.advance(0.5);
    const { id, phoneNumber } = await connected();
    const requested = await changeName(id, 'Contoso Seconds');
    const registersBefore = registers();
    const approval = nameUpdate(requested.json.whatsAppBusinessAccountId, phoneNumber, { decision: 'APPROVED', requested_verified_name: 'Contoso Seconds' });
    const response = await app.call('metaWebhook', approval);
    expect(response.status).toBe(200);
    expect(await read(id)).toMatchObject({
      displayName: 'Contoso Seconds',
      displayNameChange: { state: 'Approved', registeredAgain: { registeredAt: expect.any(String) } },
    });
    expect(registers() - registersBefore).toBe(1);
    expect((await app.call('metaWebhook', approval)).status).toBe(200);
    expect(registers() - registersBefore).toBe(1);
  });

  it('an approval by reconcile (new_name_status APPROVED) does the same, once', async () => {
    const { id, phoneNumber } = await pendingChange('Contoso Wheels');
    const registersBefore = registers();
    app.sandbox.state.decideNewName(phoneNumber, 'APPROVED');
    const reconciled = await call('reconcileRegistration', { params: { id } });
    expect(reconciled.json).toMatchObject({
      displayName: 'Contoso Wheels',
      displayNameChange: { state: 'Approved', registeredAgain: { registeredAt: expect.any(String) } },
    });
    expect(registers() - registersBefore).toBe(1);
    expect(reconcileEntries(await history(id))).toEqual(approvalEntries('ops-tool'));
    clock.advance(1);
    await call('reconcileRegistration', { params: { id } });
    await app.runTimer('reconcile');
    expect(registers() - registersBefore).toBe(1);
  });

  it('the reconcile timer finds an approval too, and records it as the system', async () => {
    const { id, phoneNumber } = await pendingChange('Contoso Timers');
    const registersBefore = registers();
    app.sandbox.state.decideNewName(phoneNumber, 'APPROVED');
    await app.runTimer('reconcile');
    expect(await read(id)).toMatchObject({ displayName: 'Contoso Timers', displayNameChange: { state: 'Approved' } });
    expect(registers() - registersBefore).toBe(1);
    expect(reconcileEntries(await history(id))).toEqual(approvalEntries('system'));
  });

  it('a rejection sets Rejected with Meta’s reason, keeps the old name, and lets another name be submitted', async () => {
    const { id, phoneNumber, wabaId } = await pendingChange('Bikes');
    const registersBefore = registers();
    const rejection = nameUpdate(wabaId, phoneNumber, { decision: 'REJECTED', requested_verified_name: 'Bikes', rejection_reason: 'Too generic' });
    expect((await app.call('metaWebhook', rejection)).status).toBe(200);
    expect(await read(id)).toMatchObject({
      displayName: 'Contoso Bikes',
      status: 'DisplayNameReviewRejected',
      displayNameChange: { requested: 'Bikes', state: 'Rejected', rejectionReason: 'Too generic', registeredAgain: null },
    });
    expect(registers()).toBe(registersBefore);
    expect((await changeName(id, 'Contoso Bikes Seattle')).json.displayNameChange).toMatchObject({ requested: 'Contoso Bikes Seattle', state: 'Pending' });
  });

  it('ignores a decision about another name, and one older than the request', async () => {
    const { id, phoneNumber, wabaId } = await pendingChange('Contoso Cycles');
    expect((await app.call('metaWebhook', nameUpdate(wabaId, phoneNumber, { decision: 'REJECTED', requested_verified_name: 'Another Name' }))).status).toBe(
      200,
    );
    const stale = signedWebhook(
      webhookEnvelope(
        wabaId,
        [
          {
            field: 'phone_number_name_update',
            value: { display_phone_number: phoneNumber.slice(1), decision: 'REJECTED', requested_verified_name: 'Contoso Cycles' },
          },
        ],
        Math.floor(clock.now().getTime() / 1000) - 3600,
      ),
    );
    expect((await app.call('metaWebhook', stale)).status).toBe(200);
    expect((await read(id)).displayNameChange).toMatchObject({ state: 'Pending' });
  });

  it('a register that fails transiently is deferred, not repeated, and reconcile retries it once when its wait is over', async () => {
    const { id, phoneNumber, wabaId } = await pendingChange('Contoso Retry');
    const registersBefore = registers();
    app.sandbox.state.failNext('register', { code: 2, message: 'Service temporarily unavailable', is_transient: true }, { httpStatus: 503 });
    const approval = nameUpdate(wabaId, phoneNumber, { decision: 'APPROVED', requested_verified_name: 'Contoso Retry' });
    expect((await app.call('metaWebhook', approval)).status).toBe(200);
    const deferred = (await read(id)).displayNameChange;
    expect(deferred).toMatchObject({
      state: 'Approved',
      registeredAgain: { registeredAt: null, lastError: expect.stringContaining('transient'), retryNotBefore: expect.any(String) },
    });
    expect(registers() - registersBefore).toBe(1);
    // While it waits, a PUT is still refused: the change is not complete.
    expect((await changeName(id, 'Contoso Other')).json.code).toBe('operation-in-progress');

    expect((await app.call('metaWebhook', approval)).status).toBe(200);
    await call('reconcileRegistration', { params: { id } });
    expect(registers() - registersBefore).toBe(1);

    clock.advance((Date.parse(deferred.registeredAgain.retryNotBefore) - clock.now().getTime()) / 1000 + 1);
    await call('reconcileRegistration', { params: { id } });
    await call('reconcileRegistration', { params: { id } });
    expect(registers() - registersBefore).toBe(2);
    expect((await read(id)).displayNameChange.registeredAgain).toMatchObject({ registeredAt: expect.any(String), lastError: null });
  });

  it('after 133016 the number is left alone for 72 hours', async () => {
    const { id, phoneNumber } = await pendingChange('Contoso Limit');
    app.sandbox.state.failNext('register', { code: 133016, message: 'Account register deregister rate limit exceeded' });
    app.sandbox.state.decideNewName(phoneNumber, 'APPROVED');
    const registersBefore = registers();
    const reconciled = await call('reconcileRegistration', { params: { id } });
    const wait = Date.parse(reconciled.json.displayNameChange.registeredAgain.retryNotBefore) - clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(72 * 3600 * 1000);
    clock.advance(71 * 3600);
    await call('reconcileRegistration', { params: { id } });
    expect(registers() - registersBefore).toBe(1);
  });
});
