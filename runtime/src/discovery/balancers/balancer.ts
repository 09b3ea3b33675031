import type { Instance } from '../discovery.js';
import { DiscoveryError } from '../discovery-error.js';
import { leastConnections } from './least-connections.js';
import { OutlierEjection, type OutlierEjectionOptions, type OutlierRecord } from './outlier-ejection.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import type { BalancingStrategy } from './strategy.js';

/**
 * How a tracked call ended, as far as the instance's health is concerned
 * (runtime/src/resilience/failure-classification.ts decides which):
 * - `success`: the instance answered (a 4xx included);
 * - `failure`: it timed out, broke the connection or answered 5xx;
 * - `unreachable`: the call never reached it (connection refused), which
 *   ejects it at once: there is nothing to wait for;
 * - `no-verdict`: the call ended for a reason that says nothing about the
 *   instance (the caller left, the caller's body was too large or too slow,
 *   the caller's own process is closing); the instance's record is left as it was.
 */
export type CallOutcome = 'success' | 'failure' | 'unreachable' | 'no-verdict';

/** Ends a tracked call. Calling it more than once has no further effect. */
export type Release = (outcome: CallOutcome) => void;

export interface InstanceStats {
  readonly inFlight: number;
  readonly consecutiveFailures: number;
  /** Epoch ms until which the instance is skipped; 0 when admitted. */
  readonly ejectedUntil: number;
}

/**
 * Chooses an instance per call and learns from each call's outcome. Used by
 * the service client and the gateway alike:
 *
 * ```ts
 * const instance = balancer.pick(await discovery.resolve('users'));
 * const release = balancer.track(instance);
 * try { ...; release('success'); } catch (e) { release('failure'); throw e; }
 * ```
 *
 * Report `failure` only for what says the instance is unwell (timeout,
 * reset, 5xx) and `unreachable` for a refused connection; a 4xx is the
 * caller's fault and counts as success.
 */
export interface Balancer {
  readonly strategy: string;
  /** One of `instances`, or `undefined` when the list is empty. */
  pick(instances: readonly Instance[]): Instance | undefined;
  /** Counts a call as in flight on `instance` until the returned function is called. */
  track(instance: Instance): Release;
  stats(instance: Instance): InstanceStats;
}

export const BALANCING_STRATEGIES = {
  'round-robin': roundRobin,
  random: () => random(),
  'least-connections': leastConnections,
} as const satisfies Record<string, () => BalancingStrategy>;

export type BalancingStrategyName = keyof typeof BALANCING_STRATEGIES;

export interface BalancerOptions {
  /** A strategy name or your own {@link BalancingStrategy}. Default `round-robin`. */
  readonly strategy?: BalancingStrategyName | BalancingStrategy;
  /** Passive outlier ejection settings, or `false` to turn it off. Default `{ consecutiveFailures: 5, cooldownMs: 30000 }`. */
  readonly outlierEjection?: OutlierEjectionOptions | false;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

interface Record_ extends OutlierRecord {
  inFlight: number;
}

function keyOf(instance: Instance): string {
  return `${instance.service}\u0000${instance.id}\u0000${instance.url}`;
}

export function createBalancer(options: BalancerOptions = {}): Balancer {
  const requested = options.strategy ?? 'round-robin';
  let strategy: BalancingStrategy;
  if (typeof requested === 'string') {
    const factory = (BALANCING_STRATEGIES as Record<string, (() => BalancingStrategy) | undefined>)[requested];
    if (!factory) {
      throw new DiscoveryError(
        'DISCOVERY_CONFIG_INVALID',
        `Expected the \`strategy\` option to be one of ${Object.keys(BALANCING_STRATEGIES).join(', ')}, got ${JSON.stringify(requested)}`,
      );
    }
    strategy = factory();
  } else if (requested && typeof requested.choose === 'function') {
    strategy = requested;
  } else {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`strategy\` option to be a name or a strategy object, got ${String(requested)}`);
  }
  const ejection = options.outlierEjection === false ? undefined : new OutlierEjection(options.outlierEjection);
  const now = options.now ?? Date.now;
  // Records of instances that disappeared stay until the process ends; one small object per instance ever seen.
  const records = new Map<string, Record_>();
  // Discovery caches hand out the same Instance objects call after call: finding a record by identity first spares
  // building the string key on every pick and track (the gateway does both per request).
  const byObject = new WeakMap<Instance, Record_>();

  const existingRecord = (instance: Instance): Record_ | undefined => {
    let record = byObject.get(instance);
    if (record === undefined) {
      record = records.get(keyOf(instance));
      if (record !== undefined) byObject.set(instance, record);
    }
    return record;
  };
  const recordOf = (instance: Instance): Record_ => {
    let record = existingRecord(instance);
    if (record === undefined) {
      record = { inFlight: 0, consecutiveFailures: 0, ejectedUntil: 0 };
      records.set(keyOf(instance), record);
      byObject.set(instance, record);
    }
    return record;
  };
  const load = { inFlight: (instance: Instance) => existingRecord(instance)?.inFlight ?? 0 };

  return {
    strategy: strategy.name,
    pick(instances) {
      if (instances.length === 0) return undefined;
      if (instances.length === 1) return instances[0];
      const candidates = ejection ? ejection.admit(instances, existingRecord, now()) : instances;
      return strategy.choose(candidates, load);
    },
    track(instance) {
      const record = recordOf(instance);
      record.inFlight += 1;
      let released = false;
      return (outcome) => {
        if (released) return;
        released = true;
        record.inFlight -= 1;
        if (ejection !== undefined) ejection.observe(record, outcome, now());
        // Without ejection the streak is still kept: the gateway's breaker asks whether every instance is failing.
        else if (outcome === 'success') record.consecutiveFailures = 0;
        else if (outcome !== 'no-verdict') record.consecutiveFailures += 1;
      };
    },
    stats(instance) {
      const r = existingRecord(instance);
      return { inFlight: r?.inFlight ?? 0, consecutiveFailures: r?.consecutiveFailures ?? 0, ejectedUntil: r?.ejectedUntil ?? 0 };
    },
  };
}
