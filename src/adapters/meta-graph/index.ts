export { createEmbeddedSignup, type EmbeddedSignupOptions } from './embedded-signup';
export { createMetaGraph, PHONE_PAGE_SIZE, type MetaGraphOptions } from './meta-graph-adapter';
export { phoneNumberFields, wabaFields, PHONE_NUMBER_FIELD_VERSIONS, WABA_FIELD_VERSIONS, type FieldVersions } from './fields';
export { readHealthStatus } from './health-status';
export { GraphClient, type GraphClientOptions, type GraphCall, type RetryOptions, type RetryPolicy } from './graph-client';
export { classifyMetaError, type MetaErrorFacts } from './classify';
export { deriveTwoStepPin } from './two-step-pin';
export { parseBusinessUseCaseUsage, retryAfterSecondsFromUsage, USAGE_HEADER } from './usage-header';
