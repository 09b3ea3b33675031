/**
 * The inbox makes a consumer's effect happen once per event, although the
 * bus delivers at least once: the event id is recorded in `msx_inbox` in
 * the same transaction as the effect. A redelivery finds the id and skips;
 * two concurrent deliveries of one event serialise on the primary key and
 * the second skips once the first commits (or runs if the first rolled back).
 *
 *   await bus.subscribe('user.created', inbox.handler(async (event, tx) => {
 *     await tx.query('INSERT INTO notifications …', […]);
 *   }));
 */
import type { DeliveryContext, EventEnvelope, EventHandler } from '../bus/bus.js';
import type { Database, Transaction } from '../data/database.js';
import { applyRuntimeSchema } from '../data/runtime-schema.js';
import { INBOX_SCHEMA } from './outbox-schema.js';

export type HandleOnceResult<T> = { readonly handled: true; readonly result: T } | { readonly handled: false };

/** A bus handler that runs inside the inbox transaction. */
export type TransactionalHandler<T = unknown> = (event: EventEnvelope<T>, tx: Transaction, context: DeliveryContext) => Promise<void>;

export interface Inbox {
  readonly db: Database;
  /**
   * Runs `effect` in `tx` unless `group` already handled `eventId`
   * (recorded in this same transaction, so the record and the effect
   * commit or roll back together).
   */
  handleOnce<T>(tx: Transaction, eventId: string, group: string, effect: () => Promise<T>): Promise<HandleOnceResult<T>>;
  /** Wraps a handler for `bus.subscribe`: one transaction per delivery, effect once per event id and consumer group. */
  handler<T = unknown>(effect: TransactionalHandler<T>): EventHandler<T>;
}

/** Opens the inbox on the service's database, creating its table if needed. */
export async function createInbox(options: { readonly db: Database }): Promise<Inbox> {
  const { db } = options;
  await applyRuntimeSchema(db, INBOX_SCHEMA);

  async function handleOnce<T>(tx: Transaction, eventId: string, group: string, effect: () => Promise<T>): Promise<HandleOnceResult<T>> {
    const { rowCount } = await tx.query(
      'INSERT INTO msx_inbox (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [group, eventId],
    );
    if (rowCount === 0) return { handled: false };
    return { handled: true, result: await effect() };
  }

  return {
    db,
    handleOnce,
    handler<T>(effect: TransactionalHandler<T>): EventHandler<T> {
      return async (event, context) => {
        await db.transaction((tx) => handleOnce(tx, event.id, context.group, () => effect(event, tx, context)));
      };
    },
  };
}
