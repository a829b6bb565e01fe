import type { TransactionAction } from '@azure/data-tables';
import { ROW } from '../../../src/adapters/table-storage/keys';
import { copyRowKeys, MARKER_TTL_MS, planWrite, type MarkerList } from '../../../src/adapters/table-storage/shard-rows';
import { newRegistration, type Registration } from '../../../src/domain/registration';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const current: Registration = {
  ...newRegistration({ id: 'reg-1', phoneNumber: '+14255550123', phoneNumberSource: 'acs', at: '2026-11-01T00:00:00.000Z' }),
  stage: 'Connected',
  status: 'Active',
  whatsAppBusinessAccountId: 'waba-1',
};
const next: Registration = { ...current, status: 'DisplayNameReviewRejected', version: current.version + 1 };
const hoursAgo = (hours: number): number => NOW - hours * 3600_000;

function plan(markers: MarkerList, eventId = 'event-new', existing?: ReadonlySet<string>) {
  return planWrite({
    current: { registration: current, markers },
    next,
    history: [],
    events: [],
    eventId,
    token: { rowKey: ROW.entity(current.id), etag: 'W/"1"' },
    now: NOW,
    ...(existing ? { existing } : {}),
  });
}

const rowKeysOf = (actions: TransactionAction[], kind: TransactionAction[0]): string[] =>
  actions.filter((action) => action[0] === kind).map((action) => action[1].rowKey);

describe('planWrite: applied-event markers', () => {
  it('lists the event on every row it writes and creates no marker row', () => {
    const planned = plan([]);

    expect(planned.markers).toEqual([[ROW.marker(current.id, 'event-new'), NOW, 0]]);
    const written = planned.actions.filter((action) => action[0] !== 'delete').map((action) => action[1]);
    expect(written.every((row) => !row.rowKey.startsWith('m|'))).toBe(true);
    const copies = written.filter((row) => copyRowKeys(next).includes(row.rowKey));
    expect(copies.map((row) => row.rowKey).sort()).toEqual([...copyRowKeys(next)].sort());
    for (const row of copies) expect(JSON.parse(String(row.markers))).toEqual(planned.markers);
  });

  it('forgets markers older than 72 hours, and keeps at most 64', () => {
    const old: MarkerList = [[ROW.marker(current.id, 'expired'), NOW - MARKER_TTL_MS - 1, 0]];
    const recent: MarkerList = Array.from({ length: 70 }, (_, i) => [ROW.marker(current.id, `recent-${i}`), hoursAgo(70 - i), 0]);

    const planned = plan([...old, ...recent]);

    expect(planned.markers).toHaveLength(64);
    expect(planned.markers[0]?.[0]).toBe(ROW.marker(current.id, 'recent-7'));
    expect(planned.markers.at(-1)?.[0]).toBe(ROW.marker(current.id, 'event-new'));
    expect(rowKeysOf(planned.actions, 'delete').filter((key) => key.startsWith('m|'))).toEqual([]);
  });

  it('deletes the rows of expired markers of the earlier layout, 8 per change, listing the rest until they go', () => {
    const legacy: MarkerList = Array.from({ length: 10 }, (_, i) => [ROW.marker(current.id, `legacy-${i}`), hoursAgo(100 + i)]);

    const first = plan(legacy);
    expect(rowKeysOf(first.actions, 'delete').filter((key) => key.startsWith('m|'))).toEqual(legacy.slice(0, 8).map(([key]) => key));
    expect(first.markers.map(([key]) => key)).toEqual([...legacy.slice(8).map(([key]) => key), ROW.marker(current.id, 'event-new')]);

    const second = plan(first.markers, 'event-later');
    expect(rowKeysOf(second.actions, 'delete').filter((key) => key.startsWith('m|'))).toEqual(legacy.slice(8).map(([key]) => key));
    expect(second.markers.map(([key]) => key)).toEqual([ROW.marker(current.id, 'event-new'), ROW.marker(current.id, 'event-later')]);
  });

  it('in a repair, deletes only the rows found and creates the copies that are missing', () => {
    const legacy: MarkerList = [[ROW.marker(current.id, 'legacy-gone'), hoursAgo(100)]];
    const found = new Set([ROW.entity(current.id), ROW.state('Connected.DisplayNameReviewRejected', current.id)]);

    const planned = plan(legacy, 'event-new', found);

    expect(rowKeysOf(planned.actions, 'delete')).toEqual([]);
    expect(rowKeysOf(planned.actions, 'update')).toEqual([ROW.entity(current.id), ROW.state('Connected.DisplayNameReviewRejected', current.id)]);
    expect(rowKeysOf(planned.actions, 'create')).toEqual(expect.arrayContaining([ROW.waba('waba-1', current.id)]));
  });
});
