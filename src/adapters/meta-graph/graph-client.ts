import type { z } from 'zod';
import { MetaGraphError, type BusinessUseCaseUsage, type MetaErrorKind } from '../../domain/meta';
import { classifyMetaError } from './classify';
import { errorEnvelopeSchema } from './schemas';
import { USAGE_HEADER, parseBusinessUseCaseUsage, retryAfterSecondsFromUsage } from './usage-header';

/**
 * One Graph API call: `fetch` with a timeout, the usage header read on every answer, errors
 * classified by code/subcode, the success body validated with zod, and a bounded retry with
 * full-jitter exponential backoff for transient faults only.
 *
 * Nothing secret leaves this module: error messages name the operation, Meta's message with the
 * token and the call's own secrets (PIN, code) replaced, and the code/subcode/trace id; never the
 * URL (debug_token carries the token in its query), headers or request body.
 */
export interface RetryOptions {
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  /** The n-th retry waits a random time in [0, baseDelayMs × 2^(n-1)] (full jitter). */
  baseDelayMs: number;
}

export interface GraphClientOptions {
  graphUrl: string;
  version: string;
  accessToken: string;
  timeoutMs: number;
  retry: RetryOptions;
  onUsage?: ((usage: BusinessUseCaseUsage[]) => void) | undefined;
  /** For tests: replaces the backoff wait. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** For tests: replaces Math.random in the jitter. */
  random?: (() => number) | undefined;
}

/**
 * - `transient`: retry transient faults (GETs and idempotent POSTs).
 * - `answered-transient`: retry only when Meta answered with a transient error body, not after a
 *   timeout, a broken connection or a gateway 5xx, where the first attempt may have taken effect.
 * - `never`: one attempt (request_code, register: repeating them locks the number).
 */
export type RetryPolicy = 'transient' | 'answered-transient' | 'never';

export interface GraphCall<T> {
  /** Names the call in error messages, e.g. `getWhatsAppBusinessAccount`. */
  operation: string;
  method: 'GET' | 'POST';
  /** Path after the version, starting with `/`, without query. */
  path: string;
  query?: Record<string, string>;
  /** Sent as a JSON body. */
  body?: Record<string, unknown>;
  schema: z.ZodType<T>;
  retry: RetryPolicy;
  /** Values of this call that must never appear in an error message (PIN, code). */
  secrets?: string[];
  /** False for calls that authenticate otherwise (the code exchange sends the app's id and secret). */
  bearer?: boolean;
}

const MAX_DELAY_MS = 30_000;

export class GraphClient {
  private readonly baseUrl: string;

  constructor(private readonly options: GraphClientOptions) {
    if (!Number.isInteger(options.retry.attempts) || options.retry.attempts < 1) {
      throw new Error('retry.attempts must be an integer of at least 1.');
    }
    this.baseUrl = `${options.graphUrl.replace(/\/+$/, '')}/${options.version}`;
  }

  async call<T>(call: GraphCall<T>): Promise<T> {
    const attempts = call.retry === 'never' ? 1 : this.options.retry.attempts;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.once(call);
      } catch (error) {
        if (!(error instanceof MetaGraphError) || attempt >= attempts || !this.retryable(error, call.retry)) throw error;
        await this.backoff(attempt);
      }
    }
  }

  private retryable(error: MetaGraphError, policy: RetryPolicy): boolean {
    if (error.kind !== 'transient' || policy === 'never') return false;
    // `answered-transient`: Meta itself said "transient" in an error body; a timeout, a broken
    // connection or a bare gateway 5xx leaves open whether the first attempt took effect.
    return policy === 'transient' || error.details.code !== undefined;
  }

  private async backoff(retry: number): Promise<void> {
    const cap = Math.min(MAX_DELAY_MS, this.options.retry.baseDelayMs * 2 ** (retry - 1));
    const delay = Math.floor((this.options.random ?? Math.random)() * cap);
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    await sleep(delay);
  }

  private async once<T>(call: GraphCall<T>): Promise<T> {
    // Constructing without a token is allowed (the app is composed before anyone calls Meta);
    // calling is a credential fault, like a revoked token.
    const bearer = call.bearer !== false;
    if (bearer && !this.options.accessToken) {
      throw new MetaGraphError('token', `Meta Graph ${call.operation}: no access token is configured (META_ACCESS_TOKEN).`);
    }
    const url = new URL(`${this.baseUrl}${call.path}`);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (bearer) headers.Authorization = `Bearer ${this.options.accessToken}`;
    if (call.body !== undefined) headers['Content-Type'] = 'application/json';

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: call.method,
        headers,
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      throw this.noAnswer(call, error);
    }

    const usage = parseBusinessUseCaseUsage(response.headers.get(USAGE_HEADER));
    if (usage.length > 0) this.reportUsage(usage);

    const json = parseJson(text);
    if (!response.ok) throw this.failure(call, response.status, json, usage);
    // Graph sometimes answers 200 with an error envelope (batch-style answers); treat it as one.
    if (json.ok && isErrorEnvelope(json.value)) throw this.failure(call, response.status, json, usage);
    if (!json.ok) throw this.notUnderstood(call, response.status, 'the body is not JSON', usage);
    const parsed = call.schema.safeParse(json.value);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((issue) => issue.path.map(String).join('.') || '(root)')
        .join(', ');
      throw this.notUnderstood(call, response.status, `unexpected shape at ${where}`, usage);
    }
    return parsed.data;
  }

  private reportUsage(usage: BusinessUseCaseUsage[]): void {
    try {
      this.options.onUsage?.(usage);
    } catch {
      // An observer's fault must not fail the Graph call it observes.
    }
  }

  private failure(
    call: GraphCall<unknown>,
    httpStatus: number,
    json: { ok: true; value: unknown } | { ok: false },
    usage: BusinessUseCaseUsage[],
  ): MetaGraphError {
    const envelope = json.ok ? errorEnvelopeSchema.safeParse(json.value) : undefined;
    const error = envelope?.success ? envelope.data.error : undefined;
    const kind = classifyMetaError({
      code: error?.code,
      subcode: error?.error_subcode,
      isTransient: error?.is_transient,
      httpStatus,
    });
    const codes = [
      error?.code !== undefined ? `code ${error.code}` : undefined,
      error?.error_subcode !== undefined ? `subcode ${error.error_subcode}` : undefined,
      `HTTP ${httpStatus}`,
      error?.fbtrace_id ? `fbtrace_id ${error.fbtrace_id}` : undefined,
    ].filter(Boolean);
    const said = error?.message ? `: ${this.redact(error.message, call.secrets)}` : '';
    const retryAfterSeconds = kind === 'rate-limited' ? retryAfterSecondsFromUsage(usage) : undefined;
    return new MetaGraphError(kind, `Meta Graph ${call.operation} failed${said} (${codes.join(', ')})`, {
      ...(error?.code !== undefined ? { code: error.code } : {}),
      ...(error?.error_subcode !== undefined ? { subcode: error.error_subcode } : {}),
      httpStatus,
      ...(error?.fbtrace_id ? { fbtraceId: error.fbtrace_id } : {}),
      ...(usage.length > 0 ? { usage } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }

  private notUnderstood(call: GraphCall<unknown>, httpStatus: number, why: string, usage: BusinessUseCaseUsage[]): MetaGraphError {
    return new MetaGraphError('rejected', `Meta Graph ${call.operation}: the response was not understood (${why})`, {
      httpStatus,
      ...(usage.length > 0 ? { usage } : {}),
    });
  }

  private noAnswer(call: GraphCall<unknown>, error: unknown): MetaGraphError {
    const kind: MetaErrorKind = 'transient';
    // Duck-typed: the DOMException of a timeout is not an `Error` of every realm (jest, vm).
    const failure = typeof error === 'object' && error !== null ? (error as { name?: unknown; cause?: unknown }) : {};
    if (failure.name === 'TimeoutError' || failure.name === 'AbortError') {
      return new MetaGraphError(kind, `Meta Graph ${call.operation} timed out after ${this.options.timeoutMs} ms`);
    }
    // undici reports `fetch failed` with the system error (ECONNREFUSED, ENOTFOUND...) as cause.
    const cause = typeof failure.cause === 'object' && failure.cause !== null ? (failure.cause as { code?: unknown }) : {};
    const code = typeof cause.code === 'string' && /^[A-Z_]+$/.test(cause.code) ? ` (${cause.code})` : '';
    return new MetaGraphError(kind, `Meta Graph ${call.operation} could not reach Meta${code}`);
  }

  private redact(message: string, secrets: string[] = []): string {
    let result = message;
    for (const secret of [this.options.accessToken, ...secrets]) {
      if (secret) result = result.split(secret).join('[redacted]');
    }
    return result.length > 500 ? `${result.slice(0, 500)}…` : result;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function isErrorEnvelope(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'error' in value && errorEnvelopeSchema.safeParse(value).success;
}
