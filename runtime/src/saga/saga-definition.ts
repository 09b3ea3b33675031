/**
 * How a saga is declared: named steps in order, each an action with an
 * optional compensation, a per-attempt timeout and a retry policy.
 *
 *   const orderSaga = defineSaga<OrderInput>({
 *     name: 'order',
 *     steps: [
 *       { name: 'reserve', action: (ctx) => products.reserve(ctx.input.items, { idempotencyKey: ctx.idempotencyKey }),
 *         compensation: (ctx) => products.release(ctx.sagaId, { idempotencyKey: ctx.idempotencyKey }) },
 *       { name: 'charge', action: …, compensation: … , timeoutMs: 3000 },
 *       { name: 'confirm', action: … },
 *     ],
 *   });
 *
 * Actions and compensations may run more than once (a retry, or a resume
 * after a crash between the call and the log write): they must pass
 * `ctx.idempotencyKey` to the services they call, which apply each key
 * once. A compensation may also run for a step whose action failed with
 * an unknown outcome (timeout), so it must accept "nothing to undo".
 */
import { SagaError } from './errors/saga-error.js';

export interface StepContext<I> {
  readonly sagaId: string;
  readonly input: I;
  /** Results of the steps completed so far, by step name (as stored: JSON). */
  readonly results: Readonly<Record<string, unknown>>;
  /** `${sagaId}:${stepName}` for actions, `${sagaId}:${stepName}:compensation` for compensations. Send it as `Idempotency-Key`. */
  readonly idempotencyKey: string;
  /** Aborted when the attempt times out or the orchestrator stops. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt in this process. */
  readonly attempt: number;
}

export interface RetrySettings {
  /** Attempts in all (first included). */
  readonly maxAttempts?: number;
  /** First backoff delay, ms; grows exponentially with jitter. */
  readonly initialDelayMs?: number;
  /** Cap of one delay, ms. */
  readonly maxDelayMs?: number;
}

export interface SagaStep<I> {
  /** Unique within the saga; part of the idempotency key and of the log. Never rename a step with sagas in flight. */
  readonly name: string;
  /** Does the step; its JSON result is logged and visible to later steps. Throw `StepRejectedError` for a business "no". */
  readonly action: (ctx: StepContext<I>) => Promise<unknown>;
  /** Undoes the action. Omit for steps with nothing to undo. */
  readonly compensation?: (ctx: StepContext<I>) => Promise<unknown>;
  /** Timeout of one attempt, ms. Default: the orchestrator's `stepTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Retries of transient failures. Default: the orchestrator's `stepRetry`. */
  readonly retry?: RetrySettings;
  /**
   * A step past the point of no return (the pivot, e.g. "confirm"): it has
   * no compensation, so a transient failure — whose outcome is unknown: it
   * may have applied — must not lead to compensating the steps before it.
   * It is retried with the orchestrator's `compensationRetry` budget
   * instead, and the saga is marked `stuck` if that runs out. A
   * `StepRejectedError` still compensates (the step did not apply).
   */
  readonly forwardOnly?: boolean;
}

export interface SagaDefinition<I = unknown> {
  readonly name: string;
  readonly steps: readonly SagaStep<I>[];
}

/** Validates a definition up front (unique step names, functions present) and returns it typed. */
export function defineSaga<I>(definition: SagaDefinition<I>): SagaDefinition<I> {
  if (typeof definition?.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(definition.name)) {
    throw new SagaError('SAGA_INVALID', `Expected the saga \`name\` to be letters, digits, "_", "." or "-", got ${JSON.stringify(definition?.name)}`);
  }
  if (!Array.isArray(definition.steps) || definition.steps.length === 0) {
    throw new SagaError('SAGA_INVALID', `Saga "${definition.name}" needs at least one step`);
  }
  const names = new Set<string>();
  for (const step of definition.steps) {
    if (typeof step?.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(step.name)) {
      throw new SagaError('SAGA_INVALID', `Saga "${definition.name}": expected each step \`name\` to be letters, digits, "_", "." or "-", got ${JSON.stringify(step?.name)}`);
    }
    if (names.has(step.name)) throw new SagaError('SAGA_INVALID', `Saga "${definition.name}" has two steps named "${step.name}"`);
    names.add(step.name);
    if (typeof step.action !== 'function') throw new SagaError('SAGA_INVALID', `Saga "${definition.name}", step "${step.name}": \`action\` must be a function`);
    if (step.compensation !== undefined && typeof step.compensation !== 'function') {
      throw new SagaError('SAGA_INVALID', `Saga "${definition.name}", step "${step.name}": \`compensation\` must be a function`);
    }
  }
  return definition;
}
