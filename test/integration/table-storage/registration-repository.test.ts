import { randomUUID } from 'node:crypto';
import { createTableStorage, type TableStorage } from '../../../src/adapters/table-storage';
import { DomainError } from '../../../src/domain/errors';
import { evolve, newRegistration, outgoingEventsOf, type HistoryEntry, type Registration } from '../../../src/domain/registration';
import { testStorageConnectionString, uniqueTablePrefix } from '../../support/storage';

let storage: TableStorage;
/** Other processes on the same tables: their writes race ours on the etag. */
let otherProcesses: TableStorage[];

beforeAll(async () => {
  const tablePrefix = uniqueTablePrefix('repo');
  storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix });
  otherProcesses = Array.from({ length: 3 }, () => createTableStorage({ connection: testStorageConnectionString(), tablePrefix }));
  await storage.ensureTables();
});

let phoneCounter = 0;
/** A distinct valid-looking number per registration, so the phone lock never interferes between tests. */
const nextPhone = (): string => `+1425${String(Date.now() % 100000).padStart(5, '0')}${String((phoneCounter += 1)).padStart(3, '0')}`;

const T0 = '2025-03-01T10:00:00.000Z';
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function firstEntry(registration: Registration): HistoryEntry {
  return {
    at: registration.createdAt,
    from: { stage: 'SignupStarted', status: null },
    to: { stage: 'SignupStarted', status: null },
    cause: 'api',
    eventId: `req-${registration.id}`,
    actor: registration.owner,
    detail: 'Sign-up started',
  };
}

async function created(overrides: Partial<Registration> = {}): Promise<Registration> {
  const registration = {
    ...newRegistration({ id: randomUUID(), phoneNumber: nextPhone(), phoneNumberSource: 'acs', owner: 'client-app-1', at: T0 }),
    ...overrides,
  };
  return storage.registrations.create(registration, [firstEntry(registration)]);
}

/** Every field set to a non-default value, nested objects included, to prove the mapping loses nothing. */
function everyField(): Registration {
  return {
    ...newRegistration({ id: randomUUID(), phoneNumber: nextPhone(), phoneNumberSource: 'byo', at: T0 }),
    stage: 'Connected',
    status: 'DisplayNameReviewPending',
    businessAccount: {
      id: '123456789',
      name: 'Contoso',
      toCreate: { companyName: 'Contoso Ltd', website: 'https://contoso.example', businessEmail: 'a@contoso.example', businessPhone: '+14255550100' },
    },
    whatsAppBusinessAccountId: '987654321',
    phoneNumberId: '555000111',
    displayName: 'Contoso Café ☕',
    profile: { category: 'RETAIL', description: 'Quote " and \\ backslash\nnewline', website: 'https://contoso.example', email: 'hi@contoso.example' },
    verification: { method: 'VOICE', language: 'en_US', requestedAt: at(1), attempts: 3, verifiedAt: at(2), rejectedCodes: 2 },
    metaRegistration: { registeredAt: at(3), attempts: 2, lastError: 'provisioning', notBefore: null },
    facts: {
      displayName: { value: 'Pending', at: at(4) },
      wabaAccess: { value: 'suspect', at: at(4), suspicions: 1 },
      phone: { value: 'present', at: at(4) },
      accountReview: { value: 'APPROVED', at: at(4) },
    },
    messagingLimit: 'TIER_1K',
    qualityRating: 'GREEN',
    smsCapability: { send: 'confirmed', checkedAt: at(5), detail: 'Delivered' },
    acsChannel: { channelRegistrationId: randomUUID(), reachable: true, checkedAt: at(6) },
    owner: 'https://sts.example/caller with spaces/ and # and ?',
    createdAt: T0,
    updatedAt: at(7),
    version: 0,
  };
}

describe('TableRegistrationRepository', () => {
  it('round-trips every field, and nulls as nulls', async () => {
    const full = everyField();
    await storage.registrations.create(full, [firstEntry(full)]);
    expect(await storage.registrations.get(full.id)).toEqual(full);

    const bare = await created();
    const read = await storage.registrations.get(bare.id);
    expect(read).toEqual(bare);
    expect(read?.status).toBeNull();
    expect(read?.verification).toBeNull();
    expect(read?.facts).toEqual({});
    expect(typeof read?.version).toBe('number');
  });

  it('returns null for unknown or unusable ids', async () => {
    expect(await storage.registrations.get(randomUUID())).toBeNull();
    expect(await storage.registrations.get('a/b?c#d')).toBeNull();
    expect(await storage.registrations.history('a/b')).toEqual([]);
  });

  it('stores the first history entry with create, and creating the same id again returns the stored registration', async () => {
    const registration = await created();
    expect(await storage.registrations.history(registration.id)).toEqual([firstEntry(registration)]);

    const retry = { ...registration, createdAt: at(30), updatedAt: at(30) };
    const again = await storage.registrations.create(retry, [firstEntry(retry)]);
    expect(again).toEqual(registration);
    expect(await storage.registrations.history(registration.id)).toHaveLength(1);
  });

  it('writes the change, its history entry and its outbox rows together, and bumps version', async () => {
    const registration = await created();
    const result = await storage.registrations.update(registration.id, (current) =>
      evolve(
        current,
        { stage: 'BusinessAccountSelected', businessAccount: { id: '42', name: 'Fabrikam' } },
        { cause: 'api', at: at(1), eventId: 'req-1', actor: 'client-app-1' },
        'Business account 42 selected',
      ),
    );
    expect(result).toMatchObject({ changed: true, duplicate: false });
    expect(result.registration).toMatchObject({ version: 1, stage: 'BusinessAccountSelected', updatedAt: at(1), createdAt: T0 });
    expect(await storage.registrations.get(registration.id)).toEqual(result.registration);

    const expectedEntry: HistoryEntry = {
      at: at(1),
      from: { stage: 'SignupStarted', status: null },
      to: { stage: 'BusinessAccountSelected', status: null },
      cause: 'api',
      eventId: 'req-1',
      actor: 'client-app-1',
      detail: 'Business account 42 selected',
    };
    expect(await storage.registrations.history(registration.id)).toEqual([firstEntry(registration), expectedEntry]);
    const pending = await storage.outbox.pendingFor(registration.id);
    // The owner rides along in the outbox (it scopes GET /api/events) and is never published.
    expect(pending.flatMap((p) => p.events)).toEqual(
      outgoingEventsOf(registration.id, 1, [expectedEntry]).map((event) => ({ ...event, owner: 'client-app-1' })),
    );
    expect(pending.flatMap((p) => p.events)[0]).toMatchObject({
      id: `${registration.id}:1:0`,
      type: 'Registration.StageChanged',
      data: { registrationId: registration.id, from: 'SignupStarted', to: 'BusinessAccountSelected', cause: 'api', at: at(1) },
    });

    // Stage and status moving in one change: one history entry, two outgoing events.
    const connected = await storage.registrations.update(registration.id, (current) =>
      evolve(current, { stage: 'Connected', facts: { displayName: { value: 'Approved', at: at(2) } } }, { cause: 'sms', at: at(2) }, 'Registered'),
    );
    expect(connected.registration).toMatchObject({ version: 2, stage: 'Connected', status: 'Active' });
    const events = (await storage.outbox.pendingFor(registration.id)).flatMap((p) => p.events);
    expect(events.map((e) => [e.id, e.type, e.data.from, e.data.to])).toEqual([
      [`${registration.id}:1:0`, 'Registration.StageChanged', 'SignupStarted', 'BusinessAccountSelected'],
      [`${registration.id}:2:0`, 'Registration.StageChanged', 'BusinessAccountSelected', 'Connected'],
      [`${registration.id}:2:1`, 'Registration.StatusChanged', null, 'Active'],
    ]);
    expect(await storage.registrations.history(registration.id)).toHaveLength(3);
  });

  it('writes nothing when mutate returns the registration it was given', async () => {
    const registration = await created();
    const result = await storage.registrations.update(registration.id, (current) => ({ next: current, history: [] }));
    expect(result).toEqual({ registration, changed: false, duplicate: false });
    expect(await storage.registrations.get(registration.id)).toEqual(registration);
  });

  it('lets DomainErrors from mutate through and writes nothing', async () => {
    const registration = await created();
    const refusal = new DomainError('invalid-transition', 'no');
    await expect(
      storage.registrations.update(registration.id, () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(await storage.registrations.get(registration.id)).toEqual(registration);
    // The refusal does not hold up later updates of the same registration.
    const later = await storage.registrations.update(registration.id, (current) =>
      evolve(current, { displayName: 'after' }, { cause: 'api', at: at(1) }, 'rename'),
    );
    expect(later.registration).toMatchObject({ displayName: 'after', version: 1 });
  });

  it('fails with not-found for an unknown registration', async () => {
    await expect(storage.registrations.update(randomUUID(), (current) => ({ next: current, history: [] }))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('loses no update when 20 writers in 4 processes race, each moving the status', async () => {
    const registration = await created({
      stage: 'Connected',
      status: 'Active',
      verification: { method: 'SMS', language: 'en_US', requestedAt: T0, attempts: 0, verifiedAt: T0, rejectedCodes: 0 },
    });
    const processes = [storage, ...otherProcesses];
    const writers = Array.from({ length: 20 }, (_, n) =>
      (processes[n % processes.length] ?? storage).registrations.update(registration.id, (current) => {
        const verification = current.verification ?? registration.verification;
        if (!verification) throw new Error('fixture has a verification');
        return evolve(
          current,
          {
            // Each writer flips Active <-> Disconnected, so each one moves the status (and its index rows).
            facts: { ...current.facts, disconnected: { value: current.status === 'Active', at: at(n + 1) } },
            verification: { ...verification, attempts: verification.attempts + 1 },
          },
          { cause: 'reconcile', at: at(n + 1) },
          `writer ${n}`,
        );
      }),
    );
    const results = await Promise.all(writers);
    expect(results.every((r) => r.changed)).toBe(true);
    expect(new Set(results.map((r) => r.registration.version)).size).toBe(20);

    const final = await storage.registrations.get(registration.id);
    expect(final?.verification?.attempts).toBe(20);
    expect(final?.version).toBe(20);
    expect(final?.status).toBe('Active');
    const history = await storage.registrations.history(registration.id);
    expect(history).toHaveLength(21);
    // Every entry starts where the previous one ended: no change was applied to a stale read.
    for (let i = 2; i < history.length; i += 1) expect(history[i]?.from).toEqual(history[i - 1]?.to);
    expect((await storage.outbox.pendingFor(registration.id)).flatMap((p) => p.events)).toHaveLength(20);

    // The status index followed every flip: listed under its final status only.
    const active = await storage.registrations.list({ status: 'Active', phoneNumber: registration.phoneNumber }, { limit: 10 });
    const disconnected = await storage.registrations.list({ status: 'Disconnected', phoneNumber: registration.phoneNumber }, { limit: 10 });
    expect(active.items.map((r) => r.id)).toEqual([registration.id]);
    expect(disconnected.items).toEqual([]);
    const byStatus = await storage.registrations.list({ status: 'Disconnected' }, { limit: 100 });
    expect(byStatus.items.map((r) => r.id)).not.toContain(registration.id);
  });

  it('refuses a stale ifMatchVersion with concurrency-conflict and changes nothing', async () => {
    const registration = await created();
    const bump = (current: Registration) => evolve(current, { displayName: 'First' }, { cause: 'api', at: at(1) }, 'rename');
    const first = await storage.registrations.update(registration.id, bump, { ifMatchVersion: 0 });
    expect(first.registration.version).toBe(1);

    let called = false;
    const stale = storage.registrations.update(
      registration.id,
      (current) => {
        called = true;
        return evolve(current, { displayName: 'Second' }, { cause: 'api', at: at(2) }, 'rename');
      },
      { ifMatchVersion: 0 },
    );
    await expect(stale).rejects.toMatchObject({ code: 'concurrency-conflict', transient: false });
    expect(called).toBe(false);
    expect(await storage.registrations.get(registration.id)).toEqual(first.registration);
  });

  it('applies an event once: the same eventId again is a duplicate and mutate is not called', async () => {
    const registration = await created();
    // Characters that are illegal in keys must not matter.
    const eventId = 'evt/with\\odd#chars?\u0001' + 'x'.repeat(600);
    const move = (current: Registration) => evolve(current, { stage: 'BusinessAccountSelected' }, { cause: 'account-event', at: at(1), eventId }, 'selected');
    const first = await storage.registrations.update(registration.id, move, { eventId });
    expect(first).toMatchObject({ changed: true, duplicate: false });

    const mutate = jest.fn(move);
    const second = await storage.registrations.update(registration.id, mutate, { eventId });
    expect(second).toEqual({ registration: first.registration, changed: false, duplicate: true });
    expect(mutate).not.toHaveBeenCalled();
    expect(await storage.registrations.history(registration.id)).toHaveLength(2);

    // A different event still applies.
    const other = await storage.registrations.update(
      registration.id,
      (current) => evolve(current, { displayName: 'x' }, { cause: 'account-event', at: at(2) }, 'other'),
      { eventId: 'evt-2' },
    );
    expect(other.changed).toBe(true);
  });

  it('applies an event once even when its deliveries race', async () => {
    const registration = await created();
    const eventId = `evt-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        storage.registrations.update(
          registration.id,
          (current) => evolve(current, { qualityRating: `${current.qualityRating ?? ''}x` }, { cause: 'account-event', at: at(1) }, 'q'),
          { eventId },
        ),
      ),
    );
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate)).toHaveLength(4);
    expect((await storage.registrations.get(registration.id))?.qualityRating).toBe('x');
  });

  it('answers ping while storage is up, and throws when it is unreachable', async () => {
    await expect(storage.registrations.ping()).resolves.toBeUndefined();
    const unreachable = createTableStorage({
      connection: testStorageConnectionString().replace(/:(\d+)\//, ':1/'),
      tablePrefix: uniqueTablePrefix('down'),
    });
    await expect(unreachable.registrations.ping()).rejects.toBeDefined();
  }, 20_000);
});
