import type { SmsClientOptions, SmsSendResult } from '@azure/communication-sms';
import type { TokenCredential } from '@azure/identity';
import { maskPhoneNumber } from '../../domain/phone-number';
import type { SmsSender } from '../../domain/ports';
import { LazyDefaultAzureCredential } from '../lazy-credential';

/**
 * The SmsSender port on `@azure/communication-sms`. This module also holds what both ACS adapters
 * share (connection settings, the error type); channels.ts imports it from here.
 */
export interface AcsClientOptions {
  /** `endpoint=https://….communication.azure.com/;accesskey=…` (HMAC). Wins over `endpoint` when both are set. */
  connectionString?: string;
  /** `https://….communication.azure.com`, used with `credential` (managed identity in Azure). */
  endpoint?: string;
  /** For `endpoint`; default DefaultAzureCredential, loaded on the first token request. */
  credential?: TokenCredential;
  /** Whole call, SDK retries included; default 10,000 ms. */
  timeoutMs?: number;
  /** The SDK's retries of 5xx, 429 and network faults; default 2 retries from 500 ms. */
  retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
}

export interface AcsRequestFacts {
  operation: 'send-sms' | 'list-templates';
  /** HTTP status of the call (or of the SMS recipient's result), when there was an answer. */
  status?: number;
  /** ACS error code, or a network error code such as ECONNREFUSED. */
  code?: string;
  /** Worth trying again later: 5xx, 429, network faults and timeouts. */
  transient: boolean;
}

/** Any ACS failure other than the answers a port defines as results. Messages carry no SMS text. */
export class AcsRequestError extends Error {
  override readonly name = 'AcsRequestError';
  constructor(
    message: string,
    readonly facts: AcsRequestFacts,
  ) {
    super(message);
  }

  get transient(): boolean {
    return this.facts.transient;
  }
}

export interface AcsTarget {
  /** The first argument of the SDK clients: the connection string, or the endpoint (origin only). */
  clientArgument: string;
  /**
   * The endpoint when it has a path (the local host serves the sandbox under `/acs-sandbox`): the
   * SDKs refuse an endpoint with a path in their first argument but take it as the `endpoint`
   * client option, which replaces the base URL of every request.
   */
  baseUrl: string | undefined;
  /** Only with an endpoint. */
  credential: TokenCredential | undefined;
  /**
   * The SDK pipeline refuses plain http unless told otherwise; only the local sandbox and tests
   * serve ACS over http, and only on the loopback interface.
   */
  allowInsecureConnection: boolean;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

function checkedEndpoint(value: string, setting: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${setting}: the ACS endpoint is not a URL.`);
  }
  if (url.search || url.hash || url.username || url.password) throw new Error(`${setting}: the ACS endpoint must not carry a query, fragment or user info.`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw new Error(`${setting}: the ACS endpoint must use https (plain http only on 127.0.0.1 or localhost).`);
}

const pathBase = (url: URL): string | undefined => (url.pathname === '/' ? undefined : `${url.origin}${url.pathname.replace(/\/+$/, '')}`);

/** Validates the settings at once, so a wrong one fails at start-up rather than on the first probe. */
function resolveAcsTarget(options: AcsClientOptions): AcsTarget {
  const connectionString = options.connectionString?.trim();
  if (connectionString) {
    // The SDK's own parser (communication-common) reads the same two keys, case-insensitively.
    const endpoint = /(?:^|;)\s*endpoint=([^;]+)/i.exec(connectionString)?.[1]?.trim();
    const accessKey = /(?:^|;)\s*accesskey=([^;]+)/i.exec(connectionString)?.[1]?.trim();
    if (!endpoint || !accessKey) {
      throw new Error('ACS_CONNECTION_STRING must look like endpoint=https://<resource>.communication.azure.com/;accesskey=<key>.');
    }
    const url = checkedEndpoint(endpoint, 'ACS_CONNECTION_STRING');
    return {
      // Rebuilt in the one order the SDK's parser accepts.
      clientArgument: `endpoint=${url.origin}/;accesskey=${accessKey}`,
      baseUrl: pathBase(url),
      credential: undefined,
      allowInsecureConnection: url.protocol === 'http:',
    };
  }
  const endpoint = options.endpoint?.trim();
  if (endpoint) {
    const url = checkedEndpoint(endpoint, 'ACS_ENDPOINT');
    if (url.protocol === 'http:') {
      // core-rest-pipeline's bearer-token policy throws for any http URL, allowInsecureConnection or not.
      throw new Error('ACS_ENDPOINT: token credentials need https; for a local http endpoint use ACS_CONNECTION_STRING (HMAC key).');
    }
    return {
      clientArgument: `${url.origin}/`,
      baseUrl: pathBase(url),
      credential: options.credential ?? new LazyDefaultAzureCredential(),
      allowInsecureConnection: false,
    };
  }
  throw new Error('ACS is not configured: set ACS_CONNECTION_STRING or ACS_ENDPOINT.');
}

export const DEFAULT_ACS_TIMEOUT_MS = 10_000;

export interface AcsPipelineOptions extends Pick<SmsClientOptions, 'retryOptions' | 'allowInsecureConnection'> {
  /** Both SDKs read it (ServiceClientOptions / rest ClientOptions), though SmsClientOptions does not declare it. */
  endpoint?: string;
}

/**
 * Opens an SDK client on first use (the SDKs are not needed to start the app, docs/design.md §10);
 * the settings are checked at once, and a failed load is forgotten so the next call tries again.
 */
export function lazyAcsClient<T>(options: AcsClientOptions, build: (target: AcsTarget, pipeline: AcsPipelineOptions) => Promise<T>): () => Promise<T> {
  const target = resolveAcsTarget(options);
  let client: Promise<T> | undefined;
  return () => {
    if (!client) {
      client = build(target, acsPipelineOptions(target, options));
      client.catch(() => {
        client = undefined;
      });
    }
    return client;
  };
}

/** Client options both SDK clients take. */
function acsPipelineOptions(target: AcsTarget, options: AcsClientOptions): AcsPipelineOptions {
  return {
    retryOptions: {
      maxRetries: options.retry?.maxRetries ?? 2,
      retryDelayInMs: options.retry?.retryDelayInMs ?? 500,
      maxRetryDelayInMs: options.retry?.maxRetryDelayInMs ?? 4_000,
    },
    ...(target.allowInsecureConnection ? { allowInsecureConnection: true } : {}),
    ...(target.baseUrl !== undefined ? { endpoint: target.baseUrl } : {}),
  };
}

const isTransientStatus = (status: number | undefined): boolean => status === undefined || status === 429 || status === 408 || status >= 500;

/** Turns what the SDK threw (RestError, AbortError, a network error) into an AcsRequestError. */
export function acsFailure(operation: AcsRequestFacts['operation'], what: string, error: unknown, timeoutMs: number): AcsRequestError {
  if (error instanceof AcsRequestError) return error;
  const facts = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; statusCode?: unknown; code?: unknown };
  if (facts.name === 'AbortError' || facts.name === 'TimeoutError') {
    return new AcsRequestError(`${what}: no answer from ACS within ${timeoutMs} ms.`, { operation, code: 'Timeout', transient: true });
  }
  const status = typeof facts.statusCode === 'number' ? facts.statusCode : undefined;
  const code = typeof facts.code === 'string' ? facts.code : undefined;
  const reason = status !== undefined ? `ACS answered HTTP ${status}${code ? ` (${code})` : ''}` : `request failed${code ? ` (${code})` : ''}`;
  return new AcsRequestError(`${what}: ${reason}.`, {
    operation,
    ...(status !== undefined ? { status } : {}),
    ...(code !== undefined ? { code } : {}),
    transient: isTransientStatus(status),
  });
}

export function createAcsSmsSender(options: AcsClientOptions): SmsSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ACS_TIMEOUT_MS;
  const open = lazyAcsClient(options, async (target, pipeline) => {
    const { SmsClient } = await import('@azure/communication-sms');
    return target.credential ? new SmsClient(target.clientArgument, target.credential, pipeline) : new SmsClient(target.clientArgument, pipeline);
  });

  return {
    async send({ from, to, message, tag }) {
      const what = `ACS SMS from ${maskPhoneNumber(from)} to ${maskPhoneNumber(to)}`;
      let results: SmsSendResult[];
      try {
        const sms = await open();
        // The SDK gives each recipient a repeatabilityRequestId once per call, so its own retries
        // of this POST cannot send the SMS twice.
        results = await sms.send({ from, to: [to], message }, { enableDeliveryReport: true, tag, abortSignal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        throw acsFailure('send-sms', what, error, timeoutMs);
      }
      const result = results[0];
      if (!result) throw new AcsRequestError(`${what}: ACS answered without a result for the recipient.`, { operation: 'send-sms', transient: true });
      if (!result.successful || !result.messageId) {
        const status = result.httpStatusCode;
        throw new AcsRequestError(`${what} was not accepted: HTTP ${status}${result.errorMessage ? `, ${result.errorMessage}` : ''}.`, {
          operation: 'send-sms',
          status,
          transient: isTransientStatus(status),
        });
      }
      return { messageId: result.messageId };
    },
  };
}
