/**
 * Meta as Meta documents it (docs/meta-graph.md, docs/adr/0031 to 0034), black-box: the built local
 * host as a child process, its Meta sandbox driven through its control routes, the service through
 * its API, its webhook and the reconcile timer's admin URL. Nothing is read but what HTTP answers.
 *
 * The host has an Azurite of its own: every host shares its tables, and another file's reconcile
 * run against its own sandbox would find these numbers missing (and this one theirs).
 */
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { SEED_BUSINESS } from '../../src/local/meta-sandbox';
import { signedWebhook, webhookEnvelope } from '../support/events';
import type { E2eApi, E2eResponse } from '../support/e2e-api';
import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';
import { until as untilReached } from '../support/eventually';
import { uniquePhoneNumber } from '../support/onboarding';
import { ACCOUNT_STATUSES as STATUSES } from '../../src/domain/stages';

const APP_SECRET = 'e2e-meta-document-secret';
const SANDBOX = '/meta-sandbox/_sandbox';

let azurite: RunningAzurite;
let host: LocalHostProcess;
beforeAll(async () => {
  azurite = await startAzurite();
  host = await startLocalHostProcess({ REGISTRATION_STORAGE: azurite.connectionString, META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: 'e2e-verify' });
}, 120_000);
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

// What one test injects into Meta never reaches the next, even when it fails before consuming it.
afterEach(async () => {
  await sandbox('DELETE', '/fail-next');
  await sandbox('POST', '/missing-objects', { style: 'graph-100-33' });
});

const api: E2eApi = (...args) => host.api(...args);
const until = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => untilReached(read, done, what, () => host.output());

/** A sandbox control call that must succeed. */
async function sandbox(method: string, path: string, body?: unknown): Promise<E2eResponse['json']> {
  const response = await api(method, `${SANDBOX}${path}`, body ?? (method === 'POST' ? {} : undefined));
  if (response.status >= 300) throw new Error(`${method} ${SANDBOX}${path} answered ${response.status}: ${response.text}`);
  return response.json;
}

const read = async (id: string) => (await api('GET', `/api/registrations/${id}`)).json;
const history = async (id: string) => (await api('GET', `/api/registrations/${id}/history`)).json.items as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
const graphCalls = async (): Promise<Record<string, number>> => sandbox('GET', '/calls');
const phoneInSandbox = async (phoneNumberId: string) => sandbox('GET', `/phone-numbers/${phoneNumberId}`);

/** A WABA of its own in the sandbox, on the seeded business, whose added numbers get `nameStatus`. */
async function newWaba(nameStatus = 'APPROVED'): Promise<string> {
  const waba = await sandbox('POST', '/wabas', { businessId: SEED_BUSINESS.id, newNumberNameStatus: nameStatus });
  return waba.id as string;
}

/** A bring-your-own number taken through the API to Connected on its own WABA, as the README walks it. */
async function connectedNumber(nameStatus = 'APPROVED') {
  const wabaId = await newWaba(nameStatus);
  const phoneNumber = uniquePhoneNumber();
  const created = await api('POST', '/api/registrations', { phoneNumber, phoneNumberSource: 'byo' });
  expect(created.status).toBe(201);
  const id = created.json.id as string;
  expect((await api('PUT', `/api/registrations/${id}/business-account`, { businessId: SEED_BUSINESS.id })).status).toBe(200);
  expect((await api('PUT', `/api/registrations/${id}/whatsapp-profile`, { whatsAppBusinessAccountId: wabaId, displayName: 'Contoso Bikes' })).status).toBe(200);
  expect((await api('POST', `/api/registrations/${id}/verification`, { method: 'SMS' })).status).toBe(202);
  const { code } = await sandbox('GET', `/codes/${phoneNumber.slice(1)}`);
  const verified = await api('POST', `/api/registrations/${id}/verification/code`, { code });
  expect(verified.status).toBe(200);
  expect(verified.json.stage).toBe('Connected');
  return { id, wabaId, phoneNumber, phoneNumberId: verified.json.phoneNumberId as string, registration: verified.json };
}

describe('messaging: Meta’s own answer to "can this number send"', () => {
  it('a number Meta reports FLAGGED cannot send after the reconcile timer, with Meta’s solution; CONNECTED again, it can', async () => {
    const { id, phoneNumberId } = await connectedNumber();
    expect((await read(id)).messaging).toMatchObject({ canSend: true, limited: false, reason: null, blockedBy: [] });

    await sandbox('POST', `/phone-numbers/${phoneNumberId}/status`, { status: 'FLAGGED' });
    await host.reconcileNow();
    const flagged = await read(id);
    expect(STATUSES).toContain(flagged.status);
    // The status keeps its meaning (nothing happened to the account); its wording says the number cannot send.
    expect(flagged.status).toBe('Active');
    expect(flagged.statusDetails.meaning).toContain('cannot send');
    expect(flagged.messaging).toMatchObject({
      canSend: false,
      reason: expect.stringContaining('FLAGGED'),
      blockedBy: expect.arrayContaining([
        expect.objectContaining({
          entity: `PHONE_NUMBER ${phoneNumberId}`,
          code: 141904,
          possibleSolution: 'Improve the quality of the messages sent from this number.',
        }),
      ]),
    });

    await sandbox('POST', `/phone-numbers/${phoneNumberId}/status`, { status: 'CONNECTED' });
    await host.reconcileNow();
    expect((await read(id)).messaging).toMatchObject({ canSend: true, limited: false, reason: null, blockedBy: [] });
  });

  it('a WABA whose health Meta reports BLOCKED blocks the number, naming Meta’s error and possible solution; cleared, it can send', async () => {
    const { id, wabaId } = await connectedNumber();
    const blocker = {
      errorCode: 141006,
      errorDescription: 'There is an error with the payment method.',
      possibleSolution: 'Add a valid payment method to the WhatsApp Business Account.',
    };
    await sandbox('POST', `/wabas/${wabaId}/health`, { canSendMessage: 'BLOCKED', errors: [blocker] });
    await host.reconcileNow();
    const blocked = await read(id);
    expect(STATUSES).toContain(blocked.status);
    expect(blocked.status).toBe('Active');
    expect(blocked.messaging).toMatchObject({
      canSend: false,
      reason: expect.stringContaining('BLOCKED'),
      blockedBy: [{ entity: `WABA ${wabaId}`, code: 141006, description: blocker.errorDescription, possibleSolution: blocker.possibleSolution }],
    });

    await sandbox('DELETE', `/wabas/${wabaId}/health`);
    await host.reconcileNow();
    expect((await read(id)).messaging).toMatchObject({ canSend: true, limited: false, reason: null, blockedBy: [] });
  });

  it.each(['RESTRICTED', 'LIMIT_REACHED'])('account_review_status %s limits the number, with a reason naming it', async (review) => {
    const { id, wabaId } = await connectedNumber();
    await sandbox('POST', `/wabas/${wabaId}/account-review-status`, { accountReviewStatus: review });
    await host.reconcileNow();
    const limited = await read(id);
    expect(limited.status).toBe('Active');
    expect(limited.messaging).toMatchObject({ canSend: true, limited: true, reason: expect.stringContaining(review) });
  });
});

/** Meta refusing our request as malformed: code 100 without subcode (an unknown field, a bad parameter). */
const MALFORMED = {
  code: 100,
  message: '(#100) Tried accessing nonexisting field (bogus_field) on node type (WhatsAppBusinessAccount)',
  type: 'OAuthException',
};

describe('code 100 without subcode: Meta refused our request, nothing is missing', () => {
  it('PUT …/business-account answers 502 meta-request-refused as problem+json and changes nothing', async () => {
    const created = await api('POST', '/api/registrations', { phoneNumber: uniquePhoneNumber(), phoneNumberSource: 'byo' });
    const id = created.json.id as string;
    const before = await api('GET', `/api/registrations/${id}`);
    const historyBefore = await history(id);
    await sandbox('POST', '/fail-next', { operation: 'get_business', error: MALFORMED });
    const readsBefore = (await graphCalls()).get_business ?? 0;

    const refused = await api('PUT', `/api/registrations/${id}/business-account`, { businessId: SEED_BUSINESS.id });
    // Asked once: a refused request is not tried again in a loop.
    expect((await graphCalls()).get_business ?? 0).toBe(readsBefore + 1);
    expect(refused.status).toBe(502);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ status: 502, code: 'meta-request-refused' });
    expect(refused.json.code).not.toBe('meta-business-not-found');
    // Meta's message goes to the log, not to the caller.
    expect(refused.text).not.toContain('bogus_field');
    await until(
      async () => host.output(),
      (output) => output.includes('Meta refused the request as malformed'),
      "Meta's refusal logged",
    );

    const after = await api('GET', `/api/registrations/${id}`);
    expect(after.json.stage).toBe('SignupStarted');
    expect(after.json.businessAccount).toEqual(before.json.businessAccount);
    expect(after.headers.get('etag')).toBe(before.headers.get('etag'));
    expect(await history(id)).toEqual(historyBefore);
  });

  it('on the reconcile timer it revokes nothing, and the next run does not read that WABA again', async () => {
    const { id, wabaId } = await connectedNumber();
    const before = await read(id);
    const historyBefore = await history(id);
    const wabaReads = async (): Promise<number> => (await graphCalls()).get_waba ?? 0;

    // A run with nothing injected: how many WABA reads a run of this host makes, this WABA's included.
    let reads = await wabaReads();
    await host.reconcileNow();
    const readsPerRun = (await wabaReads()) - reads;
    expect(readsPerRun).toBeGreaterThanOrEqual(1);

    await sandbox('POST', '/fail-next', { pathPattern: `^/${wabaId}$`, error: MALFORMED });
    reads = await wabaReads();
    const [refusedRun] = await host.reconcileNow();
    expect((await wabaReads()) - reads).toBe(readsPerRun);
    expect(refusedRun).toMatchObject({ outcome: 'completed' });
    const refused = await read(id);
    expect(refused).toMatchObject({
      stage: 'Connected',
      status: before.status,
      needsAttention: { reason: 'meta-request-refused', retryNotBefore: expect.any(String) },
    });
    expect(refused.status).not.toBe('Revoked');
    expect((await history(id)).filter((entry) => entry.to.status !== entry.from.status)).toEqual(
      historyBefore.filter((entry) => entry.to.status !== entry.from.status),
    );

    // The next run leaves this WABA alone: one WABA read fewer than a run that reads it.
    reads = await wabaReads();
    await host.reconcileNow();
    expect((await wabaReads()) - reads).toBe(readsPerRun - 1);
    expect((await read(id)).status).toBe(before.status);
  });
});

describe('an object missing, in either of Meta’s styles', () => {
  const STYLES = [
    ['document-404-803', 'HTTP 404 with code 803'],
    ['graph-100-33', 'HTTP 400 with 100/33'],
  ] as const;

  /** A connected number whose WABA is then unshared, Meta answering missing objects in `style`. */
  async function unsharedWaba(style: string) {
    const connected = await connectedNumber();
    await sandbox('POST', '/missing-objects', { style });
    await sandbox('POST', `/wabas/${connected.wabaId}/unshare`);
    return connected;
  }

  const expectRevokedByReconcile = async (id: string) => {
    expect(await read(id)).toMatchObject({ stage: 'Connected', status: 'Revoked', messaging: { canSend: false } });
    expect((await history(id)).at(-1)).toMatchObject({ from: { status: 'Active' }, to: { status: 'Revoked' }, cause: 'reconcile', actor: 'system' });
  };

  it.each(STYLES)('a WABA missing as %s (%s) and absent from debug_token’s scopes is Revoked by one reconcile run', async (style) => {
    const { id } = await unsharedWaba(style);
    const confirmationsBefore = (await graphCalls()).debug_token ?? 0;
    await host.reconcileNow();
    expect((await graphCalls()).debug_token ?? 0).toBeGreaterThan(confirmationsBefore);
    await expectRevokedByReconcile(id);
  });

  it.each(STYLES)('a WABA missing as %s (%s) that debug_token cannot confirm is Revoked only on the second run in a row', async (style) => {
    const { id } = await unsharedWaba(style);
    // debug_token is refused in both runs (a permission error, not retried), so only the repeated miss can decide.
    await sandbox('POST', '/fail-next', {
      operation: 'debug_token',
      error: { code: 10, message: '(#10) Application does not have permission for this action' },
      times: 2,
    });
    await host.reconcileNow();
    expect((await read(id)).status).toBe('Active');
    await host.reconcileNow();
    // Both runs asked debug_token (and were refused): the second miss decided, not a confirmation.
    expect((await sandbox('GET', '/state')).pendingFailures).toBe(0);
    await expectRevokedByReconcile(id);
  });
});

describe('the app’s subscription to the WABA is kept', () => {
  it.each([
    ['the sandbox’s control route', (wabaId: string) => sandbox('POST', `/wabas/${wabaId}/unsubscribe-app`)],
    [
      'Graph DELETE /{waba}/subscribed_apps',
      (wabaId: string) => api('DELETE', `/meta-sandbox/v25.0/${wabaId}/subscribed_apps`, undefined, { authorization: 'Bearer e2e' }),
    ],
  ])('unsubscribed by %s, the next reconcile run subscribes the app again and the history says so', async (_how, unsubscribe) => {
    const { id, wabaId } = await connectedNumber();
    const subscribed = async () => (await api('GET', `/meta-sandbox/v25.0/${wabaId}/subscribed_apps`, undefined, { authorization: 'Bearer e2e' })).json.data;
    expect(await subscribed()).toHaveLength(1);
    await unsubscribe(wabaId);
    expect(await subscribed()).toEqual([]);
    const historyBefore = await history(id);

    const [run] = await host.reconcileNow();
    expect(run).toMatchObject({ subscriptionsRestored: 1 });
    expect(await subscribed()).toHaveLength(1);
    const restored = (await history(id)).slice(historyBefore.length);
    expect(restored).toEqual([
      expect.objectContaining({
        from: { stage: 'Connected', status: 'Active' },
        to: { stage: 'Connected', status: 'Active' },
        cause: 'reconcile',
        actor: 'system',
        detail: expect.stringContaining('restored'),
      }),
    ]);

    // Subscribed again, the next run has nothing to restore.
    const [next] = await host.reconcileNow();
    expect(next?.subscriptionsRestored ?? 0).toBe(0);
    expect(await history(id)).toHaveLength(historyBefore.length + 1);
  });
});

describe('request_code’s language as Meta’s xx_XX', () => {
  it('refuses "en" with 400 before calling Meta, and sends en_US by default', async () => {
    const phoneNumber = uniquePhoneNumber();
    const wabaId = await newWaba();
    const id = (await api('POST', '/api/registrations', { phoneNumber, phoneNumberSource: 'byo' })).json.id as string;
    await api('PUT', `/api/registrations/${id}/business-account`, { businessId: SEED_BUSINESS.id });
    await api('PUT', `/api/registrations/${id}/whatsapp-profile`, { whatsAppBusinessAccountId: wabaId, displayName: 'Contoso Bikes' });
    const requestsBefore = (await graphCalls()).request_code ?? 0;

    const refused = await api('POST', `/api/registrations/${id}/verification`, { method: 'SMS', language: 'en' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ code: 'validation-failed', errors: [expect.objectContaining({ path: 'language' })] });
    expect((await graphCalls()).request_code ?? 0).toBe(requestsBefore);
    expect((await read(id)).stage).toBe('ProfileSelected');

    expect((await api('POST', `/api/registrations/${id}/verification`, { method: 'SMS' })).status).toBe(202);
    expect(await sandbox('GET', `/codes/${phoneNumber.slice(1)}`)).toMatchObject({ method: 'SMS', language: 'en_US' });
  });
});

describe('a new display name by API, as Meta takes it (POST /{phone-number-id} new_display_name)', () => {
  /** A connected number whose display name Meta declined, as reconcile reads it. */
  async function rejectedName() {
    const connected = await connectedNumber('PENDING_REVIEW');
    await sandbox('POST', `/phone-numbers/${connected.phoneNumberId}/name-status`, { nameStatus: 'DECLINED' });
    await host.reconcileNow();
    expect((await read(connected.id)).status).toBe('DisplayNameReviewRejected');
    return connected;
  }

  /** Asks for `name`; Meta has the request pending review, and a second request is refused meanwhile. */
  async function requestName(id: string, phoneNumberId: string, name: string) {
    const accepted = await api('PUT', `/api/registrations/${id}/display-name`, { displayName: name });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({
      displayName: 'Contoso Bikes',
      displayNameChange: { requested: name, requestedAt: expect.any(String), state: 'Pending' },
    });
    expect(await phoneInSandbox(phoneNumberId)).toMatchObject({ requestedDisplayName: name, newNameStatus: 'PENDING_REVIEW', verifiedName: 'Contoso Bikes' });

    const again = await api('PUT', `/api/registrations/${id}/display-name`, { displayName: 'Contoso Wheels' });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.json.code).toBe('operation-in-progress');
    expect((await phoneInSandbox(phoneNumberId)).requestedDisplayName).toBe(name);
  }

  const registerCalls = async (phoneNumberId: string): Promise<number> => (await phoneInSandbox(phoneNumberId)).registerCalls as number;

  it('Meta refusing the new name answers 422 meta-display-name-rejected and changes nothing; another name can be asked at once', async () => {
    const { id, phoneNumberId } = await rejectedName();
    const before = await api('GET', `/api/registrations/${id}`);
    const historyBefore = await history(id);
    await sandbox('POST', '/fail-next', { operation: 'update_phone_number', error: { code: 100, message: '(#100) Invalid parameter new_display_name' } });

    const refused = await api('PUT', `/api/registrations/${id}/display-name`, { displayName: 'Best Bikes Ever' });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ code: 'meta-display-name-rejected', status: 422 });
    expect(await read(id)).toMatchObject({ displayName: before.json.displayName, displayNameChange: null, status: 'DisplayNameReviewRejected' });
    expect(await history(id)).toEqual(historyBefore);
    expect((await phoneInSandbox(phoneNumberId)).requestedDisplayName).toBeNull();

    await requestName(id, phoneNumberId, 'Contoso Bikes Seattle');
  });

  it('approved in Meta, the reconcile timer takes the new name and registers the number again exactly once', async () => {
    const { id, phoneNumberId } = await rejectedName();
    await requestName(id, phoneNumberId, 'Contoso Cycles');
    const registersBefore = await registerCalls(phoneNumberId);

    await sandbox('POST', `/phone-numbers/${phoneNumberId}/new-name-status`, { newNameStatus: 'APPROVED' });
    await host.reconcileNow();
    expect(await read(id)).toMatchObject({
      status: 'Active',
      displayName: 'Contoso Cycles',
      displayNameChange: { requested: 'Contoso Cycles', state: 'Approved', registeredAgain: { registeredAt: expect.any(String), lastError: null } },
    });
    expect(await registerCalls(phoneNumberId)).toBe(registersBefore + 1);

    await host.reconcileNow();
    expect(await registerCalls(phoneNumberId)).toBe(registersBefore + 1);
    expect((await read(id)).displayName).toBe('Contoso Cycles');
  });

  it('approved by a signed phone_number_name_update webhook, the same happens once; a redelivery and the timer register nothing more', async () => {
    const { id, wabaId, phoneNumber, phoneNumberId } = await rejectedName();
    await requestName(id, phoneNumberId, 'Contoso Cycles');
    const registersBefore = await registerCalls(phoneNumberId);

    // Meta decides, then tells the app by webhook.
    await sandbox('POST', `/phone-numbers/${phoneNumberId}/new-name-status`, { newNameStatus: 'APPROVED' });
    const approval = signedWebhook(
      webhookEnvelope(wabaId, [
        {
          field: 'phone_number_name_update',
          value: { display_phone_number: phoneNumber.slice(1), decision: 'APPROVED', requested_verified_name: 'Contoso Cycles' },
        },
      ]),
      APP_SECRET,
    );
    const executions = () => host.output().split("Executed 'Functions.accountEvents'").length - 1;
    const executedBefore = executions();
    expect((await api('POST', '/api/meta/webhook', approval.body, approval.headers)).status).toBe(200);
    const approved = await until(
      () => read(id),
      (registration) => registration.displayNameChange?.registeredAgain?.registeredAt != null,
      'the change approved and the number registered again',
    );
    expect(approved).toMatchObject({ status: 'Active', displayName: 'Contoso Cycles', displayNameChange: { state: 'Approved' } });
    expect(await registerCalls(phoneNumberId)).toBe(registersBefore + 1);

    const historyAfter = await history(id);
    expect(historyAfter.filter((entry) => entry.cause === 'account-event').map((entry) => entry.detail)).toEqual(
      expect.arrayContaining([expect.stringContaining('approved'), expect.stringContaining('registered again')]),
    );

    // Meta redelivers the webhook: it reaches accountEvents again and changes nothing.
    await until(
      async () => executions(),
      (count) => count > executedBefore,
      'the approval handled',
    );
    const handled = executions();
    expect((await api('POST', '/api/meta/webhook', approval.body, approval.headers)).status).toBe(200);
    await until(
      async () => executions(),
      (count) => count > handled,
      'the redelivery handled',
    );
    await host.reconcileNow();
    expect(await registerCalls(phoneNumberId)).toBe(registersBefore + 1);
    expect(await history(id)).toEqual(historyAfter);
  });
});
