/**
 * Reads the saga log for operators (the admin surface's `/_msx/sagas`, the
 * dashboard's Sagas page): each saga with its state, timings, steps and
 * errors, newest first. Read-only; it never takes a lease.
 *
 * "Stuck" is what needs a person:
 * - the orchestrator gave up (log status `stuck`: a compensation, or a
 *   forward-only step, kept failing), or
 * - an unfinished saga nobody drives: its lease expired more than
 *   `orphanedAfterMs` ago (every live orchestrator sweeps for those every
 *   couple of seconds, so no orchestrator of this saga is running), or
 * - an unfinished saga whose log has not moved for `idleAfterMs` (a step
 *   hangs longer than its timeouts and retries allow).
 * Times are compared with the database's clock, never the reader's.
 */
import type { Database } from '../data/database.js';
import type { SagaFailure, StepEvent } from './saga-log.js';

export type SagaState = 'running' | 'compensating' | 'stuck' | 'completed' | 'compensated';

export interface SagaStepView {
  readonly name: string;
  /** `pending`, `running`, `completed`, `failed`, `compensating`, `compensated`, `compensation_failed`. */
  readonly state: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly error?: string;
}

export interface SagaView {
  readonly id: string;
  readonly saga: string;
  readonly state: SagaState;
  /** Why it counts as stuck. */
  readonly stuckReason?: string;
  readonly startedAt: string;
  /** Its last progress: the newest trail entry or status change. */
  readonly updatedAt: string;
  readonly steps: readonly SagaStepView[];
  readonly failure: SagaFailure | null;
  readonly error?: string;
}

export interface SagaQuery {
  /** Only sagas in this state (stuck included as derived above). */
  readonly state?: SagaState;
  /** Only sagas of this name. */
  readonly saga?: string;
  /** Newest first, at most this many. Default 100, at most 1000. */
  readonly limit?: number;
  /** Default 15000. */
  readonly orphanedAfterMs?: number;
  /** Default 120000. */
  readonly idleAfterMs?: number;
  /** Step names by saga name, so steps not yet started are listed as `pending`. */
  readonly stepsOf?: ReadonlyMap<string, readonly string[]>;
}

interface SagaRow {
  id: string;
  name: string;
  status: string;
  failure: SagaFailure | null;
  created_at: Date;
  progressed_at: Date;
  lease_expired_ms: number | null;
  idle_ms: number;
}

interface StepRow {
  saga_id: string;
  step: string;
  event: StepEvent;
  data: { reason?: string; stuck?: boolean };
  at: Date;
}

const UNFINISHED = ['running', 'compensating'];

export async function querySagas(db: Database, query: SagaQuery = {}): Promise<SagaView[]> {
  const limit = Math.min(1000, Math.max(1, Math.floor(query.limit ?? 100)));
  const orphanedAfterMs = query.orphanedAfterMs ?? 15_000;
  const idleAfterMs = query.idleAfterMs ?? 120_000;
  // A stuck filter must look at the unfinished too: "stuck" is partly derived.
  const statuses = query.state === undefined ? null : query.state === 'stuck' ? ['stuck', ...UNFINISHED] : [query.state];
  const { rows } = await db.query<SagaRow>(
    `SELECT s.id, s.name, s.status, s.failure, s.created_at,
            greatest(s.updated_at, coalesce(max(t.at), s.updated_at)) AS progressed_at,
            CASE WHEN s.lease_until IS NULL THEN NULL ELSE EXTRACT(EPOCH FROM now() - s.lease_until) * 1000 END AS lease_expired_ms,
            EXTRACT(EPOCH FROM now() - greatest(s.updated_at, coalesce(max(t.at), s.updated_at))) * 1000 AS idle_ms
       FROM msx_saga s LEFT JOIN msx_saga_step t ON t.saga_id = s.id
      WHERE ($1::text[] IS NULL OR s.status = ANY($1::text[])) AND ($2::text IS NULL OR s.name = $2)
      GROUP BY s.id
      ORDER BY s.created_at DESC, s.id
      LIMIT $3`,
    [statuses, query.saga ?? null, limit],
  );
  const trails = new Map<string, StepRow[]>();
  if (rows.length > 0) {
    const steps = await db.query<StepRow>('SELECT saga_id, step, event, data, at FROM msx_saga_step WHERE saga_id = ANY($1::text[]) ORDER BY seq', [rows.map((r) => r.id)]);
    for (const step of steps.rows) {
      const list = trails.get(step.saga_id) ?? [];
      list.push(step);
      trails.set(step.saga_id, list);
    }
  }
  const views = rows.map((row) => toView(row, trails.get(row.id) ?? [], query.stepsOf?.get(row.name), orphanedAfterMs, idleAfterMs));
  return query.state === undefined ? views : views.filter((view) => view.state === query.state);
}

function toView(row: SagaRow, trail: readonly StepRow[], definedSteps: readonly string[] | undefined, orphanedAfterMs: number, idleAfterMs: number): SagaView {
  const steps = foldSteps(trail, definedSteps);
  let state = row.status as SagaState;
  let stuckReason: string | undefined;
  if (row.status === 'stuck') {
    stuckReason = 'the orchestrator gave up: a step kept failing after its retries; it needs an operator';
  } else if (UNFINISHED.includes(row.status)) {
    const leaseExpiredMs = row.lease_expired_ms === null ? undefined : Number(row.lease_expired_ms);
    if (leaseExpiredMs === undefined || leaseExpiredMs > orphanedAfterMs) {
      state = 'stuck';
      stuckReason = `no orchestrator drives it: its lease ran out ${leaseExpiredMs === undefined ? 'long' : `${Math.round(leaseExpiredMs / 1000)} s`} ago (is its service running?)`;
    } else if (Number(row.idle_ms) > idleAfterMs) {
      state = 'stuck';
      stuckReason = `no progress for ${Math.round(Number(row.idle_ms) / 1000)} s`;
    }
  }
  const failed = [...steps].reverse().find((s) => s.error !== undefined);
  const error = failed?.error ?? row.failure?.reason;
  return {
    id: row.id,
    saga: row.name,
    state,
    ...(stuckReason ? { stuckReason } : {}),
    startedAt: row.created_at.toISOString(),
    updatedAt: row.progressed_at.toISOString(),
    steps,
    failure: row.failure,
    ...(error ? { error } : {}),
  };
}

/** Each step's latest state from the append-only trail, in the definition's order when known. */
function foldSteps(trail: readonly StepRow[], definedSteps: readonly string[] | undefined): SagaStepView[] {
  const byName = new Map<string, { name: string; state: string; startedAt?: string; endedAt?: string; error?: string }>();
  for (const name of definedSteps ?? []) byName.set(name, { name, state: 'pending' });
  for (const row of trail) {
    const step = byName.get(row.step) ?? { name: row.step, state: 'pending' };
    byName.set(row.step, step);
    const at = row.at.toISOString();
    switch (row.event) {
      case 'started':
        step.state = 'running';
        step.startedAt ??= at;
        delete step.endedAt;
        break;
      case 'completed':
        step.state = 'completed';
        step.endedAt = at;
        break;
      case 'failed':
        step.state = 'failed';
        step.endedAt = at;
        if (row.data.reason !== undefined) step.error = String(row.data.reason);
        break;
      case 'compensation_started':
        step.state = 'compensating';
        break;
      case 'compensated':
        step.state = 'compensated';
        step.endedAt = at;
        break;
      case 'compensation_failed':
        step.state = 'compensation_failed';
        step.endedAt = at;
        if (row.data.reason !== undefined) step.error = String(row.data.reason);
        break;
    }
  }
  return [...byName.values()];
}
