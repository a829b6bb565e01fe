/**
 * docs/design.md §5.1 ownership and actors, and §2.3 `actor`, through the HTTP layer: with the
 * principal header trusted, and without (every caller is ops, `anonymous`).
 */
import { randomUUID } from 'node:crypto';
import { startAppHarness, type AppHarness } from '../support/app-harness';
import { smsReceived, whatsAppSms } from '../support/events';
import { registerUpTo, uniquePhoneNumber } from '../support/onboarding';
import { as, OPS, WRITE } from '../support/principal';

let app: AppHarness;
let untrusted: AppHarness;
beforeAll(async () => {
  [app, untrusted] = await Promise.all([startAppHarness({ env: { AUTH_TRUST_PRINCIPAL_HEADER: 'true' } }), startAppHarness()]);
});
afterAll(() => Promise.all([app.close(), untrusted.close()]));

/** Fresh caller ids per test, so lists and feeds hold only what the test made. */
const writer = () => {
  const id = `client-app-${randomUUID()}`;
  return { id, headers: as(id, WRITE) };
};
const ops = as('ops-tool', OPS);

const create = async (headers: Record<string, string>, extra: { phoneNumber?: string; key?: string } = {}) =>
  app.call('createRegistration', {
    headers: { ...headers, ...(extra.key ? { 'idempotency-key': extra.key } : {}) },
    body: { phoneNumber: extra.phoneNumber ?? uniquePhoneNumber(), phoneNumberSource: 'acs' },
  });

const ids = (response: { json: { items: Array<{ id: string }> } }) => response.json.items.map((item) => item.id).sort();

const businessBody = {
  create: { companyName: 'Contoso', website: 'https://contoso.example', businessEmail: 'ops@contoso.example', businessPhone: '+14255550100' },
};

describe('owner and actor', () => {
  it('records the creating caller as owner for good, and each change’s caller as its actor', async () => {
    const w = writer();
    const created = await create(w.headers);
    expect(created.json.owner).toBe(w.id);
    const id: string = created.json.id;
    expect((await app.call('selectBusinessAccount', { params: { id }, headers: ops, body: businessBody })).json.owner).toBe(w.id);
    expect((await app.call('cancelRegistration', { params: { id }, headers: w.headers })).status).toBe(204);
    const history = await app.call('getRegistrationHistory', { params: { id }, headers: w.headers });
    expect(history.json.items.map((item: { actor: string; cause: string }) => [item.cause, item.actor])).toEqual([
      ['api', w.id],
      ['api', 'ops-tool'],
      ['api', w.id],
    ]);
    expect((await app.call('getRegistration', { params: { id }, headers: ops })).json.owner).toBe(w.id);
  });

  it('records `system` for changes made by events, and the caller for an API call whatever its cause', async () => {
    const w = writer();
    const { id, phoneNumber } = await registerUpTo(app, 'CodeRequested', { source: 'acs', headers: w.headers });
    const code = app.sandbox.state.lastCode(phoneNumber)!;
    expect((await app.deliver('smsEvents', smsReceived(phoneNumber, whatsAppSms(code)))).status).toBe(202);
    app.sandbox.state.setNameStatus(phoneNumber, 'DECLINED');
    const reconciled = await app.call('reconcileRegistration', { params: { id }, headers: w.headers });
    expect(reconciled.json.status).toBe('DisplayNameReviewRejected');
    const history = (await app.call('getRegistrationHistory', { params: { id }, headers: w.headers })).json.items as Array<{ cause: string; actor: string }>;
    const actors = new Set(history.map((item) => `${item.cause}:${item.actor}`));
    expect(actors).toEqual(new Set([`api:${w.id}`, 'sms:system', `reconcile:${w.id}`]));
  });
});

describe('actor of the timer', () => {
  it('is system', async () => {
    const w = writer();
    const { id, phoneNumber } = await registerUpTo(app, 'Connected', { source: 'byo', headers: w.headers });
    app.sandbox.state.setNameStatus(phoneNumber, 'DECLINED');
    await app.runTimer('reconcile');
    const history = (await app.call('getRegistrationHistory', { params: { id }, headers: ops })).json.items;
    expect(history.at(-1)).toMatchObject({ cause: 'reconcile', actor: 'system', to: { status: 'DisplayNameReviewRejected' } });
  });
});

describe('a Registrations.Write caller sees only its own', () => {
  it('lists only its own, whatever the filters; ops lists anyone’s and filters by owner', async () => {
    const [w1, w2] = [writer(), writer()];
    const mine = [(await create(w1.headers)).json, (await create(w1.headers)).json];
    const theirs = (await create(w2.headers)).json;
    await app.call('selectBusinessAccount', { params: { id: mine[1].id }, headers: w1.headers, body: businessBody });
    await app.call('selectBusinessAccount', { params: { id: theirs.id }, headers: w2.headers, body: businessBody });
    const list = (headers: Record<string, string>, query: Record<string, string> = {}) =>
      app.call('listRegistrations', { headers, query: { limit: '100', ...query } });

    const everything = await list(w1.headers);
    expect(everything.json.items.every((item: { owner: string }) => item.owner === w1.id)).toBe(true);
    expect(ids(everything)).toEqual(expect.arrayContaining(mine.map((r) => r.id).sort()));
    expect(ids(await list(w1.headers, { stage: 'BusinessAccountSelected' }))).toEqual([mine[1].id]);
    expect(ids(await list(w1.headers, { owner: w1.id, stage: 'SignupStarted' }))).toEqual([mine[0].id]);
    expect(ids(await list(w1.headers, { phoneNumber: theirs.phoneNumber }))).toEqual([]);
    const askedForAnother = await list(w1.headers, { owner: w2.id });
    expect(askedForAnother.status).toBe(200);
    expect(askedForAnother.json).toEqual({ items: [], nextCursor: null });

    expect(ids(await list(ops, { owner: w1.id }))).toEqual(mine.map((r) => r.id).sort());
    expect(ids(await list(ops, { owner: w2.id, stage: 'BusinessAccountSelected' }))).toEqual([theirs.id]);
    expect(ids(await list(ops, { phoneNumber: theirs.phoneNumber }))).toEqual([theirs.id]);
  });

  it('pages through its own list with cursors', async () => {
    const w = writer();
    const made = [];
    for (let n = 0; n < 3; n += 1) made.push((await create(w.headers)).json.id as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: { items: Array<{ id: string }>; nextCursor: string | null } } = await app.call('listRegistrations', {
        headers: w.headers,
        query: { limit: '1', stage: 'SignupStarted', ...(cursor ? { cursor } : {}) },
      });
      seen.push(...page.json.items.map((item) => item.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(made.sort());
  });

  it('reads in GET /api/events only the events of its own registrations', async () => {
    const [w1, w2] = [writer(), writer()];
    const mine = (await create(w1.headers)).json.id as string;
    const theirs = (await create(w2.headers)).json.id as string;
    for (const [id, headers] of [
      [mine, w1.headers],
      [theirs, w2.headers],
    ] as const) {
      expect((await app.call('selectBusinessAccount', { params: { id }, headers, body: businessBody })).status).toBe(200);
    }
    const feed = async (headers: Record<string, string>) => {
      const events: Array<{ data: { registrationId: string } }> = [];
      let after: string | null = null;
      do {
        const page: { json: { items: typeof events; nextCursor: string | null } } = await app.call('listEvents', {
          headers,
          query: { limit: '100', ...(after ? { after } : {}) },
        });
        events.push(...page.json.items);
        after = page.json.nextCursor;
      } while (after);
      return events;
    };
    const own = await feed(w1.headers);
    expect(own.map((event) => event.data.registrationId)).toEqual([mine]);
    expect(JSON.stringify(own)).not.toContain(w1.id);
    const all = (await feed(ops)).map((event) => event.data.registrationId);
    expect(all).toEqual(expect.arrayContaining([mine, theirs]));
  });

  it('scopes an Idempotency-Key to its owner', async () => {
    const [w1, w2] = [writer(), writer()];
    const key = `key-${randomUUID()}`;
    const first = await create(w1.headers, { key });
    expect(first.status).toBe(201);
    const retry = await create(w1.headers, { key, phoneNumber: first.json.phoneNumber });
    expect({ status: retry.status, id: retry.json.id }).toEqual({ status: 200, id: first.json.id });
    const sameKeyOtherOwner = await create(w2.headers, { key });
    expect(sameKeyOtherOwner.status).toBe(201);
    expect(sameKeyOtherOwner.json).toMatchObject({ owner: w2.id });
    expect(sameKeyOtherOwner.json.id).not.toBe(first.json.id);
    // Same key and same body as the first owner's: not its registration, but a new attempt at a taken number.
    const sameRequest = await create(w2.headers, { key: `${key}-2`, phoneNumber: first.json.phoneNumber });
    const sameRequestSameKey = await create(writer().headers, { key, phoneNumber: first.json.phoneNumber });
    for (const response of [sameRequest, sameRequestSameKey]) {
      expect(response.status).toBe(409);
      expect(response.text).not.toContain(first.json.id);
    }
  });

  it('is told 409 phone-number-in-use without naming the other owner or its registration', async () => {
    const [w1, w2] = [writer(), writer()];
    const theirs = (await create(w1.headers)).json;
    const mine = await create(w2.headers, { phoneNumber: theirs.phoneNumber });
    expect(mine.status).toBe(409);
    expect(mine.json.code).toBe('phone-number-in-use');
    expect(mine.text).not.toContain(theirs.id);
    expect(mine.text).not.toContain(w1.id);
  });
});

describe('POST /api/registrations/{id}/sms-probe with `to`', () => {
  it('another recipient is for ops only; the registration’s own number is for its owner too', async () => {
    const w = writer();
    const { id, phoneNumber } = await registerUpTo(app, 'SignupStarted', { source: 'acs', headers: w.headers });
    const elsewhere = uniquePhoneNumber();
    const sentBefore = app.acs.state.sent.length;
    const refused = await app.call('requestSmsProbe', { params: { id }, headers: w.headers, body: { to: elsewhere } });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('forbidden');
    expect(app.acs.state.sent.length).toBe(sentBefore);
    expect((await app.call('requestSmsProbe', { params: { id }, headers: writer().headers, body: { to: elsewhere } })).status).toBe(404);
    expect((await app.call('requestSmsProbe', { params: { id }, headers: w.headers, body: { to: phoneNumber.replace('+1', '1 ') } })).status).toBe(202);
    // A second registration, since one probe per registration starts a cooldown.
    const other = await registerUpTo(app, 'SignupStarted', { source: 'acs', headers: w.headers });
    expect((await app.call('requestSmsProbe', { params: { id: other.id }, headers: ops, body: { to: elsewhere } })).status).toBe(202);
    expect(app.acs.state.sent.slice(sentBefore).map((sms) => sms.to)).toEqual([phoneNumber, elsewhere]);
  });
});

describe('principal header not trusted', () => {
  it('ignores the header: every caller acts as Registrations.Ops with caller id anonymous', async () => {
    const headers = as('client-app-1', WRITE);
    const created = await untrusted.call('createRegistration', { headers, body: { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'acs' } });
    expect(created.json.owner).toBe('anonymous');
    const history = await untrusted.call('getRegistrationHistory', { params: { id: created.json.id }, headers: as('someone-else', WRITE) });
    expect(history.json.items.map((item: { actor: string }) => item.actor)).toEqual(['anonymous']);
    expect((await untrusted.call('listReconcileRuns', { headers: as('no-role') })).status).toBe(200);
    expect((await untrusted.call('listReconcileRuns', {})).status).toBe(200);
    expect((await untrusted.call('requestSmsProbe', { params: { id: created.json.id }, headers, body: { to: uniquePhoneNumber() } })).status).toBe(202);
  });
});

describe('summary', () => {
  it('counts only its own registrations for a client app, and every one for ops', async () => {
    const [a, b] = [writer(), writer()];
    for (const headers of [a.headers, a.headers, b.headers]) expect((await create(headers)).status).toBe(201);
    const ofA = await app.call('getRegistrationSummary', { headers: a.headers });
    const ofB = await app.call('getRegistrationSummary', { headers: b.headers });
    expect(ofA.json).toMatchObject({ total: 2, byStage: { SignupStarted: 2 } });
    expect(ofB.json).toMatchObject({ total: 1, byStage: { SignupStarted: 1 } });
    const all = await app.call('getRegistrationSummary', { headers: ops });
    expect(all.json.total).toBeGreaterThanOrEqual(3);
  });
});
