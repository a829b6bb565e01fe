import type { OnboardingDependencies } from '../domain/use-cases/dependencies';
import type { AnyEndpoint } from './http/endpoint';

export interface HealthCheck {
  name: string;
  /** `unavailable` makes the service answer 503; `degraded` is reported but still 200. */
  check(): Promise<{ status: 'ok' | 'degraded' | 'unavailable'; detail?: string }>;
}

/** What handler factories receive: ports and use-case dependencies, never concrete adapters. */
export interface Services extends OnboardingDependencies {
  healthChecks: HealthCheck[];
  /** Every HTTP endpoint, for the OpenAPI document. */
  endpoints: () => Array<AnyEndpoint<Services>>;
}
