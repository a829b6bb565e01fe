import {
  clearMetaRefusal,
  heldOffByRefusal,
  nextRefusal,
  reconcileWithMeta,
  recordMetaRefused,
  recordSubscriptionRestored,
  type MetaReading,
} from '../commands';
import { reconcileDisplayNameChange } from '../display-name-change';
import { isMetaError, type MetaGraphError, type MetaWaba } from '../meta';
import { andThen, unchanged, type Registration } from '../registration';
import type { AcsChannels, Logger, ReconcileRun, WabaGroup } from '../ports';
import type { CredentialHealth, RateLimitGovernor } from '../rate-limits';
import { probeAcsChannel } from './acs-channel';
import { completeMetaRegistration } from './complete-registration';
import { contextOf, type Ports, type Trigger } from './dependencies';
import { registerAgainAfterNameChange } from './display-name';

export interface ReconcileDependencies extends Pick<Ports, 'registrations' | 'meta' | 'clock' | 'ids' | 'reconcileStore'> {
  acsChannels: AcsChannels | null;
  governor: RateLimitGovernor;
  credential: CredentialHealth;
  sleep: (ms: number) => Promise<void>;
  /**
   * This service's Meta app (`META_APP_ID`): the app that must stay subscribed to each WABA. Without
   * it, any subscribed app counts, and only a WABA with none is subscribed again (docs/adr/0032).
   */
  appId?: string | null;
}

export interface ReconcileOptions {
  /** The run stops starting new WABAs after this; what is left waits for the next run (checkpoint). */
  budgetMs: number;
  /** WABAs read from Meta at the same time. */
  concurrency: number;
}

class CredentialBroken extends Error {}

/** Storage writes in flight per WABA; with `concurrency` WABAs that bounds the requests in flight. */
const REGISTRATIONS_IN_PARALLEL = 8;
/** WABAs started (Graph call or writes in flight) per allowed Graph call. */
const WINDOW_PER_GRAPH_CALL = 4;

interface Semaphore {
  acquire(): Promise<void>;
  release(): void;
}

function semaphore(limit: number): Semaphore {
  let free = limit;
  const waiting: Array<() => void> = [];
  return {
    acquire: () => {
      if (free > 0) {
        free -= 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release: () => {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    },
  };
}

type Tally = Pick<ReconcileRun, 'checked' | 'changed' | 'failed' | 'rateLimited'> & { needsAttention: number; subscriptionsRestored: number };

/**
 * The reconcile timer (docs/design.md §2.2, §10): every registration on every WABA compared with Meta,
 * one Graph call per WABA (field expansion brings its numbers), WABAs in id order so a run that
 * stops at its time budget leaves a checkpoint the next run resumes from.
 */
export const makeReconcileAll =
  (deps: ReconcileDependencies, options: ReconcileOptions) =>
  (log: Logger): Promise<ReconcileRun> =>
    reconcileAll(deps, options, log);

async function reconcileAll(deps: ReconcileDependencies, options: ReconcileOptions, log: Logger): Promise<ReconcileRun> {
  const started = deps.clock.now();
  const resumedFrom = await deps.reconcileStore.checkpoint();
  const tally: Tally = { checked: 0, changed: 0, failed: 0, rateLimited: 0, needsAttention: 0, subscriptionsRestored: 0 };
  const trigger: Trigger = { cause: 'reconcile', log };
  let outcome: ReconcileRun['outcome'] = 'completed';
  let lastDone: string | null = resumedFrom;
  let granted: Promise<string[] | null> | undefined;
  const grantedOnce = () => (granted ??= deps.meta.grantedWabaIds().catch(() => null));
  // Graph calls are limited to `concurrency`; a WABA's storage writes happen after its call, outside
  // that limit, so they never keep Graph waiting (wall time is bound by Graph, docs/storage.md).
  const graph = semaphore(options.concurrency);
  const window = semaphore(options.concurrency * WINDOW_PER_GRAPH_CALL);
  // WABAs in the order read; the checkpoint is the last of the leading ones that are done.
  const inFlight: Array<{ wabaId: string; done: boolean }> = [];
  const tasks = new Set<Promise<void>>();
  let broken = false;
  const settle = () => {
    while (inFlight[0]?.done) lastDone = inFlight.shift()?.wabaId ?? lastDone;
  };
  let startedCount = 0;
  for await (const group of deps.reconcileStore.wabaGroups(resumedFrom)) {
    if (broken) break;
    // The budget is checked before starting more work, and every run makes progress.
    if (startedCount > 0 && deps.clock.now().getTime() - started.getTime() >= options.budgetMs) {
      outcome = 'budget-exhausted';
      break;
    }
    await window.acquire();
    if (broken) {
      window.release();
      break;
    }
    startedCount += 1;
    const slot = { wabaId: group.wabaId, done: false };
    inFlight.push(slot);
    const task: Promise<void> = reconcileWaba(deps, group, tally, trigger, grantedOnce, graph)
      .catch((error: unknown) => {
        if (!(error instanceof CredentialBroken)) throw error;
        broken = true;
      })
      .finally(() => {
        window.release();
        if (!broken) {
          slot.done = true;
          settle();
        }
        tasks.delete(task);
      });
    tasks.add(task);
  }
  await Promise.all([...tasks]);
  if (broken) {
    outcome = 'credential-broken';
    log.error('Reconcile stopped: the Meta access token is expired or revoked; no status was changed for it');
  }
  const { needsAttention, subscriptionsRestored, ...counts } = tally;
  const run: ReconcileRun = {
    id: deps.ids.newId(),
    startedAt: started.toISOString(),
    finishedAt: deps.clock.now().toISOString(),
    ...counts,
    resumedFrom,
    outcome,
    // Left out when zero, so runs read as before unless something needs a look.
    ...(needsAttention > 0 ? { needsAttention } : {}),
    ...(subscriptionsRestored > 0 ? { subscriptionsRestored } : {}),
  };
  // Independent rows: the checkpoint says where the next run starts, the run row what this one did.
  await Promise.all([deps.reconcileStore.saveCheckpoint(outcome === 'completed' ? null : lastDone), deps.reconcileStore.saveRun(run)]);
  log.info('Reconcile run finished', { ...run });
  return run;
}

async function reconcileWaba(
  deps: ReconcileDependencies,
  group: WabaGroup,
  tally: Tally,
  trigger: Trigger,
  grantedOnce: () => Promise<string[] | null>,
  graph: Semaphore,
): Promise<void> {
  if (deps.governor.isPaused(group.wabaId)) {
    tally.rateLimited += group.registrationIds.length;
    return;
  }
  // Meta refused this WABA's read as malformed before: it waits out its backoff instead of being re-read every run.
  const stored = group.registrations ?? [];
  if (stored.length > 0 && stored.every((registration) => heldOffByRefusal(registration, deps.clock.now()))) {
    tally.needsAttention += stored.length;
    return;
  }
  const delay = deps.governor.delayBefore(group.wabaId);
  if (delay > 0) await deps.sleep(delay);
  let waba: MetaWaba | null = null;
  let confirmedMissing: boolean | null = null;
  let readAt = deps.clock.now().toISOString();
  try {
    await graph.acquire();
    try {
      readAt = deps.clock.now().toISOString();
      waba = await deps.meta.getWhatsAppBusinessAccount(group.wabaId);
    } finally {
      graph.release();
    }
    deps.governor.succeeded(group.wabaId);
    deps.credential.markWorking();
  } catch (error) {
    if (isMetaError(error, 'token')) {
      deps.credential.markBroken(deps.clock.now().toISOString(), 'Meta answered 190 (token expired or revoked)');
      throw new CredentialBroken();
    }
    if (isMetaError(error, 'rate-limited')) {
      deps.governor.rateLimited(group.wabaId, error.details.retryAfterSeconds);
      tally.rateLimited += group.registrationIds.length;
      return;
    }
    if (isMetaError(error, 'request-refused')) {
      await recordRefusal(deps, group, error, tally, trigger);
      return;
    }
    if (!isMetaError(error, 'object-missing')) {
      trigger.log.warn('Reconcile could not read a WABA', { wabaId: group.wabaId, error: error instanceof Error ? error.message : String(error) });
      tally.failed += group.registrationIds.length;
      return;
    }
    const granted = await grantedOnce();
    confirmedMissing = granted !== null && !granted.includes(group.wabaId);
  }
  const subscriptionRestored = waba ? await keepSubscription(deps, group, waba, tally, trigger, graph) : false;
  // One Graph answer serves the whole WABA; its registrations are independent, so they are written in parallel.
  // With the registrations as stored in the group, only those Meta disagrees with cost a write.
  const members: Array<{ id: string; basis?: Registration }> = group.registrations
    ? group.registrations.map((registration) => ({ id: registration.id, basis: registration }))
    : group.registrationIds.map((id) => ({ id }));
  const worker = async () => {
    for (let member = members.shift(); member !== undefined; member = members.shift()) {
      const { id } = member;
      try {
        await reconcileOne(deps, id, { waba, readAt, confirmedMissing, subscriptionRestored }, tally, trigger, member.basis);
      } catch (error) {
        tally.failed += 1;
        trigger.log.warn('Reconcile failed for a registration', { registrationId: id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(REGISTRATIONS_IN_PARALLEL, members.length) }, worker));
}

/** What one Graph answer (or its absence) says about every registration of the WABA. */
interface WabaReading {
  waba: MetaWaba | null;
  /** When the read started: a display-name request accepted before then is what it can speak of. */
  readAt: string;
  confirmedMissing: boolean | null;
  subscriptionRestored: boolean;
}

/**
 * Meta refused the WABA read as malformed: a fault of this service, so nothing about the accounts
 * changes. Meta's message is logged once, and each registration records the refusal with a growing,
 * capped wait that the next runs honour (docs/adr/0032).
 */
async function recordRefusal(deps: ReconcileDependencies, group: WabaGroup, error: MetaGraphError, tally: Tally, trigger: Trigger): Promise<void> {
  const at = deps.clock.now().toISOString();
  const refusal = { operation: 'read WABA', code: error.details.code, subcode: error.details.subcode };
  const previous = group.registrations?.find((registration) => registration.metaRefusal)?.metaRefusal;
  trigger.log.warn('Meta refused the request as malformed: the WABA waits before it is read again', {
    wabaId: group.wabaId,
    meta: error.message,
    code: error.details.code,
    subcode: error.details.subcode,
    notBefore: nextRefusal(previous, refusal, at).notBefore,
  });
  const stored = group.registrations;
  await Promise.all(
    group.registrationIds.map(async (id, index) => {
      const basis = stored?.[index];
      try {
        await deps.registrations.update(id, (registration) => recordMetaRefused(registration, refusal, contextOf(trigger, deps.clock)), basis ? { basis } : {});
      } catch (writeError) {
        trigger.log.warn('Reconcile could not record a refusal', {
          registrationId: id,
          error: writeError instanceof Error ? writeError.message : String(writeError),
        });
      }
    }),
  );
  tally.needsAttention += group.registrationIds.length;
}

/** Registrations that must keep receiving webhooks: connected, and neither disconnected by us nor revoked. */
const wantsWebhooks = (registration: Registration): boolean =>
  registration.stage === 'Connected' && registration.status !== 'Disconnected' && registration.status !== 'Revoked';

/**
 * docs/meta-graph.md "Subscribed apps": the WABA read lists its subscribed apps; when this app is
 * not among them, `GET /{waba}/subscribed_apps` confirms it (an expanded edge that is empty is left
 * out of Meta's answer) and the app subscribes again. At most one check per WABA per run.
 */
async function keepSubscription(
  deps: ReconcileDependencies,
  group: WabaGroup,
  waba: MetaWaba,
  tally: Tally,
  trigger: Trigger,
  graph: Semaphore,
): Promise<boolean> {
  if (!waba.subscribedAppIds) return false;
  if (group.registrations && !group.registrations.some(wantsWebhooks)) return false;
  const ours = (ids: string[]): boolean => (deps.appId ? ids.includes(deps.appId) : ids.length > 0);
  if (ours(waba.subscribedAppIds)) return false;
  try {
    await graph.acquire();
    try {
      if (ours(await deps.meta.subscribedAppIds(group.wabaId))) return false;
      await deps.meta.subscribeApp(group.wabaId);
    } finally {
      graph.release();
    }
  } catch (error) {
    trigger.log.warn('Reconcile could not check or restore the app subscription of a WABA', {
      wabaId: group.wabaId,
      error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
  trigger.log.warn('App subscription to a WABA restored: Meta no longer listed it, so webhooks had stopped', { wabaId: group.wabaId });
  tally.subscriptionsRestored += 1;
  return true;
}

async function reconcileOne(
  deps: ReconcileDependencies,
  id: string,
  reading: WabaReading,
  tally: Tally,
  trigger: Trigger,
  basis?: Registration,
): Promise<void> {
  const { waba } = reading;
  const observed: MetaReading = waba ? { waba } : { missing: true, confirmed: reading.confirmedMissing === true };
  let stage: string | undefined;
  let statusBefore: string | null = null;
  let nameChangeBefore: string | undefined;
  const updated = await deps.registrations.update(
    id,
    (registration) => {
      stage = registration.stage;
      statusBefore = registration.status;
      nameChangeBefore = registration.displayNameChange?.state;
      const context = contextOf(trigger, deps.clock);
      let reconciled = andThen(reconcileWithMeta(registration, observed, context), (next) => (waba ? clearMetaRefusal(next) : unchanged(next)));
      if (waba) reconciled = andThen(reconciled, (next) => reconcileDisplayNameChange(next, waba, reading.readAt, context));
      return reading.subscriptionRestored && wantsWebhooks(registration)
        ? andThen(reconciled, (next) => recordSubscriptionRestored(next, context))
        : reconciled;
    },
    basis ? { basis } : {},
  );
  const result = { registration: await registerAgainAfterNameChange(deps, updated.registration, trigger) };
  if (stage === 'CodeVerified') {
    const after = await completeMetaRegistration(deps, result.registration, trigger);
    if (after.stage !== 'CodeVerified') tally.changed += 1;
    return;
  }
  if (stage !== 'Connected') return;
  tally.checked += 1;
  let changed = result.registration.status !== statusBefore || result.registration.displayNameChange?.state !== nameChangeBefore;
  if (deps.acsChannels && result.registration.acsChannel) {
    const probed = await probeAcsChannel({ ...deps, acsChannels: deps.acsChannels }, result.registration, trigger);
    changed ||= probed.status !== result.registration.status;
  }
  if (changed) tally.changed += 1;
}
