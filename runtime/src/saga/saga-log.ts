/**
 * The durable saga log in the orchestrating service's database: one row
 * per saga in `msx_saga` (status, input, step results, failure, lease) and
 * an append-only trail in `msx_saga_step`, written before and after every
 * step and compensation. Resuming reads the trail to know what is done.
 *
 * A lease (`lease_owner`, `lease_until`) says which orchestrator instance
 * drives a saga; every write of a step's progress is fenced by it, so an
 * instance that lost its lease (paused too long) cannot overwrite the new
 * owner's progress. Leases are taken in one statement (`UPDATE … WHERE
 * lease_until < now() … RETURNING`, rows picked with SKIP LOCKED), so two
 * instances sweeping at once never both take the same saga.
 */
import type { Database, Queryable } from '../data/database.js';
import { applyRuntimeSchema } from '../data/runtime-schema.js';

export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'stuck';
export type StepEvent = 'started' | 'completed' | 'failed' | 'compensation_started' | 'compensated' | 'compensation_failed';

export interface SagaFailure {
  readonly step: string;
  readonly reason: string;
  /** `StepRejectedError.code`, or `STEP_FAILED` when retries of a transient failure ran out. */
  readonly code: string;
  readonly status?: number;
  /** True for a business rejection (the step's action did not apply). */
  readonly permanent: boolean;
}

export interface SagaRecord {
  readonly id: string;
  readonly name: string;
  readonly status: SagaStatus;
  readonly input: unknown;
  readonly results: Record<string, unknown>;
  readonly failure: SagaFailure | null;
}

export interface StepTrail {
  readonly completed: ReadonlySet<string>;
  /** Steps whose action failed transiently (outcome unknown: they are compensated too). */
  readonly failedUnknown: ReadonlySet<string>;
  readonly compensated: ReadonlySet<string>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS msx_saga (
  id          text        PRIMARY KEY,
  name        text        NOT NULL,
  status      text        NOT NULL,
  input       jsonb       NOT NULL,
  results     jsonb       NOT NULL DEFAULT '{}',
  failure     jsonb,
  lease_owner text,
  lease_until timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS msx_saga_unfinished ON msx_saga (lease_until) WHERE status IN ('running', 'compensating');
CREATE TABLE IF NOT EXISTS msx_saga_step (
  seq     bigserial   PRIMARY KEY,
  saga_id text        NOT NULL REFERENCES msx_saga (id),
  step    text        NOT NULL,
  event   text        NOT NULL,
  data    jsonb       NOT NULL DEFAULT '{}',
  at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS msx_saga_step_saga ON msx_saga_step (saga_id, seq);`;

const LEASE = `now() + $2 * interval '1 millisecond'`;

export class SagaLog {
  private constructor(readonly db: Database, readonly owner: string, readonly leaseMs: number) {}

  static async open(db: Database, owner: string, leaseMs: number): Promise<SagaLog> {
    await applyRuntimeSchema(db, SCHEMA);
    return new SagaLog(db, owner, leaseMs);
  }

  /** Creates the saga leased to this instance, in `on` (a transaction of the caller's) or on its own; `false` if the id exists already. */
  async create(id: string, name: string, input: unknown, on: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await on.query(
      `INSERT INTO msx_saga (id, name, status, input, lease_owner, lease_until) VALUES ($1, $3, 'running', $4, $5, ${LEASE}) ON CONFLICT (id) DO NOTHING`,
      [id, this.leaseMs, name, JSON.stringify(input), this.owner],
    );
    return rowCount === 1;
  }

  async get(id: string): Promise<SagaRecord | undefined> {
    const { rows } = await this.db.query<SagaRecord>('SELECT id, name, status, input, results, failure FROM msx_saga WHERE id = $1', [id]);
    return rows[0];
  }

  /** Takes the lease of an unfinished saga whose lease expired (or is ours). */
  async claim(id: string): Promise<SagaRecord | undefined> {
    const { rows } = await this.db.query<SagaRecord>(
      `UPDATE msx_saga SET lease_owner = $3, lease_until = ${LEASE}
       WHERE id = $1 AND status IN ('running', 'compensating') AND (lease_owner = $3 OR lease_until IS NULL OR lease_until < now())
       RETURNING id, name, status, input, results, failure`,
      [id, this.leaseMs, this.owner],
    );
    return rows[0];
  }

  /**
   * Takes the leases of up to `limit` unfinished sagas nobody holds a live
   * lease on (their owner died or stopped), oldest first, skipping rows
   * another instance is claiming at this moment and the ids in `except`.
   * Only sagas named in `names` are taken: an instance that does not know a
   * saga (an older version during a rolling upgrade) must leave it to one
   * that can drive it, not hold its lease.
   */
  async claimOrphans(limit: number, except: readonly string[], names: readonly string[]): Promise<SagaRecord[]> {
    const { rows } = await this.db.query<SagaRecord>(
      `UPDATE msx_saga SET lease_owner = $3, lease_until = ${LEASE}
       WHERE id IN (
         SELECT id FROM msx_saga
         WHERE status IN ('running', 'compensating') AND (lease_until IS NULL OR lease_until < now()) AND NOT (id = ANY($4::text[])) AND name = ANY($5::text[])
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       AND status IN ('running', 'compensating') AND (lease_until IS NULL OR lease_until < now())
       RETURNING id, name, status, input, results, failure`,
      [limit, this.leaseMs, this.owner, except, names],
    );
    return rows;
  }

  /** Extends this instance's leases on `ids`; returns the ids it still holds (a missing one was taken over). */
  async renew(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await this.db.query<{ id: string }>(
      `UPDATE msx_saga SET lease_until = ${LEASE} WHERE id = ANY($1::text[]) AND lease_owner = $3 AND status IN ('running', 'compensating') RETURNING id`,
      [ids, this.leaseMs, this.owner],
    );
    return new Set(rows.map((row) => row.id));
  }

  async trail(id: string): Promise<StepTrail> {
    const { rows } = await this.db.query<{ step: string; event: StepEvent; data: { permanent?: boolean } }>('SELECT step, event, data FROM msx_saga_step WHERE saga_id = $1 ORDER BY seq', [id]);
    const completed = new Set<string>();
    const failedUnknown = new Set<string>();
    const compensated = new Set<string>();
    for (const row of rows) {
      if (row.event === 'completed') completed.add(row.step);
      if (row.event === 'failed' && row.data.permanent !== true) failedUnknown.add(row.step);
      if (row.event === 'compensated') compensated.add(row.step);
    }
    return { completed, failedUnknown, compensated };
  }

  /** Appends to the trail while this instance holds the saga's lease. Returns false when the lease was lost. */
  async record(id: string, step: string, event: StepEvent, data: Record<string, unknown> = {}): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO msx_saga_step (saga_id, step, event, data)
       SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM msx_saga WHERE id = $1 AND lease_owner = $5)`,
      [id, step, event, JSON.stringify(data), this.owner],
    );
    return rowCount === 1;
  }

  /** Logs a step's completion and its result in one transaction. Returns false when the lease was lost. */
  async completeStep(id: string, step: string, result: unknown): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        `UPDATE msx_saga SET results = results || jsonb_build_object($2::text, $3::jsonb), updated_at = now() WHERE id = $1 AND lease_owner = $4`,
        [id, step, JSON.stringify(result ?? null), this.owner],
      );
      if (rowCount === 0) return false;
      await tx.query('INSERT INTO msx_saga_step (saga_id, step, event, data) VALUES ($1, $2, $3, $4)', [id, step, 'completed', JSON.stringify({ result: result ?? null })]);
      return true;
    });
  }

  /** Logs a step failure and turns the saga to compensating, in one transaction. */
  async failStep(id: string, failure: SagaFailure): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        `UPDATE msx_saga SET status = 'compensating', failure = $2, updated_at = now() WHERE id = $1 AND lease_owner = $3 AND status = 'running'`,
        [id, JSON.stringify(failure), this.owner],
      );
      if (rowCount === 0) return false;
      await tx.query('INSERT INTO msx_saga_step (saga_id, step, event, data) VALUES ($1, $2, $3, $4)', [id, failure.step, 'failed', JSON.stringify(failure)]);
      return true;
    });
  }

  /** Sets a final (or stuck) status and drops the lease. */
  async finish(id: string, status: Exclude<SagaStatus, 'running' | 'compensating'>): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE msx_saga SET status = $2, lease_owner = NULL, lease_until = NULL, updated_at = now() WHERE id = $1 AND lease_owner = $3`,
      [id, status, this.owner],
    );
    return rowCount === 1;
  }

  async countStuck(): Promise<{ name: string; n: number }[]> {
    const { rows } = await this.db.query<{ name: string; n: number }>(`SELECT name, count(*) AS n FROM msx_saga WHERE status = 'stuck' GROUP BY name`);
    return rows;
  }
}
