import { loadConfig } from '../../src/adapters/config';
import { createApp, type AppOptions } from '../../src/app';
import { acsSandboxConnectionString, createAcsSandbox, type AcsSandbox } from '../../src/local/acs-sandbox';
import { createMetaSandbox, type MetaSandbox } from '../../src/local/meta-sandbox';
import { eventDeliverer, httpCaller, testContext } from './http';
import { testStorageConnectionString, uniqueTablePrefix } from './storage';

export interface AppHarness {
  call: ReturnType<typeof httpCaller>;
  deliver: ReturnType<typeof eventDeliverer>;
  runTimer(name: string): Promise<string[]>;
  functions: ReturnType<typeof createApp>['functions'];
  sandbox: MetaSandbox;
  /** Where the Meta sandbox listens (for a test that builds its own Graph client). */
  metaUrl: string;
  acs: AcsSandbox;
  /** Prefix of this app's tables, for tests that read what was stored. */
  tablePrefix: string;
  /** What the Functions host calls when it stops: the app sends what it committed. */
  shutdown(): Promise<void>;
  /** Shuts the app down (while its storage is still there), then stops the sandboxes. */
  close(): Promise<void>;
}

/** The Meta app the sandbox plays for the Embedded Signup code exchange. */
export const TEST_META_APP = { id: '900000000000042', secret: 'test-app-secret' } as const;

/**
 * The real app — Table Storage on the test Azurite (own tables), Meta over HTTP to a sandbox
 * on a free port — with handlers invoked directly, as the Functions host would.
 */
export async function startAppHarness(
  options: AppOptions & {
    env?: Record<string, string>;
    metaNow?: () => number;
  } = {},
): Promise<AppHarness> {
  const sandbox = createMetaSandbox({ log: () => undefined, app: TEST_META_APP, ...(options.metaNow ? { now: options.metaNow } : {}) });
  const server = await sandbox.listen(0);
  const acs = createAcsSandbox({ log: () => undefined });
  const acsServer = await acs.listen(0);
  const config = loadConfig({
    REGISTRATION_STORAGE: testStorageConnectionString(),
    META_GRAPH_URL: server.url,
    META_ACCESS_TOKEN: 'test-token',
    REGISTRATION_PIN_SECRET: 'test-pin-secret',
    META_APP_ID: TEST_META_APP.id,
    META_APP_SECRET: TEST_META_APP.secret,
    META_WEBHOOK_VERIFY_TOKEN: 'test-verify-token',
    META_TIMEOUT_MS: '3000',
    ACS_CONNECTION_STRING: acsSandboxConnectionString(acsServer.url),
    ...options.env,
  });
  const tablePrefix = options.tablePrefix ?? uniqueTablePrefix('app');
  const { functions, shutdown } = createApp(config, { ...options, tablePrefix });
  const runTimer = async (name: string) => {
    const timer = functions.find((candidate) => candidate.kind === 'timer' && candidate.name === name);
    if (!timer || timer.kind !== 'timer') throw new Error(`No timer ${name}`);
    const logs: string[] = [];
    await timer.handler(
      { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } },
      testContext(name, logs),
    );
    return logs;
  };
  return {
    call: httpCaller(functions),
    deliver: eventDeliverer(functions),
    runTimer,
    functions,
    sandbox,
    metaUrl: server.url,
    acs,
    tablePrefix,
    shutdown,
    close: async () => {
      await shutdown();
      await server.close();
      await acsServer.close();
    },
  };
}
