/**
 * The transactional outbox: an event is written to `msx_outbox` in the
 * same transaction as the state change it announces, so it is published
 * if and only if that change commits. The `OutboxRelay` publishes it later.
 *
 *   await db.transaction(async (tx) => {
 *     await tx.query('INSERT INTO users …');
 *     await outbox.add(tx, { type: 'user.created', data: user, key: user.id });
 *   });
 */
import { randomUUID } from 'node:crypto';
import { inject } from '../tracing/propagation.js';
import type { PublishInput } from '../bus/bus.js';
import { assertEventType } from '../bus/topic.js';
import type { Database, Transaction } from '../data/database.js';
import { applyRuntimeSchema } from '../data/runtime-schema.js';
import { OutboxError } from './outbox-error.js';
import { OUTBOX_SCHEMA } from './outbox-schema.js';

export interface Outbox {
  readonly db: Database;
  /**
   * Queues `event` in `tx`. Returns the event id (the CloudEvents `id` the
   * consumers will see; give `event.id` to choose it). After `tx` commits,
   * the local relay is nudged so publishing starts without waiting a poll.
   */
  add(tx: Transaction, event: PublishInput): Promise<string>;
  /** Called after a transaction with outbox events commits (the relay subscribes). Returns an unsubscribe function. */
  onAdded(listener: () => void): () => void;
}

/** Opens the outbox on the service's database, creating its tables if needed. */
export async function createOutbox(options: { readonly db: Database }): Promise<Outbox> {
  const { db } = options;
  await applyRuntimeSchema(db, OUTBOX_SCHEMA);
  const listeners = new Set<() => void>();
  const notify = () => { for (const listener of listeners) listener(); };

  return {
    db,
    async add(tx, event) {
      if (event === null || typeof event !== 'object') throw new OutboxError('OUTBOX_INVALID_EVENT', `Expected an event object { type, data }, got ${String(event)}`);
      try {
        assertEventType(event.type);
      } catch (cause) {
        throw new OutboxError('OUTBOX_INVALID_EVENT', (cause as Error).message, { cause });
      }
      if (event.data === undefined) throw new OutboxError('OUTBOX_INVALID_EVENT', `Expected the \`data\` of event "${event.type}" to be JSON-serialisable, got undefined`);
      let data: string;
      try {
        data = JSON.stringify(event.data);
      } catch (cause) {
        throw new OutboxError('OUTBOX_INVALID_EVENT', `The data of event "${event.type}" cannot be serialised to JSON`, { cause });
      }
      const id = event.id ?? randomUUID();
      // The relay publishes later, outside this request: keep its trace context
      // with the event, so consumers continue the trace that caused it.
      const headers: Record<string, string> = { ...event.headers };
      if (headers.traceparent === undefined) inject(headers);
      await tx.query(
        'INSERT INTO msx_outbox (id, type, key, data, headers, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, event.type, event.key ?? null, data, JSON.stringify(headers), event.time === undefined ? new Date() : new Date(event.time)],
      );
      tx.onCommit(notify);
      return id;
    },
    onAdded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
