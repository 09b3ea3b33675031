/**
 * The embedded bus's storage: one SQLite database in WAL mode that every
 * process of a local system opens (`<dataDir>/bus.db`). SQLite provides what
 * a broker would: atomic fan-out at publish, durable queues, cross-process
 * locking, and crash safety; this file is only the schema and statements.
 *
 * - `bindings` (queue, pattern): a queue exists from its first subscribe on.
 * - `messages`: one row per (queue, event). Publishing inserts a row into
 *   every queue with a matching binding, in the same transaction.
 *   `visible_at` is when the row may next be claimed: now for a new event, a
 *   lease deadline while a consumer holds it (a crashed consumer's lease
 *   simply runs out), a backoff deadline after a failed attempt.
 * - `dead_letters`: rows that exhausted their attempts, kept for inspection.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { topicMatches } from './topic.js';

type Database = BetterSqlite3.Database;

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bindings (
  queue TEXT NOT NULL,
  pattern TEXT NOT NULL,
  PRIMARY KEY (queue, pattern)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  event_id TEXT NOT NULL,
  envelope TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  claims INTEGER NOT NULL DEFAULT 0,
  visible_at INTEGER NOT NULL,
  lease_owner TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, id);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  event_id TEXT NOT NULL,
  envelope TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  failed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_queue ON dead_letters (queue, id);
`;

export interface NewMessage {
  readonly type: string;
  readonly eventId: string;
  readonly envelope: string;
}

export interface ClaimedMessage {
  readonly id: number;
  readonly envelope: string;
  readonly attempt: number;
  readonly claims: number;
}

export interface DeadLetterRow {
  readonly queue: string;
  readonly envelope: string;
  readonly attempts: number;
  readonly error: string;
  readonly failed_at: string;
}

export interface OpenStoreOptions {
  /**
   * `normal` (default) survives a crash of any process: a commit is in the
   * WAL before publish resolves. `full` also fsyncs every commit, surviving
   * power loss at a large cost in publish throughput.
   */
  readonly synchronous?: 'normal' | 'full';
}

export class EmbeddedStore {
  private readonly insertMessages;
  private readonly insertBinding;
  private readonly probeVisible;
  private readonly claimMessages;
  private readonly deleteMessage;
  private readonly retryMessage;
  private readonly copyToDeadLetters;
  private readonly extendLeases;
  private readonly nextVisible;
  private readonly countPending;
  private readonly selectDeadLetters;
  private readonly countDeadLettersOf;
  private readonly requeueDeadLetters;
  private readonly deleteDeadLetters;
  private readonly selectBindings;
  private readonly publishTx;
  private readonly ackTx;
  private readonly deadLetterTx;

  constructor(private readonly db: Database) {
    // `DISTINCT queue`: a queue bound by two matching patterns gets one copy, as in AMQP.
    this.insertMessages = db.prepare<[{ type: string; eventId: string; envelope: string; now: number }]>(
      `INSERT INTO messages (queue, event_id, envelope, visible_at)
       SELECT DISTINCT queue, @eventId, @envelope, @now FROM bindings WHERE topic_match(pattern, @type)`,
    );
    this.insertBinding = db.prepare<[string, string]>('INSERT OR IGNORE INTO bindings (queue, pattern) VALUES (?, ?)');
    this.probeVisible = db.prepare<[string, number]>('SELECT 1 FROM messages WHERE queue = ? AND visible_at <= ? LIMIT 1').pluck();
    this.claimMessages = db.prepare<[{ leaseUntil: number; owner: string; queue: string; now: number; limit: number }], ClaimedMessage>(
      `UPDATE messages SET visible_at = @leaseUntil, lease_owner = @owner, claims = claims + 1
       WHERE id IN (SELECT id FROM messages WHERE queue = @queue AND visible_at <= @now ORDER BY id LIMIT @limit)
       RETURNING id, envelope, attempt, claims`,
    );
    this.deleteMessage = db.prepare<[number]>('DELETE FROM messages WHERE id = ?');
    // Guarded by `claims`: a consumer whose lease ran out must not reschedule a row someone else now holds.
    this.retryMessage = db.prepare<[{ id: number; claims: number; visibleAt: number }]>(
      'UPDATE messages SET attempt = attempt + 1, visible_at = @visibleAt, lease_owner = NULL WHERE id = @id AND claims = @claims',
    );
    this.copyToDeadLetters = db.prepare<[{ id: number; claims: number; error: string; failedAt: string }]>(
      `INSERT INTO dead_letters (queue, event_id, envelope, attempts, error, failed_at)
       SELECT queue, event_id, envelope, attempt, @error, @failedAt FROM messages WHERE id = @id AND claims = @claims`,
    );
    this.extendLeases = db.prepare<[{ leaseUntil: number; owner: string; ids: string }]>(
      'UPDATE messages SET visible_at = @leaseUntil WHERE lease_owner = @owner AND id IN (SELECT value FROM json_each(@ids))',
    );
    this.nextVisible = db.prepare<[string, number]>('SELECT min(visible_at) FROM messages WHERE queue = ? AND visible_at > ?').pluck();
    this.countPending = db.prepare<[string]>('SELECT count(*) FROM messages WHERE queue = ?').pluck();
    this.selectDeadLetters = db.prepare<[string, number], DeadLetterRow>(
      'SELECT queue, envelope, attempts, error, failed_at FROM dead_letters WHERE queue = ? ORDER BY id LIMIT ?',
    );
    this.countDeadLettersOf = db.prepare<[string]>('SELECT count(*) FROM dead_letters WHERE queue = ?').pluck();
    // A re-driven event starts over as a first attempt, in the group's own queue only.
    this.requeueDeadLetters = db.prepare<[{ queue: string; eventId: string | null; now: number }]>(
      `INSERT INTO messages (queue, event_id, envelope, visible_at)
       SELECT queue, event_id, envelope, @now FROM dead_letters
       WHERE queue = @queue AND (@eventId IS NULL OR event_id = @eventId) ORDER BY id`,
    );
    this.deleteDeadLetters = db.prepare<[{ queue: string; eventId: string | null }]>(
      'DELETE FROM dead_letters WHERE queue = @queue AND (@eventId IS NULL OR event_id = @eventId)',
    );
    this.selectBindings = db.prepare<[string]>('SELECT pattern FROM bindings WHERE queue = ? ORDER BY pattern').pluck();

    // IMMEDIATE: take the write lock up front, so a concurrent writer makes
    // us wait (busy_timeout) instead of failing on a read→write upgrade.
    this.publishTx = db.transaction((messages: readonly NewMessage[], now: number) => {
      for (const m of messages) this.insertMessages.run({ type: m.type, eventId: m.eventId, envelope: m.envelope, now });
    });
    this.ackTx = db.transaction((ids: readonly number[]) => {
      for (const id of ids) this.deleteMessage.run(id);
    });
    this.deadLetterTx = db.transaction((id: number, claims: number, error: string, failedAt: string) => {
      if (this.copyToDeadLetters.run({ id, claims, error, failedAt }).changes > 0) this.deleteMessage.run(id);
    });
  }

  /** Opens (creating if needed) the database file and its schema. */
  static open(Driver: typeof BetterSqlite3, file: string, options: OpenStoreOptions = {}): EmbeddedStore {
    const db = new Driver(file, { timeout: 10_000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.function('topic_match', { deterministic: true }, (pattern: unknown, key: unknown) =>
        topicMatches(String(pattern), String(key)) ? 1 : 0,
      );
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', SCHEMA_VERSION);
      }).immediate();
      return new EmbeddedStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Changes whenever another connection (process) commits: a cheap check,
   * without touching the tables, of whether there may be something new.
   */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  publish(messages: readonly NewMessage[], now: number): void {
    this.publishTx.immediate(messages, now);
  }

  bind(queue: string, patterns: readonly string[]): void {
    this.db.transaction(() => {
      for (const p of patterns) this.insertBinding.run(queue, p);
    }).immediate();
  }

  /** Leases up to `limit` visible messages of `queue` to `owner` until `leaseUntil`. */
  claim(queue: string, owner: string, limit: number, now: number, leaseUntil: number): ClaimedMessage[] {
    // A read-only probe first, so idle consumers never take the write lock.
    if (this.probeVisible.get(queue, now) === undefined) return [];
    const rows = this.db.transaction(() => this.claimMessages.all({ leaseUntil, owner, queue, now, limit })).immediate();
    return rows.sort((a, b) => a.id - b.id);
  }

  ack(ids: readonly number[]): void {
    this.ackTx.immediate(ids);
  }

  retry(id: number, claims: number, visibleAt: number): void {
    this.db.transaction(() => this.retryMessage.run({ id, claims, visibleAt })).immediate();
  }

  deadLetter(id: number, claims: number, error: string, failedAt: string): void {
    this.deadLetterTx.immediate(id, claims, error, failedAt);
  }

  renewLeases(owner: string, ids: readonly number[], leaseUntil: number): void {
    if (ids.length === 0) return;
    this.db.transaction(() => this.extendLeases.run({ leaseUntil, owner, ids: JSON.stringify(ids) })).immediate();
  }

  /** When the earliest not-yet-visible message of `queue` becomes visible, if any. */
  nextVisibleAt(queue: string, now: number): number | undefined {
    const value = this.nextVisible.get(queue, now) as number | null | undefined;
    return value ?? undefined;
  }

  pending(queue: string): number {
    return this.countPending.get(queue) as number;
  }

  deadLetters(queue: string, limit: number): DeadLetterRow[] {
    return this.selectDeadLetters.all(queue, limit);
  }

  countDeadLetters(queue: string): number {
    return this.countDeadLettersOf.get(queue) as number;
  }

  /** Moves `queue`'s dead letters of `eventId` (every one, for undefined) back to the queue, in one transaction; returns how many. */
  redrive(queue: string, eventId: string | undefined, now: number): number {
    return this.db.transaction(() => {
      const moved = this.requeueDeadLetters.run({ queue, eventId: eventId ?? null, now }).changes;
      this.deleteDeadLetters.run({ queue, eventId: eventId ?? null });
      return moved;
    }).immediate();
  }

  /** The patterns `queue` is bound with. */
  patterns(queue: string): string[] {
    return this.selectBindings.all(queue) as string[];
  }

  close(): void {
    this.db.close();
  }
}
