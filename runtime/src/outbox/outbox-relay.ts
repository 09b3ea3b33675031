/**
 * Publishes the outbox to the bus: oldest first, each event with the bus's
 * confirm (at least once), rows marked `published_at` only after the
 * confirm. Per key, events go out strictly in outbox order — a key's next
 * event is never published before the previous one was confirmed — while
 * different keys are published concurrently.
 *
 * One relay at a time per service: instances compete for a lease row in
 * `msx_outbox_lease` (renewed every pass, taken over once expired). A lease
 * rather than a session advisory lock because it also works on the shared
 * embedded engine, whose single session would let every instance "hold"
 * the same advisory lock; and because no transaction stays open while the
 * bus is slow.
 *
 * A failed pass (bus down, database down) backs off exponentially
 * (cockatiel's `ExponentialBackoff`) and retries forever until `stop()`.
 */
import { randomUUID } from 'node:crypto';
import { ExponentialBackoff, type IBackoff, type IRetryBackoffContext } from 'cockatiel';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '../bus/bus.js';
import type { Database } from '../data/database.js';
import type { Outbox } from './outbox.js';
import { OutboxError } from './outbox-error.js';

export interface OutboxRelayOptions {
  readonly outbox: Outbox;
  readonly bus: EventBus;
  /** How often to look for events added by other instances (or missed nudges), in ms. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Events read per pass. Default 200. */
  readonly batchSize?: number;
  /** Lease length in ms; another instance takes over this long after this one stopped renewing. Default 15000. */
  readonly leaseMs?: number;
  /** Backoff after a failed pass: first delay and cap, in ms. Default 100 and 10000. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Published rows older than this are deleted, in ms. Default 3600000 (1 h). */
  readonly retentionMs?: number;
  readonly registry?: Registry;
  /** Default: silent. */
  readonly logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

interface OutboxRow {
  seq: number;
  id: string;
  type: string;
  key: string | null;
  data: unknown;
  headers: Record<string, string>;
  created_at: Date;
}

type BackoffContext = IRetryBackoffContext<unknown>;

export class OutboxRelay {
  /** This relay's lease owner id. */
  readonly owner = randomUUID();
  readonly #db: Database;
  readonly #bus: EventBus;
  readonly #options: Required<Omit<OutboxRelayOptions, 'outbox' | 'bus' | 'registry' | 'logger' | 'backoff'>>;
  readonly #backoffFactory: ExponentialBackoff<BackoffContext>;
  readonly #logger: NonNullable<OutboxRelayOptions['logger']>;
  readonly #metrics: RelayMetrics | undefined;
  readonly #unsubscribe: () => void;
  #backoff: IBackoff<BackoffContext> | undefined;
  #failures = 0;
  #holdsLease = false;
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #nudged = false;
  #lastPurge = 0;

  constructor(options: OutboxRelayOptions) {
    this.#db = options.outbox.db;
    this.#bus = options.bus;
    this.#options = {
      pollIntervalMs: positiveInt('pollIntervalMs', options.pollIntervalMs, 1000),
      batchSize: positiveInt('batchSize', options.batchSize, 200),
      leaseMs: positiveInt('leaseMs', options.leaseMs, 15_000),
      retentionMs: positiveInt('retentionMs', options.retentionMs, 3_600_000),
    };
    const initialDelay = positiveInt('backoff.initialMs', options.backoff?.initialMs, 100);
    this.#backoffFactory = new ExponentialBackoff({ initialDelay, maxDelay: Math.max(initialDelay, positiveInt('backoff.maxMs', options.backoff?.maxMs, 10_000)) });
    this.#logger = options.logger ?? { warn() {}, info() {} };
    this.#metrics = options.registry ? relayMetrics(options.registry, this.#db) : undefined;
    this.#unsubscribe = options.outbox.onAdded(() => this.nudge());
  }

  /** Whether this instance currently holds the relay lease. */
  get active(): boolean {
    return this.#holdsLease;
  }

  /** Starts relaying in the background. Idempotent. */
  start(): this {
    this.#running ??= this.#loop();
    return this;
  }

  /** Publishes soon instead of at the next poll (called after a commit that added events). */
  nudge(): void {
    this.#nudged = true;
    this.#wake?.();
  }

  /** Stops after the pass in progress and gives up the lease, so another instance takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#unsubscribe();
    this.#wake?.();
    await this.#running;
    if (this.#holdsLease) {
      await this.#db.query('DELETE FROM msx_outbox_lease WHERE name = $1 AND owner = $2', ['relay', this.owner]).catch(() => {});
      this.#holdsLease = false;
    }
  }

  /**
   * One pass: takes or renews the lease, then publishes up to `batchSize`
   * events. Returns how many were published (0 without the lease).
   * Exposed for tests and for callers that drive the relay themselves.
   */
  async runOnce(): Promise<number> {
    this.#holdsLease = await this.#renewLease();
    if (!this.#holdsLease) return 0;
    const { rows } = await this.#db.query<OutboxRow>(
      'SELECT seq, id, type, key, data, headers, created_at FROM msx_outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1',
      [this.#options.batchSize],
    );
    if (rows.length === 0) return 0;

    const chains = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const chainKey = row.key === null ? `id:${row.id}` : `key:${row.key}`;
      const chain = chains.get(chainKey);
      if (chain) chain.push(row);
      else chains.set(chainKey, [row]);
    }
    const published: number[] = [];
    let firstError: unknown;
    await Promise.all([...chains.values()].map(async (chain) => {
      for (const row of chain) {
        try {
          await this.#bus.publish({ id: row.id, type: row.type, data: row.data, ...(row.key === null ? {} : { key: row.key }), headers: row.headers, time: row.created_at });
          published.push(row.seq);
        } catch (error) {
          firstError ??= error;
          return; // later events of this key wait for this one
        }
      }
    }));
    if (published.length > 0) {
      await this.#db.query('UPDATE msx_outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [published]);
      this.#metrics?.published.inc(published.length);
    }
    if (firstError !== undefined) throw firstError;
    return published.length;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let more = false;
      try {
        this.#nudged = false;
        const count = await this.runOnce();
        more = count === this.#options.batchSize;
        if (this.#failures > 0) this.#logger.info({ failures: this.#failures }, 'outbox relay recovered');
        this.#failures = 0;
        this.#backoff = undefined;
        await this.#purge();
      } catch (error) {
        this.#failures++;
        this.#metrics?.failures.inc();
        this.#backoff = (this.#backoff ?? this.#backoffFactory).next({ attempt: this.#failures, result: { error: error as Error }, signal: this.#abort.signal });
        this.#logger.warn({ err: error, failures: this.#failures, retryInMs: this.#backoff.duration }, 'outbox relay pass failed; backing off');
        await this.#sleep(this.#backoff.duration, false);
        continue;
      }
      if (!more) await this.#sleep(this.#holdsLease ? this.#options.pollIntervalMs : Math.min(this.#options.pollIntervalMs, this.#options.leaseMs / 3), true);
    }
  }

  /** Waits `ms`, or less when stopped or (if `wakeOnNudge`) nudged. */
  #sleep(ms: number, wakeOnNudge: boolean): Promise<void> {
    if (this.#stopped || (wakeOnNudge && this.#nudged)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = () => { if (wakeOnNudge || this.#stopped) done(); };
    });
  }

  async #renewLease(): Promise<boolean> {
    const { rows } = await this.#db.query(
      `INSERT INTO msx_outbox_lease (name, owner, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE msx_outbox_lease.owner = excluded.owner OR msx_outbox_lease.expires_at < now()
       RETURNING owner`,
      ['relay', this.owner, this.#options.leaseMs],
    );
    return rows.length === 1;
  }

  async #purge(): Promise<void> {
    if (Date.now() - this.#lastPurge < 60_000) return;
    this.#lastPurge = Date.now();
    await this.#db.query("DELETE FROM msx_outbox WHERE published_at < now() - $1 * interval '1 millisecond'", [this.#options.retentionMs]);
  }
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new OutboxError('OUTBOX_CONFIG_INVALID', `Expected the \`${name}\` option to be a positive integer, got ${String(value)}`);
  return value;
}

interface RelayMetrics {
  readonly published: { inc(n?: number): void };
  readonly failures: { inc(n?: number): void };
}

function relayMetrics(registry: Registry, db: Database): RelayMetrics {
  const labels = { service: db.service };
  const published = (registry.getSingleMetric('outbox_published_total') as Counter | undefined) ?? new Counter({
    name: 'outbox_published_total', help: 'Outbox events published with a bus confirm.', labelNames: ['service'], registers: [registry],
  });
  const failures = (registry.getSingleMetric('outbox_relay_failures_total') as Counter | undefined) ?? new Counter({
    name: 'outbox_relay_failures_total', help: 'Relay passes that failed (bus or database unavailable) and were retried after a backoff.', labelNames: ['service'], registers: [registry],
  });
  if (!registry.getSingleMetric('outbox_pending')) {
    const pending: Gauge = new Gauge({
      name: 'outbox_pending', help: 'Outbox events not yet published.', labelNames: ['service'], registers: [registry],
      async collect() {
        const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM msx_outbox WHERE published_at IS NULL').catch(() => ({ rows: [] as { n: number }[] }));
        if (rows[0]) pending.set(labels, rows[0].n);
      },
    });
  }
  return { published: published.labels(labels), failures: failures.labels(labels) };
}
