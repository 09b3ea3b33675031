/**
 * Everything the gateway keeps per upstream: a keep-alive connection pool
 * per instance URL (undici `Pool`), a circuit breaker per service
 * (consecutive failures then half-open, see circuit-breaker.ts), and the
 * shared load balancer from `discovery` (with in-flight counts and outlier
 * ejection).
 *
 * Failures are counted per instance first: every exchange's outcome goes
 * to the balancer, whose outlier ejection skips an instance that keeps
 * failing (and at once one that refused a connection). The service's
 * breaker counts a failure only while every instance of the service is
 * failing ({@link Upstreams.allFailing}): one dead instance of three is
 * ejected, never a reason to refuse the service. Which failures count is
 * the shared classification's (resilience/failure-classification.ts):
 * refused, reset, timeout; an answer, 5xx included, is the service
 * speaking and is passed through. While open, calls fail at once with
 * `circuit-open` (503) instead of waiting for a connect or a timeout.
 */
import { Pool } from 'undici';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
import type { Discovery, Instance } from '../discovery/discovery.js';
import { createBalancer, type Balancer, type BalancerOptions } from '../discovery/balancers/balancer.js';
import { RESILIENCE_DEFAULTS } from '../resilience/defaults.js';
import { UpstreamError } from './upstream-error.js';

export interface BreakerOptions {
  /** Failures in a row, while every instance is failing, that open the circuit. Default 5 (resilience/defaults.ts). */
  readonly consecutiveFailures?: number;
  /** How long the circuit stays open before one trial call, ms. Default 5,000 (resilience/defaults.ts). */
  readonly halfOpenAfterMs?: number;
}

/**
 * How long the gateway waits for an instance to accept a connection. A live
 * one's kernel accepts at once, however busy the process; undici's 10 s
 * default held a request that long when discovery still listed an instance
 * whose container was gone.
 */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 3_000;

export interface UpstreamPoolOptions {
  /** Keep-alive connections per instance. Default 128. */
  readonly connections?: number;
  /** Idle keep-alive time, ms; below node's default server keepAliveTimeout (5 s) to avoid racing its close. Default 4,000. */
  readonly keepAliveTimeoutMs?: number;
}

export type BreakerState = CircuitState;

/** What the gateway knows about one upstream service, for `/ready` and metrics. */
export interface UpstreamState {
  readonly service: string;
  /** Instances discovery lists. */
  readonly instances: number;
  /** Of those, how many outlier ejection skips now. */
  readonly ejected: number;
  readonly circuit: BreakerState;
}

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
      consecutiveFailures: breakerOptions.consecutiveFailures ?? RESILIENCE_DEFAULTS.breaker.consecutiveFailures,
      halfOpenAfterMs: breakerOptions.halfOpenAfterMs ?? RESILIENCE_DEFAULTS.breaker.halfOpenAfterMs,
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

  /**
   * Another instance than those `tried`, for a request that never reached
   * a service; `undefined` when there is none. Off the hot path.
   */
  async pickAnother(service: string, tried: readonly Instance[]): Promise<Instance | undefined> {
    const instances = this.discovery.cached?.(service) ?? (await this.discovery.resolve(service));
    const untried = instances.filter((instance) => !tried.some((t) => t.url === instance.url));
    return this.balancer.pick(untried);
  }

  #choose(service: string, instances: readonly Instance[]): Instance {
    const instance = this.balancer.pick(instances);
    if (instance === undefined) throw new UpstreamError('no-instance', service, `No healthy instance of ${service}`);
    return instance;
  }

  /** Whether every instance of `service` is ejected or failed its last call: only then may its breaker count a failure. */
  async allFailing(service: string): Promise<boolean> {
    const instances = this.discovery.cached?.(service) ?? (await this.discovery.resolve(service).catch(() => []));
    const now = Date.now();
    return instances.every((instance) => {
      const stats = this.balancer.stats(instance);
      return stats.ejectedUntil > now || stats.consecutiveFailures > 0;
    });
  }

  /** Instances known, ejected and the circuit state of `service`. */
  async state(service: string): Promise<UpstreamState> {
    let instances: readonly Instance[] = [];
    try {
      instances = await this.discovery.resolve(service);
    } catch {
      instances = [];
    }
    const now = Date.now();
    const ejected = instances.filter((instance) => this.balancer.stats(instance).ejectedUntil > now).length;
    return { service, instances: instances.length, ejected, circuit: this.breakerState(service) };
  }

  pool(url: string): Pool {
    let pool = this.#pools.get(url);
    if (pool === undefined) {
      pool = new Pool(url, {
        // A connect that takes this long will not be answered (an instance gone with its address): give up and try another.
        connect: { timeout: UPSTREAM_CONNECT_TIMEOUT_MS },
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
