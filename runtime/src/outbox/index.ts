/**
 * `@msx/runtime/outbox`: events written with the state change they announce
 * (transactional outbox), relayed to the bus with confirms; and the inbox,
 * which makes a consumer's effect happen once per event.
 *
 *   const outbox = await createOutbox({ db });
 *   const relay = new OutboxRelay({ outbox, bus, registry, logger }).start();
 *   service.onClose('outbox relay', () => relay.stop());
 *   await db.transaction(async (tx) => { …; await outbox.add(tx, { type: 'user.created', data, key: id }); });
 *
 *   const inbox = await createInbox({ db });
 *   await bus.subscribe('user.created', inbox.handler(async (event, tx) => { await tx.query(…); }));
 */
export { createOutbox, type Outbox } from './outbox.js';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
export { createInbox, type HandleOnceResult, type Inbox, type TransactionalHandler } from './inbox.js';
export { OutboxError, isOutboxError, type OutboxErrorCode } from './outbox-error.js';
