import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { startLocalHostProcess, type LocalHostProcess } from '../support/local-host-process';
import { until as untilReached } from '../support/eventually';

/**
 * `npm start`, stop, `npm start` again over the same `.azurite/`: its own Azurite (persisted in the
 * work directory, stopped and started again too) so no other test's registrations are reconciled here.
 */
let workDir: string;
let azurite: RunningAzurite | undefined;
let host: LocalHostProcess | undefined;

const startStorage = async (): Promise<RunningAzurite> => {
  const location = path.join(workDir, '.azurite', 'tables');
  mkdirSync(location, { recursive: true });
  return startAzurite({ location });
};

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'restart-'));
  azurite = await startStorage();
}, 60_000);
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

const start = async (storage: RunningAzurite): Promise<LocalHostProcess> =>
  startLocalHostProcess({ REGISTRATION_STORAGE: storage.connectionString }, { workDir });

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as any) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const until = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => untilReached(read, done, what, () => host?.output() ?? '');

describe('the sandboxes keep their world across a restart of the local host', () => {
  it('a reconcile after the restart changes nothing that did not change', async () => {
    host = await start(azurite!);
    const api = `${host.url}/api`;
    const created = await call('POST', `${api}/registrations`, { phoneNumber: '+1 425 555 0142', phoneNumberSource: 'acs' });
    const id = created.json.id as string;
    expect((await call('PUT', `${api}/registrations/${id}/business-account`, { businessId: '100000000000001' })).status).toBe(200);
    expect(
      (await call('PUT', `${api}/registrations/${id}/whatsapp-profile`, { whatsAppBusinessAccountId: '200000000000001', displayName: 'Contoso Bikes' })).status,
    ).toBe(200);
    expect((await call('POST', `${api}/registrations/${id}/verification`, { method: 'SMS' })).status).toBe(202);
    await until(
      () => call('GET', `${api}/registrations/${id}`),
      (r) => r.json.stage === 'Connected',
      'Connected',
    );
    // An ACS channel too: the ACS sandbox must remember it, or reconcile would find it gone (Disconnected).
    const channel = randomUUID();
    expect((await call('POST', `${host.url}/acs-sandbox/_sandbox/channels/${channel}`)).status).toBeLessThan(300);
    expect((await call('PUT', `${api}/registrations/${id}/channel`, { channelRegistrationId: channel })).status).toBe(200);

    const before = (await call('GET', `${api}/registrations/${id}`)).json;
    const historyBefore = (await call('GET', `${api}/registrations/${id}/history`)).json.items;
    await host.stop();
    host = undefined;
    expect(existsSync(path.join(workDir, '.azurite', 'meta-sandbox.json'))).toBe(true);
    await azurite!.stop();
    azurite = await startStorage();

    host = await start(azurite);
    expect(host.output()).toMatch(/\[meta-sandbox\] world restored/);
    const runs = await host.reconcileNow();
    expect(runs[0]).toMatchObject({ outcome: 'completed', checked: 1, changed: 0, failed: 0 });

    const after = (await call('GET', `${host.url}/api/registrations/${id}`)).json;
    expect(after).toMatchObject({ stage: 'Connected', status: before.status, acsChannel: { channelRegistrationId: channel, reachable: true } });
    expect(after.status).toBe('DisplayNameReviewPending');
    expect((await call('GET', `${host.url}/api/registrations/${id}/history`)).json.items).toEqual(historyBefore);
  }, 120_000);
});
