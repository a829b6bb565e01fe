/**
 * The composition root: the one place that knows every concrete adapter, and the single list of
 * functions that both the Azure Functions host (src/index.ts) and the local host (src/local) read.
 * Adapters are built on the first invocation, so loading this file stays cheap (cold start).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from './adapters/config';
import { processLogger } from './adapters/process-logger';
import { DomainError } from './domain/errors';
import type { BusinessUseCaseUsage } from './domain/meta';
import type { AcsChannels, EventPublisher, SmsSender } from './domain/ports';
import { applyAccountEvent } from './domain/use-cases/account-events';
import { createOutboxDispatcher } from './domain/use-cases/outbox-dispatch';
import { accountEvents } from './functions/account-events';
import { toEventGridFunction } from './functions/events/event-function';
import { linkAcsChannel } from './functions/link-acs-channel';
import { listEvents } from './functions/list-events';
import { metaWebhook } from './functions/meta-webhook';
import { metaWebhookVerify } from './functions/meta-webhook-verify';
import { requestSmsProbe } from './functions/request-sms-probe';
import { smsEvents } from './functions/sms-events';
import { listReconcileRuns } from './functions/list-reconcile-runs';
import { reconcileTimer } from './functions/reconcile';
import { CredentialHealth, RateLimitGovernor } from './domain/rate-limits';
import { cancelRegistration } from './functions/cancel-registration';
import { createRegistration } from './functions/create-registration';
import type { FunctionDefinition } from './functions/definitions';
import { disconnectRegistration } from './functions/disconnect-registration';
import { embeddedSignup } from './functions/embedded-signup';
import { getRegistration } from './functions/get-registration';
import { getRegistrationHistory } from './functions/get-registration-history';
import { getRegistrationSummary } from './functions/get-registration-summary';
import { health } from './functions/health';
import { toHttpFunction, type AnyEndpoint } from './functions/http/endpoint';
import { listRegistrations } from './functions/list-registrations';
import { openApi } from './functions/openapi';
import { opsConsole, opsConsoleFile } from './functions/ops-console';
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
  getRegistrationSummary,
  getRegistration,
  cancelRegistration,
  getRegistrationHistory,
  selectBusinessAccount,
  selectWhatsAppProfile,
  embeddedSignup,
  requestVerificationCode,
  submitVerificationCode,
  disconnectRegistration,
  reconnectRegistration,
  reconcileRegistration,
  requestSmsProbe,
  linkAcsChannel,
  listEvents,
  listReconcileRuns,
  metaWebhookVerify,
  metaWebhook,
  health,
  openApi,
  opsConsole,
  opsConsoleFile,
];

export const eventFunctions = [smsEvents, accountEvents];

const acsNotConfigured = (): never => {
  throw new DomainError('internal', 'Communication Services is not configured (ACS_ENDPOINT or ACS_CONNECTION_STRING).');
};

export interface AppOptions {
  /** Replaces built services (tests, and the local host's in-process event delivery). */
  services?: Partial<Services>;
  /** Table-name prefix, so that tests sharing one storage account never share tables. */
  tablePrefix?: string;
}

async function buildServices(config: Config, options: AppOptions): Promise<Services> {
  const [{ createTableStorage }, { createMetaGraph, createEmbeddedSignup }, { createEventGridPublisher }, acs] = await Promise.all([
    import('./adapters/table-storage'),
    import('./adapters/meta-graph'),
    import('./adapters/event-grid/publisher'),
    import('./adapters/acs/sms-sender').then(async (sms) => ({ ...sms, ...(await import('./adapters/acs/channels')) })),
  ]);
  // Tables are created on the first storage operation, so that health can still answer 503 while storage is down.
  const storage = createTableStorage({ connection: config.storage, ...(options.tablePrefix ? { tablePrefix: options.tablePrefix } : {}) });
  // Overrides (tests, the local host) replace a part before anything is wired to it, so every use
  // case sees the same clock, ids, storage and Meta client.
  const overrides = options.services ?? {};
  const clock = overrides.clock ?? { now: () => new Date() };
  const ids = overrides.ids ?? { newId: () => randomUUID() };
  const registrations = overrides.registrations ?? storage.registrations;
  const governor = new RateLimitGovernor(() => clock.now().getTime());
  const credential = new CredentialHealth();
  const graphOptions = {
    graphUrl: config.meta.graphUrl,
    version: config.meta.version,
    pinSecret: config.pinSecret,
    timeoutMs: config.meta.timeoutMs,
    onUsage: (usage: BusinessUseCaseUsage[]) => governor.observe(usage),
  };
  const meta = overrides.meta ?? createMetaGraph({ ...graphOptions, accessToken: config.meta.accessToken ?? '' });
  const topic: EventPublisher | null = config.eventGrid.topicEndpoint
    ? createEventGridPublisher({ endpoint: config.eventGrid.topicEndpoint, ...(config.eventGrid.topicKey ? { key: config.eventGrid.topicKey } : {}) })
    : null;
  const dispatcher = createOutboxDispatcher({ outbox: storage.outbox, publisher: topic, log: processLogger });
  const acsOptions = {
    ...(config.acs.connectionString ? { connectionString: config.acs.connectionString } : {}),
    ...(config.acs.endpoint ? { endpoint: config.acs.endpoint } : {}),
  };
  const acsConfigured = Boolean(config.acs.connectionString || config.acs.endpoint);
  const sms: SmsSender = acsConfigured ? acs.createAcsSmsSender(acsOptions) : { send: acsNotConfigured };
  const acsChannels: AcsChannels = acsConfigured ? acs.createAcsChannels(acsOptions) : { exists: acsNotConfigured };

  const services: Services = {
    registrations,
    idempotency: storage.idempotency,
    outbox: storage.outbox,
    dispatcher,
    meta,
    sms,
    acsChannels,
    clock,
    ids,
    metaWebhook: { appSecret: config.metaAppSecret, verifyToken: config.metaWebhookVerifyToken },
    embeddedSignup:
      config.metaAppId && config.metaAppSecret ? createEmbeddedSignup({ ...graphOptions, appId: config.metaAppId, appSecret: config.metaAppSecret }) : null,
    // Without a topic, account changes go straight to what accountEvents does with them (called
    // after start-up, when `services` is complete).
    accountEventSink: topic ?? {
      publish: async (events) => {
        for (const event of events) {
          await applyAccountEvent(
            services,
            { id: event.id, type: event.type, data: event.data },
            { cause: 'account-event', eventId: event.id, log: processLogger },
          );
        }
      },
    },
    reconcile: {
      registrations,
      meta,
      clock,
      ids,
      reconcileStore: storage.reconcile,
      acsChannels: acsConfigured ? acsChannels : null,
      governor,
      credential,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    reconcileOptions: { budgetMs: config.reconcile.timeBudgetSeconds * 1000, concurrency: 16 },
    healthChecks: [
      {
        name: 'storage',
        check: async () => {
          await storage.registrations.ping();
          return { status: 'ok' };
        },
      },
      {
        name: 'metaCredential',
        check: async () => {
          const state = credential.state();
          return state.broken ? { status: 'degraded', detail: `${state.detail} since ${state.since}; renew META_ACCESS_TOKEN` } : { status: 'ok' };
        },
      },
    ],
    endpoints: () => httpEndpoints,
    ...overrides,
  };
  return services;
}

export function createFunctions(config: Config, options: AppOptions = {}): FunctionDefinition[] {
  if (config.runningInAzure && !config.auth.trustPrincipalHeader) {
    // docs/design.md §5.1: without App Service Authentication only function keys stand in front of the API.
    processLogger.warn('App Service Authentication is off: X-MS-CLIENT-PRINCIPAL is ignored and every caller acts as Registrations.Ops ("anonymous").');
  }
  let services: Promise<Services> | undefined;
  const lazyServices = (): Promise<Services> => {
    // A failed start (storage down) is not cached: the next invocation tries again.
    services ??= buildServices(config, options).catch((error: unknown) => {
      services = undefined;
      throw error;
    });
    return services;
  };
  return [
    ...httpEndpoints.map((spec) => toHttpFunction(spec, lazyServices, config.auth)),
    ...eventFunctions.map((spec) => toEventGridFunction(spec, lazyServices)),
    reconcileTimer(config.reconcile.schedule, lazyServices),
  ];
}
