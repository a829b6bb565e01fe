import type { AcsChannels, EmbeddedSignup, EventPublisher, OutboxStore, SmsSender } from '../domain/ports';
import type { OnboardingDependencies } from '../domain/use-cases/dependencies';
import type { OutboxDispatcher } from '../domain/use-cases/outbox-dispatch';
import type { ReconcileDependencies, ReconcileOptions } from '../domain/use-cases/reconcile-run';
import type { AnyEndpoint } from './http/endpoint';

export interface HealthCheck {
  name: string;
  /** `unavailable` makes the service answer 503; `degraded` is reported but still 200. */
  check(): Promise<{ status: 'ok' | 'degraded' | 'unavailable'; detail?: string }>;
}

/** What handler factories receive: ports and use-case dependencies, never concrete adapters. */
export interface Services extends OnboardingDependencies {
  healthChecks: HealthCheck[];
  outbox: OutboxStore;
  dispatcher: OutboxDispatcher;
  /** Where the Meta webhook sends WhatsApp.* events: the Event Grid topic, or straight to accountEvents. */
  accountEventSink: EventPublisher;
  sms: SmsSender;
  acsChannels: AcsChannels;
  metaWebhook: { appSecret: string | undefined; verifyToken: string | undefined };
  /** Null when META_APP_ID or META_APP_SECRET is not configured. */
  embeddedSignup: EmbeddedSignup | null;
  reconcile: ReconcileDependencies;
  reconcileOptions: ReconcileOptions;
  /** Every HTTP endpoint, for the OpenAPI document. */
  endpoints: () => Array<AnyEndpoint<Services>>;
}
