/**
 * The gateway's circuit breaker, one per upstream service: after
 * `consecutiveFailures` failed exchanges in a row the circuit opens and
 * requests are answered 503 at once; after `halfOpenAfterMs` exactly one
 * trial request goes through (half-open) while the others are still
 * refused; its success closes the circuit, its failure opens it again.
 * The counting is that of cockatiel's `ConsecutiveBreaker`, which the
 * service client composes with retries and timeouts; unlike cockatiel's
 * policy, requests that arrive while the trial is in flight are answered
 * at once instead of waiting for its outcome (a gateway should not queue
 * traffic behind a probe).
 *
 * The gateway keeps its own because of where it runs: cockatiel's
 * `execute` wraps every call in two async functions and a result object,
 * and on the proxy path, measured in bench/gateway, that was about 1 KB of
 * garbage and four promise hops per request for what is, while the circuit
 * is closed, one comparison. Here the gateway asks `admit()` before it
 * forwards and reports the exchange's outcome, synchronously.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';
export type Admission = 'admitted' | 'trial' | 'refused';

export interface CircuitBreakerOptions {
  /** Failures in a row that open the circuit. */
  readonly consecutiveFailures: number;
  /** How long the circuit stays open before one trial request, ms. */
  readonly halfOpenAfterMs: number;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;
  readonly #threshold: number;
  readonly #halfOpenAfterMs: number;
  readonly #now: () => number;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.consecutiveFailures) || options.consecutiveFailures < 1) {
      throw new TypeError(`Expected \`consecutiveFailures\` to be a positive integer, got ${String(options.consecutiveFailures)}`);
    }
    if (!Number.isFinite(options.halfOpenAfterMs) || options.halfOpenAfterMs < 0) {
      throw new TypeError(`Expected \`halfOpenAfterMs\` to be a non-negative number, got ${String(options.halfOpenAfterMs)}`);
    }
    this.#threshold = options.consecutiveFailures;
    this.#halfOpenAfterMs = options.halfOpenAfterMs;
    this.#now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#halfOpenAfterMs) return 'half-open';
    return this.#state;
  }

  /**
   * Whether a request may go upstream now: `admitted` while closed, the
   * one `trial` once the open period is over, else `refused`. Every
   * admission is answered with exactly one `success`, `failure` or
   * `release` (the request ended without a verdict on the upstream, e.g.
   * the client left), so a trial never stays in flight forever.
   */
  admit(): Admission {
    if (this.#state === 'closed') return 'admitted';
    if (this.#trialInFlight) return 'refused';
    if (this.#state === 'open' && this.#now() - this.#openedAt < this.#halfOpenAfterMs) return 'refused';
    this.#state = 'half-open';
    this.#trialInFlight = true;
    return 'trial';
  }

  /** Only the trial's outcome moves an open circuit; late outcomes of requests admitted before it opened do not. */
  success(admission: Admission): void {
    if (admission === 'trial') {
      this.#state = 'closed';
      this.#trialInFlight = false;
      this.#failures = 0;
    } else if (this.#state === 'closed') {
      this.#failures = 0;
    }
  }

  failure(admission: Admission): void {
    if (admission === 'trial') {
      this.#open();
    } else if (this.#state === 'closed') {
      this.#failures += 1;
      if (this.#failures >= this.#threshold) this.#open();
    }
  }

  release(admission: Admission): void {
    if (admission === 'trial') this.#trialInFlight = false;
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#now();
    this.#trialInFlight = false;
    this.#failures = 0;
  }
}
