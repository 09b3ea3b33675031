/**
 * `@msx/runtime/resources`: attach the data and messaging resources to a
 * service in one call each. Every helper registers the resource's readiness
 * check and its close with the service, so `/ready` reports it and shutdown
 * closes it in reverse order (the outbox relay before the bus, the bus
 * before the database). Generated services stay a few lines long, and what
 * wiring they need lives here, where `msx upgrade` can improve it.
 *
 *   const db = await attachDatabase(service, { migrationsDir });
 *   const bus = await attachBus(service);
 *   const outbox = await attachOutbox(service, db, bus);
 *   const inbox = await createInbox({ db });
 */
export { attachDatabase, type AttachDatabaseOptions } from './attach-database.js';
export { attachBus, type AttachBusOptions } from './attach-bus.js';
export { attachOutbox } from './attach-outbox.js';
