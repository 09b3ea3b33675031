import type { IBackoff, IBackoffFactory, IRetryBackoffContext } from 'cockatiel';
import { retryAfterOf } from './failure-classification.js';

type Context = IRetryBackoffContext<unknown>;

/**
 * Wraps a backoff (exponential with jitter) so that a failure carrying
 * `retryAfterMs` waits exactly that long instead: the callee knows better
 * than our guess when it can take traffic again. The inner sequence still
 * advances, so a later failure without the header continues the curve.
 */
export class RetryAfterBackoff implements IBackoffFactory<Context> {
  constructor(private readonly inner: IBackoffFactory<Context>) {}

  next(context: Context): IBackoff<Context> {
    return step(this.inner.next(context), context);
  }
}

function step(innerStep: IBackoff<Context>, context: Context): IBackoff<Context> {
  const hinted = 'error' in context.result ? retryAfterOf(context.result.error) : undefined;
  return {
    duration: hinted ?? innerStep.duration,
    next: (nextContext: Context) => step(innerStep.next(nextContext), nextContext),
  };
}
