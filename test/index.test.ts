/**
 * The Azure entry point (dist/src/index.js, as the Functions host loads it) with settings that are
 * missing, unresolved or invalid: docs/design.md §7 wants every function still registered, the
 * problem logged by name at start-up, health answering 503 naming it, and every other function
 * failing with that message.
 */
import path from 'node:path';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { MANIFEST_FILE, type ManifestEntry } from '../src/functions/manifest';
import { testContext } from './support/http';

interface Registration {
  kind: 'http' | 'eventGrid' | 'timer';
  name: string;
  options: { handler: (input: unknown, context: InvocationContext) => Promise<unknown> };
}

const mockRegistrations: Registration[] = [];
const mockTerminateHandlers: Array<() => Promise<void>> = [];
jest.mock('@azure/functions', () => {
  const actual = jest.requireActual('@azure/functions');
  const register = (kind: Registration['kind']) => (name: string, options: Registration['options']) => mockRegistrations.push({ kind, name, options });
  const appTerminate = (handler: () => Promise<void>) => {
    mockTerminateHandlers.push(handler);
    return { dispose: () => undefined };
  };
  return { ...actual, app: { http: register('http'), eventGrid: register('eventGrid'), timer: register('timer'), hook: { appTerminate } } };
});

const DIST = path.resolve(__dirname, '..', 'dist', 'src');
const manifest = jest.requireActual<ManifestEntry[]>(path.join(DIST, MANIFEST_FILE));

/** Settings of an app in Azure with everything in place. */
const COMPLETE = {
  WEBSITE_SITE_NAME: 'func-test',
  REGISTRATION_STORAGE: 'https://sttest.table.core.windows.net',
  META_ACCESS_TOKEN: 'token',
  META_APP_SECRET: 'app-secret',
  META_WEBHOOK_VERIFY_TOKEN: 'verify-token',
  REGISTRATION_PIN_SECRET: 'pin-secret',
};
const UNRESOLVED = '@Microsoft.KeyVault(VaultName=kv-test;SecretName=meta-access-token)';

interface Loaded {
  registrations: Registration[];
  startupErrors: string[];
  /** Runs what the entry point registered for the host's stop (app.hook.appTerminate). */
  terminate(): Promise<void>;
  invoke(name: string, input?: unknown): Promise<{ result?: unknown; error?: Error; logs: string[] }>;
}

const runnerEnv = process.env;
afterEach(() => {
  process.env = runnerEnv;
});

/** Loads the entry point afresh with exactly these settings (kept until the test ends), as a new worker process would. */
function loadEntryPoint(env: Record<string, string>): Loaded {
  const startupErrors: string[] = [];
  const consoleError = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void startupErrors.push(args.join(' ')));
  mockRegistrations.length = 0;
  mockTerminateHandlers.length = 0;
  process.env = { ...env };
  try {
    jest.isolateModules(() => jest.requireActual(path.join(DIST, 'index.js')));
  } finally {
    consoleError.mockRestore();
  }
  const registrations = [...mockRegistrations];
  const terminateHandlers = [...mockTerminateHandlers];
  return {
    registrations,
    startupErrors,
    terminate: async () => {
      if (terminateHandlers.length !== 1) throw new Error(`${terminateHandlers.length} handlers registered for the host's stop, not 1`);
      await terminateHandlers[0]?.();
    },
    invoke: async (name, input = {}) => {
      const registration = registrations.find((candidate) => candidate.name === name);
      if (!registration) throw new Error(`${name} was not registered`);
      const logs: string[] = [];
      try {
        return { result: await registration.options.handler(input as HttpRequest, testContext(name, logs)), logs };
      } catch (error) {
        return { error: error as Error, logs };
      }
    },
  };
}

describe('the Azure entry point when settings are not usable (docs/design.md §7)', () => {
  const broken = { ...COMPLETE, META_ACCESS_TOKEN: UNRESOLVED, META_APP_SECRET: '' };
  const names = ['META_APP_SECRET', 'META_ACCESS_TOKEN'];

  it('still registers every function of the manifest with its trigger', () => {
    const { registrations } = loadEntryPoint(broken);
    expect(registrations.map(({ kind, name }) => ({ kind, name }))).toEqual(manifest.map(({ kind, name }) => ({ kind, name })));
    expect(registrations.map(({ name }) => name)).toEqual(expect.arrayContaining(['health', 'smsEvents', 'accountEvents', 'reconcile']));
  });

  it('logs the missing and the unresolved settings by name at start-up, never their values', () => {
    const { startupErrors } = loadEntryPoint(broken);
    expect(startupErrors).toHaveLength(1);
    expect(startupErrors[0]).toContain('Missing required app setting(s): META_APP_SECRET');
    expect(startupErrors[0]).toContain('Key Vault reference(s) not resolved: META_ACCESS_TOKEN');
    expect(startupErrors[0]).not.toContain('pin-secret');
  });

  it('answers health with 503 naming each setting', async () => {
    const { result, logs } = await loadEntryPoint(broken).invoke('health');
    const response = result as { status: number; body: string };
    expect(response.status).toBe(503);
    const body = JSON.parse(response.body);
    expect(body.status).toBe('unavailable');
    for (const name of names) expect(body.checks.configuration.detail).toContain(name);
    expect(logs.join('\n')).toContain('META_APP_SECRET');
  });

  it('fails every other HTTP function with the same message as problem+json', async () => {
    const { result } = await loadEntryPoint(broken).invoke('createRegistration');
    const response = result as { status: number; headers: Record<string, string>; body: string };
    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const body = JSON.parse(response.body);
    expect(body.code).toBe('internal');
    for (const name of names) expect(body.detail).toContain(name);
  });

  it.each(['smsEvents', 'accountEvents', 'reconcile'])('fails %s by throwing the message, so Event Grid redelivers and the timer runs again', async (name) => {
    const { error } = await loadEntryPoint(broken).invoke(name);
    expect(error).toBeInstanceOf(Error);
    for (const setting of names) expect(error?.message).toContain(setting);
  });

  it('reports a present but invalid setting the same way, once the app loads', async () => {
    const loaded = loadEntryPoint({ ...COMPLETE, META_GRAPH_VERSION: '25' });
    expect(loaded.startupErrors).toEqual([]);
    expect(loaded.registrations).toHaveLength(manifest.length);
    const response = (await loaded.invoke('health')).result as { status: number; body: string };
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).checks.configuration.detail).toContain('META_GRAPH_VERSION');
  });

  it("registers one handler for the host's stop, which finishes whether the app never loaded or could not load", async () => {
    await expect(loadEntryPoint(COMPLETE).terminate()).resolves.toBeUndefined();
    const unusable = loadEntryPoint(broken);
    await unusable.invoke('health');
    await expect(unusable.terminate()).resolves.toBeUndefined();
  });

  it('logs nothing at start-up when every required setting is there', () => {
    const loaded = loadEntryPoint(COMPLETE);
    expect(loaded.startupErrors).toEqual([]);
    expect(loaded.registrations).toHaveLength(manifest.length);
  });

  it('asks for the storage setting in Azure, where runtime storage is identity-based', () => {
    const { REGISTRATION_STORAGE: _storage, ...withoutStorage } = COMPLETE;
    const { startupErrors } = loadEntryPoint({ ...withoutStorage, AzureWebJobsStorage__accountName: 'sttest' });
    expect(startupErrors[0]).toContain('REGISTRATION_STORAGE or AzureWebJobsStorage');
  });
});
