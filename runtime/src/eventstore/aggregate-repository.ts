/**
 * Loads and saves aggregates through the event store: latest snapshot, then
 * the events after it; on save, the pending events at the version they were
 * loaded at, and a new snapshot each time the version crosses a multiple
 * of `snapshotEvery` (in the same transaction).
 */
import type { PublishInput } from '../bus/bus.js';
import type { Transaction } from '../data/database.js';
import type { Aggregate } from './aggregate.js';
import { EventStoreError } from './errors/event-store-error.js';
import type { EventStore } from './event-store.js';

export interface AggregateRepositoryOptions<A> {
  readonly store: EventStore;
  /** Makes an empty aggregate with the given id (its constructor registers the handlers). */
  readonly create: (id: string) => A;
  /** Snapshot every N events. Default 50; 0 turns snapshots off. */
  readonly snapshotEvery?: number;
}

export interface SaveOptions {
  /** Save inside this transaction, with the caller's other writes. */
  readonly tx?: Transaction;
  /** Integration events to publish if and only if the save commits (needs the store's outbox). */
  readonly publish?: readonly PublishInput[];
}

export interface AggregateRepository<A> {
  /** The aggregate with every event applied; `undefined` when it has none. */
  load(id: string): Promise<A | undefined>;
  /** Persists the pending events. @throws ConcurrencyError when someone saved this aggregate since it was loaded. */
  save(aggregate: A, options?: SaveOptions): Promise<void>;
}

export function createAggregateRepository<S, A extends Aggregate<S>>(options: AggregateRepositoryOptions<A>): AggregateRepository<A> {
  const { store, create } = options;
  const snapshotEvery = options.snapshotEvery ?? 50;
  if (!Number.isInteger(snapshotEvery) || snapshotEvery < 0) {
    throw new EventStoreError('EVENTSTORE_INVALID', `Expected the \`snapshotEvery\` option to be a non-negative integer, got ${String(snapshotEvery)}`);
  }

  return {
    async load(id) {
      const aggregate = create(id);
      const snapshot = snapshotEvery > 0 ? await store.loadSnapshot<S>(id) : undefined;
      if (snapshot) aggregate.restore(snapshot.state, snapshot.version);
      const events = await store.load(id, aggregate.version);
      aggregate.replay(events);
      return aggregate.version === 0 ? undefined : aggregate;
    },

    async save(aggregate, saveOptions = {}) {
      const pending = aggregate.pendingEvents;
      if (pending.length === 0) return;
      const from = aggregate.version;
      const write = async (tx: Transaction) => {
        const { version } = await store.append(aggregate.id, from, pending, { tx, ...(saveOptions.publish ? { publish: saveOptions.publish } : {}) });
        if (snapshotEvery > 0 && Math.floor(version / snapshotEvery) > Math.floor(from / snapshotEvery)) {
          await store.saveSnapshot({ aggregateId: aggregate.id, version, state: aggregate.state }, { tx });
        }
        return version;
      };
      const version = saveOptions.tx ? await write(saveOptions.tx) : await store.db.transaction(write);
      aggregate.markSaved(version);
    },
  };
}
