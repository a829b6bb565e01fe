import type { TableClient } from '@azure/data-tables';
import { DomainError, notFound } from '../../domain/errors';
import type { OutboxEntry, Page, RegistrationFilter, RegistrationRepository, RegistrationSummary, UpdateOptions, UpdateResult } from '../../domain/ports';
import { outgoingEventsOf, type Change, type HistoryEntry, type Registration } from '../../domain/registration';
import type { Stage } from '../../domain/stages';
import type { RegistrationCounts } from './counts';
import { isConflict, isNotFound, isPreconditionFailed } from './errors';
import { digitsOf, isUsableKey, placedId, rangeEnd, ROW, SHARDS, shardOfDigits, shardOfId, shardPartition } from './keys';
import { KeyedQueue } from './keyed-queue';
import { odata } from './odata';
import { PhoneLocks } from './phone-lock';
import { all, sleep, take, type StoredRow } from './query';
import { historyFromRow } from './registration-entity';
import { listPrefixFor, matchesFilter } from './registration-index';
import { journalRef } from './outbox-store';
import { canConditionOn, parseMarkers, phonePointer, planWrite, registrationFromRow, rowsToCheck, valueKey, type MarkerList } from './shard-rows';
import { TABLE_NOT_FOUND, type TableClients, type Tables } from './tables';
import { decodeCursor, encodeCursor } from './cursor';
import { submitBatch } from './batch';

export interface RepositoryTuning {
  /** Re-reads after a lost optimistic-concurrency race before giving up with a transient conflict. */
  maxRetries?: number;
  /** See PhoneLocks: how long an orphaned phone lock protects a registration being created. */
  phoneLockGraceMs?: number;
}

const MAX_TRANSACTION_ACTIONS = 100;

/** A stored version: what it says, the markers it lists, and the row and etag a write can be conditional on. */
interface Stored {
  registration: Registration;
  markers: MarkerList;
  token: { rowKey: string; etag: string };
}

const concurrencyConflict = (message: string, transient = false): DomainError =>
  new DomainError('concurrency-conflict', message, transient ? { transient: true } : {});

/** Exponential backoff with full jitter, so racers that lost once do not collide again in lockstep. */
const backoffMs = (attempt: number): number => Math.random() * Math.min(500, 10 * 2 ** attempt);

/** Ids become parts of row keys, which `|` separates. */
const isUsableId = (id: string): boolean => isUsableKey(id) && !id.includes('|');

const byId = (a: Registration, b: Registration): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class TableRegistrationRepository implements RegistrationRepository {
  private readonly maxRetries: number;
  private readonly phoneLockGraceMs: number;
  private readonly updates = new KeyedQueue();
  /** Registrations this repository handed out, with what a write needs to skip reading them again. */
  private readonly known = new WeakMap<Registration, Stored>();
  /**
   * Versions this process committed lately: a `basis` older than that is known stale, so its write
   * is not even sent (a refused transaction costs a round trip, and Azurite's rollback of a refused
   * transaction can undo others running at the same time).
   */
  private readonly committedVersions = new Map<string, number>();

  constructor(
    private readonly tables: Tables,
    private readonly counts: RegistrationCounts,
    private readonly committed: (entry: OutboxEntry) => void,
    tuning: RepositoryTuning = {},
  ) {
    this.maxRetries = tuning.maxRetries ?? 10;
    this.phoneLockGraceMs = tuning.phoneLockGraceMs ?? 30_000;
  }

  newId(phoneNumber: string): string {
    return placedId(phoneNumber);
  }

  async create(registration: Registration, history: HistoryEntry[]): Promise<Registration> {
    const tables = await this.tables.ready();
    const id = registration.id;
    if (!isUsableId(id)) throw new Error(`Registration id "${id}" cannot be used as a table key.`);
    const digits = digitsOf(registration.phoneNumber);
    if (digits === '') throw new Error('A registration needs a phone number with digits.');
    try {
      await new PhoneLocks(tables.phoneLocks, (holder) => this.stageOf(holder), this.phoneLockGraceMs).claim(digits, id);
    } catch (error) {
      // A retry of a create that succeeded, after its number was since taken over, still answers with what was stored.
      if (error instanceof DomainError && error.code === 'phone-number-in-use') {
        const existing = await this.get(id);
        if (existing) return existing;
      }
      throw error;
    }
    const pointer = phonePointer(registration);
    if (pointer) await (tables.shards[shardOfDigits(digits)] as TableClient).upsertEntity(pointer, 'Replace');
    try {
      await this.commit(tables, { current: null, next: registration, history });
    } catch (error) {
      if (!isConflict(error)) throw error;
      const stored = await this.get(id);
      if (stored) return stored;
      throw error;
    }
    return registration;
  }

  async get(id: string): Promise<Registration | null> {
    return (await this.read(id))?.registration ?? null;
  }

  async update(id: string, mutate: (current: Registration) => Change, options: UpdateOptions = {}): Promise<UpdateResult> {
    return this.updates.run(id, () => this.updateNow(id, mutate, options));
  }

  private async updateNow(id: string, mutate: (current: Registration) => Change, options: UpdateOptions): Promise<UpdateResult> {
    const { eventId, ifMatchVersion, basis } = options;
    const tables = await this.tables.ready();
    // The caller's copy saves a read; a stale copy only costs the refused write and a read.
    let stored: Stored | null = basis && basis.id === id && basis.version >= (this.committedVersions.get(id) ?? -1) ? (this.known.get(basis) ?? null) : null;
    let repair = false;
    for (let attempt = 0; ; attempt += 1) {
      stored ??= await this.read(id);
      if (!stored) throw notFound(`Registration ${id}`);
      const current = stored.registration;
      // The markers ride on every copy, and every write is conditional on the version read: a
      // redelivery stops here, and one racing the first delivery is refused and stops here next time.
      if (eventId !== undefined && stored.markers.some(([key]) => key === ROW.marker(id, eventId))) {
        return { registration: current, changed: false, duplicate: true };
      }
      if (ifMatchVersion !== undefined && current.version !== ifMatchVersion) {
        throw concurrencyConflict(`Registration ${id} is at version ${current.version}, not ${ifMatchVersion}: read it again.`);
      }
      const change = mutate(current);
      if (change.next === current) return { registration: current, changed: false, duplicate: false };
      const next: Registration = { ...change.next, id, owner: current.owner, createdAt: current.createdAt, version: current.version + 1 };
      const token = canConditionOn(stored.token.rowKey, next) ? stored.token : null;
      try {
        if (!token) throw Object.assign(new Error('stale basis'), { statusCode: 412 });
        const existing = repair ? await this.existingRows(id, rowsToCheck(current, next, stored.markers)) : undefined;
        await this.commit(tables, {
          current: { registration: current, markers: stored.markers },
          next,
          history: change.history,
          token,
          ...(existing ? { existing } : {}),
          ...(eventId !== undefined ? { eventId } : {}),
        });
        return { registration: next, changed: true, duplicate: false };
      } catch (error) {
        // 412/404/409: someone wrote first (or a row is not where the copies say: repair below).
        if (!isPreconditionFailed(error) && !isConflict(error) && !isNotFound(error)) throw error;
        if (ifMatchVersion !== undefined && token) {
          throw concurrencyConflict(`Registration ${id} changed while this request was applied: read it again.`);
        }
        if (attempt >= this.maxRetries) {
          throw concurrencyConflict(`Registration ${id} kept changing concurrently; try again.`, true);
        }
        if (attempt > 0) await sleep(backoffMs(attempt));
        const fresh = await this.read(id);
        // Refused although nobody wrote in between: a row is not where the copies say (docs/storage.md).
        repair = (isNotFound(error) || isConflict(error)) && fresh?.registration.version === current.version;
        stored = fresh;
      }
    }
  }

  async history(id: string): Promise<HistoryEntry[]> {
    if (!isUsableId(id)) return [];
    const prefix = `h|${id}|`;
    const rows = await all(await this.shard(shardOfId(id)), this.range(shardOfId(id), prefix));
    return rows.map(historyFromRow);
  }

  /**
   * One range query over the copies that match the filter, shard after shard (docs/storage.md):
   * a page is one query, two when it crosses into the next shard; a sparse filter then reads the
   * remaining shards at once. Order: shard, then row key. The cursor is our own (shard and last
   * row key), so a page looks one row ahead and `nextCursor` is null on the last page.
   */
  async list(filter: RegistrationFilter, page: { limit: number; cursor?: string }): Promise<Page<Registration>> {
    const limit = Number.isFinite(page.limit) ? Math.max(1, Math.min(1000, Math.floor(page.limit))) : 50;
    if (filter.phoneNumber !== undefined || filter.whatsAppBusinessAccountId !== undefined) {
      const source = filter.phoneNumber !== undefined ? `phone:${digitsOf(filter.phoneNumber)}` : `waba:${filter.whatsAppBusinessAccountId ?? ''}`;
      const after = page.cursor === undefined ? undefined : decodeListCursor(page.cursor, source).a;
      const candidates =
        filter.phoneNumber !== undefined ? await this.listByPhoneNumber(filter.phoneNumber) : await this.listByWaba(filter.whatsAppBusinessAccountId ?? '');
      const matching = candidates.filter((registration) => matchesFilter(registration, filter) && (after === undefined || registration.id > after)).sort(byId);
      const items = matching.slice(0, limit);
      return { items, nextCursor: matching.length > limit ? encodeListCursor(source, 0, items[items.length - 1]!.id) : null };
    }
    const prefix = listPrefixFor(filter);
    if (prefix === null) return { items: [], nextCursor: null };
    const position = page.cursor === undefined ? { t: 0, a: undefined as string | undefined } : decodeListCursor(page.cursor, prefix);
    const want = limit + 1;
    const found: Array<{ shard: number; row: StoredRow }> = [];
    const collect = (shard: number, rows: StoredRow[]) => rows.forEach((row) => found.push({ shard, row }));
    let shard = position.t;
    // Two shards one after the other: a dense filter fills its page there.
    for (let step = 0; step < 2 && shard < SHARDS && found.length < want; step += 1, shard += 1) {
      collect(shard, await this.scan(shard, prefix, shard === position.t ? position.a : undefined, want - found.length));
    }
    if (found.length < want && shard < SHARDS) {
      const rest = Array.from({ length: SHARDS - shard }, (_, index) => shard + index);
      const pages = await Promise.all(rest.map((s) => this.scan(s, prefix, undefined, want - found.length)));
      pages.forEach((rows, index) => collect(rest[index] as number, rows));
    }
    const taken = found.slice(0, limit);
    const items = taken.map(({ row }) => this.remember(row));
    const last = taken[taken.length - 1];
    return { items, nextCursor: found.length > limit && last ? encodeListCursor(prefix, last.shard, last.row.rowKey ?? '') : null };
  }

  /** Every shard at once: a WABA's numbers are spread over shards by number. */
  async listByWaba(wabaId: string): Promise<Registration[]> {
    const prefix = `w|${valueKey(wabaId)}|`;
    const pages = await Promise.all(
      Array.from({ length: SHARDS }, async (_, shard) => (await all(await this.shard(shard), this.range(shard, prefix))).map((row) => this.remember(row))),
    );
    return pages.flat().sort(byId);
  }

  /** One query in the number's shard; a registration stored elsewhere is behind a pointer there (read it). */
  async listByPhoneNumber(phoneNumber: string): Promise<Registration[]> {
    const digits = digitsOf(phoneNumber);
    if (digits === '') return [];
    const shard = shardOfDigits(digits);
    const rows = await all(await this.shard(shard), this.range(shard, `p|${digits}|`));
    const found = await Promise.all(
      rows.map(async (row) => {
        if (typeof row.pointer !== 'number') return this.remember(row);
        const id = String(row.rowKey ?? '').split('|')[2] ?? '';
        const stored = await this.read(id);
        return stored && digitsOf(stored.registration.phoneNumber) === digits ? stored.registration : null;
      }),
    );
    return found
      .filter((registration): registration is Registration => registration !== null)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  summarize(scope: { owner?: string }): Promise<RegistrationSummary> {
    return this.counts.read(scope.owner);
  }

  /** Storage answers and the tables the service needs exist (they are recreated when they went missing). */
  async ping(): Promise<void> {
    try {
      await this.tables.ready();
      await (await this.tables.clients()).probe.getEntity('ping', 'ping', { abortSignal: AbortSignal.timeout(5_000) });
    } catch (error) {
      // The row not being there means storage answered; a missing table is not healthy.
      if (!isNotFound(error) || (error as { code?: unknown }).code === TABLE_NOT_FOUND) throw error;
    }
  }

  private async shard(shard: number): Promise<TableClient> {
    return (await this.tables.ready()).shards[shard] as TableClient;
  }

  private range(shard: number, prefix: string, after?: string): string {
    const partition = shardPartition(shard);
    return after === undefined
      ? odata`PartitionKey eq ${partition} and RowKey ge ${prefix} and RowKey lt ${rangeEnd(prefix)}`
      : odata`PartitionKey eq ${partition} and RowKey gt ${after} and RowKey lt ${rangeEnd(prefix)}`;
  }

  private async scan(shard: number, prefix: string, after: string | undefined, count: number): Promise<StoredRow[]> {
    return take(await this.shard(shard), this.range(shard, prefix, after), count);
  }

  /** For the reconcile store: a registration from one of its rows, usable as an update's `basis`. */
  fromStoredRow(row: StoredRow): Registration {
    return this.remember(row);
  }

  /** A registration read from any of its rows, remembered with that row's etag for a later `basis`. */
  private remember(row: StoredRow): Registration {
    const registration = registrationFromRow(row);
    this.known.set(registration, { registration, markers: parseMarkers(row), token: { rowKey: row.rowKey ?? '', etag: row.etag } });
    return registration;
  }

  private async read(id: string): Promise<Stored | null> {
    if (!isUsableId(id)) return null;
    const shard = shardOfId(id);
    try {
      const row = await (await this.shard(shard)).getEntity<Record<string, string | number | boolean>>(shardPartition(shard), ROW.entity(id));
      const registration = this.remember(row as StoredRow);
      return this.known.get(registration) ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Which of `rowKeys` are stored in the registration's partition: point reads, for the rare repair only. */
  private async existingRows(id: string, rowKeys: string[]): Promise<Set<string>> {
    const shard = shardOfId(id);
    const table = await this.shard(shard);
    const found = await Promise.all(
      rowKeys.map((rowKey) =>
        table.getEntity(shardPartition(shard), rowKey, { queryOptions: { select: ['RowKey'] } }).then(
          () => rowKey,
          (error: unknown) => {
            if (isNotFound(error)) return null;
            throw error;
          },
        ),
      ),
    );
    return new Set(found.filter((rowKey): rowKey is string => rowKey !== null));
  }

  private async stageOf(id: string): Promise<Stage | null> {
    return (await this.read(id))?.registration.stage ?? null;
  }

  /**
   * The one transaction of a change: entity, every copy lists read, history, the event's marker
   * and the outbox journal row, conditional on the etag of the row the version was read from.
   */
  private async commit(
    tables: TableClients,
    input: {
      current: { registration: Registration; markers: MarkerList } | null;
      next: Registration;
      history: HistoryEntry[];
      token?: { rowKey: string; etag: string };
      eventId?: string;
      existing?: ReadonlySet<string>;
    },
  ): Promise<void> {
    const shard = shardOfId(input.next.id);
    // The owner rides along in the journal (it scopes GET /api/events); it is never published.
    const events = outgoingEventsOf(input.next.id, input.next.version, input.history).map((event) => ({ ...event, owner: input.next.owner }));
    const planned = planWrite({ ...input, events, now: Date.now() });
    if (planned.actions.length > MAX_TRANSACTION_ACTIONS) {
      throw new Error(`A change of ${planned.actions.length} rows does not fit one table transaction (at most ${MAX_TRANSACTION_ACTIONS}).`);
    }
    await submitBatch(tables.shards[shard] as TableClient, planned.actions);
    if (this.committedVersions.size >= 10_000) this.committedVersions.clear();
    this.committedVersions.set(input.next.id, input.next.version);
    if (planned.journal) this.committed({ events: planned.journal.events, ref: journalRef(shard, planned.journal.rowKey, planned.journal.move) });
  }
}

/** A list position: the shard and the last row key read there, inside one of our cursors (cursor.ts). */
function encodeListCursor(source: string, shard: number, after: string): string {
  return encodeCursor(source, `${shard}:${after}`);
}

function decodeListCursor(cursor: string, source: string): { t: number; a: string } {
  const position = decodeCursor(cursor, { source, parameter: 'cursor' });
  const colon = position.indexOf(':');
  const shard = Number(position.slice(0, colon));
  if (colon < 1 || !Number.isInteger(shard) || shard < 0 || shard >= SHARDS) {
    throw new DomainError('validation-failed', 'The query parameter cursor is not a cursor this API returned.', {
      errors: [{ path: 'cursor', message: 'not a cursor this API returned: pass nextCursor of a previous page, or leave it out to start' }],
    });
  }
  return { t: shard, a: position.slice(colon + 1) };
}
