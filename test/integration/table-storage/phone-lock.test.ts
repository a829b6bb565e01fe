import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { createTableStorage, type TableStorage } from '../../../src/adapters/table-storage';
import { DomainError } from '../../../src/domain/errors';
import { evolve, newRegistration, type HistoryEntry, type Registration } from '../../../src/domain/registration';
import { testStorageConnectionString, uniqueTablePrefix } from '../../support/storage';
import { eventually } from '../../support/eventually';

const T0 = '2025-03-01T10:00:00.000Z';
let storage: TableStorage;

beforeAll(async () => {
  storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: uniqueTablePrefix('lock') });
  await storage.ensureTables();
});

let counter = 0;
const uniquePhone = (): string => `+4420${String(process.pid % 1000).padStart(3, '0')}${String((counter += 1)).padStart(5, '0')}`;

const registrationFor = (phoneNumber: string, id = randomUUID()): Registration => newRegistration({ id, phoneNumber, phoneNumberSource: 'acs', at: T0 });
const entry = (registration: Registration): HistoryEntry => ({
  at: registration.createdAt,
  from: { stage: 'SignupStarted', status: null },
  to: { stage: 'SignupStarted', status: null },
  cause: 'api',
  actor: 'anonymous',
  detail: 'Sign-up started',
});
const create = (registration: Registration): Promise<Registration> => storage.registrations.create(registration, [entry(registration)]);
const cancel = (id: string) => storage.registrations.update(id, (current) => evolve(current, { stage: 'Cancelled' }, { cause: 'api', at: T0 }, 'Cancelled'));

describe('phone-number uniqueness', () => {
  it('lets exactly one of 8 racing creates of the same number win', async () => {
    const phone = uniquePhone();
    const racers = Array.from({ length: 8 }, () => registrationFor(phone));
    const outcomes = await Promise.allSettled(racers.map(create));

    const winners = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const losers = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(7);
    for (const error of losers) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'phone-number-in-use' });
      expect((error as DomainError).extra.suggestedAction).toEqual(expect.any(String));
    }
    const winner = winners[0] as Registration;
    const stored = await storage.registrations.listByPhoneNumber(phone);
    expect(stored.map((r) => r.id)).toEqual([winner.id]);
    for (const racer of racers.filter((r) => r.id !== winner.id)) expect(await storage.registrations.get(racer.id)).toBeNull();

    // Once the holder is Cancelled the number is free again, for exactly one new registration.
    await cancel(winner.id);
    const next = { ...registrationFor(phone), createdAt: '2025-03-02T00:00:00.000Z', updatedAt: '2025-03-02T00:00:00.000Z' };
    await expect(create(next)).resolves.toEqual(next);
    await expect(create(registrationFor(phone))).rejects.toMatchObject({ code: 'phone-number-in-use' });

    // Any stage, newest first.
    const later = await storage.registrations.listByPhoneNumber(phone.replace('+', ''));
    expect(later.map((r) => [r.id, r.stage])).toEqual([
      [next.id, 'SignupStarted'],
      [winner.id, 'Cancelled'],
    ]);
  });

  it('refuses a number held by a registration at any stage other than Cancelled', async () => {
    const phone = uniquePhone();
    const holder = await create(registrationFor(phone));
    await storage.registrations.update(holder.id, (current) =>
      evolve(current, { stage: 'Connected', facts: { disconnected: { value: true, at: T0 } } }, { cause: 'api', at: T0 }, 'connected'),
    );
    await expect(create(registrationFor(phone))).rejects.toMatchObject({ code: 'phone-number-in-use' });
  });

  it('treats a retried create of the same id as the same registration', async () => {
    const phone = uniquePhone();
    const registration = registrationFor(phone);
    const [a, b] = await Promise.all([create(registration), create(registration)]);
    expect(a).toEqual(registration);
    expect(b).toEqual(registration);
    expect(await storage.registrations.history(registration.id)).toHaveLength(1);
    // Even after the number moved on to another registration, the retry answers with what was stored.
    await cancel(registration.id);
    await create(registrationFor(phone));
    await expect(create(registration)).resolves.toMatchObject({ id: registration.id, stage: 'Cancelled' });
  });

  it('takes over a lock whose registration was never written once the grace period is over', async () => {
    const prefix = uniqueTablePrefix('orphan');
    // Two views of the same tables: one whose grace period cannot have passed during the test, one whose has at once.
    const patient = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: prefix, phoneLockGraceMs: 3_600_000 });
    const quick = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: prefix, phoneLockGraceMs: 1 });
    await patient.ensureTables();
    const phone = uniquePhone();
    // The state a crash between claiming the number and writing the registration leaves behind.
    const locks = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}phonelocks`, { allowInsecureConnection: true });
    await locks.createEntity({ partitionKey: phone.slice(1), rowKey: '', registrationId: 'never-written' });

    // Within the grace period the holder may still be being written.
    await expect(patient.registrations.create(registrationFor(phone), [])).rejects.toMatchObject({ code: 'phone-number-in-use' });
    expect((await locks.getEntity(phone.slice(1), '')).registrationId).toBe('never-written');
    // Once it is over (a millisecond, retried until the clock has moved on), the orphaned lock is taken over.
    const taker = registrationFor(phone);
    await expect(eventually(() => quick.registrations.create(taker, []))).resolves.toEqual(taker);
    expect((await locks.getEntity(phone.slice(1), '')).registrationId).toBe(taker.id);
  });
});
