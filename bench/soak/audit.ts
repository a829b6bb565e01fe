/**
 * The soak's audit, after the traffic stopped and a final reconcile ran: what the service holds
 * against what Meta's world implies (design §2.2, written here again without the service's code),
 * history against the outgoing events, Meta's side effects from the call log, and the service's log
 * against every secret the run handed out.
 */
import { readFileSync } from 'node:fs';
import type { Caller, SoakClient } from './client';
import type { GraphCall } from './meta-proxy';
import type { Tracked } from './traffic';

interface SandboxWaba {
  id: string;
  shared: boolean;
  accountReviewStatus: string;
}
interface SandboxPhone {
  id: string;
  wabaId: string;
  e164: string;
  nameStatus: string;
  status: string;
  removed: boolean;
  registered: boolean;
}
export interface SandboxWorld {
  wabas: SandboxWaba[];
  phoneNumbers: SandboxPhone[];
}

/** Design §2.2, in the soak's own words: the status Meta's world implies for a connected number. */
export function expectedStatus(waba: SandboxWaba | undefined, phone: SandboxPhone | undefined): string {
  if (!waba || !waba.shared) return 'Revoked';
  if (!phone || phone.removed || phone.status.toUpperCase() === 'DELETED') return 'PhoneNumberDeleted';
  if (waba.accountReviewStatus.toUpperCase() === 'REJECTED') return 'BusinessAccountReviewRejected';
  switch (phone.nameStatus.toUpperCase()) {
    case 'DECLINED':
      return 'DisplayNameReviewRejected';
    case 'PENDING_REVIEW':
      return 'DisplayNameReviewPending';
    case 'NONE':
    case 'EXPIRED':
      return 'DisplayNameReviewNotStarted';
    default:
      return 'Active';
  }
}

/** What the API answers, read as the audit reads it: field by field, as a client would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function pages(client: SoakClient, caller: Caller, path: (cursor: string | null) => string): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page += 1) {
    const answer = await client.call('GET', path(cursor), { caller });
    if (!answer || answer.status !== 200) throw new Error(`audit: ${path(cursor)} answered ${answer?.status ?? 'nothing'}`);
    items.push(...answer.json.items);
    cursor = answer.json.nextCursor;
    if (!cursor) return items;
  }
  return items;
}

export interface AuditCounts {
  registrationsAudited: number;
  statusMismatches: string[];
  lostRegistrations: string[];
  historyWithoutEvent: number;
  eventsWithoutHistory: number;
  duplicatedSideEffects: string[];
  /** Embedded Signup codes exchanged by a call that failed afterwards, then refused to its retry (hashes). */
  signupCodesSpentByAFailedCall: string[];
  secretsInLog: string[];
  waitingForMeta: number;
}

/**
 * A code is good for one exchange. Two exchanges that both succeeded are two tokens for one code.
 * A second, refused exchange after the call that spent the code failed later (Meta or storage down
 * before the outcome was written) is how the service learns the code is gone: it answers 422 and
 * the business runs the popup again. It is a duplicate only when the call succeeded: a retry of a
 * success must answer from the stored outcome without exchanging (design §5.2), and the only way
 * such a retry ends in 200 after a refused exchange is by finding that outcome.
 */
export function judgeSignupExchanges(
  calls: readonly GraphCall[],
  signupAnswers: ReadonlyMap<string, number>,
): { duplicated: string[]; spentByAFailedCall: string[] } {
  const exchanges = new Map<string, GraphCall[]>();
  for (const call of calls.filter((candidate) => !candidate.injected && candidate.codeHash))
    exchanges.set(call.codeHash!, [...(exchanges.get(call.codeHash!) ?? []), call]);
  const duplicated: string[] = [];
  const spentByAFailedCall: string[] = [];
  for (const [hash, tries] of exchanges) {
    if (tries.length < 2) continue;
    const accepted = tries.filter((call) => call.status >= 200 && call.status < 300).length;
    if (accepted > 1 || signupAnswers.get(hash) === 200) duplicated.push(`code exchanged ${tries.length} times, ${accepted} accepted (code ${hash})`);
    else spentByAFailedCall.push(hash);
  }
  return { duplicated, spentByAFailedCall };
}

export async function audit(input: {
  client: SoakClient;
  ops: Caller;
  sandboxUrl: string;
  tracked: Tracked[];
  generation: number;
  calls: GraphCall[];
  /** The last answer to each Embedded Signup code, by its hash. */
  signupAnswers: ReadonlyMap<string, number>;
  logFile: string;
  secrets: string[];
}): Promise<AuditCounts> {
  const { client, ops } = input;
  const world = (await (await fetch(`${input.sandboxUrl}/_sandbox/state`)).json()) as SandboxWorld;
  const wabas = new Map(world.wabas.map((waba) => [waba.id, waba]));
  const phonesById = new Map(world.phoneNumbers.map((phone) => [phone.id, phone]));
  const phonesByNumber = new Map(world.phoneNumbers.filter((phone) => !phone.removed).map((phone) => [phone.e164, phone]));

  const held = await pages(client, ops, (cursor) => `/api/registrations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  const statusMismatches: string[] = [];
  let waitingForMeta = 0;
  for (const registration of held) {
    const phone = (registration.phoneNumberId && phonesById.get(registration.phoneNumberId)) || phonesByNumber.get(registration.phoneNumber);
    if (registration.stage === 'Connected') {
      const expected = expectedStatus(phone ? wabas.get(phone.wabaId) : wabas.get(registration.whatsAppBusinessAccountId), phone);
      if (registration.status !== expected) statusMismatches.push(`${registration.id}: ${registration.status}, Meta implies ${expected}`);
      continue;
    }
    if (registration.stage === 'Cancelled' || !phone?.registered) continue;
    // Meta registered the number but the service has not recorded it yet: allowed only while it waits to retry (ADR 0008).
    const retryAt = registration.metaRegistration?.retryNotBefore;
    if (registration.stage === 'CodeVerified' && retryAt && Date.parse(retryAt) > Date.now()) waitingForMeta += 1;
    else statusMismatches.push(`${registration.id}: stage ${registration.stage}, but Meta has the number registered`);
  }
  const heldIds = new Set(held.map((registration) => registration.id));
  const lostRegistrations = input.tracked.filter((tracked) => tracked.generation === input.generation && !heldIds.has(tracked.id)).map((tracked) => tracked.id);

  // History moves and outgoing events, one to one (entries whose stage and status stay are records with no event).
  const expectedEvents = new Map<string, number>();
  for (const registration of held) {
    const history = await client.call('GET', `/api/registrations/${registration.id}/history`, { caller: ops });
    for (const entry of history?.json?.items ?? []) {
      for (const [field, type] of [
        ['stage', 'Registration.StageChanged'],
        ['status', 'Registration.StatusChanged'],
      ] as const) {
        if (entry.from[field] === entry.to[field]) continue;
        const key = `${registration.id}|${type}|${entry.from[field]}|${entry.to[field]}|${entry.at}`;
        expectedEvents.set(key, (expectedEvents.get(key) ?? 0) + 1);
      }
    }
  }
  const events = await pages(client, ops, (cursor) => `/api/events?limit=100${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`);
  const seenEvents = new Map<string, number>();
  for (const event of events) {
    const data = event.data ?? {};
    const key = `${data.registrationId}|${event.type}|${data.from}|${data.to}|${data.at}`;
    seenEvents.set(key, (seenEvents.get(key) ?? 0) + 1);
  }
  let historyWithoutEvent = 0;
  for (const [key, count] of expectedEvents) historyWithoutEvent += Math.max(0, count - (seenEvents.get(key) ?? 0));
  let eventsWithoutHistory = 0;
  for (const [key, count] of seenEvents) eventsWithoutHistory += Math.max(0, count - (expectedEvents.get(key) ?? 0));

  // Meta's side effects, from what reached Meta and succeeded.
  const duplicatedSideEffects: string[] = [];
  const succeeded = input.calls.filter((call) => !call.injected && call.status >= 200 && call.status < 300);
  const byPhone = (suffix: string) => {
    const map = new Map<string, number[]>();
    for (const call of succeeded.filter((candidate) => candidate.method === 'POST' && candidate.path.endsWith(suffix))) {
      const id = call.path.split('/')[1]!;
      map.set(id, [...(map.get(id) ?? []), call.at]);
    }
    return map;
  };
  for (const [id, times] of byPhone('/request_code')) {
    times.sort((a, b) => a - b);
    for (let index = 1; index < times.length; index += 1) {
      if (times[index]! - times[index - 1]! < 60_000) duplicatedSideEffects.push(`request_code twice within 60 s for ${id}`);
    }
  }
  for (const [id, times] of byPhone('/verify_code')) if (times.length > 1) duplicatedSideEffects.push(`verify_code ${times.length} times for ${id}`);
  for (const [id, times] of byPhone('/register')) if (times.length > 1) duplicatedSideEffects.push(`register ${times.length} times for ${id}`);
  const signups = judgeSignupExchanges(input.calls, input.signupAnswers);
  duplicatedSideEffects.push(...signups.duplicated);

  // The service's log holds none of the secrets, and no number unmasked.
  const log = readFileSync(input.logFile, 'utf8');
  const pins = input.calls.flatMap((call) => (call.pin ? [call.pin] : []));
  const secretsInLog: string[] = [];
  for (const secret of new Set([...input.secrets, ...pins])) {
    if (new RegExp(`(^|[^0-9A-Za-z])${secret.replace(/[^0-9A-Za-z]/g, '')}([^0-9A-Za-z]|$)`).test(log))
      secretsInLog.push(`a secret of ${secret.length} characters`);
  }
  for (const tracked of input.tracked) {
    if (log.includes(tracked.phoneNumber) || log.includes(tracked.phoneNumber.slice(1)))
      secretsInLog.push(`the unmasked number ${tracked.phoneNumber.slice(0, 5)}…`);
  }
  return {
    registrationsAudited: held.length,
    statusMismatches,
    lostRegistrations,
    historyWithoutEvent,
    eventsWithoutHistory,
    duplicatedSideEffects,
    signupCodesSpentByAFailedCall: signups.spentByAFailedCall,
    secretsInLog,
    waitingForMeta,
  };
}
