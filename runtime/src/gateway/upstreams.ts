/**
 * Everything the gateway keeps per upstream: a keep-alive connection pool
 * per instance URL (undici `Pool`), a circuit breaker per service
 * (consecutive failures then half-open, see circuit-breaker.ts), and the
 * shared load balancer from `discovery` (with in-flight counts and outlier
 * ejection).
 *
 * The breaker counts only failures that say the service is unwell
 * (refused, reset, timeout); a 4xx or 5xx response is the service speaking
 * and is passed through. While open, calls fail at once with
 * `circuit-open` (503) instead of waiting for a connect or a timeout.
 */
import { Pool } from 'undici';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
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

export type BreakerState = CircuitState;

export class Upstreams {
  readonly balancer: Balancer;
  readonly #pools = new Map<string, Pool>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #breakerSettings: CircuitBreakerOptions;

  constructor(
    readonly discovery: Discovery,
    breakerOptions: BreakerOptions = {},
    private readonly poolOptions: UpstreamPoolOptions = {},
    balancer: Balancer | BalancerOptions = {},
  ) {
    this.balancer = 'pick' in balancer ? balancer : createBalancer(balancer);
    this.#breakerSettings = {
      consecutiveFailures: breakerOptions.consecutiveFailures ?? 5,
      halfOpenAfterMs: breakerOptions.halfOpenAfterMs ?? 5_000,
    };
    // Breakers are made on a service's first request: bad settings throw here, at start, instead.
    new CircuitBreaker(this.#breakerSettings);
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

  breaker(service: string): CircuitBreaker {
    let breaker = this.#breakers.get(service);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(this.#breakerSettings);
      this.#breakers.set(service, breaker);
    }
    return breaker;
  }

  breakerState(service: string): BreakerState {
    return this.#breakers.get(service)?.state ?? 'closed';
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
