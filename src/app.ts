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
import { makeCancelRegistration, makeDisconnectRegistration, makeReconnectRegistration } from './domain/use-cases/account-actions';
import { makeApplyAccountEvent, makePublishAccountChanges } from './domain/use-cases/account-events';
import { makeLinkAcsChannel } from './domain/use-cases/acs-channel';
import { makeCreateRegistration } from './domain/use-cases/create-registration';
import { makeChangeDisplayName } from './domain/use-cases/display-name';
import type { Ports } from './domain/use-cases/dependencies';
import { makeCompleteEmbeddedSignup } from './domain/use-cases/embedded-signup';
import { createOutboxDispatcher, type DispatcherOptions } from './domain/use-cases/outbox-dispatch';
import {
  makeGetRegistration,
  makeListEvents,
  makeListReconcileRuns,
  makeListRegistrations,
  makeRegistrationHistory,
  makeSummarizeRegistrations,
} from './domain/use-cases/read-registrations';
import { makeReconcileRegistration } from './domain/use-cases/reconcile-registration';
import { makeReconcileAll, type ReconcileOptions } from './domain/use-cases/reconcile-run';
import { makeSelectBusinessAccount } from './domain/use-cases/select-business-account';
import { makeSelectWhatsAppProfile } from './domain/use-cases/select-whatsapp-profile';
import { makeHandleSmsDeliveryReport, makeRequestSmsProbe } from './domain/use-cases/sms-capability';
import { makeHandleSmsReceived } from './domain/use-cases/sms-received';
import { makeRequestVerificationCode, makeSubmitVerificationCode } from './domain/use-cases/verification';
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
import { changeDisplayName } from './functions/change-display-name';
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
import type { Services, UseCases } from './functions/services';
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
  changeDisplayName,
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

const embeddedSignupNotConfigured = (): never => {
  throw new DomainError(
    'embedded-signup-not-configured',
    'Embedded Signup is not configured on this service: META_APP_ID and META_APP_SECRET must both be set.',
    {
      suggestedAction:
        "Set META_APP_ID to the Meta app's id (and META_APP_SECRET to its secret) in the app settings, or use the business-account and whatsapp-profile steps.",
    },
  );
};

/** Parts a test or the local host replaces; each is replaced before any use case is bound to it. */
export type Overrides = Partial<Pick<Ports, 'clock' | 'ids' | 'registrations' | 'meta' | 'accountEventSink'>> & {
  reconcileOptions?: ReconcileOptions;
  dispatcherOptions?: DispatcherOptions;
};

export interface AppOptions {
  /** Tests replace the clock or the reconcile options; the local host delivers account changes in process. */
  services?: Overrides;
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
  const embeddedSignup =
    config.metaAppId && config.metaAppSecret ? createEmbeddedSignup({ ...graphOptions, appId: config.metaAppId, appSecret: config.metaAppSecret }) : null;
  const topic: EventPublisher | null = config.eventGrid.topicEndpoint
    ? createEventGridPublisher({ endpoint: config.eventGrid.topicEndpoint, ...(config.eventGrid.topicKey ? { key: config.eventGrid.topicKey } : {}) })
    : null;
  const dispatcher = createOutboxDispatcher({ outbox: storage.outbox, publisher: topic, log: processLogger }, overrides.dispatcherOptions);
  const acsOptions = {
    ...(config.acs.connectionString ? { connectionString: config.acs.connectionString } : {}),
    ...(config.acs.endpoint ? { endpoint: config.acs.endpoint } : {}),
  };
  const acsConfigured = Boolean(config.acs.connectionString || config.acs.endpoint);
  const sms: SmsSender = acsConfigured ? acs.createAcsSmsSender(acsOptions) : { send: acsNotConfigured };
  const acsChannels: AcsChannels = acsConfigured ? acs.createAcsChannels(acsOptions) : { probe: acsNotConfigured };

  // Use cases, each bound once to the ports it names; one built on another comes after it.
  const reconcileRegistration = makeReconcileRegistration({ registrations, meta, clock, ids, acsChannels });
  const submitVerificationCode = makeSubmitVerificationCode({ registrations, meta, clock, ids });
  const applyAccountEvent = makeApplyAccountEvent({ registrations, clock, meta, ids, reconcileRegistration });
  // Without a topic, account changes go straight to what accountEvents does with them.
  const accountEventSink: EventPublisher = overrides.accountEventSink ??
    topic ?? {
      publish: async (events) => {
        for (const event of events) {
          await applyAccountEvent({ id: event.id, type: event.type, data: event.data }, { cause: 'account-event', eventId: event.id, log: processLogger });
        }
      },
    };
  const reconcileDependencies = {
    registrations,
    meta,
    clock,
    ids,
    reconcileStore: storage.reconcile,
    acsChannels: acsConfigured ? acsChannels : null,
    governor,
    credential,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    appId: config.metaAppId ?? null,
  };
  const reconcileOptions = overrides.reconcileOptions ?? { budgetMs: config.reconcile.timeBudgetSeconds * 1000, concurrency: 16 };
  const useCases: UseCases = {
    createRegistration: makeCreateRegistration({ registrations, clock, idempotency: storage.idempotency }),
    listRegistrations: makeListRegistrations({ registrations }),
    summarizeRegistrations: makeSummarizeRegistrations({ registrations }),
    getRegistration: makeGetRegistration({ registrations }),
    cancelRegistration: makeCancelRegistration({ registrations, clock }),
    registrationHistory: makeRegistrationHistory({ registrations }),
    selectBusinessAccount: makeSelectBusinessAccount({ registrations, meta, clock }),
    selectWhatsAppProfile: makeSelectWhatsAppProfile({ registrations, meta, clock }),
    completeEmbeddedSignup: embeddedSignup ? makeCompleteEmbeddedSignup({ registrations, clock, ids, embeddedSignup }) : embeddedSignupNotConfigured,
    requestVerificationCode: makeRequestVerificationCode({ registrations, meta, clock, ids }),
    submitVerificationCode,
    disconnectRegistration: makeDisconnectRegistration({ registrations, clock }),
    reconnectRegistration: makeReconnectRegistration({ registrations, meta, clock }),
    reconcileRegistration,
    requestSmsProbe: makeRequestSmsProbe({ registrations, clock, sms }),
    linkAcsChannel: makeLinkAcsChannel({ registrations, clock, acsChannels }),
    listEvents: makeListEvents({ outbox: storage.outbox }),
    listReconcileRuns: makeListReconcileRuns({ reconcileStore: storage.reconcile }),
    publishAccountChanges: makePublishAccountChanges({ clock, accountEventSink }),
    applyAccountEvent,
    handleSmsReceived: makeHandleSmsReceived({ registrations, submitVerificationCode }),
    handleSmsDeliveryReport: makeHandleSmsDeliveryReport({ registrations, clock }),
    reconcileAll: makeReconcileAll(reconcileDependencies, reconcileOptions),
    changeDisplayName: makeChangeDisplayName({ registrations, meta, clock, ids }),
  };

  return {
    useCases,
    clock,
    dispatcher,
    metaWebhook: { appSecret: config.metaAppSecret, verifyToken: config.metaWebhookVerifyToken },
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
  };
}

/** The functions, and what the host calls when it stops. */
export interface App {
  functions: FunctionDefinition[];
  /**
   * Dispatches the outgoing events this process committed and has not dispatched yet, so a host
   * that is recycled or scaled in does not leave them to the next reconcile sweep. Builds nothing:
   * an app that never ran has nothing to send.
   */
  shutdown(): Promise<void>;
}

export function createFunctions(config: Config, options: AppOptions = {}): FunctionDefinition[] {
  return createApp(config, options).functions;
}

export function createApp(config: Config, options: AppOptions = {}): App {
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
  return {
    functions: [
      ...httpEndpoints.map((spec) => toHttpFunction(spec, lazyServices, config.auth)),
      ...eventFunctions.map((spec) => toEventGridFunction(spec, lazyServices)),
      reconcileTimer(config.reconcile.schedule, lazyServices),
    ],
    shutdown: async () => {
      const built = await services?.catch(() => undefined);
      await built?.dispatcher.flush();
    },
  };
}
