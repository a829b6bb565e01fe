/** Owner-scoped reads in Table Storage (docs/design.md §5.1): lists by owner, the events feed of one owner, rows from before owners. */
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { createTableStorage, type TableStorage } from '../../../src/adapters/table-storage';
import { ROW, shardOfId, shardPartition } from '../../../src/adapters/table-storage/keys';
import { shardTableName } from '../../../src/adapters/table-storage/tables';
import type { OutgoingEvent, RegistrationFilter } from '../../../src/domain/ports';
import { evolve, newRegistration, type Registration } from '../../../src/domain/registration';
import type { AccountStatus, Stage } from '../../../src/domain/stages';
import { testStorageConnectionString, uniqueTablePrefix } from '../../support/storage';

const T0 = '2025-03-01T10:00:00.000Z';
let counter = 0;
const uniquePhone = (): string => `+3362${String(process.pid % 1000).padStart(3, '0')}${String((counter += 1)).padStart(4, '0')}`;
const OWNER_A = 'client-app-a';
/** An owner id that is not a usable key as it is. */
const OWNER_B = 'https://sts.example/tenant/app#b?';

function registration(owner: string, stage: Stage, status: AccountStatus | null, waba: string | null = null): Registration {
  return {
    ...newRegistration({ id: randomUUID(), phoneNumber: uniquePhone(), phoneNumberSource: 'acs', owner, at: T0 }),
    stage,
    status,
    whatsAppBusinessAccountId: waba,
  };
}

const ids = (registrations: Registration[]): string[] => registrations.map((r) => r.id).sort();

async function everyPage(storage: TableStorage, filter: RegistrationFilter, limit: number): Promise<Registration[]> {
  const items: Registration[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 20; pages += 1) {
    const page = await storage.registrations.list(filter, { limit, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
  throw new Error('paging does not end');
}

describe('lists by owner', () => {
  const prefix = uniqueTablePrefix('owner');
  const storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: prefix });
  const aActive = [
    registration(OWNER_A, 'Connected', 'Active', 'waba-1'),
    registration(OWNER_A, 'Connected', 'Active', 'waba-1'),
    registration(OWNER_A, 'Connected', 'Active', 'waba-2'),
  ];
  const aSignup = registration(OWNER_A, 'SignupStarted', null);
  const bActive = [registration(OWNER_B, 'Connected', 'Active', 'waba-1'), registration(OWNER_B, 'Connected', 'Active', 'waba-1')];
  beforeAll(async () => {
    await Promise.all([...aActive, aSignup, ...bActive].map((r) => storage.registrations.create(r, [])));
  });

  it.each<[string, RegistrationFilter, () => Registration[]]>([
    ['owner alone', { owner: OWNER_A }, () => [...aActive, aSignup]],
    ['owner and status', { owner: OWNER_A, status: 'Active' }, () => aActive],
    ['owner and stage', { owner: OWNER_B, stage: 'Connected' }, () => bActive],
    ['owner, status and stage', { owner: OWNER_A, status: 'Active', stage: 'Connected' }, () => aActive],
    ['owner and WABA', { owner: OWNER_B, whatsAppBusinessAccountId: 'waba-1' }, () => bActive],
    ['owner and another owner’s number', { owner: OWNER_A, phoneNumber: bActive[0]!.phoneNumber }, () => []],
    ['an owner with nothing', { owner: 'nobody' }, () => []],
  ])('filters by %s, a page at a time', async (_name, filter, expected) => {
    expect(ids(await everyPage(storage, filter, 2))).toEqual(ids(expected()));
  });

  it('follows a status change of an owner’s registration', async () => {
    const moved = aActive[0]!;
    await storage.registrations.update(moved.id, (current) =>
      evolve(current, { facts: { disconnected: { value: true, at: T0 } } }, { cause: 'api', at: T0, actor: OWNER_A }, 'disconnect'),
    );
    expect(ids(await everyPage(storage, { owner: OWNER_A, status: 'Active' }, 10))).toEqual(ids(aActive.slice(1)));
    expect(ids(await everyPage(storage, { owner: OWNER_A, status: 'Disconnected' }, 10))).toEqual([moved.id]);
    expect((await storage.registrations.get(moved.id))?.owner).toBe(OWNER_A);
  });
});

describe('rows stored before owners', () => {
  it('read as owned by anonymous, with history actors anonymous for API changes and system otherwise', async () => {
    const prefix = uniqueTablePrefix('legacy');
    const storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: prefix });
    const old = registration('someone', 'SignupStarted', null);
    await storage.registrations.create(old, []);
    const shard = shardOfId(old.id);
    const table = TableClient.fromConnectionString(testStorageConnectionString(), shardTableName(prefix, shard), { allowInsecureConnection: true });
    const partition = shardPartition(shard);
    const entity = await table.getEntity<Record<string, unknown>>(partition, ROW.entity(old.id));
    const { owner: _owner, etag: _etag, timestamp: _timestamp, ...withoutOwner } = entity;
    await table.updateEntity(withoutOwner as { partitionKey: string; rowKey: string }, 'Replace');
    const entry = (cause: string) =>
      JSON.stringify({ at: T0, from: { stage: 'SignupStarted', status: null }, to: { stage: 'SignupStarted', status: null }, cause, detail: 'old' });
    await table.createEntity({ partitionKey: partition, rowKey: ROW.history(old.id, 0, 0), kind: 'history', entry: entry('api') });
    await table.createEntity({ partitionKey: partition, rowKey: ROW.history(old.id, 0, 1), kind: 'history', entry: entry('account-event') });

    expect((await storage.registrations.get(old.id))?.owner).toBe('anonymous');
    expect((await storage.registrations.history(old.id)).map((item) => item.actor)).toEqual(['anonymous', 'system']);
  });
});

describe('the events feed of one owner', () => {
  it('holds only that owner’s events, under cursors the full feed understands too', async () => {
    const storage = createTableStorage({ connection: testStorageConnectionString(), tablePrefix: uniqueTablePrefix('feed') });
    const event = (n: number, owner?: string): OutgoingEvent => ({
      id: `reg-${n}:1:0`,
      type: 'Registration.StageChanged',
      source: `/registrations/reg-${n}`,
      subject: `reg-${n}`,
      time: new Date(Date.parse(T0) + n * 1000).toISOString(),
      data: { registrationId: `reg-${n}`, from: 'SignupStarted', to: 'BusinessAccountSelected', cause: 'api', at: T0 },
      ...(owner === undefined ? {} : { owner }),
    });
    const events = [event(1, OWNER_A), event(2, OWNER_B), event(3, OWNER_A), event(4), event(5, OWNER_A)];
    for (const e of events) await storage.outbox.appendToFeed([e]);
    await storage.outbox.appendToFeed([events[0]!]);

    const first = await storage.outbox.feed(undefined, 2, OWNER_A);
    expect(first.items).toEqual([events[0], events[2]]);
    const rest = await storage.outbox.feed(first.nextCursor ?? undefined, 2, OWNER_A);
    expect(rest).toEqual({ items: [events[4]], nextCursor: null });
    expect((await storage.outbox.feed(undefined, 10, OWNER_B)).items).toEqual([events[1]]);
    expect((await storage.outbox.feed(undefined, 10)).items).toEqual(events);
    expect((await storage.outbox.feed(first.nextCursor ?? undefined, 10)).items).toEqual(events.slice(3));
  });
});
