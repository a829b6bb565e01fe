/**
 * Meta as Meta documents it (docs/design.md §5.0, docs/meta-graph.md), black-box: the built local
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

const APP_SECRET = 'e2e-meta-document-secret';
const SANDBOX = '/meta-sandbox/_sandbox';
const STATUSES = [
  'Active',
  'Revoked',
  'Disconnected',
  'PhoneNumberDeleted',
  'BusinessAccountReviewRejected',
  'DisplayNameReviewNotStarted',
  'DisplayNameReviewPending',
  'DisplayNameReviewRejected',
];

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
