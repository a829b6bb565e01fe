export { createEmbeddedSignup, type EmbeddedSignupOptions } from './embedded-signup';
export { createMetaGraph, phoneNumberFields, PHONE_PAGE_SIZE, type MetaGraphOptions } from './meta-graph-adapter';
export { GraphClient, type GraphClientOptions, type GraphCall, type RetryOptions, type RetryPolicy } from './graph-client';
export { classifyMetaError, type MetaErrorFacts } from './classify';
export { deriveTwoStepPin } from './two-step-pin';
export { parseBusinessUseCaseUsage, retryAfterSecondsFromUsage, USAGE_HEADER } from './usage-header';
