/**
 * The embedded bus: the bus semantics without a broker, for the local target.
 * Every process of a local system opens the same SQLite file
 * (`<dataDir>/bus.db`, see `embedded-store.ts`), so consumer groups,
 * wildcards, durability across restarts, retries and dead letters hold across
 * separate processes on one machine.
 *
 * Wake-up: a consumer checks SQLite's `data_version` (a shared-memory read
 * that changes when another process commits) every `pollIntervalMs`, backing
 * off to `idlePollIntervalMs` after two seconds without traffic, and only
 * queries the tables when it changed or a retry/lease deadline passed.
 * Publishes in the same process wake consumers at once.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { ConsumerGroupState, DeadLetter, EventBus, EventEnvelope, EventHandler, PublishInput, SubscribeOptions, Subscription } from './bus.js';
import { dispatch, parseEnvelope } from './dispatch.js';
import { EmbeddedStore, type ClaimedMessage, type NewMessage } from './embedded-store.js';
import { createEnvelope, encodeEnvelope } from './envelope.js';
import { BusError } from './errors.js';
import { assertGroup, positive, resolveCommonOptions, type CommonBusOptions, type ResolvedCommonOptions } from './options.js';
import { resolveRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { assertTopicPattern } from './topic.js';

export interface EmbeddedBusOptions extends CommonBusOptions {
  /**
   * Folder holding `bus.db`; every process of one system must use the same.
   * Default: env `MSX_DATA_DIR`, else `.msx/data` under the working directory.
   */
  readonly dataDir?: string;
  /** Wake-up check interval while traffic flows. Default 20. */
  readonly pollIntervalMs?: number;
  /** Wake-up check interval after two idle seconds. Default 100. */
  readonly idlePollIntervalMs?: number;
  /**
   * How long a claimed event stays invisible to other consumers. Leases of
   * running handlers are renewed, so this only bounds how long a crashed
   * consumer's events wait before redelivery. Default 30000.
   */
  readonly visibilityTimeoutMs?: number;
  /** See `OpenStoreOptions.synchronous`. Default `normal`. */
  readonly synchronous?: 'normal' | 'full';
}

const DEFAULT_CONCURRENCY = 16;
/** Ready-to-claim check after this long even without a data_version change (clock-only deadlines). */
const ACTIVE_WINDOW_MS = 2000;

export function resolveDataDir(dataDir: string | undefined): string {
  return resolve(dataDir ?? process.env.MSX_DATA_DIR ?? join(process.cwd(), '.msx', 'data'));
}

/** Opens the embedded bus; loads better-sqlite3 only now, so broker users never need it. */
export async function openEmbeddedBus(options: EmbeddedBusOptions): Promise<EventBus> {
  const common = resolveCommonOptions(options);
  const pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs, 20);
  const idlePollIntervalMs = Math.max(pollIntervalMs, positive('idlePollIntervalMs', options.idlePollIntervalMs, 100));
  const visibilityTimeoutMs = positive('visibilityTimeoutMs', options.visibilityTimeoutMs, 30_000);
  if (options.synchronous !== undefined && options.synchronous !== 'normal' && options.synchronous !== 'full') {
    throw new BusError('BUS_CONFIG_INVALID', `Expected the \`synchronous\` option to be "normal" or "full", got ${JSON.stringify(options.synchronous)}`);
  }
  const dataDir = resolveDataDir(options.dataDir);

  let Driver: typeof BetterSqlite3;
  try {
    Driver = (await import('better-sqlite3')).default;
  } catch (cause) {
    throw new BusError('BUS_DRIVER_MISSING', 'The embedded bus needs the better-sqlite3 package (version 12): run `npm install better-sqlite3@12`', { cause });
  }
  let store: EmbeddedStore;
  try {
    mkdirSync(dataDir, { recursive: true });
    store = EmbeddedStore.open(Driver, join(dataDir, 'bus.db'), { synchronous: options.synchronous ?? 'normal' });
  } catch (cause) {
    throw new BusError('BUS_UNAVAILABLE', `Cannot open the embedded bus database in ${dataDir}`, { cause, data: { dataDir } });
  }
  return new EmbeddedBus(store, common, { pollIntervalMs, idlePollIntervalMs, visibilityTimeoutMs });
}

interface Timing {
  readonly pollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly visibilityTimeoutMs: number;
}

interface PendingPublish {
  readonly message: NewMessage;
  readonly envelope: EventEnvelope;
  readonly resolve: (envelope: EventEnvelope) => void;
  readonly reject: (err: unknown) => void;
}

class EmbeddedBus implements EventBus {
  readonly kind = 'embedded';
  readonly service: string;
  /** Lease owner id: tells which process holds a claimed row. */
  readonly owner = `${process.pid}:${randomUUID()}`;
  readonly subscriptions = new Set<EmbeddedSubscription>();
  private pendingPublishes: PendingPublish[] = [];
  private pendingAcks: number[] = [];
  private flushScheduled = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private wakeScheduled = false;
  private leaseTimer: NodeJS.Timeout | undefined;
  private lastDataVersion = -1;
  private lastActivityAt = Date.now();
  private closed = false;
  private readonly removeLagSource: () => void;

  constructor(
    readonly store: EmbeddedStore,
    readonly options: ResolvedCommonOptions,
    readonly timing: Timing,
  ) {
    this.service = options.service;
    this.removeLagSource = options.metrics.addLagSource(async () => this.lag());
  }

  publish<T>(input: PublishInput<T>): Promise<EventEnvelope<T>> {
    if (this.closed) return Promise.reject(new BusError('BUS_CLOSED', 'The bus is closed'));
    let envelope: EventEnvelope<T>;
    let body: string;
    try {
      envelope = createEnvelope(input, this.service, this.options.traceContext);
      body = encodeEnvelope(envelope);
    } catch (err) {
      return Promise.reject(err);
    }
    // Publishes of one tick commit in one transaction (group commit).
    return new Promise<EventEnvelope<T>>((resolve, reject) => {
      this.pendingPublishes.push({
        message: { type: envelope.type, eventId: envelope.id, envelope: body },
        envelope,
        resolve: resolve as (e: EventEnvelope) => void,
        reject,
      });
      this.scheduleFlush();
    });
  }

  async subscribe<T>(pattern: string | readonly string[], handler: EventHandler<T>, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'The bus is closed');
    const patterns = typeof pattern === 'string' ? [pattern] : [...pattern];
    if (patterns.length === 0) throw new BusError('BUS_INVALID_PATTERN', 'Expected at least one topic pattern');
    patterns.forEach((p) => assertTopicPattern(p));
    const group = options.group ?? this.service;
    assertGroup(group);
    const policy = resolveRetryPolicy(options);
    const concurrency = positive('concurrency', options.concurrency, DEFAULT_CONCURRENCY);
    try {
      this.store.bind(group, patterns);
    } catch (cause) {
      throw new BusError('BUS_UNAVAILABLE', `Cannot bind group "${group}" in the embedded bus database`, { cause, data: { group } });
    }
    const subscription = new EmbeddedSubscription(this, group, patterns, handler as EventHandler<unknown>, policy, Math.floor(concurrency));
    this.subscriptions.add(subscription);
    this.startTimers();
    this.wake();
    return subscription;
  }

  isReady(): boolean {
    return !this.closed;
  }

  async deadLetters(group: string, limit = 100): Promise<readonly DeadLetter[]> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'The bus is closed');
    return this.store.deadLetters(group, limit).map((row) => ({
      event: JSON.parse(row.envelope) as EventEnvelope,
      group: row.queue,
      attempts: row.attempts,
      error: row.error,
      failedAt: row.failed_at,
    }));
  }

  async countDeadLetters(group: string): Promise<number> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'The bus is closed');
    return this.store.countDeadLetters(group);
  }

  async redrive(group: string, eventId: string | 'all'): Promise<number> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'The bus is closed');
    assertGroup(group);
    const moved = this.store.redrive(group, eventId === 'all' ? undefined : eventId, Date.now());
    if (moved > 0) this.wake();
    return moved;
  }

  async consumerGroups(): Promise<readonly ConsumerGroupState[]> {
    if (this.closed) return [];
    const groups = [...new Set([...this.subscriptions].map((s) => s.group))].sort();
    return groups.map((group) => ({
      group,
      patterns: this.store.patterns(group),
      pending: this.store.pending(group),
      deadLetters: this.store.countDeadLetters(group),
    }));
  }

  recentEvents() {
    return this.options.recent.list();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    this.flush();
    clearTimeout(this.pollTimer);
    clearInterval(this.leaseTimer);
    this.removeLagSource();
    this.store.close();
  }

  /** Queues an ack; acks of one tick are deleted in one transaction. */
  ack(id: number): void {
    this.pendingAcks.push(id);
    this.scheduleFlush();
  }

  /** Runs a claim round as soon as possible (local publish, freed capacity). */
  wake(): void {
    if (this.wakeScheduled || this.closed) return;
    this.wakeScheduled = true;
    this.lastActivityAt = Date.now();
    setImmediate(() => {
      this.wakeScheduled = false;
      this.poll(true);
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const publishes = this.pendingPublishes;
    const acks = this.pendingAcks;
    this.pendingPublishes = [];
    this.pendingAcks = [];
    if (acks.length > 0) {
      try {
        this.store.ack(acks);
      } catch (err) {
        // The leases run out and the events are redelivered: at least once still holds.
        this.options.logger.warn({ err, count: acks.length }, 'embedded bus: acknowledging failed; the events will be redelivered');
      }
    }
    if (publishes.length > 0) {
      try {
        this.store.publish(publishes.map((p) => p.message), Date.now());
      } catch (cause) {
        const error = new BusError('BUS_UNAVAILABLE', 'The embedded bus database did not accept the events', { cause });
        publishes.forEach((p) => p.reject(error));
        return;
      }
      for (const p of publishes) {
        this.options.metrics.published(p.envelope.type);
        this.options.recent.record(p.envelope, 'published');
        p.resolve(p.envelope);
      }
      this.wake();
    }
  }

  private startTimers(): void {
    if (this.leaseTimer === undefined) {
      this.leaseTimer = setInterval(() => this.renewLeases(), Math.max(100, this.timing.visibilityTimeoutMs / 3));
    }
    if (this.pollTimer === undefined) this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.closed || this.subscriptions.size === 0) {
      this.pollTimer = undefined;
      return;
    }
    const idle = Date.now() - this.lastActivityAt > ACTIVE_WINDOW_MS;
    this.pollTimer = setTimeout(() => this.poll(false), idle ? this.timing.idlePollIntervalMs : this.timing.pollIntervalMs);
  }

  private poll(woken: boolean): void {
    if (this.closed) return;
    if (!woken) this.pollTimer = undefined;
    const now = Date.now();
    let changed = woken;
    try {
      const version = this.store.dataVersion();
      if (version !== this.lastDataVersion) changed = true;
      this.lastDataVersion = version;
      let claimed = 0;
      for (const sub of this.subscriptions) {
        if (changed || sub.dueAt <= now) claimed += sub.pump(now);
      }
      if (changed || claimed > 0) this.lastActivityAt = now;
    } catch (err) {
      this.options.logger.warn({ err }, 'embedded bus: polling failed; retrying');
    }
    if (!woken || this.pollTimer === undefined) {
      clearTimeout(this.pollTimer);
      this.schedulePoll();
    }
  }

  private renewLeases(): void {
    const until = Date.now() + this.timing.visibilityTimeoutMs;
    try {
      this.store.renewLeases(this.owner, [...this.subscriptions].flatMap((s) => s.inflightIds()), until);
    } catch (err) {
      this.options.logger.warn({ err }, 'embedded bus: renewing leases failed');
    }
  }

  private async lag(): Promise<Array<{ group: string; pending: number; deadLetters: number }>> {
    if (this.closed) return [];
    const groups = new Set([...this.subscriptions].map((s) => s.group));
    return [...groups].map((group) => ({ group, pending: this.store.pending(group), deadLetters: this.store.countDeadLetters(group) }));
  }

  removeSubscription(sub: EmbeddedSubscription): void {
    this.subscriptions.delete(sub);
    if (this.subscriptions.size === 0) {
      // Nothing to consume: let a publish-only process exit on its own.
      clearInterval(this.leaseTimer);
      this.leaseTimer = undefined;
    }
    this.flush();
  }
}

class EmbeddedSubscription implements Subscription {
  /** Earliest time a claim may find something without a data_version change. */
  dueAt = 0;
  private readonly inflight = new Map<number, Promise<void>>();
  private closed = false;

  constructor(
    private readonly bus: EmbeddedBus,
    readonly group: string,
    readonly patterns: readonly string[],
    private readonly handler: EventHandler<unknown>,
    private readonly policy: RetryPolicy,
    private readonly concurrency: number,
  ) {}

  /** Claims as many visible events as there is capacity for and starts their handlers. */
  pump(now: number): number {
    const capacity = this.concurrency - this.inflight.size;
    if (this.closed || capacity <= 0) return 0;
    const { store, owner, timing } = this.bus;
    const rows = store.claim(this.group, owner, capacity, now, now + timing.visibilityTimeoutMs);
    this.dueAt = rows.length === capacity ? now : (store.nextVisibleAt(this.group, now) ?? Number.POSITIVE_INFINITY);
    for (const row of rows) {
      const run = this.run(row).finally(() => {
        this.inflight.delete(row.id);
        this.dueAt = 0;
        this.bus.wake();
      });
      this.inflight.set(row.id, run);
    }
    return rows.length;
  }

  inflightIds(): number[] {
    return [...this.inflight.keys()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.bus.options.drainTimeoutMs); });
    await Promise.race([Promise.allSettled(this.inflight.values()), timeout]);
    clearTimeout(timer);
    this.bus.removeSubscription(this);
  }

  private async run(row: ClaimedMessage): Promise<void> {
    const { store, options } = this.bus;
    let outcome = 'dead_letter';
    try {
      const envelope = parseEnvelope(row.envelope);
      if (envelope === undefined) {
        store.deadLetter(row.id, row.claims, 'Unparseable event envelope', new Date().toISOString());
        return;
      }
      const context = { attempt: row.attempt, redelivered: row.claims > row.attempt, group: this.group };
      const verdict = await dispatch(this.handler, envelope, context, this.policy, options.metrics, options.recent);
      outcome = verdict.outcome;
      switch (verdict.outcome) {
        case 'ack':
          this.bus.ack(row.id);
          break;
        case 'retry':
          store.retry(row.id, row.claims, Date.now() + verdict.delayMs);
          break;
        case 'dead_letter':
          store.deadLetter(row.id, row.claims, verdict.error, new Date().toISOString());
          break;
      }
    } catch (err) {
      // The lease runs out and the event is redelivered: at least once still holds.
      options.logger.warn({ err, group: this.group, row: row.id, outcome }, 'embedded bus: recording the outcome failed');
    }
  }
}
