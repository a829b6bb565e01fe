import type { TableClient, TransactionAction } from '@azure/data-tables';
import { DomainError, notFound } from '../../domain/errors';
import type { Page, RegistrationFilter, RegistrationRepository, UpdateOptions, UpdateResult } from '../../domain/ports';
import { outgoingEventsOf, type Change, type HistoryEntry, type Registration } from '../../domain/registration';
import type { Stage } from '../../domain/stages';
import { openCursor, sealCursor } from './cursor';
import { isConflict, isNotFound, isPreconditionFailed } from './errors';
import { digitsOf, ENTITY_ROW, HISTORY_PREFIX, isUsableKey, markerRowKey, rangeEnd } from './keys';
import { KeyedQueue } from './keyed-queue';
import { odata } from './odata';
import { PhoneLocks } from './phone-lock';
import { all, mapWithConcurrency, sleep, take, type StoredRow } from './query';
import {
  historyFromRow,
  historyRow,
  markerRow,
  outboxRow,
  registrationFromEntity,
  registrationToEntity,
  type Properties,
} from './registration-entity';
import { indexChanges, indexPartitionsOf, matchesFilter, partitionFor, RegistrationIndex } from './registration-index';
import type { Tables } from './tables';

export interface RepositoryTuning {
  /** Re-reads after a lost optimistic-concurrency race before giving up with a transient conflict. */
  maxRetries?: number;
  /** See PhoneLocks: how long an orphaned phone lock protects a registration being created. */
  phoneLockGraceMs?: number;
}

const MAX_TRANSACTION_ACTIONS = 100;
/** Parallel point reads when verifying index hits; enough to hide latency, few enough to stay polite. */
const VERIFY_CONCURRENCY = 32;
/** Index pages read to fill one list page when verification drops stale hits. */
const MAX_FILL_ROUNDS = 5;

interface Stored {
  registration: Registration;
  etag: string;
}

const concurrencyConflict = (message: string, transient = false): DomainError =>
  new DomainError('concurrency-conflict', message, transient ? { transient: true } : {});

/** Exponential backoff with full jitter, so racers that lost once do not collide again in lockstep. */
const backoffMs = (attempt: number): number => Math.random() * Math.min(500, 10 * 2 ** attempt);

export class TableRegistrationRepository implements RegistrationRepository {
  private readonly maxRetries: number;
  private readonly phoneLockGraceMs: number;
  private readonly updates = new KeyedQueue();

  constructor(
    private readonly tables: Tables,
    tuning: RepositoryTuning = {},
  ) {
    this.maxRetries = tuning.maxRetries ?? 10;
    this.phoneLockGraceMs = tuning.phoneLockGraceMs ?? 30_000;
  }

  async create(registration: Registration, history: HistoryEntry[]): Promise<Registration> {
    const tables = await this.tables.ready();
    const id = registration.id;
    if (!isUsableKey(id)) throw new Error(`Registration id "${id}" cannot be used as a table key.`);
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
    await new RegistrationIndex(tables.index).add(indexPartitionsOf(registration), id);
    const actions: TransactionAction[] = [['create', registrationToEntity(registration)], ...this.trail(registration, history)];
    try {
      await this.submit(actions);
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
    const { eventId, ifMatchVersion } = options;
    for (let attempt = 0; ; attempt += 1) {
      // Both point reads at once: one round trip of latency for the common, non-duplicate case.
      const [stored, duplicate] = await Promise.all([
        this.read(id),
        eventId === undefined ? Promise.resolve(false) : this.markerExists(id, eventId),
      ]);
      if (!stored) throw notFound(`Registration ${id}`);
      const current = stored.registration;
      if (duplicate) return { registration: current, changed: false, duplicate: true };
      if (ifMatchVersion !== undefined && current.version !== ifMatchVersion) {
        throw concurrencyConflict(`Registration ${id} is at version ${current.version}, not ${ifMatchVersion}: read it again.`);
      }
      const change = mutate(current);
      if (change.next === current) return { registration: current, changed: false, duplicate: false };
      const next: Registration = { ...change.next, id, createdAt: current.createdAt, version: current.version + 1 };
      try {
        await this.write(current, stored.etag, next, change.history, eventId);
        return { registration: next, changed: true, duplicate: false };
      } catch (error) {
        if (!isPreconditionFailed(error) && !isConflict(error)) throw error;
        if (ifMatchVersion !== undefined) {
          throw concurrencyConflict(`Registration ${id} changed while this request was applied: read it again.`);
        }
        if (attempt >= this.maxRetries) {
          throw concurrencyConflict(`Registration ${id} kept changing concurrently; try again.`, true);
        }
        await sleep(backoffMs(attempt));
      }
    }
  }

  async history(id: string): Promise<HistoryEntry[]> {
    if (!isUsableKey(id)) return [];
    const rows = await all(
      await this.table(),
      odata`PartitionKey eq ${id} and RowKey ge ${HISTORY_PREFIX} and RowKey lt ${rangeEnd(HISTORY_PREFIX)}`,
    );
    return rows.map(historyFromRow);
  }

  /**
   * Order: by registration id (the index RowKey, or the registrations PartitionKey without a
   * filter); ids are random, so the order is stable but not chronological. The cursor is our own
   * (the last key consumed, plus which index it belongs to) rather than the service's continuation
   * token, so a page can look one row ahead and `nextCursor` is null on the last page.
   */
  async list(filter: RegistrationFilter, page: { limit: number; cursor?: string }): Promise<Page<Registration>> {
    const limit = Number.isFinite(page.limit) ? Math.max(1, Math.min(1000, Math.floor(page.limit))) : 50;
    const partition = partitionFor(filter);
    const source = partition ?? '*';
    let after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, source);
    const items: Registration[] = [];
    for (let round = 1; ; round += 1) {
      const need = limit - items.length;
      // Stale hits cluster (a crash, a race): each round after the first reads further ahead, and
      // the page is cut at `limit` when that overshoots (the cursor is then the last id returned).
      const want = Math.min(1000, need * 2 ** (round - 1));
      const rows = partition === null ? await this.scanEntities(after, want + 1) : await this.scanIndex(partition, after, want + 1);
      const consumed = rows.slice(0, want);
      const got = partition === null ? consumed.map(registrationFromEntity) : await this.verified(consumed.map((row) => row.rowKey ?? ''), filter);
      if (got.length > need) {
        items.push(...got.slice(0, need));
        return { items, nextCursor: encodeCursor(source, items[items.length - 1]!.id) };
      }
      items.push(...got);
      if (rows.length <= want) return { items, nextCursor: null };
      const last = consumed[consumed.length - 1];
      after = (partition === null ? last?.partitionKey : last?.rowKey) ?? after;
      if (items.length >= limit || round >= MAX_FILL_ROUNDS) {
        return { items, nextCursor: encodeCursor(source, after ?? '') };
      }
    }
  }

  async listByWaba(wabaId: string): Promise<Registration[]> {
    return this.listAll({ whatsAppBusinessAccountId: wabaId });
  }

  async listByPhoneNumber(phoneNumber: string): Promise<Registration[]> {
    const registrations = await this.listAll({ phoneNumber });
    return registrations.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  async ping(): Promise<void> {
    try {
      await (await this.tables.clients()).probe.getEntity('ping', 'ping', { abortSignal: AbortSignal.timeout(5_000) });
    } catch (error) {
      // Not found (the row, or even the table) means storage answered.
      if (!isNotFound(error)) throw error;
    }
  }

  private async table(): Promise<TableClient> {
    return (await this.tables.ready()).registrations;
  }

  private async index(): Promise<RegistrationIndex> {
    return new RegistrationIndex((await this.tables.ready()).index);
  }

  private async read(id: string): Promise<Stored | null> {
    if (!isUsableKey(id)) return null;
    try {
      const entity = await (await this.table()).getEntity<Properties>(id, ENTITY_ROW);
      return { registration: registrationFromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async stageOf(id: string): Promise<Stage | null> {
    return (await this.read(id))?.registration.stage ?? null;
  }

  private async markerExists(id: string, eventId: string): Promise<boolean> {
    if (!isUsableKey(id)) return false;
    try {
      await (await this.table()).getEntity(id, markerRowKey(eventId));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** History rows and outbox rows of one saved version (the outbox derived from the history: one source). */
  private trail(registration: Registration, history: HistoryEntry[]): TransactionAction[] {
    const { id, version } = registration;
    return [
      ...history.map((entry, index): TransactionAction => ['create', historyRow(id, version, index, entry)]),
      ...outgoingEventsOf(id, version, history).map((event, index): TransactionAction => ['create', outboxRow(id, version, index, event)]),
    ];
  }

  /**
   * One transaction conditional on the etag read: entity, history, outbox and event marker are
   * written together or not at all. Index rows are only touched when an indexed value moves, so
   * the usual event (a fact or counter changes) costs the read and this one transaction.
   */
  private async write(current: Registration, etag: string, next: Registration, history: HistoryEntry[], eventId?: string): Promise<void> {
    const actions: TransactionAction[] = [['update', registrationToEntity(next), 'Replace', { etag }], ...this.trail(next, history)];
    if (eventId !== undefined) actions.push(['upsert', markerRow(next.id, eventId, next.updatedAt), 'Replace']);
    const { added, removed } = indexChanges(current, next);
    const index = await this.index();
    const [, pendingRemoval] = await Promise.all([index.add(added, next.id), index.prepareRemoval(removed, next.id)]);
    await this.submit(actions);
    await index.remove(pendingRemoval, next.id);
  }

  private async submit(actions: TransactionAction[]): Promise<void> {
    if (actions.length > MAX_TRANSACTION_ACTIONS) {
      throw new Error(`A change of ${actions.length} rows does not fit one table transaction (at most ${MAX_TRANSACTION_ACTIONS}).`);
    }
    await (await this.table()).submitTransaction(actions);
  }

  private async scanEntities(after: string | undefined, count: number): Promise<StoredRow[]> {
    const filter =
      after === undefined ? odata`RowKey eq ${ENTITY_ROW}` : odata`RowKey eq ${ENTITY_ROW} and PartitionKey gt ${after}`;
    return take(await this.table(), filter, count);
  }

  private async scanIndex(partition: string, after: string | undefined, count: number): Promise<StoredRow[]> {
    const filter = after === undefined ? odata`PartitionKey eq ${partition}` : odata`PartitionKey eq ${partition} and RowKey gt ${after}`;
    return take((await this.tables.ready()).index, filter, count);
  }

  /** The registrations behind index hits that still match: the index may hold stale rows. */
  private async verified(ids: string[], filter: RegistrationFilter): Promise<Registration[]> {
    const found = await mapWithConcurrency(ids, VERIFY_CONCURRENCY, (id) => this.read(id));
    return found.flatMap((stored) => (stored && matchesFilter(stored.registration, filter) ? [stored.registration] : []));
  }

  private async listAll(filter: RegistrationFilter): Promise<Registration[]> {
    const partition = partitionFor(filter);
    if (partition === null) throw new Error('listAll needs a filter');
    const rows = await all((await this.tables.ready()).index, odata`PartitionKey eq ${partition}`);
    return this.verified(rows.map((row) => row.rowKey ?? ''), filter);
  }
}

function encodeCursor(source: string, after: string): string {
  return sealCursor({ s: source, a: after });
}

function decodeCursor(cursor: string, source: string): string {
  const { s, a } = (openCursor(cursor, 'cursor') ?? {}) as { s?: unknown; a?: unknown };
  if (typeof s !== 'string' || typeof a !== 'string') {
    throw new DomainError('validation-failed', 'The cursor is not one this API returned.', {
      errors: [{ path: 'cursor', message: 'invalid cursor' }],
    });
  }
  if (s !== source) {
    throw new DomainError('validation-failed', 'The cursor belongs to a list with different filters.', {
      errors: [{ path: 'cursor', message: 'use the cursor with the filters of the page that returned it' }],
    });
  }
  return a;
}
