/**
 * The soak's traffic, as production makes it: client apps onboarding numbers by API (own numbers
 * with the code typed in, ACS numbers whose code arrives as an SMS event) and by Embedded Signup,
 * some retrying with the same Idempotency-Key; the world changing in Meta (reviews, deleted
 * numbers, unshared accounts) with the signed webhooks Meta sends; ops reading lists, counts and the
 * events feed. Every step is retried as a client would (no answer, 503, 409 in progress, 429), a
 * bounded number of times.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Caller, SoakClient, Answer } from './client';
import { EventGridEmulator, smsReceivedEvent } from './event-grid';
import { codeHashOf } from './meta-proxy';

export const SEED_BUSINESS = '100000000000001';
export const SEED_WABA = '200000000000001';

export interface Tracked {
  id: string;
  phoneNumber: string;
  source: 'acs' | 'byo';
  flow: 'api' | 'embedded';
  caller: Caller;
  /** The storage generation it was created in: an empty restart of storage loses the earlier ones. */
  generation: number;
  wabaId: string;
  connected: boolean;
}

export interface TrafficContext {
  client: SoakClient;
  sandboxUrl: string;
  grid: EventGridEmulator;
  callers: Caller[];
  ops: Caller;
  appSecret: string;
  generation: () => number;
  tracked: Tracked[];
  deadline: number;
  counts: {
    onboarded: number;
    embedded: number;
    idempotentRetries: number;
    idempotencyMismatches: number;
    webhooks: number;
    worldChanges: number;
    reads: number;
  };
  /** Every verification and Embedded Signup code handed out, for the secrets scan of the service's log. */
  secrets: Set<string>;
  /** The last answer (HTTP status, 0 for none) to each Embedded Signup code, by the hash the Meta proxy logs it under. */
  signupAnswers: Map<string, number>;
  /** Why flows stopped short: `<step>: <status> <code>` → count (shown with the figures). */
  stops: Map<string, number>;
}

const stopped = (ctx: TrafficContext, step: string, answer: { status: number; json?: Answer['json'] } | null): void => {
  const key = `${step}: ${answer ? `${answer.status} ${answer.json?.code ?? ''}`.trim() : 'no answer'}`;
  ctx.stops.set(key, (ctx.stops.get(key) ?? 0) + 1);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

let numberSequence = Math.floor(Math.random() * 900_000);
/** A number no earlier run used: +1 425 7xx xxxx. */
export const newPhoneNumber = (): string => `+14257${String((numberSequence++ % 1_000_000) + 1_000_000).slice(1)}`;

/** Whether a client would try the same call again: no answer, the service busy or resting, or Meta limiting. */
const retryable = (answer: Answer | null): boolean =>
  !answer ||
  answer.status === 503 ||
  answer.status === 429 ||
  (answer.status === 409 && answer.json?.code === 'operation-in-progress') ||
  answer.status === 502;

async function persist(call: () => Promise<Answer | null>, ok: (answer: Answer) => boolean, deadline: number, tries = 12): Promise<Answer | null> {
  let last: Answer | null = null;
  for (let attempt = 0; attempt < tries && Date.now() < deadline + 120_000; attempt += 1) {
    last = await call();
    if (last && ok(last)) return last;
    if (last && !retryable(last)) return last;
    const wait = Number(last?.headers['retry-after'] ?? 0) * 1000;
    await sleep(Math.min(15_000, Math.max(wait, 500 * 2 ** Math.min(attempt, 4)) + Math.random() * 500));
  }
  return last;
}

const sandbox = async (ctx: TrafficContext, method: string, path: string, body?: unknown): Promise<{ status: number; json: Answer['json'] }> => {
  const response = await fetch(`${ctx.sandboxUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
};

const digits = (phoneNumber: string) => phoneNumber.slice(1);

/**
 * Creates a registration, sometimes retrying the same request with the same Idempotency-Key as a
 * client does after a lost answer. The generation is the storage's when the first request left: a
 * registration acknowledged before storage restarted empty was lost with it, however long the
 * retry that follows took.
 */
async function create(ctx: TrafficContext, caller: Caller, phoneNumber: string, source: 'acs' | 'byo'): Promise<{ id: string; generation: number } | null> {
  const generation = ctx.generation();
  const key = randomUUID();
  const send = () =>
    ctx.client.call('POST', '/api/registrations', { caller, body: { phoneNumber, phoneNumberSource: source }, headers: { 'idempotency-key': key } });
  const first = await persist(send, (answer) => answer.status === 201 || answer.status === 200, ctx.deadline);
  if (!first || (first.status !== 201 && first.status !== 200)) return null;
  if (Math.random() < 0.3) {
    ctx.counts.idempotentRetries += 1;
    const again = await persist(send, (answer) => answer.status === 201 || answer.status === 200, ctx.deadline);
    // A storage restarted empty in between forgot the key along with the registration: not the service's doing.
    if (again?.json?.id && again.json.id !== first.json.id && generation === ctx.generation()) ctx.counts.idempotencyMismatches += 1;
  }
  return { id: first.json.id as string, generation };
}

async function waitForStage(ctx: TrafficContext, tracked: Tracked, stages: string[], ms: number): Promise<Answer | null> {
  const until = Date.now() + ms;
  let last: Answer | null = null;
  while (Date.now() < until) {
    last = await ctx.client.call('GET', `/api/registrations/${tracked.id}`, { caller: tracked.caller });
    if (last?.status === 200 && stages.includes(last.json.stage)) return last;
    if (last?.status === 404) return last;
    await sleep(1_000);
  }
  return last;
}

/** The code Meta sent the number, as the business reads it (own number) or as ACS receives it (SMS). */
async function deliverCode(ctx: TrafficContext, tracked: Tracked): Promise<boolean> {
  for (let attempt = 0; attempt < 6; attempt += 1) {
    const code = await sandbox(ctx, 'GET', `/_sandbox/codes/${digits(tracked.phoneNumber)}`);
    if (code.status !== 200) return false;
    ctx.secrets.add(code.json.code);
    if (tracked.source === 'byo') {
      const answer = await persist(
        () => ctx.client.call('POST', `/api/registrations/${tracked.id}/verification/code`, { caller: tracked.caller, body: { code: code.json.code } }),
        (reply) => reply.status === 200,
        ctx.deadline,
      );
      if (answer?.status === 200) return true;
      // The stage moved on (an earlier try went through before its answer was lost).
      if (answer?.status === 409) return true;
    } else {
      const text = `Your WhatsApp Business code ${code.json.code.slice(0, 3)}-${code.json.code.slice(3)}\nDon't share this code with others`;
      await ctx.grid.publish('smsEvents', smsReceivedEvent(tracked.phoneNumber, text));
      const seen = await waitForStage(ctx, tracked, ['CodeVerified', 'Connected'], 20_000);
      if (seen?.status === 200 && ['CodeVerified', 'Connected'].includes(seen.json.stage)) return true;
    }
    await sleep(2_000);
  }
  return false;
}

async function onboardByApi(ctx: TrafficContext, caller: Caller, source: 'acs' | 'byo'): Promise<void> {
  const phoneNumber = newPhoneNumber();
  const created = await create(ctx, caller, phoneNumber, source);
  if (!created) return;
  const { id, generation } = created;
  const tracked: Tracked = { id, phoneNumber, source, flow: 'api', caller, generation, wabaId: SEED_WABA, connected: false };
  ctx.tracked.push(tracked);
  const put = (path: string, body: unknown) =>
    persist(
      () => ctx.client.call('PUT', `/api/registrations/${id}/${path}`, { caller, body }),
      (answer) => answer.status === 200,
      ctx.deadline,
    );
  if ((await put('business-account', { businessId: SEED_BUSINESS }))?.status !== 200) return;
  if ((await put('whatsapp-profile', { whatsAppBusinessAccountId: SEED_WABA, displayName: 'Soak Bikes' }))?.status !== 200) return;
  const requested = await persist(
    () => ctx.client.call('POST', `/api/registrations/${id}/verification`, { caller, body: { method: 'SMS' } }),
    // A cooldown after a lost answer means the code was sent.
    (answer) => answer.status === 202 || (answer.status === 429 && answer.json?.code === 'verification-cooldown'),
    ctx.deadline,
  );
  if (!requested || (requested.status !== 202 && requested.json?.code !== 'verification-cooldown')) return;
  if (!(await deliverCode(ctx, tracked))) return;
  tracked.connected = (await waitForStage(ctx, tracked, ['Connected'], 30_000))?.json?.stage === 'Connected';
  if (tracked.connected) ctx.counts.onboarded += 1;
}

async function onboardByEmbeddedSignup(ctx: TrafficContext, caller: Caller): Promise<void> {
  const phoneNumber = newPhoneNumber();
  const created = await create(ctx, caller, phoneNumber, 'byo');
  if (!created) return;
  const { id, generation } = created;
  const tracked: Tracked = { id, phoneNumber, source: 'byo', flow: 'embedded', caller, generation, wabaId: '', connected: false };
  ctx.tracked.push(tracked);
  for (let popup = 0; popup < 3; popup += 1) {
    const session = await sandbox(ctx, 'POST', '/_sandbox/embedded-signup', { phoneNumber, verifiedName: 'Soak Cycles' });
    if (session.status !== 200 && session.status !== 201) return stopped(ctx, 'embedded-signup popup', { status: session.status });
    tracked.wabaId = session.json.data.waba_id;
    ctx.secrets.add(session.json.code);
    const body = {
      code: session.json.code,
      businessId: session.json.data.business_id,
      whatsAppBusinessAccountId: session.json.data.waba_id,
      phoneNumberId: session.json.data.phone_number_id,
    };
    // The same body again after a lost answer is safe (design §5.2): no second exchange.
    const answer = await persist(
      () => ctx.client.call('POST', `/api/registrations/${id}/embedded-signup`, { caller, body }),
      (reply) => reply.status === 200,
      ctx.deadline,
      6,
    );
    ctx.signupAnswers.set(codeHashOf(session.json.code), answer?.status ?? 0);
    if (answer?.status === 200) {
      tracked.connected = answer.json.stage === 'Connected' || (await waitForStage(ctx, tracked, ['Connected'], 30_000))?.json?.stage === 'Connected';
      if (tracked.connected) ctx.counts.embedded += 1;
      return;
    }
    stopped(ctx, 'embedded-signup', answer);
    // The code expired while the host was away: the business runs the popup again.
    if (answer?.json?.code !== 'meta-code-exchange-failed') return;
  }
}

export async function onboardingWorker(ctx: TrafficContext, index: number): Promise<void> {
  while (Date.now() < ctx.deadline) {
    const caller = ctx.callers[index % ctx.callers.length]!;
    const roll = Math.random();
    try {
      if (roll < 0.4) await onboardByApi(ctx, caller, 'acs');
      else if (roll < 0.75) await onboardByApi(ctx, caller, 'byo');
      else await onboardByEmbeddedSignup(ctx, caller);
    } catch (error) {
      process.stderr.write(`[soak] onboarding worker: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

/** Meta's webhook for a change, signed with the app secret over the exact bytes sent. */
async function sendWebhook(ctx: TrafficContext, wabaId: string, field: string, value: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] }],
  });
  const signature = `sha256=${createHmac('sha256', ctx.appSecret).update(body).digest('hex')}`;
  ctx.counts.webhooks += 1;
  await persist(
    () => ctx.client.call('POST', '/api/meta/webhook', { body, headers: { 'x-hub-signature-256': signature } }),
    (answer) => answer.status === 200,
    ctx.deadline,
    5,
  );
}

/** Changes the world in Meta for a connected number, and tells the service as Meta does (a webhook), most of the time. */
export async function worldWorker(ctx: TrafficContext, intervalMs: number): Promise<void> {
  while (Date.now() < ctx.deadline) {
    await sleep(intervalMs);
    const candidates = ctx.tracked.filter((tracked) => tracked.connected && tracked.generation === ctx.generation());
    if (candidates.length === 0) continue;
    const tracked = pick(candidates);
    const number = digits(tracked.phoneNumber);
    const roll = Math.random();
    try {
      ctx.counts.worldChanges += 1;
      if (roll < 0.45) {
        const [nameStatus, decision] = pick([
          ['APPROVED', 'APPROVED'],
          ['DECLINED', 'REJECTED'],
          ['PENDING_REVIEW', 'PENDING'],
        ] as const);
        await sandbox(ctx, 'POST', `/_sandbox/phone-numbers/${number}/name-status`, { nameStatus });
        if (Math.random() < 0.7)
          await sendWebhook(ctx, tracked.wabaId, 'phone_number_name_update', { display_phone_number: number, decision, requested_verified_name: 'Soak Bikes' });
      } else if (roll < 0.7) {
        const status = pick(['FLAGGED', 'CONNECTED']);
        await sandbox(ctx, 'POST', `/_sandbox/phone-numbers/${number}/status`, { status });
        if (Math.random() < 0.5)
          await sendWebhook(ctx, tracked.wabaId, 'phone_number_quality_update', {
            display_phone_number: number,
            event: status === 'FLAGGED' ? 'FLAGGED' : 'UNFLAGGED',
            current_limit: 'TIER_1K',
          });
      } else if (roll < 0.8) {
        await sandbox(ctx, 'POST', `/_sandbox/phone-numbers/${number}/delete`, { mode: 'status' });
        tracked.connected = false;
      } else if (tracked.flow === 'embedded' && roll < 0.92) {
        // An account of its own (Embedded Signup): its review can change without touching the others.
        const decision = pick(['REJECTED', 'APPROVED']);
        await sandbox(ctx, 'POST', `/_sandbox/wabas/${tracked.wabaId}/account-review-status`, { accountReviewStatus: decision });
        if (Math.random() < 0.7) await sendWebhook(ctx, tracked.wabaId, 'account_review_update', { decision });
      } else if (tracked.flow === 'embedded') {
        await sandbox(ctx, 'POST', `/_sandbox/wabas/${tracked.wabaId}/unshare`);
        if (Math.random() < 0.7) await sendWebhook(ctx, tracked.wabaId, 'account_update', { phone_number: number, event: 'PARTNER_REMOVED' });
        tracked.connected = false;
      }
    } catch (error) {
      process.stderr.write(`[soak] world worker: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

/** Ops and client apps reading while it runs: lists by status, counts, the events feed, one registration. */
export async function readerWorker(ctx: TrafficContext): Promise<void> {
  const statuses = ['Active', 'DisplayNameReviewPending', 'DisplayNameReviewRejected', 'PhoneNumberDeleted', 'Revoked'];
  let cursor: string | null = null;
  while (Date.now() < ctx.deadline) {
    ctx.counts.reads += 1;
    const roll = Math.random();
    if (roll < 0.3) await ctx.client.call('GET', `/api/registrations?status=${pick(statuses)}&limit=50`, { caller: ctx.ops });
    else if (roll < 0.5) await ctx.client.call('GET', '/api/registrations/summary', { caller: ctx.ops });
    else if (roll < 0.75) {
      const page = await ctx.client.call('GET', `/api/events?limit=100${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`, { caller: ctx.ops });
      if (page?.status === 200) cursor = page.json.nextCursor ?? cursor;
    } else {
      const tracked = ctx.tracked.length > 0 ? pick(ctx.tracked) : null;
      if (tracked) await ctx.client.call('GET', `/api/registrations/${tracked.id}`, { caller: tracked.caller });
      else await ctx.client.call('GET', '/api/registrations?limit=20', { caller: pick(ctx.callers) });
    }
    await sleep(200);
  }
}
