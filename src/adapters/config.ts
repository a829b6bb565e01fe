import { z } from 'zod';
import { reconcileScheduleOf, settingsProblem } from './required-settings';

const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value && value.trim() !== '' ? value.trim() : undefined));

/** docs/design.md §7. Values come from app settings in Azure and from the environment locally. */
export const configSchema = z.object({
  AzureWebJobsStorage: optionalText.transform((value) => value ?? DEVELOPMENT_STORAGE),
  REGISTRATION_STORAGE: optionalText,
  META_GRAPH_URL: optionalText.transform((value) => value ?? 'https://graph.facebook.com').pipe(z.url({ protocol: /^https?$/ })),
  META_GRAPH_VERSION: optionalText.transform((value) => value ?? 'v25.0').pipe(z.string().regex(/^v\d+\.\d+$/, 'must look like v25.0')),
  META_ACCESS_TOKEN: optionalText,
  /** Only for Embedded Signup's code exchange, so not required; numeric like every Meta id. */
  META_APP_ID: optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,30}$/, 'must be the numeric Meta app id')
      .optional(),
  ),
  META_APP_SECRET: optionalText,
  META_WEBHOOK_VERIFY_TOKEN: optionalText,
  REGISTRATION_PIN_SECRET: optionalText,
  ACS_ENDPOINT: optionalText,
  ACS_CONNECTION_STRING: optionalText,
  EVENTGRID_TOPIC_ENDPOINT: optionalText,
  EVENTGRID_TOPIC_KEY: optionalText,
  RECONCILE_TIME_BUDGET_SECONDS: optionalText.transform((value) => value ?? '240').pipe(z.coerce.number<string>().int().min(5).max(3600)),
  META_TIMEOUT_MS: optionalText.transform((value) => value ?? '10000').pipe(z.coerce.number<string>().int().min(100)),
  PORT: optionalText.transform((value) => value ?? '7071').pipe(z.coerce.number<string>().int().min(0).max(65535)),
  /** A typo must not pass silently: anything but true/false is a configuration error. */
  AUTH_TRUST_PRINCIPAL_HEADER: optionalText
    .transform((value) => (value ?? 'false').toLowerCase())
    .pipe(z.enum(['true', 'false'], { message: 'must be true or false' }))
    .transform((value) => value === 'true'),
  /** Set by App Service: `True` when App Service Authentication is on. */
  WEBSITE_AUTH_ENABLED: optionalText.transform((value) => value?.toLowerCase() === 'true'),
  /** Set by App Service in Azure: there, secrets must be configured rather than defaulted. */
  WEBSITE_SITE_NAME: optionalText,
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config {
  storage: string;
  meta: { graphUrl: string; version: string; accessToken: string | undefined; timeoutMs: number };
  metaAppId: string | undefined;
  metaAppSecret: string | undefined;
  metaWebhookVerifyToken: string | undefined;
  pinSecret: string;
  acs: { endpoint: string | undefined; connectionString: string | undefined };
  eventGrid: { topicEndpoint: string | undefined; topicKey: string | undefined };
  reconcile: { schedule: string; timeBudgetSeconds: number };
  port: number;
  runningInAzure: boolean;
  /**
   * Whether `X-MS-CLIENT-PRINCIPAL` names the caller (docs/design.md §5.1): only when App Service
   * Authentication put it there, or when told to (local host, tests). Otherwise every caller is ops.
   */
  auth: { trustPrincipalHeader: boolean };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const raw = parsed.data;
  const runningInAzure = raw.WEBSITE_SITE_NAME !== undefined;
  // The same check as at start-up (src/index.ts), for hosts that load the app directly.
  const problem = settingsProblem(env);
  if (problem) throw new ConfigError(problem);
  if (!raw.REGISTRATION_PIN_SECRET) {
    throw new ConfigError('Missing REGISTRATION_PIN_SECRET (the local host generates one when it is unset).');
  }
  return {
    storage: raw.REGISTRATION_STORAGE ?? raw.AzureWebJobsStorage,
    meta: {
      graphUrl: raw.META_GRAPH_URL.replace(/\/+$/, ''),
      version: raw.META_GRAPH_VERSION,
      accessToken: raw.META_ACCESS_TOKEN,
      timeoutMs: raw.META_TIMEOUT_MS,
    },
    metaAppId: raw.META_APP_ID,
    metaAppSecret: raw.META_APP_SECRET,
    metaWebhookVerifyToken: raw.META_WEBHOOK_VERIFY_TOKEN,
    pinSecret: raw.REGISTRATION_PIN_SECRET,
    acs: { endpoint: raw.ACS_ENDPOINT, connectionString: raw.ACS_CONNECTION_STRING },
    eventGrid: { topicEndpoint: raw.EVENTGRID_TOPIC_ENDPOINT, topicKey: raw.EVENTGRID_TOPIC_KEY },
    reconcile: { schedule: reconcileScheduleOf(env), timeBudgetSeconds: raw.RECONCILE_TIME_BUDGET_SECONDS },
    port: raw.PORT,
    runningInAzure,
    auth: { trustPrincipalHeader: raw.WEBSITE_AUTH_ENABLED || raw.AUTH_TRUST_PRINCIPAL_HEADER },
  };
}

export const isDevelopmentStorage = (connection: string): boolean => connection.replace(/\s/g, '').toLowerCase().startsWith(DEVELOPMENT_STORAGE.toLowerCase());
