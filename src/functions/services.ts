import type { Clock, Logger, ReconcileRun } from '../domain/ports';
import type { makeCancelRegistration, makeDisconnectRegistration, makeReconnectRegistration } from '../domain/use-cases/account-actions';
import type { makeApplyAccountEvent, makePublishAccountChanges } from '../domain/use-cases/account-events';
import type { makeLinkAcsChannel } from '../domain/use-cases/acs-channel';
import type { makeCreateRegistration } from '../domain/use-cases/create-registration';
import type { makeChangeDisplayName } from '../domain/use-cases/display-name';
import type { makeCompleteEmbeddedSignup } from '../domain/use-cases/embedded-signup';
import type { OutboxDispatcher } from '../domain/use-cases/outbox-dispatch';
import type * as reads from '../domain/use-cases/read-registrations';
import type { makeReconcileRegistration } from '../domain/use-cases/reconcile-registration';
import type { makeSelectBusinessAccount } from '../domain/use-cases/select-business-account';
import type { makeSelectWhatsAppProfile } from '../domain/use-cases/select-whatsapp-profile';
import type { makeHandleSmsDeliveryReport, makeRequestSmsProbe } from '../domain/use-cases/sms-capability';
import type { makeHandleSmsReceived } from '../domain/use-cases/sms-received';
import type { makeRequestVerificationCode, makeSubmitVerificationCode } from '../domain/use-cases/verification';
import type { AnyEndpoint } from './http/endpoint';

export interface HealthCheck {
  name: string;
  /** `unavailable` makes the service answer 503; `degraded` is reported but still 200. */
  check(): Promise<{ status: 'ok' | 'degraded' | 'unavailable'; detail?: string }>;
}

/** Every use case, bound once to its ports by the composition root (src/app.ts). */
export interface UseCases {
  createRegistration: ReturnType<typeof makeCreateRegistration>;
  listRegistrations: ReturnType<typeof reads.makeListRegistrations>;
  summarizeRegistrations: ReturnType<typeof reads.makeSummarizeRegistrations>;
  getRegistration: ReturnType<typeof reads.makeGetRegistration>;
  cancelRegistration: ReturnType<typeof makeCancelRegistration>;
  registrationHistory: ReturnType<typeof reads.makeRegistrationHistory>;
  selectBusinessAccount: ReturnType<typeof makeSelectBusinessAccount>;
  selectWhatsAppProfile: ReturnType<typeof makeSelectWhatsAppProfile>;
  completeEmbeddedSignup: ReturnType<typeof makeCompleteEmbeddedSignup>;
  requestVerificationCode: ReturnType<typeof makeRequestVerificationCode>;
  submitVerificationCode: ReturnType<typeof makeSubmitVerificationCode>;
  disconnectRegistration: ReturnType<typeof makeDisconnectRegistration>;
  reconnectRegistration: ReturnType<typeof makeReconnectRegistration>;
  reconcileRegistration: ReturnType<typeof makeReconcileRegistration>;
  requestSmsProbe: ReturnType<typeof makeRequestSmsProbe>;
  linkAcsChannel: ReturnType<typeof makeLinkAcsChannel>;
  listEvents: ReturnType<typeof reads.makeListEvents>;
  listReconcileRuns: ReturnType<typeof reads.makeListReconcileRuns>;
  publishAccountChanges: ReturnType<typeof makePublishAccountChanges>;
  applyAccountEvent: ReturnType<typeof makeApplyAccountEvent>;
  handleSmsReceived: ReturnType<typeof makeHandleSmsReceived>;
  handleSmsDeliveryReport: ReturnType<typeof makeHandleSmsDeliveryReport>;
  reconcileAll: (log: Logger) => Promise<ReconcileRun>;
  changeDisplayName: ReturnType<typeof makeChangeDisplayName>;
}

/** What handlers receive: bound use cases and the few parts that are not one, never adapters. */
export interface Services {
  useCases: UseCases;
  /** The app's clock: what an answer derives from the time of reading (an SMS probe past its wait) is read as of it. */
  clock: Clock;
  /** Dispatches what this process committed (before a read of the feed or the counts) and sweeps what a crash left. */
  dispatcher: Pick<OutboxDispatcher, 'flush' | 'sweep'>;
  healthChecks: HealthCheck[];
  metaWebhook: { appSecret: string | undefined; verifyToken: string | undefined };
  /** Every HTTP endpoint, for the OpenAPI document. */
  endpoints: () => Array<AnyEndpoint<Services>>;
}
