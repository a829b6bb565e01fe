import { randomUUID } from 'node:crypto';
import { createTableStorage, isTransientStorageError, type TableStorage } from '../../../src/adapters/table-storage';
import { DomainError } from '../../../src/domain/errors';
import type { OutgoingEvent } from '../../../src/domain/ports';
import { evolve, newRegistration, type Registration } from '../../../src/domain/registration';
import { testStorageConnectionString, uniqueTablePrefix } from '../../support/storage';

const T0 = '2025-03-01T10:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

let counter = 0;
const uniquePhone = (): string => `+4930${String(process.pid % 1000).padStart(3, '0')}${String((counter += 1)).padStart(5, '0')}`;

const prefixes = new WeakMap<TableStorage, string>();
const prefixOf = (storage: TableStorage): string => prefixes.get(storage) ?? '';
const fresh = (): TableStorage => {
  const tablePrefix = uniqueTablePrefix('obx');
  const storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix });
  prefixes.set(storage, tablePrefix);
  return storage;
};

async function registrationWithTwoChanges(storage: TableStorage): Promise<Registration> {
  const registration = newRegistration({ id: randomUUID(), phoneNumber: uniquePhone(), phoneNumberSource: 'acs', at: T0 });
  await storage.registrations.create(registration, []);
  await storage.registrations.update(registration.id, (current) =>
    evolve(current, { stage: 'BusinessAccountSelected' }, { cause: 'api', at: at(1) }, 'business'),
  );
  const { registration: latest } = await storage.registrations.update(registration.id, (current) =>
    evolve(current, { stage: 'ProfileSelected', whatsAppBusinessAccountId: '77' }, { cause: 'api', at: at(2) }, 'profile'),
  );
  return latest;
}

function event(n: number, time: string): OutgoingEvent {
  const registrationId = `reg-${n}`;
  return {
    id: `${registrationId}:1:0`,
    type: 'Registration.StageChanged',
    source: `/registrations/${registrationId}`,
    subject: registrationId,
    time,
    data: { registrationId, from: 'SignupStarted', to: 'BusinessAccountSelected', cause: 'api', at: time },
  };
}

describe('outbox', () => {
  it('moves pending events to the feed once, folds each change into the counts once, then forgets them', async () => {
    const storage = fresh();
    const registration = await registrationWithTwoChanges(storage);

    // One entry per change: the create (a state move, no event) and two stage changes.
    const pending = await storage.outbox.pending(10);
    expect(pending.map((p) => p.events.map((e) => e.id))).toEqual([[], [`${registration.id}:1:0`], [`${registration.id}:2:0`]]);
    expect(await storage.outbox.pendingFor(registration.id)).toEqual(pending);
    expect(await storage.outbox.pending(1)).toEqual(pending.slice(0, 1));

    // A dispatcher that crashed after appending appends again: the feed still holds each event once.
    const events = pending.flatMap((p) => p.events);
    await storage.outbox.appendToFeed(events);
    await storage.outbox.appendToFeed(events);
    const feed = await storage.outbox.feed(undefined, 10);
    expect(feed).toEqual({ items: events, nextCursor: null });

    expect((await storage.registrations.summarize({})).total).toBe(0);
    // Two dispatchers acknowledging the same entries at once, then again: each move is counted once.
    const otherProcess = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: prefixOf(storage) });
    await Promise.all([storage.outbox.acknowledge(pending.map((p) => p.ref)), otherProcess.outbox.acknowledge(pending.map((p) => p.ref))]);
    await storage.outbox.acknowledge(pending.map((p) => p.ref));
    expect(await storage.outbox.pending(10)).toEqual([]);
    expect(await storage.outbox.pendingFor(registration.id)).toEqual([]);
    const summary = await storage.registrations.summarize({});
    expect(summary).toMatchObject({ total: 1, byStage: { SignupStarted: 0, ProfileSelected: 1 } });
    expect(await storage.registrations.summarize({ owner: 'anonymous' })).toMatchObject({ total: 1 });
    expect(await storage.registrations.summarize({ owner: 'someone-else' })).toMatchObject({ total: 0 });
    // The history is not part of the outbox and stays.
    expect(await storage.registrations.history(registration.id)).toHaveLength(2);
  });

  it('pages the feed oldest first, whatever order events were appended in', async () => {
    const storage = fresh();
    const events = Array.from({ length: 7 }, (_, n) => event(n, at(100 - n * 10)));
    await Promise.all(events.map((e) => storage.outbox.appendToFeed([e])));
    const oldestFirst = [...events].sort((a, b) => a.time.localeCompare(b.time));

    const first = await storage.outbox.feed(undefined, 3);
    expect(first.items).toEqual(oldestFirst.slice(0, 3));
    expect(first.nextCursor).not.toBeNull();
    const second = await storage.outbox.feed(first.nextCursor ?? undefined, 3);
    expect(second.items).toEqual(oldestFirst.slice(3, 6));
    const third = await storage.outbox.feed(second.nextCursor ?? undefined, 3);
    expect(third).toEqual({ items: oldestFirst.slice(6), nextCursor: null });

    // A full last page also ends the feed, and new events show up after the last cursor.
    const exact = await storage.outbox.feed(first.nextCursor ?? undefined, 4);
    expect(exact).toEqual({ items: oldestFirst.slice(3), nextCursor: null });
    const later = event(99, at(500));
    await storage.outbox.appendToFeed([later]);
    expect((await storage.outbox.feed(second.nextCursor ?? undefined, 10)).items).toEqual([...oldestFirst.slice(6), later]);
  });

  it('keeps two events of the same millisecond apart, even with odd ids', async () => {
    const storage = fresh();
    const a = { ...event(1, at(0)), id: 'odd/id#1?' };
    const b = { ...event(2, at(0)), id: 'odd\\id\u00072' };
    await storage.outbox.appendToFeed([a, b]);
    const feed = await storage.outbox.feed(undefined, 10);
    expect(feed.items.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
  });
});

describe('idempotency', () => {
  it('binds a key once and returns the first binding to later claims', async () => {
    const storage = fresh();
    const key = `key/${randomUUID()}#?${'k'.repeat(2000)}`;
    const first = await storage.idempotency.claim(key, { registrationId: 'r1', fingerprint: 'f1' });
    expect(first).toEqual({ registrationId: 'r1', fingerprint: 'f1', claimedNow: true });
    const second = await storage.idempotency.claim(key, { registrationId: 'r2', fingerprint: 'f2' });
    expect(second).toEqual({ registrationId: 'r1', fingerprint: 'f1', claimedNow: false });
    const other = await storage.idempotency.claim(`${key}x`, { registrationId: 'r3', fingerprint: 'f3' });
    expect(other.claimedNow).toBe(true);
  });

  it('lets exactly one of racing claims bind the key', async () => {
    const storage = fresh();
    const key = randomUUID();
    const claims = await Promise.all(Array.from({ length: 6 }, (_, n) => storage.idempotency.claim(key, { registrationId: `r${n}`, fingerprint: 'same' })));
    expect(claims.filter((c) => c.claimedNow)).toHaveLength(1);
    expect(new Set(claims.map((c) => c.registrationId)).size).toBe(1);
  });
});

describe('isTransientStorageError', () => {
  it('tells storage outages from logic failures', async () => {
    const down = createTableStorage({
      connection: testStorageConnectionString().replace(/:(\d+)\//, ':1/'),
      tablePrefix: uniqueTablePrefix('down'),
    });
    const outage = await down.registrations.ping().then(
      () => null,
      (error: unknown) => error,
    );
    expect(isTransientStorageError(outage)).toBe(true);
    expect(isTransientStorageError(Object.assign(new Error('busy'), { statusCode: 503 }))).toBe(true);
    expect(isTransientStorageError(new DomainError('concurrency-conflict', 'x', { transient: true }))).toBe(true);
    expect(isTransientStorageError(Object.assign(new Error('exists'), { statusCode: 409 }))).toBe(false);
    expect(isTransientStorageError(new DomainError('phone-number-in-use', 'x'))).toBe(false);
    expect(isTransientStorageError(new Error('bug'))).toBe(false);
  });
});
