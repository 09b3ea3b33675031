/**
 * `@msx/runtime/eventstore`: append-only events per aggregate with
 * optimistic concurrency, snapshots, and an aggregate base class with
 * explicitly registered handlers.
 *
 *   const store = await createEventStore({ db, outbox });
 *   const orders = createAggregateRepository({ store, create: (id) => new Order(id), snapshotEvery: 20 });
 *   const order = new Order(id); order.create(items);
 *   await orders.save(order, { publish: [{ type: 'order.created', data: { id }, key: id }] });
 */
export { Aggregate, type EventHandler } from './aggregate.js';
export { createAggregateRepository, type AggregateRepository, type AggregateRepositoryOptions, type SaveOptions } from './aggregate-repository.js';
export { createEventStore, type AppendOptions, type AppendResult, type EventStore, type EventStoreOptions, type OutboxWriter } from './event-store.js';
export type { NewEvent, Snapshot, StoredEvent } from './events.js';
export { ConcurrencyError, isConcurrencyError } from './errors/concurrency-error.js';
export { EventStoreError, isEventStoreError, type EventStoreErrorCode } from './errors/event-store-error.js';
