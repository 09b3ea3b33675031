/**
 * Everything the gateway keeps per upstream: a keep-alive connection pool
 * per instance URL (undici `Pool`), a circuit breaker per service (cockatiel,
 * consecutive failures then half-open), and the shared load balancer from
 * `discovery` (with in-flight counts and outlier ejection).
 *
 * The breaker counts only failures that say the service is unwell
 * (refused, reset, timeout); a 4xx or 5xx response is the service speaking
 * and is passed through. While open, calls fail at once with
 * `circuit-open` (503) instead of waiting for a connect or a timeout.
 */
import { BrokenCircuitError, CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { Pool } from 'undici';
import type { Discovery, Instance } from '../discovery/discovery.js';
import { createBalancer, type Balancer, type BalancerOptions } from '../discovery/balancers/balancer.js';
import { UpstreamError } from './upstream-error.js';

export interface BreakerOptions {
  /** Failures in a row that open the circuit. Default 5. */
  readonly consecutiveFailures?: number;
  /** How long the circuit stays open before one trial call, ms. Default 5,000. */
  readonly halfOpenAfterMs?: number;
}

export interface UpstreamPoolOptions {
  /** Keep-alive connections per instance. Default 128. */
  readonly connections?: number;
  /** Idle keep-alive time, ms; below node's default server keepAliveTimeout (5 s) to avoid racing its close. Default 4,000. */
  readonly keepAliveTimeoutMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export class Upstreams {
  readonly balancer: Balancer;
  readonly #pools = new Map<string, Pool>();
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  /** Per service: turns cockatiel's open-circuit error into ours; built once so `guarded` allocates no closure. */
  readonly #circuitOpen = new Map<string, (err: unknown) => never>();

  constructor(
    readonly discovery: Discovery,
    private readonly breakerOptions: BreakerOptions = {},
    private readonly poolOptions: UpstreamPoolOptions = {},
    balancer: Balancer | BalancerOptions = {},
  ) {
    this.balancer = 'pick' in balancer ? balancer : createBalancer(balancer);
  }

  /**
   * A healthy instance of `service`, or throws `no-instance`. Synchronous
   * when discovery has the list cached (every request after the first), so
   * the hot path waits on no promise to choose an instance.
   */
  pick(service: string): Instance | Promise<Instance> {
    const cached = this.discovery.cached?.(service);
    if (cached !== undefined) return this.#choose(service, cached);
    return this.discovery.resolve(service).then((instances) => this.#choose(service, instances));
  }

  #choose(service: string, instances: readonly Instance[]): Instance {
    const instance = this.balancer.pick(instances);
    if (instance === undefined) throw new UpstreamError('no-instance', service, `No healthy instance of ${service}`);
    return instance;
  }

  pool(url: string): Pool {
    let pool = this.#pools.get(url);
    if (pool === undefined) {
      pool = new Pool(url, {
        connections: this.poolOptions.connections ?? 128,
        keepAliveTimeout: this.poolOptions.keepAliveTimeoutMs ?? 4_000,
        pipelining: 1,
      });
      this.#pools.set(url, pool);
    }
    return pool;
  }

  breaker(service: string): CircuitBreakerPolicy {
    let breaker = this.#breakers.get(service);
    if (breaker === undefined) {
      breaker = circuitBreaker(
        handleWhen((err) => err instanceof UpstreamError && err.tripsBreaker),
        {
          halfOpenAfter: this.breakerOptions.halfOpenAfterMs ?? 5_000,
          breaker: new ConsecutiveBreaker(this.breakerOptions.consecutiveFailures ?? 5),
        },
      );
      this.#breakers.set(service, breaker);
    }
    return breaker;
  }

  breakerState(service: string): BreakerState {
    const breaker = this.#breakers.get(service);
    return breaker === undefined ? 'closed' : STATE_NAMES[breaker.state];
  }

  /** Runs `call` through the service's breaker; an open circuit becomes `circuit-open`. */
  guarded<T>(service: string, call: () => Promise<T>): Promise<T> {
    let circuitOpen = this.#circuitOpen.get(service);
    if (circuitOpen === undefined) {
      circuitOpen = (err: unknown): never => {
        if (err instanceof BrokenCircuitError) {
          throw new UpstreamError('circuit-open', service, `${service} is failing; its circuit is open`, { cause: err });
        }
        throw err;
      };
      this.#circuitOpen.set(service, circuitOpen);
    }
    return this.breaker(service).execute(call).catch(circuitOpen);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((pool) => pool.close()));
    this.#pools.clear();
  }

  /** Destroys pools with requests still running (after the shutdown deadline). */
  async destroy(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((pool) => pool.destroy()));
    this.#pools.clear();
  }
}
