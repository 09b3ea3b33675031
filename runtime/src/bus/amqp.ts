/**
 * The RabbitMQ bus, on amqplib. Events go to one durable topic exchange as
 * persistent CloudEvents JSON, routed by their type; each consumer group has
 * its durable queue, delay queues and dead-letter queue (`amqp-topology.ts`).
 *
 * Connection loss is handled by amqplib's recovering connection (exponential
 * backoff with jitter). Each successful connection is a "generation": its
 * `setup` declares the exchange, opens the confirm channel for publishing
 * and re-attaches every live subscription before anyone may use it. Any
 * unexpected channel loss closes the whole connection, so there is one
 * recovery path instead of one per channel.
 *
 * Publishing waits for the broker's confirm. If the connection drops before
 * the confirm arrives, the event is published again on the next generation
 * (same id, so at least once), bounded by `publishTimeoutMs`.
 */
import type { ChannelModel, ConfirmChannel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import type { ConsumerGroupState, DeadLetter, EventBus, EventEnvelope, EventHandler, PublishInput, SubscribeOptions, Subscription } from './bus.js';
import { assertExchange, assertGroup as assertGroupTopology, deadLetterQueue, groupQueues, type GroupQueues } from './amqp-topology.js';
import { dispatch, parseEnvelope } from './dispatch.js';
import { createEnvelope, encodeEnvelope } from './envelope.js';
import { BusError } from './errors.js';
import { assertGroup, positive, resolveCommonOptions, type CommonBusOptions, type ResolvedCommonOptions } from './options.js';
import { resolveRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { assertTopicPattern } from './topic.js';
import { redactUrl } from '../config/redact-url.js';

export interface AmqpBusOptions extends CommonBusOptions {
  /** `amqp://user:pass@host:5672/vhost` or `amqps://…`. */
  readonly url: string;
  /** Topic exchange all events go through. Default `msx.events`. */
  readonly exchange?: string;
  /** First reconnect delay. Default 100. */
  readonly reconnectInitialDelayMs?: number;
  /** Largest reconnect delay. Default 5000. */
  readonly reconnectMaxDelayMs?: number;
  /** Connection attempts at start-up before `createBus` fails with `BUS_UNAVAILABLE`. Default 4. */
  readonly connectAttempts?: number;
}

const DEFAULT_CONCURRENCY = 16;
const CONTENT_TYPE = 'application/cloudevents+json';
/** Header carrying the attempt number on retry copies. */
const ATTEMPT_HEADER = 'x-msx-attempt';


/** Connects to RabbitMQ; loads amqplib only now, so embedded-bus users never need it. */
export async function openAmqpBus(options: AmqpBusOptions): Promise<EventBus> {
  const common = resolveCommonOptions(options);
  const exchange = options.exchange ?? 'msx.events';
  if (typeof exchange !== 'string' || !/^[A-Za-z0-9_.:-]{1,200}$/.test(exchange)) {
    throw new BusError('BUS_CONFIG_INVALID', `Expected the \`exchange\` option to be an exchange name, got ${JSON.stringify(exchange)}`);
  }
  const initialDelay = positive('reconnectInitialDelayMs', options.reconnectInitialDelayMs, 100);
  const maxDelay = Math.max(initialDelay, positive('reconnectMaxDelayMs', options.reconnectMaxDelayMs, 5000));
  const connectAttempts = Math.floor(positive('connectAttempts', options.connectAttempts, 4));

  let amqp: typeof import('amqplib');
  try {
    amqp = await import('amqplib');
  } catch (cause) {
    throw new BusError('BUS_DRIVER_MISSING', 'The RabbitMQ bus needs the amqplib package: run `npm install amqplib@2`', { cause });
  }

  const bus = new AmqpBus(common, exchange, redactUrl(options.url));
  const connection = await amqp.connect(options.url, {
    clientProperties: { connection_name: `msx:${common.service}` },
    recovery: {
      initialDelay,
      maxDelay,
      initialMaxRetries: connectAttempts - 1,
      maxRetries: Infinity,
      waitForConnect: false,
      setup: (model: ChannelModel) => bus.setup(model),
    },
  });
  bus.bind(connection);
  try {
    await connection.waitForConnect();
  } catch (cause) {
    await bus.close().catch(() => {});
    throw new BusError('BUS_UNAVAILABLE', `Cannot connect to RabbitMQ at ${bus.url} after ${connectAttempts} attempts. Is it running? (on a development machine: \`rabbitmq-server -detached\`)`, { cause, data: { url: bus.url } });
  }
  return bus;
}

/** One successful connection and the channels opened on it. */
interface Generation {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
  /** Set as soon as the publisher channel or the connection closes. */
  lost: boolean;
}

type PublishOutcome = 'confirmed' | 'lost' | 'nacked' | 'timeout';

interface PendingConfirm {
  readonly deadline: number;
  readonly settle: (outcome: PublishOutcome) => void;
}

interface Waiter {
  readonly resolve: (generation: Generation) => void;
  readonly reject: (err: unknown) => void;
}

class AmqpBus implements EventBus {
  readonly kind = 'amqp';
  readonly service: string;
  readonly subscriptions = new Set<AmqpSubscription>();
  current: Generation | undefined;
  private connection: RecoveringChannelModel | undefined;
  private readonly waiters = new Set<Waiter>();
  /** Publishes awaiting a confirm; a sweep fails those past their deadline (one timer, not one per publish). */
  private readonly unconfirmed = new Set<PendingConfirm>();
  private readonly confirmSweep: NodeJS.Timeout;
  private closed = false;
  private readonly removeLagSource: () => void;

  constructor(
    readonly options: ResolvedCommonOptions,
    readonly exchange: string,
    readonly url: string,
  ) {
    this.service = options.service;
    this.removeLagSource = options.metrics.addLagSource(async () => this.lag());
    this.confirmSweep = setInterval(() => {
      const now = Date.now();
      for (const pending of this.unconfirmed) {
        if (pending.deadline <= now) {
          this.unconfirmed.delete(pending);
          pending.settle('timeout');
        }
      }
    }, Math.min(1000, options.publishTimeoutMs / 4));
    // The sweep alone must not keep a process alive.
    this.confirmSweep.unref();
  }

  bind(connection: RecoveringChannelModel): void {
    this.connection = connection;
    const { logger } = this.options;
    connection.on('disconnect', (err: Error) => {
      if (this.current) this.current.lost = true;
      this.current = undefined;
      if (!this.closed) logger.warn({ err, url: this.url }, 'bus: RabbitMQ connection lost; reconnecting');
    });
    connection.on('reconnect-scheduled', (info: { attempt: number; delay: number; error: Error }) => {
      logger.warn({ attempt: info.attempt, delayMs: info.delay, err: info.error }, 'bus: RabbitMQ reconnect scheduled');
    });
    connection.on('error', (err: Error) => logger.warn({ err }, 'bus: RabbitMQ connection error'));
  }

  /** Runs after every (re)connect, before the connection is used: declares and re-attaches everything. */
  async setup(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    const generation: Generation = { model, publisher, lost: false };
    // Prepended so it runs before amqplib fails the pending confirms, letting
    // `publish` tell a lost channel from a broker nack.
    publisher.prependListener('close', () => {
      generation.lost = true;
      this.recycle(generation);
    });
    publisher.on('error', (err: Error) => this.options.logger.warn({ err }, 'bus: publish channel error'));
    await assertExchange(publisher, this.exchange);
    for (const sub of this.subscriptions) await sub.attach(generation);
    this.current = generation;
    for (const waiter of this.waiters) waiter.resolve(generation);
    this.waiters.clear();
    this.options.logger.info({ url: this.url, subscriptions: this.subscriptions.size }, 'bus: connected to RabbitMQ');
  }

  /** An unexpected channel loss: drop the whole connection and let recovery rebuild it. */
  recycle(generation: Generation): void {
    generation.lost = true;
    if (this.closed) return;
    if (this.current === generation) this.current = undefined;
    generation.model.close().catch(() => {});
  }

  /** The live generation, waiting for a reconnect until `deadline`. */
  generation(deadline: number): Promise<Generation> {
    if (this.closed) return Promise.reject(new BusError('BUS_CLOSED', 'The bus is closed'));
    if (this.current && !this.current.lost) return Promise.resolve(this.current);
    return new Promise<Generation>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new BusError('BUS_UNAVAILABLE', `RabbitMQ at ${this.url} was not reachable within ${this.options.publishTimeoutMs} ms`, { data: { url: this.url } }));
      }, Math.max(0, deadline - Date.now()));
      const waiter: Waiter = {
        resolve: (g) => { clearTimeout(timer); resolve(g); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.waiters.add(waiter);
    });
  }

  async publish<T>(input: PublishInput<T>): Promise<EventEnvelope<T>> {
    const envelope = createEnvelope(input, this.service, this.options.traceContext);
    const body = Buffer.from(encodeEnvelope(envelope));
    const properties = {
      persistent: true,
      contentType: CONTENT_TYPE,
      messageId: envelope.id,
      type: envelope.type,
      appId: envelope.source,
      timestamp: Math.floor(Date.parse(envelope.time) / 1000),
    };
    const deadline = Date.now() + this.options.publishTimeoutMs;
    for (;;) {
      // Skip an await on the hot path when the connection is up.
      const generation = this.current !== undefined && !this.current.lost ? this.current : await this.generation(deadline);
      const outcome = await new Promise<PublishOutcome>((resolve) => {
        const pending: PendingConfirm = { deadline, settle: resolve };
        this.unconfirmed.add(pending);
        try {
          generation.publisher.publish(this.exchange, envelope.type, body, properties, (err: unknown) => {
            this.unconfirmed.delete(pending);
            resolve(err === null || err === undefined ? 'confirmed' : generation.lost ? 'lost' : 'nacked');
          });
        } catch {
          // amqplib throws synchronously on a channel that has just closed.
          this.unconfirmed.delete(pending);
          generation.lost = true;
          resolve('lost');
        }
      });
      if (outcome === 'confirmed') {
        this.options.metrics.published(envelope.type);
        this.options.recent.record(envelope, 'published');
        return envelope;
      }
      if (outcome === 'nacked') {
        throw new BusError('BUS_PUBLISH_REJECTED', `RabbitMQ refused event "${envelope.type}" (${envelope.id})`, { data: { id: envelope.id, type: envelope.type } });
      }
      if (outcome === 'timeout') {
        // E.g. a broker under a memory alarm blocks publishers. The event may still be accepted later: at least once, the caller retries.
        throw new BusError('BUS_UNAVAILABLE', `RabbitMQ at ${this.url} did not confirm event "${envelope.type}" (${envelope.id}) within ${this.options.publishTimeoutMs} ms`, { data: { id: envelope.id, url: this.url } });
      }
      if (this.closed) throw new BusError('BUS_CLOSED', 'The bus closed before the event was confirmed', { data: { id: envelope.id } });
      this.recycle(generation);
    }
  }

  async subscribe<T>(pattern: string | readonly string[], handler: EventHandler<T>, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'The bus is closed');
    const patterns = typeof pattern === 'string' ? [pattern] : [...pattern];
    if (patterns.length === 0) throw new BusError('BUS_INVALID_PATTERN', 'Expected at least one topic pattern');
    patterns.forEach((p) => assertTopicPattern(p));
    const group = options.group ?? this.service;
    assertGroup(group);
    const policy = resolveRetryPolicy(options);
    const concurrency = Math.floor(positive('concurrency', options.concurrency, DEFAULT_CONCURRENCY));
    const subscription = new AmqpSubscription(this, group, patterns, handler as EventHandler<unknown>, policy, concurrency);
    this.subscriptions.add(subscription);
    // Resolve only once the queue exists: from here on no event for the group is lost.
    const deadline = Date.now() + this.options.publishTimeoutMs;
    for (;;) {
      const generation = await this.generation(deadline).catch((err: unknown) => {
        this.subscriptions.delete(subscription);
        throw err;
      });
      try {
        await subscription.attach(generation);
        return subscription;
      } catch (err) {
        if (!generation.lost) {
          this.subscriptions.delete(subscription);
          throw err;
        }
      }
    }
  }

  isReady(): boolean {
    return !this.closed && this.current !== undefined && !this.current.lost;
  }

  async deadLetters(group: string, limit = 100): Promise<readonly DeadLetter[]> {
    const generation = await this.generation(Date.now() + this.options.publishTimeoutMs);
    const channel = await generation.model.createChannel();
    channel.on('error', () => {});
    const letters: DeadLetter[] = [];
    try {
      for (let i = 0; i < limit; i++) {
        // Unacknowledged gets: closing the channel puts them back, in order.
        const message = await channel.get(deadLetterQueue(group), { noAck: false });
        if (message === false) break;
        const headers = message.properties.headers ?? {};
        letters.push({
          event: parseEnvelope(message.content.toString('utf8')) ?? ({ id: String(message.properties.messageId), raw: message.content.toString('utf8') } as unknown as EventEnvelope),
          group,
          attempts: Number(headers[ATTEMPT_HEADER] ?? 1),
          error: String(headers['x-msx-error'] ?? ''),
          failedAt: String(headers['x-msx-failed-at'] ?? ''),
        });
      }
    } catch (err) {
      // 404: the group never subscribed, so it has no dead letters.
      if ((err as { code?: unknown }).code !== 404) throw err;
    } finally {
      await channel.close().catch(() => {});
    }
    return letters;
  }

  async countDeadLetters(group: string): Promise<number> {
    return (await this.messageCounts([deadLetterQueue(group)]))[0]!;
  }

  async redrive(group: string, eventId: string | 'all'): Promise<number> {
    assertGroup(group);
    const generation = await this.generation(Date.now() + this.options.publishTimeoutMs);
    const channel = await generation.model.createConfirmChannel();
    channel.on('error', () => {});
    let moved = 0;
    try {
      const queue = deadLetterQueue(group);
      // Only what is there now: an event re-driven here that fails again comes back to the end of the queue.
      const { messageCount } = await channel.checkQueue(queue);
      for (let i = 0; i < messageCount; i++) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        const id = parseEnvelope(message.content.toString('utf8'))?.id ?? String(message.properties.messageId);
        // Left unacknowledged: closing the channel puts the others back, in order.
        if (eventId !== 'all' && id !== eventId) continue;
        const { [ATTEMPT_HEADER]: _attempt, 'x-msx-error': _error, 'x-msx-failed-at': _failedAt, ...headers } = message.properties.headers ?? {};
        await new Promise<void>((resolve, reject) => {
          // The default exchange, to the group's own queue: only this group gets it again, as a first attempt.
          channel.sendToQueue(group, message.content, { ...message.properties, headers, persistent: true }, (err: unknown) => {
            if (err) reject(err instanceof Error ? err : new Error(String(err)));
            else resolve();
          });
        });
        channel.ack(message);
        moved++;
      }
    } catch (err) {
      // 404: the group never subscribed, so it has no dead letters.
      if ((err as { code?: unknown }).code !== 404) throw err;
    } finally {
      await channel.close().catch(() => {});
    }
    return moved;
  }

  async consumerGroups(): Promise<readonly ConsumerGroupState[]> {
    const byGroup = new Map<string, AmqpSubscription>();
    for (const sub of this.subscriptions) if (!byGroup.has(sub.group)) byGroup.set(sub.group, sub);
    const states: ConsumerGroupState[] = [];
    for (const [group, sub] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
      const patterns = [...new Set([...this.subscriptions].filter((s) => s.group === group).flatMap((s) => s.patterns))].sort();
      const waiting = [sub.queues.main, ...sub.queues.delays.values()];
      const counts = await this.messageCounts([...waiting, sub.queues.deadLetter]);
      const deadLetters = counts.pop()!;
      states.push({ group, patterns, pending: counts.reduce((a, b) => a + b, 0), deadLetters });
    }
    return states;
  }

  recentEvents() {
    return this.options.recent.list();
  }

  /** Ready messages of each queue, 0 for one that does not exist (each check on its own channel: a 404 closes it). */
  private async messageCounts(queues: readonly string[]): Promise<number[]> {
    const generation = await this.generation(Date.now() + this.options.publishTimeoutMs);
    const counts: number[] = [];
    let channel = await generation.model.createChannel();
    channel.on('error', () => {});
    try {
      for (const queue of queues) {
        try {
          counts.push((await channel.checkQueue(queue)).messageCount);
        } catch (err) {
          if ((err as { code?: unknown }).code !== 404) throw err;
          counts.push(0);
          channel = await generation.model.createChannel();
          channel.on('error', () => {});
        }
      }
    } finally {
      await channel.close().catch(() => {});
    }
    return counts;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    clearInterval(this.confirmSweep);
    this.removeLagSource();
    const error = new BusError('BUS_CLOSED', 'The bus is closed');
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters.clear();
    if (this.current) this.current.lost = true;
    await this.connection?.close().catch(() => {});
  }

  /** Ready-to-deliver count of each subscribed group's queue. */
  private async lag(): Promise<Array<{ group: string; pending: number; deadLetters: number }>> {
    const generation = this.current;
    if (this.closed || !generation) return [];
    let channel = await generation.model.createChannel();
    channel.on('error', () => {});
    try {
      const groups = [...new Set([...this.subscriptions].map((s) => s.group))];
      const rows = [];
      for (const group of groups) {
        const pending = (await channel.checkQueue(group)).messageCount;
        let deadLetters = 0;
        try {
          deadLetters = (await channel.checkQueue(deadLetterQueue(group))).messageCount;
        } catch (err) {
          // 404 (no dead letters queue yet) closes the channel: count 0 and go on with a new one.
          if ((err as { code?: unknown }).code !== 404) throw err;
          channel = await generation.model.createChannel();
          channel.on('error', () => {});
        }
        rows.push({ group, pending, deadLetters });
      }
      return rows;
    } finally {
      await channel.close().catch(() => {});
    }
  }
}

class AmqpSubscription implements Subscription {
  readonly queues: GroupQueues;
  private attached: { generation: Generation; ready: Promise<void> } | undefined;
  private channel: ConfirmChannel | undefined;
  private consumerTag: string | undefined;
  /** Handlers running now; `drained` is resolved when it drops to 0 during close. */
  private inflight = 0;
  private drained: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly bus: AmqpBus,
    readonly group: string,
    readonly patterns: readonly string[],
    private readonly handler: EventHandler<unknown>,
    private readonly policy: RetryPolicy,
    private readonly concurrency: number,
  ) {
    this.queues = groupQueues(group, policy);
  }

  /** Declares the group's topology and starts consuming on `generation`; once per generation. */
  attach(generation: Generation): Promise<void> {
    if (this.attached?.generation !== generation) {
      this.attached = { generation, ready: this.consume(generation) };
    }
    return this.attached.ready;
  }

  private async consume(generation: Generation): Promise<void> {
    if (this.closed) return;
    const channel = await generation.model.createConfirmChannel();
    channel.on('error', (err: Error) => this.bus.options.logger.warn({ err, group: this.group }, 'bus: consumer channel error'));
    channel.prependListener('close', () => {
      if (this.channel === channel) this.channel = undefined;
      if (!this.closed) this.bus.recycle(generation);
    });
    await channel.prefetch(this.concurrency);
    await assertGroupTopology(channel, this.bus.exchange, this.queues, this.patterns);
    const { consumerTag } = await channel.consume(this.queues.main, (message) => {
      if (message === null) {
        // The broker cancelled the consumer (queue deleted): rebuild from scratch.
        this.bus.recycle(generation);
        return;
      }
      this.inflight++;
      const done = () => {
        if (--this.inflight === 0) this.drained?.();
      };
      this.handle(channel, message).then(done, done);
    }, { noAck: false });
    this.channel = channel;
    this.consumerTag = consumerTag;
  }

  private async handle(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const { options } = this.bus;
    const headers = message.properties.headers ?? {};
    const attempt = Math.max(1, Number(headers[ATTEMPT_HEADER] ?? 1) || 1);
    const envelope = parseEnvelope(message.content.toString('utf8'));
    try {
      if (envelope === undefined) {
        await this.forward(channel, message, this.queues.deadLetter, { [ATTEMPT_HEADER]: attempt, 'x-msx-error': 'Unparseable event envelope', 'x-msx-failed-at': new Date().toISOString() });
        return;
      }
      const context = { attempt, redelivered: message.fields.redelivered, group: this.group };
      const verdict = await dispatch(this.handler, envelope, context, this.policy, options.metrics, options.recent);
      switch (verdict.outcome) {
        case 'ack':
          channel.ack(message);
          break;
        case 'retry':
          await this.forward(channel, message, this.queues.delays.get(verdict.delayMs) ?? this.queues.main, { [ATTEMPT_HEADER]: attempt + 1, 'x-msx-error': verdict.error });
          break;
        case 'dead_letter':
          await this.forward(channel, message, this.queues.deadLetter, { [ATTEMPT_HEADER]: attempt, 'x-msx-error': verdict.error, 'x-msx-failed-at': new Date().toISOString() });
          break;
      }
    } catch (err) {
      // The channel is gone: the unacknowledged original is redelivered by the broker.
      options.logger.warn({ err, group: this.group, id: envelope?.id }, 'bus: could not record a delivery outcome; the event will be redelivered');
    }
  }

  /** Copies the message to `queue` (confirmed) and only then acks the original: never lost, at worst duplicated. */
  private forward(channel: ConfirmChannel, message: ConsumeMessage, queue: string, extraHeaders: Record<string, unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      channel.sendToQueue(queue, message.content, { ...message.properties, headers: { ...message.properties.headers, ...extraHeaders }, persistent: true }, (err: unknown) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      });
    }).then(() => channel.ack(message));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bus.subscriptions.delete(this);
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.bus.options.drainTimeoutMs); });
    const drained = this.inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { this.drained = resolve; });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    // Closing returns anything still unacknowledged to the queue.
    if (channel) await channel.close().catch(() => {});
  }
}
