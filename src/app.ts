/**
 * The composition root: the one place that knows every concrete adapter, and the single list of
 * functions that both the Azure Functions host (src/index.ts) and the local host (src/local) read.
 * Adapters are built on the first invocation, so loading this file stays cheap (cold start).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from './adapters/config';
import { cancelRegistration } from './functions/cancel-registration';
import { createRegistration } from './functions/create-registration';
import type { FunctionDefinition } from './functions/definitions';
import { disconnectRegistration } from './functions/disconnect-registration';
import { getRegistration } from './functions/get-registration';
import { getRegistrationHistory } from './functions/get-registration-history';
import { health } from './functions/health';
import { toHttpFunction, type AnyEndpoint } from './functions/http/endpoint';
import { listRegistrations } from './functions/list-registrations';
import { openApi } from './functions/openapi';
import { reconcileRegistration } from './functions/reconcile-registration';
import { reconnectRegistration } from './functions/reconnect-registration';
import { requestVerificationCode } from './functions/request-verification-code';
import { selectBusinessAccount } from './functions/select-business-account';
import { selectWhatsAppProfile } from './functions/select-whatsapp-profile';
import type { Services } from './functions/services';
import { submitVerificationCode } from './functions/submit-verification-code';

export const httpEndpoints: Array<AnyEndpoint<Services>> = [
  createRegistration,
  listRegistrations,
  getRegistration,
  cancelRegistration,
  getRegistrationHistory,
  selectBusinessAccount,
  selectWhatsAppProfile,
  requestVerificationCode,
  submitVerificationCode,
  disconnectRegistration,
  reconnectRegistration,
  reconcileRegistration,
  health,
  openApi,
];

export interface AppOptions {
  /** Replaces built services (tests, and the local host's in-process event delivery). */
  services?: Partial<Services>;
  /** Table-name prefix, so that tests sharing one storage account never share tables. */
  tablePrefix?: string;
}

async function buildServices(config: Config, options: AppOptions): Promise<Services> {
  const [{ createTableStorage }, { createMetaGraph }] = await Promise.all([import('./adapters/table-storage'), import('./adapters/meta-graph')]);
  const storage = createTableStorage({ connection: config.storage, ...(options.tablePrefix ? { tablePrefix: options.tablePrefix } : {}) });
  await storage.ensureTables();
  const meta = createMetaGraph({
    graphUrl: config.meta.graphUrl,
    version: config.meta.version,
    accessToken: config.meta.accessToken ?? '',
    pinSecret: config.pinSecret,
    timeoutMs: config.meta.timeoutMs,
  });
  const services: Services = {
    registrations: storage.registrations,
    idempotency: storage.idempotency,
    meta,
    clock: { now: () => new Date() },
    ids: { newId: () => randomUUID() },
    healthChecks: [
      {
        name: 'storage',
        check: async () => {
          await storage.registrations.ping();
          return { status: 'ok' };
        },
      },
    ],
    endpoints: () => httpEndpoints,
  };
  return { ...services, ...options.services };
}

export function createFunctions(config: Config, options: AppOptions = {}): FunctionDefinition[] {
  let services: Promise<Services> | undefined;
  const lazyServices = (): Promise<Services> => {
    // A failed start (storage down) is not cached: the next invocation tries again.
    services ??= buildServices(config, options).catch((error: unknown) => {
      services = undefined;
      throw error;
    });
    return services;
  };
  return [...httpEndpoints.map((spec) => toHttpFunction(spec, lazyServices))];
}
