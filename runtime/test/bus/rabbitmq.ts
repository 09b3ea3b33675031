/**
 * Test access to the machine's RabbitMQ: the URL, a reachability check that
 * fails loudly (these tests never skip), and a fixture that gives each run
 * its own exchange and queue names and deletes them afterwards.
 */
import amqp from 'amqplib';
import { createBus, type CreateBusOptions, type EventBus, type SubscribeOptions } from '../../src/bus/index.js';
import { groupQueues } from '../../src/bus/amqp-topology.js';
import { resolveRetryPolicy } from '../../src/bus/retry-policy.js';
import type { BusFixture } from './contract.js';

export const RABBITMQ_URL = process.env.MSX_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export async function assertRabbitReachable(): Promise<void> {
  try {
    const connection = await amqp.connect(RABBITMQ_URL);
    await connection.close();
  } catch (err) {
    throw new Error(`RabbitMQ is not reachable at ${RABBITMQ_URL} (${(err as Error).message}). These tests need it: start it with \`rabbitmq-server -detached\`.`);
  }
}

export function uniqueRunId(): string {
  return `msxtest.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Deletes the named queues and exchanges; missing ones are fine. */
export async function deleteTopology(queues: Iterable<string>, exchanges: Iterable<string>): Promise<void> {
  const connection = await amqp.connect(RABBITMQ_URL);
  try {
    for (const queue of queues) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await channel.deleteQueue(queue).catch(() => {});
      await channel.close().catch(() => {});
    }
    for (const exchange of exchanges) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await channel.deleteExchange(exchange).catch(() => {});
      await channel.close().catch(() => {});
    }
  } finally {
    await connection.close();
  }
}

export async function rabbitFixture(): Promise<BusFixture & { readonly exchange: string; readonly queues: Set<string> }> {
  await assertRabbitReachable();
  const runId = uniqueRunId();
  const exchange = `${runId}.events`;
  const queues = new Set<string>();
  const open = new Set<EventBus>();
  return {
    exchange,
    queues,
    async open(service, options: Partial<CreateBusOptions> = {}) {
      const bus = await createBus({ service, url: RABBITMQ_URL, exchange, connectAttempts: 2, ...options });
      open.add(bus);
      return recordingQueues(bus, queues);
    },
    name: (base) => `${runId}.${base}`,
    async cleanup() {
      await Promise.all([...open].map((bus) => bus.close()));
      await deleteTopology(queues, [exchange]);
    },
  };
}

/** Delegates to `bus`, noting the queues each subscribe declares so cleanup can delete them. */
function recordingQueues(bus: EventBus, queues: Set<string>): EventBus {
  return {
    kind: bus.kind,
    service: bus.service,
    publish: (input) => bus.publish(input),
    subscribe(pattern, handler, options: SubscribeOptions = {}) {
      try {
        const names = groupQueues(options.group ?? bus.service, resolveRetryPolicy(options));
        [names.main, names.deadLetter, ...names.delays.values()].forEach((q) => queues.add(q));
      } catch {
        // invalid options: subscribe itself rejects them
      }
      return bus.subscribe(pattern, handler, options);
    },
    isReady: () => bus.isReady(),
    deadLetters: (group, limit) => bus.deadLetters(group, limit),
    countDeadLetters: (group) => bus.countDeadLetters(group),
    redrive: (group, id) => bus.redrive(group, id),
    consumerGroups: () => bus.consumerGroups(),
    recentEvents: () => bus.recentEvents(),
    close: () => bus.close(),
  };
}
