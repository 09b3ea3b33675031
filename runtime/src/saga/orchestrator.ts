/**
 * Drives sagas to an end, durably. Before every step or compensation it
 * logs "started", after it "completed"/"failed"/"compensated", so a crash
 * anywhere leaves a log from which another drive carries on: an unfinished
 * step is run again with the same idempotency key; a compensating saga
 * compensates what is left, in reverse order.
 *
 * Who carries on: every orchestrator sweeps the log continuously (every
 * `sweepIntervalMs`, jittered so instances do not sweep in step) and takes
 * over each unfinished saga whose lease expired — its owner died, or was
 * stopped — without waiting for a restart. An owner renews the leases of
 * the sagas it drives every third of `leaseMs` while their steps run, so a
 * long step is not taken from a live owner; an owner that finds a lease
 * gone (it stalled longer than the lease) abandons that saga's step at
 * once. Each orchestrator has a fresh owner id, so a restarted instance
 * treats its predecessor's leases as anyone else's.
 *
 * Steps run under cockatiel policies: a timeout per attempt inside a retry
 * with exponential backoff for transient failures. A `StepRejectedError`
 * (business "no") or a 4xx answer is not retried: compensation starts at once.
 * Compensations are retried with backoff up to `compensationRetry`; when
 * that runs out the saga is marked `stuck` (logged, `saga_stuck_total`,
 * gauge `saga_stuck`) for an operator.
 *
 * Step policies come from `runtime/src/resilience` (step-policy.ts), with
 * its shared failure classification and defaults, built once per step
 * definition. The client's policy stack is not used for a whole step: its
 * breaker is per called service and a step is a unit of saga logic that may
 * call several services, each through the service client with that stack.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Registry } from 'prom-client';
import type { Database, Transaction } from '../data/database.js';
import { RESILIENCE_DEFAULTS } from '../resilience/defaults.js';
import { createStepPolicy, type StepPolicy } from '../resilience/step-policy.js';
import { SagaError } from './errors/saga-error.js';
import { isStepRejection } from './errors/step-rejected-error.js';
import type { RetrySettings, SagaDefinition, SagaStep, StepContext } from './saga-definition.js';
import { SagaLog, type SagaFailure, type SagaRecord } from './saga-log.js';
import { createSagaMetrics, type SagaMetrics } from './saga-metrics.js';
import { exposeSagas } from '../admin/admin-sources.js';

export interface SagaOutcome {
  readonly sagaId: string;
  readonly name: string;
  /** `completed`: every step done. `compensated`: a step failed and every completed step was undone. `stuck`: a compensation kept failing. */
  readonly status: 'completed' | 'compensated' | 'stuck';
  /** Step results by step name. */
  readonly results: Readonly<Record<string, unknown>>;
  /** Why it did not complete. */
  readonly failure?: SagaFailure;
}

export interface SagaLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OrchestratorOptions {
  readonly db: Database;
  /** Every saga this service may start or resume. */
  readonly sagas: readonly SagaDefinition<never>[];
  /** Default timeout of one step attempt, ms. Default 10000. */
  readonly stepTimeoutMs?: number;
  /** Default retry of transient step failures. Default 3 attempts, 200 ms doubling to 5 s. */
  readonly stepRetry?: RetrySettings;
  /** Retry of compensations before the saga is marked stuck. Default 10 attempts, 200 ms doubling to 10 s. */
  readonly compensationRetry?: RetrySettings;
  /** How long another instance waits before taking over a saga this one stopped driving, ms. Default 10000. */
  readonly leaseMs?: number;
  /**
   * How often this instance looks for sagas whose lease expired and takes
   * them over, ms (each wait jittered between half and one and a half of it).
   * Default min(2000, leaseMs / 2); 0 turns the sweep off (then only
   * `resume()` takes over).
   */
  readonly sweepIntervalMs?: number;
  /** Sagas `resume()` and the sweep take over at once. Default 10. */
  readonly resumeConcurrency?: number;
  readonly registry?: Registry;
  /** Default: silent. */
  readonly logger?: SagaLogger;
}

type AnyDefinition = SagaDefinition<unknown>;

type ResolvedOptions = Required<Pick<OrchestratorOptions, 'stepTimeoutMs' | 'leaseMs' | 'sweepIntervalMs' | 'resumeConcurrency'>> & {
  readonly stepRetry: Required<RetrySettings>;
  readonly compensationRetry: Required<RetrySettings>;
};

const SILENT: SagaLogger = { info() {}, warn() {}, error() {} };

/** One saga this instance drives now: its outcome, and how to abandon it when its lease is lost. */
interface Drive {
  readonly outcome: Promise<SagaOutcome>;
  readonly abort: AbortController;
}

export class SagaOrchestrator {
  readonly #log: SagaLog;
  readonly #definitions: ReadonlyMap<string, AnyDefinition>;
  readonly #options: ResolvedOptions;
  readonly #metrics: SagaMetrics;
  readonly #logger: SagaLogger;
  readonly #inFlight = new Map<string, Drive>();
  readonly #abort = new AbortController();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #hideFromAdmin: () => void;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Sagas the sweep took over that are still being driven (bounded by `resumeConcurrency`). */
  #sweeping = 0;
  /** Policies per step definition, built on the step's first run. */
  readonly #stepPolicies = new WeakMap<SagaStep<unknown>, StepPolicy>();
  readonly #compensationPolicies = new WeakMap<SagaStep<unknown>, StepPolicy>();

  private constructor(log: SagaLog, options: OrchestratorOptions, resolved: ResolvedOptions) {
    this.#log = log;
    this.#options = resolved;
    this.#definitions = new Map(options.sagas.map((saga) => [saga.name, saga as unknown as AnyDefinition]));
    // Every in-flight step attempt listens on this one signal; more than 10 is normal, not a leak.
    setMaxListeners(0, this.#abort.signal);
    this.#metrics = createSagaMetrics(log, options.registry);
    this.#logger = options.logger ?? SILENT;
    this.#heartbeat = setInterval(() => void this.#renewLeases(), Math.max(50, Math.floor(resolved.leaseMs / 3)));
    this.#heartbeat.unref();
    if (resolved.sweepIntervalMs > 0) this.#scheduleSweep();
    this.#hideFromAdmin = exposeSagas(options.registry, {
      db: options.db,
      stepsOf: new Map(options.sagas.map((saga) => [saga.name, saga.steps.map((step) => step.name)])),
    });
  }

  /** This instance's lease owner id in the saga log. */
  get owner(): string {
    return this.#log.owner;
  }

  /**
   * Opens the saga log (creating its tables), validates the options and
   * starts the sweep that takes over sagas whose lease expired. `resume()`
   * at start-up additionally waits for what is left over.
   */
  static async create(options: OrchestratorOptions): Promise<SagaOrchestrator> {
    const leaseMs = positiveInt('leaseMs', options.leaseMs, 10_000);
    const resolved = {
      stepTimeoutMs: positiveInt('stepTimeoutMs', options.stepTimeoutMs, RESILIENCE_DEFAULTS.saga.stepTimeoutMs),
      leaseMs,
      sweepIntervalMs: nonNegativeInt('sweepIntervalMs', options.sweepIntervalMs, Math.min(2000, Math.max(50, Math.floor(leaseMs / 2)))),
      resumeConcurrency: positiveInt('resumeConcurrency', options.resumeConcurrency, 10),
      stepRetry: retrySettings('stepRetry', options.stepRetry, RESILIENCE_DEFAULTS.saga.stepRetry),
      compensationRetry: retrySettings('compensationRetry', options.compensationRetry, RESILIENCE_DEFAULTS.saga.compensationRetry),
    };
    const names = new Set<string>();
    for (const saga of options.sagas ?? []) {
      if (names.has(saga.name)) throw new SagaError('SAGA_INVALID', `Two sagas are named "${saga.name}"`);
      names.add(saga.name);
    }
    const log = await SagaLog.open(options.db, randomUUID(), resolved.leaseMs);
    return new SagaOrchestrator(log, options, resolved);
  }

  /**
   * Starts a saga and resolves with its outcome once it completed or was
   * compensated (or got stuck). With `id` (e.g. the order id or the
   * request's idempotency key) a repeated start returns the first one's
   * outcome instead of starting again.
   * @throws SagaError `SAGA_UNKNOWN`, `SAGA_IN_PROGRESS` (another instance drives that id now), `SAGA_STOPPED`
   */
  async start<I>(definition: SagaDefinition<I>, input: I, options: { id?: string } = {}): Promise<SagaOutcome> {
    const known = this.#known(definition);
    const id = options.id ?? randomUUID();
    const running = this.#inFlight.get(id);
    if (running) return running.outcome;
    if (await this.#log.create(id, definition.name, input)) {
      this.#metrics.started(definition.name);
      return this.#track(id, (signal) => this.#drive(known, { id, name: definition.name, status: 'running', input, results: {}, failure: null }, signal));
    }
    return this.run(id);
  }

  /**
   * Records the start of a saga inside the caller's transaction, so the
   * saga exists if and only if the caller's own writes (the order it is
   * about) commit. Nothing runs yet: call `run(id)` once `tx` committed.
   * If this process dies in between, the saga's lease expires and any
   * instance's sweep drives it. Returns the saga id (a repeated `begin`
   * with the same id records nothing new).
   *
   *   await db.transaction(async (tx) => {
   *     await orders.save(order, { tx });
   *     await sagas.begin(orderSaga, input, { tx, id: order.id });
   *   });
   *   const outcome = await sagas.run(order.id);
   *
   * @throws SagaError `SAGA_UNKNOWN`, `SAGA_STOPPED`
   */
  async begin<I>(definition: SagaDefinition<I>, input: I, options: { tx: Transaction; id?: string }): Promise<string> {
    this.#known(definition);
    this.#assertRunning();
    const id = options.id ?? randomUUID();
    if (await this.#log.create(id, definition.name, input, options.tx)) {
      options.tx.onCommit(() => this.#metrics.started(definition.name));
    }
    return id;
  }

  /**
   * Drives the saga `id` (begun with `begin`, or left unfinished) and
   * resolves with its outcome; a finished saga's outcome at once.
   * @throws SagaError `SAGA_NOT_FOUND`, `SAGA_IN_PROGRESS` (another instance drives it now), `SAGA_UNKNOWN`, `SAGA_STOPPED`
   */
  async run(id: string): Promise<SagaOutcome> {
    const running = this.#inFlight.get(id);
    if (running) return running.outcome;
    this.#assertRunning();
    const existing = await this.#log.get(id);
    if (!existing) throw new SagaError('SAGA_NOT_FOUND', `No saga "${id}" in the saga log`);
    if (existing.status !== 'running' && existing.status !== 'compensating') return toOutcome(existing, existing.status);
    const claimed = await this.#log.claim(id);
    if (!claimed) throw new SagaError('SAGA_IN_PROGRESS', `Saga "${id}" is being driven by another instance`);
    return this.#track(id, (signal) => this.#drive(this.#definitionOf(claimed), claimed, signal));
  }

  /**
   * Drives every unfinished saga that no live instance holds (all of them
   * at start-up after a crash, once the crashed instance's leases expired)
   * to completion or full compensation. Resolves with their outcomes. The
   * sweep does the same continuously; this waits for what is there now.
   */
  async resume(): Promise<SagaOutcome[]> {
    const outcomes: SagaOutcome[] = [];
    for (;;) {
      this.#assertRunning();
      const claimed = await this.#log.claimOrphans(this.#options.resumeConcurrency, [...this.#inFlight.keys()], [...this.#definitions.keys()]);
      if (claimed.length === 0) return outcomes;
      const batch = await Promise.all(claimed.map((record) => this.#takeOver(record)));
      for (const outcome of batch) if (outcome) outcomes.push(outcome);
    }
  }

  /** Stops driving: the sweep ends and in-flight steps are abandoned (their sagas resume elsewhere once the lease expires). */
  async stop(): Promise<void> {
    this.#abort.abort(new SagaError('SAGA_STOPPED', 'The saga orchestrator was stopped'));
    clearInterval(this.#heartbeat);
    clearTimeout(this.#sweepTimer);
    this.#hideFromAdmin();
    await Promise.allSettled([...this.#inFlight.values()].map((drive) => drive.outcome));
  }

  /** Drives a saga whose lease this instance just took from a dead or stopped owner; failures are logged, not thrown. */
  #takeOver(record: SagaRecord): Promise<SagaOutcome | undefined> {
    this.#logger.info({ sagaId: record.id, saga: record.name, status: record.status }, 'taking over an unfinished saga');
    let definition: AnyDefinition;
    try {
      definition = this.#definitionOf(record);
    } catch (error) {
      this.#logger.error({ err: error, sagaId: record.id }, 'cannot resume a saga of an unknown kind');
      return Promise.resolve(undefined);
    }
    return this.#track(record.id, (signal) => this.#drive(definition, record, signal)).catch((error: unknown) => {
      this.#logger.warn({ err: error, sagaId: record.id }, 'resumed saga stopped before its end');
      return undefined;
    });
  }

  #scheduleSweep(): void {
    const interval = this.#options.sweepIntervalMs;
    this.#sweepTimer = setTimeout(() => void this.#sweep().finally(() => {
      if (!this.#abort.signal.aborted) this.#scheduleSweep();
    }), Math.round(interval * (0.5 + Math.random())));
    this.#sweepTimer.unref();
  }

  /** One pass: takes over as many expired sagas as `resumeConcurrency` leaves room for, and drives them without waiting. */
  async #sweep(): Promise<void> {
    const room = this.#options.resumeConcurrency - this.#sweeping;
    if (room <= 0 || this.#abort.signal.aborted) return;
    let claimed: SagaRecord[];
    try {
      claimed = await this.#log.claimOrphans(room, [...this.#inFlight.keys()], [...this.#definitions.keys()]);
    } catch (error) {
      this.#logger.warn({ err: error }, 'saga sweep failed; retrying at the next one');
      return;
    }
    for (const record of claimed) {
      this.#sweeping++;
      void this.#takeOver(record).finally(() => this.#sweeping--);
    }
  }

  /** Extends the leases of the sagas driven here; abandons the step of any whose lease another instance took. */
  async #renewLeases(): Promise<void> {
    const ids = [...this.#inFlight.keys()];
    if (ids.length === 0) return;
    let held: Set<string>;
    try {
      held = await this.#log.renew(ids);
    } catch (error) {
      this.#logger.warn({ err: error }, 'saga lease renewal failed');
      return;
    }
    for (const id of ids) {
      const drive = this.#inFlight.get(id);
      if (held.has(id) || drive === undefined || drive.abort.signal.aborted) continue;
      this.#logger.warn({ sagaId: id }, 'saga lease lost (this instance stalled past it); another instance drives the saga now');
      drive.abort.abort(leaseLost(id));
    }
  }

  #known(definition: SagaDefinition<never>): AnyDefinition {
    const known = this.#definitions.get(definition.name);
    if (known === undefined) throw new SagaError('SAGA_UNKNOWN', `Saga "${definition.name}" is not among the orchestrator's \`sagas\``);
    return known;
  }

  #definitionOf(record: SagaRecord): AnyDefinition {
    const definition = this.#definitions.get(record.name);
    if (!definition) throw new SagaError('SAGA_UNKNOWN', `Saga "${record.id}" is a "${record.name}", which is not among the orchestrator's \`sagas\``);
    return definition;
  }

  #track(id: string, drive: (signal: AbortSignal) => Promise<SagaOutcome>): Promise<SagaOutcome> {
    const abort = new AbortController();
    const outcome = drive(AbortSignal.any([this.#abort.signal, abort.signal])).finally(() => {
      if (this.#inFlight.get(id)?.abort === abort) this.#inFlight.delete(id);
    });
    this.#inFlight.set(id, { outcome, abort });
    return outcome;
  }

  async #drive(definition: AnyDefinition, record: SagaRecord, signal: AbortSignal): Promise<SagaOutcome> {
    const trail = await this.#log.trail(record.id);
    const results: Record<string, unknown> = { ...record.results };
    let failure = record.failure;

    if (record.status === 'running') {
      for (const step of definition.steps) {
        if (trail.completed.has(step.name)) continue;
        assertDriving(signal);
        if (!(await this.#log.record(record.id, step.name, 'started'))) throw leaseLost(record.id);
        try {
          const result = await this.#runStep(step, stepContext(record, results, `${record.id}:${step.name}`), signal);
          if (!(await this.#log.completeStep(record.id, step.name, result))) throw leaseLost(record.id);
          results[step.name] = result ?? null;
        } catch (error) {
          if (signal.aborted) throw signal.reason ?? error;
          if (isLeaseLost(error)) throw error;
          if (step.forwardOnly && !isStepRejection(error)) {
            return this.#markStuck(definition, record, step.name, error, results, describeFailure(step.name, error), 'failed');
          }
          failure = describeFailure(step.name, error);
          this.#logger.warn({ sagaId: record.id, saga: definition.name, step: step.name, failure }, 'saga step failed; compensating');
          if (!(await this.#log.failStep(record.id, failure))) throw leaseLost(record.id);
          if (!failure.permanent) (trail.failedUnknown as Set<string>).add(step.name);
          break;
        }
      }
      if (failure === null) {
        if (!(await this.#log.finish(record.id, 'completed'))) throw leaseLost(record.id);
        this.#metrics.finished(definition.name, 'completed');
        return { sagaId: record.id, name: definition.name, status: 'completed', results };
      }
    }

    const done = new Set([...trail.completed, ...Object.keys(results)]);
    for (const step of [...definition.steps].reverse()) {
      const needsUndo = done.has(step.name) || trail.failedUnknown.has(step.name);
      if (!needsUndo || trail.compensated.has(step.name)) continue;
      assertDriving(signal);
      if (step.compensation) {
        if (!(await this.#log.record(record.id, step.name, 'compensation_started'))) throw leaseLost(record.id);
        try {
          await this.#runCompensation(step, stepContext(record, results, `${record.id}:${step.name}:compensation`), signal);
        } catch (error) {
          if (signal.aborted) throw signal.reason ?? error;
          return this.#markStuck(definition, record, step.name, error, results, failure, 'compensation_failed');
        }
      }
      if (!(await this.#log.record(record.id, step.name, 'compensated'))) throw leaseLost(record.id);
    }
    if (!(await this.#log.finish(record.id, 'compensated'))) throw leaseLost(record.id);
    this.#metrics.finished(definition.name, 'compensated');
    return { sagaId: record.id, name: definition.name, status: 'compensated', results, ...(failure ? { failure } : {}) };
  }

  /** Gives up on a saga that retries could not finish: logged, counted, left for an operator. */
  async #markStuck(definition: AnyDefinition, record: SagaRecord, step: string, error: unknown, results: Record<string, unknown>, failure: SagaFailure | null, event: 'failed' | 'compensation_failed'): Promise<SagaOutcome> {
    if (!(await this.#log.record(record.id, step, event, { reason: errorMessage(error), stuck: true }))) throw leaseLost(record.id);
    if (!(await this.#log.finish(record.id, 'stuck'))) throw leaseLost(record.id);
    this.#metrics.stuck(definition.name);
    this.#metrics.finished(definition.name, 'stuck');
    this.#logger.error({ sagaId: record.id, saga: definition.name, step, err: error }, event === 'failed'
      ? 'saga stuck: a forward-only step kept failing; it needs an operator'
      : 'saga stuck: a compensation kept failing; it needs an operator');
    return { sagaId: record.id, name: definition.name, status: 'stuck', results, ...(failure ? { failure } : {}) };
  }

  #runStep(step: SagaStep<unknown>, context: Omit<StepContext<unknown>, 'signal' | 'attempt'>, drive: AbortSignal): Promise<unknown> {
    let policy = this.#stepPolicies.get(step);
    if (policy === undefined) {
      const settings = step.forwardOnly
        ? this.#options.compensationRetry
        : step.retry ? retrySettings(`step ${step.name} retry`, step.retry, this.#options.stepRetry) : this.#options.stepRetry;
      policy = createStepPolicy(settings, step.timeoutMs ?? this.#options.stepTimeoutMs, 'classified');
      this.#stepPolicies.set(step, policy);
    }
    return policy.execute(({ signal, attempt }: { signal: AbortSignal; attempt?: number }) => step.action({ ...context, signal, attempt: (attempt ?? 0) + 1 }), drive);
  }

  #runCompensation(step: SagaStep<unknown>, context: Omit<StepContext<unknown>, 'signal' | 'attempt'>, drive: AbortSignal): Promise<unknown> {
    let policy = this.#compensationPolicies.get(step);
    if (policy === undefined) {
      policy = createStepPolicy(this.#options.compensationRetry, step.timeoutMs ?? this.#options.stepTimeoutMs, 'always');
      this.#compensationPolicies.set(step, policy);
    }
    return policy.execute(({ signal, attempt }: { signal: AbortSignal; attempt?: number }) => step.compensation!({ ...context, signal, attempt: (attempt ?? 0) + 1 }), drive);
  }

  #assertRunning(): void {
    if (this.#abort.signal.aborted) throw new SagaError('SAGA_STOPPED', 'The saga orchestrator was stopped');
  }
}

/** Throws why a drive must end: the orchestrator stopped, or another instance took the saga's lease. */
function assertDriving(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new SagaError('SAGA_STOPPED', 'The saga orchestrator was stopped');
}

function stepContext(record: SagaRecord, results: Record<string, unknown>, idempotencyKey: string): Omit<StepContext<unknown>, 'signal' | 'attempt'> {
  return { sagaId: record.id, input: record.input, results, idempotencyKey };
}

function describeFailure(step: string, error: unknown): SagaFailure {
  if (isStepRejection(error)) {
    return { step, reason: errorMessage(error), code: error.code, ...(error.status === undefined ? {} : { status: error.status }), permanent: true };
  }
  return { step, reason: errorMessage(error), code: 'STEP_FAILED', permanent: false };
}

function toOutcome(record: SagaRecord, status: 'completed' | 'compensated' | 'stuck'): SagaOutcome {
  return { sagaId: record.id, name: record.name, status, results: record.results, ...(record.failure ? { failure: record.failure } : {}) };
}

function leaseLost(id: string): SagaError {
  return new SagaError('SAGA_IN_PROGRESS', `Saga "${id}": this instance lost its lease; another instance drives it now`);
}

function isLeaseLost(error: unknown): boolean {
  return error instanceof SagaError && error.code === 'SAGA_IN_PROGRESS';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new SagaError('SAGA_INVALID', `Expected the \`${name}\` option to be a positive integer, got ${String(value)}`);
  return value;
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new SagaError('SAGA_INVALID', `Expected the \`${name}\` option to be a whole number of milliseconds (0 or more), got ${String(value)}`);
  return value;
}

function retrySettings(name: string, value: RetrySettings | undefined, fallback: Required<RetrySettings>): Required<RetrySettings> {
  const merged = { ...fallback, ...value };
  positiveInt(`${name}.maxAttempts`, merged.maxAttempts, 1);
  positiveInt(`${name}.initialDelayMs`, merged.initialDelayMs, 1);
  positiveInt(`${name}.maxDelayMs`, merged.maxDelayMs, 1);
  return merged;
}
