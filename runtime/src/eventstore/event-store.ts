/**
 * Append-only events per aggregate with optimistic concurrency. The
 * primary key (aggregate_id, version) is the arbiter: of two writers at the
 * same version exactly one commits, the other gets a `ConcurrencyError` —
 * on PostgreSQL and on the embedded engine alike, with no lock held
 * between a read and the write.
 */
import type { Database, Queryable, Transaction } from '../data/database.js';
import { applyRuntimeSchema } from '../data/runtime-schema.js';
import { isUniqueViolation } from '../data/sql-state.js';
import type { PublishInput } from '../bus/bus.js';
import { ConcurrencyError } from './errors/concurrency-error.js';
import { EventStoreError } from './errors/event-store-error.js';
import { EVENT_STORE_SCHEMA } from './event-store-schema.js';
import type { NewEvent, Snapshot, StoredEvent } from './events.js';

/** What the store needs of an outbox: `@msx/runtime/outbox`'s `Outbox` fits. */
export interface OutboxWriter {
  add(tx: Transaction, event: PublishInput): Promise<unknown>;
}

export interface AppendOptions {
  /** Append inside this transaction (with the caller's other writes) instead of a new one. */
  readonly tx?: Transaction;
  /** Integration events written to the store's outbox in the same transaction: published if and only if the append commits. */
  readonly publish?: readonly PublishInput[];
}

export interface AppendResult {
  /** The aggregate's version after the append. */
  readonly version: number;
  readonly events: readonly StoredEvent[];
}

export interface EventStoreOptions {
  readonly db: Database;
  /** Lets `append` take `publish` events. Default: none. */
  readonly outbox?: OutboxWriter;
}

export interface EventStore {
  readonly db: Database;
  /**
   * Appends `events` atomically after version `expectedVersion` (0 for a
   * new aggregate). @throws ConcurrencyError when the aggregate is at
   * another version (nothing is written).
   */
  append(aggregateId: string, expectedVersion: number, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Events after `afterVersion` (default 0: all), in order. */
  load(aggregateId: string, afterVersion?: number, options?: { tx?: Queryable }): Promise<StoredEvent[]>;
  /** The aggregate's current version, 0 when it has no events. */
  version(aggregateId: string): Promise<number>;
  loadSnapshot<S>(aggregateId: string, options?: { tx?: Queryable }): Promise<Snapshot<S> | undefined>;
  /** Replaces the aggregate's snapshot (only ever by a newer one). */
  saveSnapshot<S>(snapshot: Snapshot<S>, options?: { tx?: Queryable }): Promise<void>;
}

interface EventRow {
  aggregate_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

/** Opens the event store on the service's database, creating its tables if needed. */
export async function createEventStore(options: EventStoreOptions): Promise<EventStore> {
  const { db, outbox } = options;
  await applyRuntimeSchema(db, EVENT_STORE_SCHEMA);

  async function appendIn(tx: Transaction, aggregateId: string, expectedVersion: number, events: readonly NewEvent[], publish: readonly PublishInput[]): Promise<AppendResult> {
    const current = await tx.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM msx_events WHERE aggregate_id = $1', [aggregateId]);
    const actual = current.rows[0]?.v ?? 0;
    if (actual !== expectedVersion) throw new ConcurrencyError(aggregateId, expectedVersion, actual);
    const params: unknown[] = [];
    const values = events.map((event, i) => {
      params.push(aggregateId, expectedVersion + i + 1, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata ?? {}));
      const n = i * 5;
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5})`;
    });
    const { rows } = await tx.query<EventRow>(
      `INSERT INTO msx_events (aggregate_id, version, type, data, metadata) VALUES ${values.join(', ')} RETURNING aggregate_id, version, type, data, metadata, recorded_at`,
      params,
    );
    for (const event of publish) await outbox!.add(tx, event);
    return { version: expectedVersion + events.length, events: rows.map(toStored) };
  }

  return {
    db,
    async append(aggregateId, expectedVersion, events, appendOptions = {}) {
      assertId(aggregateId);
      if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
        throw new EventStoreError('EVENTSTORE_INVALID', `Expected \`expectedVersion\` to be a non-negative integer, got ${String(expectedVersion)}`);
      }
      if (!Array.isArray(events) || events.length === 0) {
        throw new EventStoreError('EVENTSTORE_INVALID', `Expected at least one event to append to "${aggregateId}"`);
      }
      for (const event of events) {
        if (typeof event?.type !== 'string' || event.type === '' || event.data === undefined) {
          throw new EventStoreError('EVENTSTORE_INVALID', `Expected each event to have a non-empty \`type\` and \`data\`, got ${JSON.stringify(event)}`);
        }
      }
      const publish = appendOptions.publish ?? [];
      if (publish.length > 0 && outbox === undefined) {
        throw new EventStoreError('EVENTSTORE_NO_OUTBOX', 'append was given `publish` events, but the event store was created without an `outbox`');
      }
      try {
        return appendOptions.tx
          ? await appendIn(appendOptions.tx, aggregateId, expectedVersion, events, publish)
          : await db.transaction((tx) => appendIn(tx, aggregateId, expectedVersion, events, publish));
      } catch (error) {
        // Both writers read the same version; the primary key let only one insert through.
        if (isUniqueViolation(error)) throw new ConcurrencyError(aggregateId, expectedVersion, undefined, { cause: error });
        throw error;
      }
    },

    async load(aggregateId, afterVersion = 0, loadOptions = {}) {
      assertId(aggregateId);
      const { rows } = await (loadOptions.tx ?? db).query<EventRow>(
        'SELECT aggregate_id, version, type, data, metadata, recorded_at FROM msx_events WHERE aggregate_id = $1 AND version > $2 ORDER BY version',
        [aggregateId, afterVersion],
      );
      return rows.map(toStored);
    },

    async version(aggregateId) {
      const { rows } = await db.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM msx_events WHERE aggregate_id = $1', [aggregateId]);
      return rows[0]?.v ?? 0;
    },

    async loadSnapshot<S>(aggregateId: string, loadOptions: { tx?: Queryable } = {}) {
      const { rows } = await (loadOptions.tx ?? db).query<{ version: number; state: S }>('SELECT version, state FROM msx_snapshots WHERE aggregate_id = $1', [aggregateId]);
      const row = rows[0];
      return row === undefined ? undefined : { aggregateId, version: row.version, state: row.state };
    },

    async saveSnapshot(snapshot, saveOptions = {}) {
      await (saveOptions.tx ?? db).query(
        `INSERT INTO msx_snapshots (aggregate_id, version, state) VALUES ($1, $2, $3)
         ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version, state = excluded.state, taken_at = now()
         WHERE msx_snapshots.version < excluded.version`,
        [snapshot.aggregateId, snapshot.version, JSON.stringify(snapshot.state)],
      );
    },
  };
}

function assertId(aggregateId: unknown): void {
  if (typeof aggregateId !== 'string' || aggregateId === '') {
    throw new EventStoreError('EVENTSTORE_INVALID', `Expected an aggregate id (non-empty string), got ${JSON.stringify(aggregateId)}`);
  }
}

function toStored(row: EventRow): StoredEvent {
  return { aggregateId: row.aggregate_id, version: row.version, type: row.type, data: row.data, metadata: row.metadata, recordedAt: row.recorded_at };
}
