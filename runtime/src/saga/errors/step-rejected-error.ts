/**
 * A permanent step failure: the called service said no for a business
 * reason (payment declined, out of stock). Retrying cannot help, so the
 * saga compensates at once. Anything else a step throws counts as
 * transient and is retried under the step's policy.
 */
export class StepRejectedError extends Error {
  override readonly name = 'StepRejectedError';
  readonly permanent = true as const;
  /** Machine-readable reason, e.g. `PAYMENT_DECLINED`; ends up in the saga outcome's `failure.code`. */
  readonly code: string;
  /** HTTP status a caller may answer with (402, 409, …). */
  readonly status: number | undefined;

  constructor(message: string, options: { code?: string; status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'STEP_REJECTED';
    this.status = options.status;
  }
}

/** Brand check (works across two copies of the runtime): a step error with `permanent: true`. */
export function isStepRejection(err: unknown): err is StepRejectedError {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}
