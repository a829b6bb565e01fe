import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { createTableStorage, type TableStorage } from '../../../src/adapters/table-storage';
import type { RegistrationFilter } from '../../../src/domain/ports';
import { evolve, newRegistration, type Registration } from '../../../src/domain/registration';
import type { AccountStatus, Stage } from '../../../src/domain/stages';
import { digitsOf, ROW, shardOfDigits, shardOfId, shardPartition } from '../../../src/adapters/table-storage/keys';
import { phonePointer } from '../../../src/adapters/table-storage/shard-rows';
import { shardTableName } from '../../../src/adapters/table-storage/tables';
import { createOutboxDispatcher } from '../../../src/domain/use-cases/outbox-dispatch';
import { testStorageConnectionString, uniqueTablePrefix } from '../../support/storage';

const T0 = '2025-03-01T10:00:00.000Z';
let counter = 0;
const uniquePhone = (): string => `+3361${String(process.pid % 1000).padStart(3, '0')}${String((counter += 1)).padStart(4, '0')}`;

function registration(stage: Stage, status: AccountStatus | null, waba: string | null): Registration {
  return {
    ...newRegistration({ id: randomUUID(), phoneNumber: uniquePhone(), phoneNumberSource: 'acs', at: T0 }),
    stage,
    status,
    whatsAppBusinessAccountId: waba,
    facts: status === 'Disconnected' ? { disconnected: { value: true, at: T0 } } : {},
  };
}

interface Dataset {
  storage: TableStorage;
  prefix: string;
  active: Registration[];
  disconnected: Registration[];
  signup: Registration;
  profile: Registration;
  ownedByB: Registration[];
  all: Registration[];
}

async function seed(): Promise<Dataset> {
  const prefix = uniqueTablePrefix('list');
  const storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: prefix });
  const active = Array.from({ length: 7 }, () => registration('Connected', 'Active', 'waba-1'));
  const disconnected = [registration('Connected', 'Disconnected', 'waba-2'), registration('Connected', 'Disconnected', 'waba-2')];
  const signup = registration('SignupStarted', null, null);
  const profile = registration('ProfileSelected', null, 'waba-2');
  const ownedByB = [
    { ...registration('Connected', 'Active', 'waba-3'), owner: 'client-b' },
    { ...registration('CodeRequested', null, 'waba-2'), owner: 'client-b' },
  ];
  const all = [...active, ...disconnected, signup, profile, ...ownedByB];
  await Promise.all(all.map((r) => storage.registrations.create(r, [])));
  return { storage, prefix, active: [...active, ownedByB[0] as Registration], disconnected, signup, profile, ownedByB, all };
}

const ids = (registrations: Registration[]): string[] => registrations.map((r) => r.id).sort();

/** Follows cursors to the end, checking that every page but the last is full and the last ends with null. */
async function everyPage(storage: TableStorage, filter: RegistrationFilter, limit: number): Promise<Registration[][]> {
  const pages: Registration[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await storage.registrations.list(filter, { limit, ...(cursor ? { cursor } : {}) });
    pages.push(page.items);
    if (page.nextCursor === null) return pages;
    expect(page.items).toHaveLength(limit);
    cursor = page.nextCursor;
    if (pages.length > 20) throw new Error('paging does not end');
  }
}

describe('list', () => {
  let data: Dataset;
  beforeAll(async () => {
    data = await seed();
  });

  it('pages through 7 matches 3 at a time, each once, ending with a null cursor', async () => {
    const pages = await everyPage(data.storage, { status: 'Active' }, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(ids(pages.flat())).toEqual(ids(data.active));
    expect(pages.flat()).toEqual(expect.arrayContaining(data.active));
  });

  it('returns a null cursor when the last page is exactly full', async () => {
    const page = await data.storage.registrations.list({ status: 'Active' }, { limit: 8 });
    expect(page.items).toHaveLength(8);
    expect(page.nextCursor).toBeNull();
  });

  it('lists everything without a filter', async () => {
    const pages = await everyPage(data.storage, {}, 4);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 4, 1]);
    expect(ids(pages.flat())).toEqual(ids(data.all));
  });

  it.each<[string, (d: Dataset) => RegistrationFilter, (d: Dataset) => Registration[]]>([
    ['status', () => ({ status: 'Disconnected' }), (d) => d.disconnected],
    ['stage', () => ({ stage: 'Connected' }), (d) => [...d.active, ...d.disconnected]],
    ['stage before Connected', () => ({ stage: 'SignupStarted' }), (d) => [d.signup]],
    [
      'WABA',
      () => ({ whatsAppBusinessAccountId: 'waba-2' }),
      (d) => [...d.disconnected, d.profile, ...d.ownedByB.filter((r) => r.whatsAppBusinessAccountId === 'waba-2')],
    ],
    ['WABA and status', () => ({ whatsAppBusinessAccountId: 'waba-2', status: 'Disconnected' }), (d) => d.disconnected],
    ['WABA and stage', () => ({ whatsAppBusinessAccountId: 'waba-2', stage: 'ProfileSelected' }), (d) => [d.profile]],
    ['phone number', (d) => ({ phoneNumber: d.profile.phoneNumber }), (d) => [d.profile]],
    ['phone number without +', (d) => ({ phoneNumber: d.signup.phoneNumber.slice(1) }), (d) => [d.signup]],
    ['phone number and a status it does not have', (d) => ({ phoneNumber: d.profile.phoneNumber, status: 'Active' }), () => []],
    ['unknown WABA', () => ({ whatsAppBusinessAccountId: 'no/such#waba' }), () => []],
    ['owner', () => ({ owner: 'client-b' }), (d) => d.ownedByB],
    ['owner and status', () => ({ owner: 'client-b', status: 'Active' }), (d) => d.ownedByB.filter((r) => r.status === 'Active')],
    ['owner and stage', () => ({ owner: 'client-b', stage: 'Connected' }), (d) => d.ownedByB.filter((r) => r.stage === 'Connected')],
    ['owner with odd characters', () => ({ owner: 'odd/owner#?' }), () => []],
    [
      'owner and WABA',
      () => ({ owner: 'client-b', whatsAppBusinessAccountId: 'waba-2' }),
      (d) => d.ownedByB.filter((r) => r.whatsAppBusinessAccountId === 'waba-2'),
    ],
    ['status with a stage before Connected', () => ({ status: 'Active', stage: 'CodeRequested' }), () => []],
  ])('filters by %s', async (_, filter, expected) => {
    const pages = await everyPage(data.storage, filter(data), 2);
    expect(ids(pages.flat())).toEqual(ids(expected(data)));
  });

  it('lists by WABA and by phone number', async () => {
    expect(ids(await data.storage.registrations.listByWaba('waba-1'))).toEqual(ids(data.active.filter((r) => r.whatsAppBusinessAccountId === 'waba-1')));
    expect(await data.storage.registrations.listByWaba('nothing-here')).toEqual([]);
    expect(await data.storage.registrations.listByPhoneNumber(data.signup.phoneNumber)).toEqual([data.signup]);
  });

  it('refuses a cursor it did not issue, or one issued for other filters', async () => {
    const page = await data.storage.registrations.list({ status: 'Active' }, { limit: 2 });
    expect(page.nextCursor).not.toBeNull();
    await expect(data.storage.registrations.list({ stage: 'Connected' }, { limit: 2, cursor: page.nextCursor ?? '' })).rejects.toMatchObject({
      code: 'validation-failed',
    });
    await expect(data.storage.registrations.list({}, { limit: 2, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'validation-failed' });
  });
});

describe('list after changes', () => {
  it('follows status and stage changes exactly', async () => {
    const data = await seed();
    const [moved] = data.active;
    if (!moved) throw new Error('fixture');
    await data.storage.registrations.update(moved.id, (current) =>
      evolve(current, { facts: { disconnected: { value: true, at: T0 } } }, { cause: 'api', at: T0 }, 'disconnect'),
    );
    await data.storage.registrations.update(data.profile.id, (current) => evolve(current, { stage: 'CodeRequested' }, { cause: 'api', at: T0 }, 'code'));
    const activeIds = ids((await everyPage(data.storage, { status: 'Active' }, 3)).flat());
    expect(activeIds).toEqual(ids(data.active.slice(1)));
    const disconnected = (await everyPage(data.storage, { status: 'Disconnected' }, 10)).flat();
    expect(ids(disconnected)).toEqual(ids([...data.disconnected, moved]));
    expect(disconnected.find((r) => r.id === moved.id)).toMatchObject({ status: 'Disconnected', version: 1 });
    expect((await data.storage.registrations.list({ stage: 'ProfileSelected' }, { limit: 10 })).items).toEqual([]);
    expect(ids((await data.storage.registrations.list({ stage: 'CodeRequested' }, { limit: 10 })).items)).toEqual(
      ids([data.profile, ...data.ownedByB.filter((r) => r.stage === 'CodeRequested')]),
    );
  });

  it('lists a change everywhere at once, and after a crash before its dispatch the sweep counts it once', async () => {
    const data = await seed();
    // This process commits and "crashes" before dispatching: nothing subscribed to its outbox.
    const [moved] = data.active;
    if (!moved) throw new Error('fixture');
    await data.storage.registrations.update(moved.id, (current) =>
      evolve(current, { facts: { disconnected: { value: true, at: T0 } } }, { cause: 'api', at: T0 }, 'disconnect'),
    );
    // The copies lists read were written by the change's own transaction: no second write to lose.
    const survivor = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: data.prefix });
    expect(ids((await everyPage(survivor, { status: 'Disconnected' }, 10)).flat())).toEqual(ids([...data.disconnected, moved]));
    expect(ids((await everyPage(survivor, { status: 'Active' }, 10)).flat())).not.toContain(moved.id);
    expect((await survivor.registrations.listByWaba('waba-1')).find((r) => r.id === moved.id)).toMatchObject({ status: 'Disconnected', version: 1 });

    // Another process sweeps the journal; a crash between its feed append and its acknowledge repeats the append.
    const pending = await survivor.outbox.pending(100);
    await survivor.outbox.appendToFeed(pending.flatMap((p) => p.events));
    const dispatcher = createOutboxDispatcher({
      outbox: survivor.outbox,
      publisher: null,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    await dispatcher.sweep();
    await dispatcher.sweep();
    expect(await survivor.outbox.pending(100)).toEqual([]);
    const feed = await survivor.outbox.feed(undefined, 100);
    expect(feed.items.map((e) => e.id)).toEqual([`${moved.id}:1:0`]);
    const summary = await survivor.registrations.summarize({});
    expect(summary.total).toBe(data.all.length);
    expect(summary.byStatus).toMatchObject({ Active: data.active.length - 1, Disconnected: data.disconnected.length + 1 });
    expect(summary.byStage).toMatchObject({ Connected: data.active.length + data.disconnected.length, SignupStarted: 1, ProfileSelected: 1, CodeRequested: 1 });
    expect((await survivor.registrations.summarize({ owner: 'client-b' })).byStatus.Active).toBe(1);
  });

  it('repairs copies that went missing or were left behind: the next change looks which rows exist and writes them right', async () => {
    const data = await seed();
    const [moved] = data.active;
    if (!moved) throw new Error('fixture');
    const shard = shardOfId(moved.id);
    const table = TableClient.fromConnectionString(testStorageConnectionString(), shardTableName(data.prefix, shard), { allowInsecureConnection: true });
    // Lost by hand: the WABA copy and the Active copy the change deletes. Left behind: a Disconnected copy, where the change moves it.
    await table.deleteEntity(shardPartition(shard), ROW.waba('waba-1', moved.id));
    await table.deleteEntity(shardPartition(shard), ROW.state('Connected.Active', moved.id));
    await table.createEntity({ partitionKey: shardPartition(shard), rowKey: ROW.state('Connected.Disconnected', moved.id), r: JSON.stringify(moved) });

    const result = await data.storage.registrations.update(moved.id, (current) =>
      evolve(current, { facts: { disconnected: { value: true, at: T0 } } }, { cause: 'api', at: T0 }, 'disconnect'),
    );

    expect(result).toMatchObject({ changed: true, registration: { version: 1, status: 'Disconnected' } });
    expect((await data.storage.registrations.listByWaba('waba-1')).find((r) => r.id === moved.id)).toMatchObject({ status: 'Disconnected', version: 1 });
    const disconnected = (await everyPage(data.storage, { status: 'Disconnected' }, 10)).flat();
    expect(disconnected.filter((r) => r.id === moved.id)).toEqual([expect.objectContaining({ version: 1 })]);
    expect(ids((await everyPage(data.storage, { status: 'Active' }, 10)).flat())).not.toContain(moved.id);
    expect(await data.storage.registrations.history(moved.id)).toHaveLength(1);
  });

  it('finds a registration stored away from its number, and skips a pointer whose registration was never written', async () => {
    const data = await seed();
    // An id from elsewhere: its shard is not its number's, so the number's shard holds a pointer.
    const foreign = registration('SignupStarted', null, null);
    const phoneShard = shardOfDigits(digitsOf(foreign.phoneNumber));
    const id = Array.from({ length: 64 }, () => randomUUID()).find((candidate) => shardOfId(candidate) !== phoneShard) ?? '';
    await data.storage.registrations.create({ ...foreign, id }, []);
    expect((await data.storage.registrations.listByPhoneNumber(foreign.phoneNumber)).map((r) => r.id)).toEqual([id]);
    // A crash between the pointer and the registration's transaction leaves a pointer to nothing.
    const orphan = registration('SignupStarted', null, null);
    const pointer = phonePointer({
      ...orphan,
      id: Array.from({ length: 64 }, () => randomUUID()).find((candidate) => shardOfId(candidate) !== shardOfDigits(digitsOf(orphan.phoneNumber))) ?? '',
    });
    if (!pointer) throw new Error('fixture');
    const table = TableClient.fromConnectionString(testStorageConnectionString(), shardTableName(data.prefix, shardOfDigits(digitsOf(orphan.phoneNumber))), {
      allowInsecureConnection: true,
    });
    await table.upsertEntity(pointer, 'Replace');
    expect(await data.storage.registrations.listByPhoneNumber(orphan.phoneNumber)).toEqual([]);
  });
});
