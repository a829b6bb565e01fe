import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { createTableStorage, type TableStorage } from '../../../src/adapters/table-storage';
import type { RegistrationFilter } from '../../../src/domain/ports';
import { evolve, newRegistration, type Registration } from '../../../src/domain/registration';
import type { AccountStatus, Stage } from '../../../src/domain/stages';
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
  all: Registration[];
}

async function seed(): Promise<Dataset> {
  const prefix = uniqueTablePrefix('list');
  const storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: prefix });
  const active = Array.from({ length: 7 }, () => registration('Connected', 'Active', 'waba-1'));
  const disconnected = [registration('Connected', 'Disconnected', 'waba-2'), registration('Connected', 'Disconnected', 'waba-2')];
  const signup = registration('SignupStarted', null, null);
  const profile = registration('ProfileSelected', null, 'waba-2');
  const all = [...active, ...disconnected, signup, profile];
  await Promise.all(all.map((r) => storage.registrations.create(r, [])));
  return { storage, prefix, active, disconnected, signup, profile, all };
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

  it('pages through 7 matches 3 at a time, in id order, ending with a null cursor', async () => {
    const pages = await everyPage(data.storage, { status: 'Active' }, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const listed = pages.flat().map((r) => r.id);
    expect(listed).toEqual(ids(data.active));
    expect(pages.flat()).toEqual(expect.arrayContaining(data.active));
  });

  it('returns a null cursor when the last page is exactly full', async () => {
    const page = await data.storage.registrations.list({ status: 'Active' }, { limit: 7 });
    expect(page.items).toHaveLength(7);
    expect(page.nextCursor).toBeNull();
  });

  it('lists everything without a filter', async () => {
    const pages = await everyPage(data.storage, {}, 4);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 3]);
    expect(pages.flat().map((r) => r.id)).toEqual(ids(data.all));
  });

  it.each<[string, (d: Dataset) => RegistrationFilter, (d: Dataset) => Registration[]]>([
    ['status', () => ({ status: 'Disconnected' }), (d) => d.disconnected],
    ['stage', () => ({ stage: 'Connected' }), (d) => [...d.active, ...d.disconnected]],
    ['stage before Connected', () => ({ stage: 'SignupStarted' }), (d) => [d.signup]],
    ['WABA', () => ({ whatsAppBusinessAccountId: 'waba-2' }), (d) => [...d.disconnected, d.profile]],
    ['WABA and status', () => ({ whatsAppBusinessAccountId: 'waba-2', status: 'Disconnected' }), (d) => d.disconnected],
    ['WABA and stage', () => ({ whatsAppBusinessAccountId: 'waba-2', stage: 'ProfileSelected' }), (d) => [d.profile]],
    ['phone number', (d) => ({ phoneNumber: d.profile.phoneNumber }), (d) => [d.profile]],
    ['phone number without +', (d) => ({ phoneNumber: d.signup.phoneNumber.slice(1) }), (d) => [d.signup]],
    ['phone number and a status it does not have', (d) => ({ phoneNumber: d.profile.phoneNumber, status: 'Active' }), () => []],
    ['unknown WABA', () => ({ whatsAppBusinessAccountId: 'no/such#waba' }), () => []],
  ])('filters by %s', async (_, filter, expected) => {
    const pages = await everyPage(data.storage, filter(data), 2);
    expect(pages.flat().map((r) => r.id)).toEqual(ids(expected(data)));
  });

  it('lists by WABA and by phone number', async () => {
    expect(ids(await data.storage.registrations.listByWaba('waba-1'))).toEqual(ids(data.active));
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
    await data.storage.registrations.update(data.profile.id, (current) =>
      evolve(current, { stage: 'CodeRequested' }, { cause: 'api', at: T0 }, 'code'),
    );
    const activeIds = (await everyPage(data.storage, { status: 'Active' }, 3)).flat().map((r) => r.id);
    expect(activeIds).toEqual(ids(data.active.slice(1)));
    const disconnected = (await everyPage(data.storage, { status: 'Disconnected' }, 10)).flat();
    expect(disconnected.map((r) => r.id)).toEqual(ids([...data.disconnected, moved]));
    expect(disconnected.find((r) => r.id === moved.id)).toMatchObject({ status: 'Disconnected', version: 1 });
    expect((await data.storage.registrations.list({ stage: 'ProfileSelected' }, { limit: 10 })).items).toEqual([]);
    expect((await data.storage.registrations.list({ stage: 'CodeRequested' }, { limit: 10 })).items.map((r) => r.id)).toEqual([data.profile.id]);
  });

  it('drops stale index rows a crash left behind, and still fills pages', async () => {
    const data = await seed();
    // What a crash between the index upsert and the registration write leaves: rows pointing at
    // registrations that do not have (or no longer have) the value, or that do not exist at all.
    const index = TableClient.fromConnectionString(testStorageConnectionString(), `${data.prefix}regindex`, { allowInsecureConnection: true });
    const stale = [...data.disconnected.map((r) => r.id), data.signup.id, ...Array.from({ length: 20 }, () => randomUUID())];
    await Promise.all(stale.map((id) => index.upsertEntity({ partitionKey: 'status-Active', rowKey: id })));
    await index.upsertEntity({ partitionKey: 'status-Revoked', rowKey: data.signup.id });

    const pages = await everyPage(data.storage, { status: 'Active' }, 3);
    expect(pages.flat().map((r) => r.id)).toEqual(ids(data.active));
    expect(pages.flat().every((r) => r.status === 'Active')).toBe(true);
    expect(await data.storage.registrations.list({ status: 'Revoked' }, { limit: 5 })).toEqual({ items: [], nextCursor: null });
  });
});
