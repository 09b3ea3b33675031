/**
 * The RabbitMQ objects behind one consumer group, named and declared in one
 * place so the adapter, its tests and operators agree on them:
 *
 * - `<group>`: durable queue bound to the topic exchange with each pattern;
 *   instances of the group consume from it in competition.
 * - `<group>.retry.<ms>ms`: one durable delay queue per distinct backoff
 *   delay. A failed event is copied there; its TTL expires it back to
 *   `<group>` through the default exchange, so a retry reaches only the
 *   group that failed, never the other groups bound to the same event.
 *   One queue per delay (not per-message TTLs in one queue) because RabbitMQ
 *   only expires messages at the head of a queue.
 * - `<group>.dlq`: durable queue of events that exhausted their attempts.
 */
import type { Channel } from 'amqplib';
import type { RetryPolicy } from './retry-policy.js';

export interface GroupQueues {
  readonly main: string;
  readonly deadLetter: string;
  /** Delay queue names by delay in ms. */
  readonly delays: ReadonlyMap<number, string>;
}

export function groupQueues(group: string, policy: RetryPolicy): GroupQueues {
  return {
    main: group,
    deadLetter: `${group}.dlq`,
    delays: new Map([...new Set(policy.delaysMs)].map((ms) => [ms, `${group}.retry.${ms}ms`])),
  };
}

export function deadLetterQueue(group: string): string {
  return `${group}.dlq`;
}

export async function assertExchange(channel: Channel, exchange: string): Promise<void> {
  await channel.assertExchange(exchange, 'topic', { durable: true });
}

/** Declares the group's queues and bindings; idempotent, so it runs again after every reconnect. */
export async function assertGroup(channel: Channel, exchange: string, queues: GroupQueues, patterns: readonly string[]): Promise<void> {
  await channel.assertQueue(queues.main, { durable: true });
  for (const pattern of patterns) await channel.bindQueue(queues.main, exchange, pattern);
  await channel.assertQueue(queues.deadLetter, { durable: true });
  for (const [ms, name] of queues.delays) {
    await channel.assertQueue(name, {
      durable: true,
      arguments: { 'x-message-ttl': ms, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queues.main },
    });
  }
}
