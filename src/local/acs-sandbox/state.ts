import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ControlError } from '../meta-sandbox/http';

/**
 * The ACS sandbox's world: channel registrations that exist, numbers whose SMS fail, the SMS sent,
 * injected failures and call counters. Plain methods, so tests and the local host set it up without
 * HTTP; the `/_sandbox/...` routes call the same methods.
 */
export type AcsSandboxRoute = 'sms' | 'templates';
export const ACS_SANDBOX_ROUTES = ['sms', 'templates'] as const satisfies readonly AcsSandboxRoute[];

/**
 * How the templates route answers for a channel that does not exist: ACS's Azure error body
 * `{ error: { code, message } }`, or RFC 9457 problem details `{ type, title, status, traceId }`
 * (the shape of the SMS API's 404). The Messages spec documents neither, so both are played.
 */
export const CHANNEL_NOT_FOUND_SHAPES = ['error', 'problem-details'] as const;
export type ChannelNotFoundShape = (typeof CHANNEL_NOT_FOUND_SHAPES)[number];

export interface SandboxDeliveryReport {
  /** As in SMSDeliveryReportReceived's `deliveryStatus`. */
  status: 'Delivered' | 'Failed';
  details: string;
}

export interface SandboxSms {
  messageId: string;
  from: string;
  to: string;
  message: string;
  tag: string | null;
  enableDeliveryReport: boolean;
  repeatabilityRequestId: string | null;
  sentAt: string;
  /**
   * The delivery report ACS would publish, or null when the sender did not ask for one
   * (`enableDeliveryReport: false`): the local host must then publish nothing.
   */
  deliveryReport: SandboxDeliveryReport | null;
}

export interface FailNextOptions {
  /** Which service route fails; default: whichever is called next. */
  route?: AcsSandboxRoute;
  /** HTTP status; default 500. */
  status?: number;
  /** `error.code` of the body; default derived from the status. */
  code?: string;
  message?: string;
  /** How many calls fail; default 1. */
  times?: number;
  /** Answer with no body at all, as a proxy or a wrong path would (not ACS speaking); default false. */
  bare?: boolean;
}

export interface PendingFailure {
  route: AcsSandboxRoute | null;
  status: number;
  code: string;
  message: string;
  remaining: number;
  bare: boolean;
}

export interface AcsSandboxCalls {
  sms: number;
  templates: number;
  /** Requests refused for a missing Authorization header. */
  unauthorized: number;
  /** Calls answered with an injected failure. */
  injectedFailures: number;
}

export interface AcsSandboxSnapshot {
  channels: string[];
  channelNotFoundShape: ChannelNotFoundShape;
  failingNumbers: string[];
  undeliverableNumbers: string[];
  sent: SandboxSms[];
  calls: AcsSandboxCalls;
  pendingFailures: PendingFailure[];
}

export const acsSandboxWorldSchema = z.object({
  kind: z.literal('acs-sandbox-world'),
  version: z.literal(1),
  channels: z.array(z.string()),
  failingNumbers: z.array(z.string()),
  undeliverableNumbers: z.array(z.string()),
});

export type AcsSandboxWorld = z.infer<typeof acsSandboxWorldSchema>;

export class AcsSandboxControlError extends ControlError {
  override readonly name = 'AcsSandboxControlError';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isGuid = (value: string): boolean => GUID.test(value);

/** Channel ids compare case-insensitively, as GUIDs do. */
const channelKey = (id: string): string => id.trim().toLowerCase();

/** `+<digits>`; ACS itself answers 400 for anything but E.164 with its `+`. */
export function sandboxE164(value: string): string | null {
  const trimmed = value.trim();
  return /^\+[1-9]\d{6,14}$/.test(trimmed) ? trimmed : null;
}

/** The control routes answer with the key they stored, normalized. */
function addTo(set: Set<string>, key: string): string {
  set.add(key);
  return key;
}

/** Control routes accept numbers with or without `+` and with the usual separators. */
function controlNumber(value: string): string {
  const digits = value.replace(/[\s().-]/g, '').replace(/^\+/, '');
  if (!/^[1-9]\d{6,14}$/.test(digits)) throw new AcsSandboxControlError(`"${value}" is not an E.164 phone number.`);
  return `+${digits}`;
}

const defaultCode = (status: number): string => {
  if (status === 400) return 'BadRequest';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceUnavailable';
  return 'InternalServerError';
};

export class AcsSandboxState {
  /** Lower-case channel registration ids that exist. */
  readonly channels = new Set<string>();
  /** Numbers whose SMS the service refuses (`successful: false` in the send result). */
  readonly failingNumbers = new Set<string>();
  /** Numbers whose SMS are accepted but whose delivery report says `Failed`. */
  readonly undeliverableNumbers = new Set<string>();
  readonly sent: SandboxSms[] = [];
  readonly calls: AcsSandboxCalls = { sms: 0, templates: 0, unauthorized: 0, injectedFailures: 0 };
  /** The body of the templates route's 404; default ACS's Azure error body. */
  channelNotFoundShape: ChannelNotFoundShape = 'error';
  private failures: PendingFailure[] = [];
  /** repeatabilityRequestId → messageId, so a retried POST /sms does not send twice. */
  private readonly repeatability = new Map<string, string>();

  addChannel(id: string): string {
    if (!isGuid(id.trim())) throw new AcsSandboxControlError(`Channel id "${id}" is not a GUID.`);
    return addTo(this.channels, channelKey(id));
  }

  /** True when the channel existed. */
  removeChannel(id: string): boolean {
    return this.channels.delete(channelKey(id));
  }

  hasChannel(id: string): boolean {
    return this.channels.has(channelKey(id));
  }

  failNumber(e164: string): string {
    return addTo(this.failingNumbers, controlNumber(e164));
  }

  unfailNumber(e164: string): boolean {
    return this.failingNumbers.delete(controlNumber(e164));
  }

  failDelivery(e164: string): string {
    return addTo(this.undeliverableNumbers, controlNumber(e164));
  }

  restoreDelivery(e164: string): boolean {
    return this.undeliverableNumbers.delete(controlNumber(e164));
  }

  failNext(options: FailNextOptions = {}): PendingFailure {
    const status = options.status ?? 500;
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new AcsSandboxControlError('status must be an HTTP error status (400–599).');
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new AcsSandboxControlError('times must be a positive integer.');
    const failure: PendingFailure = {
      route: options.route ?? null,
      status,
      code: options.code ?? defaultCode(status),
      message: options.message ?? `Sandbox: injected failure (HTTP ${status}).`,
      remaining: times,
      bare: options.bare ?? false,
    };
    this.failures.push(failure);
    return { ...failure };
  }

  clearFailures(): void {
    this.failures = [];
  }

  pendingFailures(): PendingFailure[] {
    return this.failures.map((failure) => ({ ...failure }));
  }

  /** The injected failure this call must answer with, if any (consumed). */
  takeFailure(route: AcsSandboxRoute): PendingFailure | null {
    const failure = this.failures.find((candidate) => candidate.route === null || candidate.route === route);
    if (!failure) return null;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.failures = this.failures.filter((candidate) => candidate !== failure);
    this.calls.injectedFailures += 1;
    return { ...failure };
  }

  /** The messageId of an earlier request with this repeatabilityRequestId, if any. */
  repeated(requestId: string | null): string | undefined {
    return requestId === null ? undefined : this.repeatability.get(requestId);
  }

  recordSms(input: Omit<SandboxSms, 'messageId' | 'sentAt' | 'deliveryReport'>, now = new Date()): SandboxSms {
    const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
    const undeliverable = this.undeliverableNumbers.has(input.to);
    const sms: SandboxSms = {
      ...input,
      // The shape ACS uses: `Outgoing_<yyyyMMddHHmmss><guid>_noam`.
      messageId: `Outgoing_${stamp}${randomUUID()}_noam`,
      sentAt: now.toISOString(),
      deliveryReport: input.enableDeliveryReport
        ? undeliverable
          ? { status: 'Failed', details: 'Sandbox: the number is marked undeliverable.' }
          : { status: 'Delivered', details: 'No error.' }
        : null,
    };
    this.sent.push(sms);
    if (input.repeatabilityRequestId !== null) this.repeatability.set(input.repeatabilityRequestId, sms.messageId);
    return sms;
  }

  reset(): void {
    this.channels.clear();
    this.channelNotFoundShape = 'error';
    this.failingNumbers.clear();
    this.undeliverableNumbers.clear();
    this.sent.length = 0;
    this.repeatability.clear();
    this.failures = [];
    this.resetCalls();
  }

  resetCalls(): void {
    Object.assign(this.calls, { sms: 0, templates: 0, unauthorized: 0, injectedFailures: 0 });
  }

  /**
   * What outlives a restart of the local host: which channels exist and which numbers fail, as an
   * ACS resource keeps them. SMS sent, counters and injected failures belong to one run.
   */
  world(): AcsSandboxWorld {
    return {
      kind: 'acs-sandbox-world',
      version: 1,
      channels: [...this.channels],
      failingNumbers: [...this.failingNumbers],
      undeliverableNumbers: [...this.undeliverableNumbers],
    };
  }

  restoreWorld(world: AcsSandboxWorld): void {
    this.reset();
    for (const channel of world.channels) this.channels.add(channelKey(channel));
    for (const number of world.failingNumbers) this.failingNumbers.add(number);
    for (const number of world.undeliverableNumbers) this.undeliverableNumbers.add(number);
  }

  snapshot(): AcsSandboxSnapshot {
    return {
      channels: [...this.channels],
      channelNotFoundShape: this.channelNotFoundShape,
      failingNumbers: [...this.failingNumbers],
      undeliverableNumbers: [...this.undeliverableNumbers],
      sent: this.sent.map((sms) => ({ ...sms })),
      calls: { ...this.calls },
      pendingFailures: this.pendingFailures(),
    };
  }
}
