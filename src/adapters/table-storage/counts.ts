import type { TableClient, TransactionAction } from '@azure/data-tables';
import { DomainError } from '../../domain/errors';
import type { RegistrationSummary } from '../../domain/ports';
import { ACCOUNT_STATUSES, STAGES, type AccountStatus, type Stage } from '../../domain/stages';
import { isConflict, isNotFound, isPreconditionFailed } from './errors';
import { stateKeyOf, valueKey, type JournalMove } from './shard-rows';
import type { Tables } from './tables';

const PARTITION = 'counts';
const ALL = 'all';
const ownerRow = (owner: string): string => `o|${valueKey(owner)}`;
/** A journal row folded but not seen deleted is remembered this long (the outbox sweep deletes leftovers well within it). */
const SEEN_TTL_MS = 6 * 3600_000;
/** A folded row seen deleted is still remembered a while: a sweep that read it just before may acknowledge it again. */
const DELETED_GRACE_MS = 15 * 60_000;
const MAX_ATTEMPTS = 10;

type ByState = Record<string, number>;

interface CountsRow {
  byState: ByState;
  seen: Record<string, number>;
  asOf: string;
  etag: string | null;
}

const parse = <T>(value: unknown, fallback: T): T => {
  if (typeof value !== 'string') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
};

/** Counts by state key (docs/storage.md), turned into the summary's per-status and per-stage counts. */
export function summaryOf(byState: ByState, asOf: string): RegistrationSummary {
  const byStatus = Object.fromEntries(ACCOUNT_STATUSES.map((status) => [status, 0])) as Record<AccountStatus, number>;
  const byStage = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  let total = 0;
  for (const [state, count] of Object.entries(byState)) {
    if (count <= 0) continue;
    const [stage, status] = state.split('.') as [string, string | undefined];
    if ((STAGES as readonly string[]).includes(stage)) byStage[stage as Stage] += count;
    if (status && (ACCOUNT_STATUSES as readonly string[]).includes(status)) byStatus[status as AccountStatus] += count;
    total += count;
  }
  return { byStatus, byStage, total, asOf };
}

/** Adds a move to counts by state (a create has no `from`). */
export function applyMove(byState: ByState, move: Pick<JournalMove, 'from' | 'to'>): void {
  if (move.from !== null) byState[move.from] = (byState[move.from] ?? 0) - 1;
  byState[move.to] = (byState[move.to] ?? 0) + 1;
}

/**
 * Counts of registrations by state, all and per owner, in one partition of the `regcounts`
 * table: a summary is one point read. Changes do not touch them (that would make every change
 * in a storm fight over one row); the outbox dispatcher folds the journal's moves in batches,
 * each fold one transaction conditional on the `all` row, which also records the journal rows
 * it folded, so a fold repeated after a crash counts nothing twice.
 */
export class RegistrationCounts {
  private cache = new Map<string, CountsRow>();
  private deleted = new Set<string>();

  constructor(private readonly tables: Tables) {}

  async read(owner: string | undefined): Promise<RegistrationSummary> {
    const row = await this.load(owner === undefined ? ALL : ownerRow(owner));
    return summaryOf(row.byState, row.asOf);
  }

  /** Journal rows now deleted: the next fold drops them from the `seen` list. */
  forget(keys: string[]): void {
    for (const key of keys) this.deleted.add(key);
  }

  async fold(items: Array<{ key: string; move: JournalMove }>): Promise<void> {
    if (items.length === 0) return;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const all = this.cache.get(ALL) ?? (await this.load(ALL));
      const now = Date.now();
      const seen = Object.fromEntries(
        Object.entries(all.seen).filter(([key, at]) => now - at < SEEN_TTL_MS && !(this.deleted.has(key) && now - at > DELETED_GRACE_MS)),
      );
      const fresh = [...new Map(items.filter(({ key }) => !(key in all.seen)).map((item) => [item.key, item])).values()];
      if (fresh.length === 0 && Object.keys(seen).length === Object.keys(all.seen).length) return;
      const owners = [...new Set(fresh.map(({ move }) => move.owner))];
      const ownerRows = await Promise.all(owners.map(async (owner) => ({ owner, row: this.cache.get(ownerRow(owner)) ?? (await this.load(ownerRow(owner))) })));
      const totals = { ...all.byState };
      const perOwner = new Map(ownerRows.map(({ owner, row }) => [owner, { ...row.byState }]));
      for (const { key, move } of fresh) {
        applyMove(totals, move);
        applyMove(perOwner.get(move.owner) as ByState, move);
        seen[key] = now;
      }
      const asOf = new Date(now).toISOString();
      const allRow = { partitionKey: PARTITION, rowKey: ALL, byState: JSON.stringify(totals), seen: JSON.stringify(seen), asOf };
      const actions: TransactionAction[] = [all.etag === null ? ['create', allRow] : ['update', allRow, 'Replace', { etag: all.etag }]];
      for (const [owner, byState] of perOwner) actions.push(['upsert', { partitionKey: PARTITION, rowKey: ownerRow(owner), byState: JSON.stringify(byState), asOf }, 'Replace']);
      try {
        const response = await (await this.table()).submitTransaction(actions);
        // Sub-responses come in the order of the actions: the next fold needs no read.
        const etags = response.subResponses.map((sub) => sub.etag ?? null);
        this.cache.set(ALL, { byState: totals, seen, asOf, etag: etags[0] ?? null });
        [...perOwner].forEach(([owner, byState], index) => this.cache.set(ownerRow(owner), { byState, seen: {}, asOf, etag: etags[index + 1] ?? null }));
        if (!etags[0]) this.cache.clear();
        for (const key of this.deleted) if (!(key in seen)) this.deleted.delete(key);
        return;
      } catch (error) {
        if (!isPreconditionFailed(error) && !isConflict(error)) throw error;
        this.cache.clear();
      }
    }
    throw new DomainError('concurrency-conflict', 'The registration counts kept changing concurrently; the next dispatch retries.', { transient: true });
  }

  private async table(): Promise<TableClient> {
    return (await this.tables.ready()).counts;
  }

  private async load(rowKey: string): Promise<CountsRow> {
    try {
      const row = await (await this.table()).getEntity<Record<string, unknown>>(PARTITION, rowKey);
      return { byState: parse<ByState>(row.byState, {}), seen: parse<Record<string, number>>(row.seen, {}), asOf: typeof row.asOf === 'string' ? row.asOf : new Date().toISOString(), etag: row.etag };
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return { byState: {}, seen: {}, asOf: new Date().toISOString(), etag: null };
    }
  }
}

/** The counts rows for registrations loaded in bulk (no journal): `all` and one per owner. */
export function countsRowsOf(registrations: ReadonlyArray<{ stage: Stage; status: AccountStatus | null; owner: string }>): Array<{ partitionKey: string; rowKey: string } & Record<string, string>> {
  const all: ByState = {};
  const owners = new Map<string, ByState>();
  for (const registration of registrations) {
    const to = stateKeyOf(registration);
    applyMove(all, { from: null, to });
    const mine = owners.get(registration.owner) ?? {};
    applyMove(mine, { from: null, to });
    owners.set(registration.owner, mine);
  }
  const asOf = new Date().toISOString();
  return [
    { partitionKey: PARTITION, rowKey: ALL, byState: JSON.stringify(all), seen: '{}', asOf },
    ...[...owners].map(([owner, byState]) => ({ partitionKey: PARTITION, rowKey: ownerRow(owner), byState: JSON.stringify(byState), asOf })),
  ];
}
