/**
 * docs/design.md §10, event throughput: account events and SMS events through the local host's
 * `POST /runtime/webhooks/eventgrid` against Azurite, compared with the raw Azurite rate of one
 * point read + one entity-group transaction of the event's own operations (recorded by a proxy in
 * front of Azurite, replayed on fresh rows) at the same concurrency in the same run; storage round
 * trips per event counted by that proxy. The earlier baseline (one read + one single-entity write)
 * is printed for information.
 */
import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { createTableStorage } from '../src/adapters/table-storage';
import { ROW, shardOfId, shardPartition } from '../src/adapters/table-storage/keys';
import { shardTableName } from '../src/adapters/table-storage/tables';
import { tableConnectionString } from '../src/local/azurite';
import type { RunningLocalHost } from '../src/local/main';
import { expectStatus, registerCleanup, withAzurite, withLocalHost, type BenchContext, type BenchResult } from './lib/context';
import { startCountingProxy } from './lib/counting-proxy';
import { runPool } from './lib/pool';
import { partitionsOf, prepareRawTransactions, type RawTransactions } from './lib/raw-transactions';
import { metric } from './lib/report';
import { benchId, benchPhoneNumber, seededRegistration, seedRegistrations } from './lib/seed';
import { round } from './lib/stats';
import { entityProperties, operationMix, registrationTransactions, type RecordedTransaction } from './lib/transactions';

export interface EventsOptions {
  /** Connected registrations, one per WABA (an account event then concerns one registration). */
  registrations: number;
  accountEvents: number;
  smsEvents: number;
  /** Operations of each baseline (read + transaction, read + write), measured before and again after the host. */
  baselineOperations: number;
  /** Events of each kind sent through the counting proxy. */
  countedEvents: number;
  /** Concurrent senders; each sends one batch at a time, and the host runs a batch's events in order. */
  senders: number;
  batchSize: number;
}

const BENCH = 'events';
const WEBHOOK = '/runtime/webhooks/eventgrid';
/** docs/design.md §10: events/s against the read + transaction rate, and the largest transaction an event writes. */
const THROUGHPUT_TARGET = 0.6;
const MAX_EVENT_OPERATIONS = 10;
const ROUND_TRIPS_TARGET = 3;
/** The earlier baseline's target, printed with it for information. */
const EARLIER_THROUGHPUT_TARGET = 0.5;
const WARM_UP_OPERATIONS = 200;

interface Target {
  id: string;
  phoneNumber: string;
  wabaId: string;
}

/**
 * `WhatsApp.PhoneNumberNameUpdate` CloudEvents as the Meta webhook function publishes them, one
 * registration after another; each pass over the registrations flips the decision (REJECTED, then
 * APPROVED, …) with a later occurredAt, so every event is a real change of status.
 */
function accountEventSource(targets: readonly Target[], firstOccurredAt: number) {
  let sequence = 0;
  return {
    next(): Record<string, unknown> {
      const k = sequence;
      sequence += 1;
      const target = targets[k % targets.length] as Target;
      const pass = Math.floor(k / targets.length);
      const occurredAt = new Date(firstOccurredAt + k).toISOString();
      const digits = target.phoneNumber.slice(1);
      return {
        specversion: '1.0',
        id: randomUUID(),
        source: `/whatsapp/business-accounts/${target.wabaId}`,
        type: 'WhatsApp.PhoneNumberNameUpdate',
        subject: `${target.wabaId}/phone-numbers/${digits}`,
        time: occurredAt,
        datacontenttype: 'application/json',
        data: {
          display_phone_number: digits,
          decision: pass % 2 === 0 ? 'REJECTED' : 'APPROVED',
          requested_verified_name: 'Bench Shop',
          wabaId: target.wabaId,
          occurredAt,
        },
      };
    },
    /** Events left before the next pass starts over the registrations. */
    leftInPass(): number {
      return targets.length - (sequence % targets.length);
    },
    /** Events sent so far for the registration at `index`. */
    sentFor(index: number): number {
      return sequence > index ? Math.ceil((sequence - index) / targets.length) : 0;
    },
  };
}

/** `Microsoft.Communication.SMSReceived` (Event Grid schema) to a connected number: no registration waits for a code. */
function smsEvent(target: Target): Record<string, unknown> {
  const id = `Incoming_${randomUUID()}`;
  const at = new Date().toISOString();
  return {
    id,
    topic: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/bench/providers/microsoft.communication/communicationservices/bench',
    subject: `/phonenumber/${target.phoneNumber.slice(1)}`,
    eventType: 'Microsoft.Communication.SMSReceived',
    eventTime: at,
    dataVersion: '1.0',
    metadataVersion: '1',
    data: { messageId: id, from: '+14255550100', to: target.phoneNumber, message: 'Hello, is the shop open today?', receivedTimestamp: at, segmentCount: 1 },
  };
}

async function deliver(host: RunningLocalHost, functionName: string, events: unknown[], contentType: string): Promise<void> {
  const response = await fetch(`${host.url}${WEBHOOK}?functionName=${functionName}`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'aeg-event-type': 'Notification' },
    body: JSON.stringify(events),
    signal: AbortSignal.timeout(60_000),
  });
  await expectStatus(response, 202, `${functionName} delivery`);
}

/** Sends `count` events in batches from `senders` concurrent senders; returns events per second. */
async function sendAll(
  count: number,
  options: Pick<EventsOptions, 'senders' | 'batchSize'>,
  makeEvent: () => Record<string, unknown>,
  send: (batch: unknown[]) => Promise<void>,
): Promise<{ perSecond: number; ms: number }> {
  const batches = Math.ceil(count / options.batchSize);
  let made = 0;
  const started = process.hrtime.bigint();
  await runPool(batches, options.senders, async () => {
    const size = Math.min(options.batchSize, count - made);
    const batch = Array.from({ length: size }, () => makeEvent());
    made += size;
    await send(batch);
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { perSecond: (count / ms) * 1000, ms };
}

/**
 * Sends `count` account events one pass over the registrations at a time. Within a pass each
 * registration gets one event; without the wait between passes a slow batch could land after the
 * next pass's event for the same registration, which the service rightly ignores as older, and
 * the check that every event was applied would fail for the bench's ordering, not the service's.
 */
async function sendAccountPasses(
  count: number,
  options: Pick<EventsOptions, 'senders' | 'batchSize'>,
  source: ReturnType<typeof accountEventSource>,
  send: (batch: unknown[]) => Promise<void>,
): Promise<{ perSecond: number; ms: number }> {
  let ms = 0;
  for (let left = count; left > 0;) {
    const chunk = Math.min(left, source.leftInPass());
    ms += (await sendAll(chunk, options, () => source.next(), send)).ms;
    left -= chunk;
  }
  return { perSecond: (count / ms) * 1000, ms };
}

/**
 * The earlier baseline, printed for information: one point read then one write conditional on its etag, per operation, on a plain
 * TableClient, with rows the size of a registration entity. Measured before and after the host
 * runs (the machine's load can drift), and the mean used.
 */
async function rawReadWriteBaseline(connection: string, template: Record<string, unknown>, rows: number, concurrency: number) {
  const { TableClient } = await import('@azure/data-tables');
  const table: TableClient = TableClient.fromConnectionString(connection, 'benchbaseline', { allowInsecureConnection: true });
  await table.createTable();
  await runPool(rows, 32, async (index) => {
    await table.upsertEntity({ ...template, partitionKey: `row-${index}`, rowKey: 'registration', version: 0 }, 'Replace');
  });
  const operation = async (index: number): Promise<void> => {
    const partitionKey = `row-${index % rows}`;
    const entity = await table.getEntity<Record<string, unknown>>(partitionKey, 'registration');
    await table.updateEntity({ ...template, partitionKey, rowKey: 'registration', version: Number(entity.version ?? 0) + 1 }, 'Replace', { etag: entity.etag });
  };
  await runPool(200, concurrency, operation); // warm-up
  return {
    /** Read + conditional write pairs per second. */
    async measure(operations: number): Promise<number> {
      const started = process.hrtime.bigint();
      await runPool(operations, concurrency, operation);
      return (operations / (Number(process.hrtime.bigint() - started) / 1e6)) * 1000;
    },
  };
}

/** A stored registration entity's properties, so the baseline moves rows of the same size. */
async function entityTemplate(connection: string, id: string): Promise<Record<string, unknown>> {
  const { TableClient } = await import('@azure/data-tables');
  const table = TableClient.fromConnectionString(connection, shardTableName('', shardOfId(id)), { allowInsecureConnection: true });
  const entity = await table.getEntity<Record<string, unknown>>(shardPartition(shardOfId(id)), ROW.entity(id));
  const skip = new Set(['etag', 'timestamp', 'partitionKey', 'rowKey', 'odata.metadata']);
  return Object.fromEntries(Object.entries(entity).filter(([key]) => !skip.has(key)));
}

/** What the counting proxy saw of one kind of event: round trips, and the event's own transactions. */
interface Counted {
  roundTrips: number;
  kinds: Record<string, number>;
  /** The transactions that wrote a registration (its entity row among their operations), one per change. */
  own: RecordedTransaction[];
  /** Every transaction of these events, the outbox dispatch's included. */
  all: number;
}

const largest = (transactions: readonly RecordedTransaction[]): number => Math.max(0, ...transactions.map(({ operations }) => operations.length));

export async function benchEvents(options: EventsOptions, context: BenchContext): Promise<BenchResult> {
  return withAzurite(async (azurite) => {
    const connection = azurite.connectionString;
    const storage = createTableStorage({ connection });
    const seedAt = new Date(Date.now() - 24 * 3600_000).toISOString();
    const targets: Target[] = Array.from({ length: options.registrations }, (_, index) => ({
      id: storage.registrations.newId(benchPhoneNumber(index)),
      phoneNumber: benchPhoneNumber(index),
      wabaId: benchId('2', index + 1),
    }));
    context.log(`events: seeding ${options.registrations} connected registrations (one per WABA)`);
    const seeded = await seedRegistrations(storage.registrations, targets.length, 32, (index) => {
      const target = targets[index] as Target;
      return seededRegistration({ ...target, phoneNumberId: benchId('3', index + 1), kind: 'Active', at: seedAt });
    });
    context.log(`events: seeded in ${Math.round(seeded.ms)} ms`);

    const source = accountEventSource(targets, Date.now() - 12 * 3600_000);
    let smsSequence = 0;
    const nextSms = (): Record<string, unknown> => smsEvent(targets[smsSequence++ % targets.length] as Target);
    const sendAccount = (host: RunningLocalHost) => (batch: unknown[]) => deliver(host, 'accountEvents', batch, 'application/cloudevents-batch+json');
    const sendSms = (host: RunningLocalHost) => (batch: unknown[]) => deliver(host, 'smsEvents', batch, 'application/json');

    // First through the counting proxy: the round trips, and the transactions the baselines repeat.
    context.log(`events: counting storage round trips and recording transactions for ${options.countedEvents} events of each kind`);
    const proxy = await startCountingProxy(azurite.port);
    const forgetProxy = registerCleanup(() => proxy.close());
    let counted: { account: Counted; sms: Counted; shardShare: number; shardRows: Record<string, number> };
    try {
      counted = await withLocalHost(tableConnectionString(proxy.port), async (host) => {
        await sendAccountPasses(options.batchSize, options, source, sendAccount(host));
        await sendAll(options.batchSize, options, nextSms, sendSms(host));
        await flushOutbox(host);
        proxy.reset();
        await sendAccountPasses(options.countedEvents, options, source, sendAccount(host));
        // The outbox is dispatched in batches off the hot path: its work belongs to these events too.
        await flushOutbox(host);
        const accountTransactions = proxy.transactions();
        const account: Counted = {
          roundTrips: (proxy.count() - 1) / options.countedEvents,
          kinds: perEvent(proxy.byKind(), options.countedEvents),
          own: registrationTransactions(accountTransactions),
          all: accountTransactions.length,
        };
        const shardRows = Object.fromEntries(Object.entries(proxy.batchRowsByTable()).filter(([table]) => /^regs\d+$/.test(table)));
        const written = Object.values(shardRows).reduce((sum, rows) => sum + rows, 0);
        const shardShare = written === 0 ? Number.NaN : Math.max(...Object.values(shardRows)) / written;
        proxy.reset();
        await sendAll(options.countedEvents, options, nextSms, sendSms(host));
        const smsTransactions = proxy.transactions();
        const sms: Counted = {
          roundTrips: proxy.count() / options.countedEvents,
          kinds: perEvent(proxy.byKind(), options.countedEvents),
          own: registrationTransactions(smsTransactions),
          all: smsTransactions.length,
        };
        return { account, sms, shardShare, shardRows };
      });
    } finally {
      forgetProxy();
      await proxy.close();
    }
    if (counted.account.own.length < options.countedEvents) {
      throw new Error(`events: ${options.countedEvents} account events wrote ${counted.account.own.length} registration transactions (each must change one)`);
    }

    // The baselines, at the senders' concurrency: one read + one transaction of each kind's own operations, and the earlier read + write.
    const baselineOps = options.baselineOperations;
    const prepared = WARM_UP_OPERATIONS + 2 * baselineOps;
    const partitions = Math.max(1, partitionsOf(counted.account.own));
    const readRow = entityProperties(counted.account.own);
    context.log(`events: preparing the baselines (${prepared} transactions of each kind, fresh rows)`);
    const rawFor = (kind: Counted, table: string): Promise<RawTransactions> =>
      prepareRawTransactions({ connection, table, shapes: kind.own, count: prepared, partitions, withRead: true, concurrency: options.senders, readRow });
    const accountRaw = await rawFor(counted.account, 'benchrawaccount');
    const smsRaw = await rawFor(counted.sms, 'benchrawsms');
    const template = await entityTemplate(connection, (targets[0] as Target).id);
    const earlier = await rawReadWriteBaseline(connection, template, targets.length, options.senders);
    await accountRaw.run(WARM_UP_OPERATIONS);
    await smsRaw.run(WARM_UP_OPERATIONS);
    const measureBaselines = async () => ({
      account: (await accountRaw.run(baselineOps)).perSecond,
      sms: (await smsRaw.run(baselineOps)).perSecond,
      earlier: await earlier.measure(baselineOps),
    });
    context.log(`events: baselines x ${baselineOps} at concurrency ${options.senders}`);
    const before = await measureBaselines();

    const throughput = await withLocalHost(connection, async (host) => {
      // Warm-up: the first invocation builds the services and loads the SDKs.
      await sendAccountPasses(options.batchSize * options.senders, options, source, sendAccount(host));
      await sendAll(options.batchSize * options.senders, options, nextSms, sendSms(host));
      context.log(`events: ${options.accountEvents} account events, ${options.senders} senders, batches of ${options.batchSize}`);
      const account = await sendAccountPasses(options.accountEvents, options, source, sendAccount(host));
      context.log(`events: ${options.smsEvents} SMS events`);
      const sms = await sendAll(options.smsEvents, options, nextSms, sendSms(host));
      return { account, sms };
    });

    context.log(`events: baselines again, after the host`);
    const after = await measureBaselines();
    const rates = (measured: typeof before) =>
      `account ${Math.round(measured.account)}/s, SMS ${Math.round(measured.sms)}/s, earlier ${Math.round(measured.earlier)}/s`;
    context.log(`events: baselines before the host ${rates(before)}; after ${rates(after)}`);
    const baseline = {
      account: (before.account + after.account) / 2,
      sms: (before.sms + after.sms) / 2,
      earlier: (before.earlier + after.earlier) / 2,
    };

    // Every event must have been applied (one new version each), or the rate would flatter us.
    let missing = 0;
    await runPool(targets.length, 32, async (index) => {
      const stored = await storage.registrations.get((targets[index] as Target).id);
      if ((stored?.version ?? -1) !== source.sentFor(index)) missing += 1;
    });
    if (missing > 0) throw new Error(`events: ${missing} registration(s) do not show every account event applied`);

    // Per kind of event: throughput against its own read + transaction, the earlier baseline, the transaction's size and the round trips (docs/design.md §10).
    const kinds = [
      {
        kind: 'account events (each flips a status)',
        perSecond: throughput.account.perSecond,
        counted: counted.account,
        one: 'account event',
        raw: baseline.account,
      },
      { kind: 'SMS events (no code awaited)', perSecond: throughput.sms.perSecond, counted: counted.sms, one: 'SMS event', raw: baseline.sms },
    ];
    const baselineUnit = (own: readonly RecordedTransaction[]): string => {
      const size = largest(own);
      return size === 0 ? 'read/s' : `read+tx(${size} ops)/s`;
    };
    return {
      metrics: [
        ...kinds.map(({ kind, perSecond, counted: seen, raw }) =>
          metric({
            benchmark: BENCH,
            name: `${kind}: throughput vs read + its own transaction`,
            value: perSecond,
            unit: 'events/s',
            baseline: raw,
            baselineUnit: baselineUnit(seen.own),
            check: { on: 'ratio', op: '>=', limit: THROUGHPUT_TARGET },
            note:
              seen.own.length === 0
                ? 'the event writes no transaction: the baseline is a point read alone'
                : 'the transactions the proxy recorded, replayed on fresh rows after a point read of the row they are conditional on',
          }),
        ),
        ...kinds.map(({ kind, perSecond }) =>
          metric({
            benchmark: BENCH,
            name: `${kind}: throughput vs read + single-entity write (earlier)`,
            value: perSecond,
            unit: 'events/s',
            baseline: baseline.earlier,
            baselineUnit: 'read+write/s',
            check: { on: 'ratio', op: '>=', limit: EARLIER_THROUGHPUT_TARGET },
            info: true,
            note: 'on Azurite each operation of a transaction costs a lookup: this measures the number of copies, not the service',
          }),
        ),
        ...kinds.map(({ one, counted: seen }) =>
          metric({
            benchmark: BENCH,
            name: `operations in the largest transaction of an ${one}`,
            value: largest(seen.own),
            unit: 'operations',
            check: { on: 'value', op: '<=', limit: MAX_EVENT_OPERATIONS },
            note: `${seen.own.length} transactions writing a registration recorded for ${options.countedEvents} events`,
          }),
        ),
        ...kinds.map(({ one, counted: seen }) =>
          metric({
            benchmark: BENCH,
            name: `storage round trips per ${one}`,
            value: seen.roundTrips,
            unit: 'requests',
            check: { on: 'value', op: '<=', limit: ROUND_TRIPS_TARGET },
          }),
        ),
        metric({
          benchmark: BENCH,
          name: 'status flip storm: largest share of index rows written to one partition',
          value: counted.shardShare,
          unit: 'share',
          check: { on: 'value', op: '<=', limit: 1 / 8 },
          note: "rows written by the storm's transactions, per shard table (one partition each)",
        }),
      ],
      sizes: {
        registrations: options.registrations,
        wabas: options.registrations,
        accountEvents: options.accountEvents,
        smsEvents: options.smsEvents,
        baselineOperations: options.baselineOperations,
        countedEvents: options.countedEvents,
        senders: options.senders,
        batchSize: options.batchSize,
      },
      notes: [
        'events: every account event flips one registration between Active and DisplayNameReviewRejected (status change: list copies move, history and outbox journal written in the same transaction; the outbox dispatched to the feed in batches, counted with the events).',
      ],
      details: {
        seedMs: Math.round(seeded.ms),
        baselinePerSecond: {
          accountReadAndTransaction: { before: round(before.account), after: round(after.account) },
          smsReadAndTransaction: { before: round(before.sms), after: round(after.sms) },
          earlierReadAndWrite: { before: round(before.earlier), after: round(after.earlier) },
          partitions,
        },
        accountMs: Math.round(throughput.account.ms),
        smsMs: Math.round(throughput.sms.ms),
        transactionsPerAccountEvent: round(counted.account.all / options.countedEvents),
        accountEventTransactionOperations: operationMix(counted.account.own),
        transactionsPerSmsEvent: round(counted.sms.all / options.countedEvents),
        smsEventTransactionOperations: operationMix(counted.sms.own),
        roundTripsPerAccountEventByKind: counted.account.kinds,
        roundTripsPerSmsEventByKind: counted.sms.kinds,
        stormRowsByShard: counted.shardRows,
      },
    };
  });
}

/** `GET /api/events` dispatches what the host committed before it reads the feed (one query more). */
async function flushOutbox(host: RunningLocalHost): Promise<void> {
  await expectStatus(await fetch(`${host.url}/api/events?limit=1`, { signal: AbortSignal.timeout(60_000) }), 200, 'GET /api/events');
}

const perEvent = (kinds: Record<string, number>, events: number): Record<string, number> =>
  Object.fromEntries(Object.entries(kinds).map(([kind, count]) => [kind, round(count / events)]));
