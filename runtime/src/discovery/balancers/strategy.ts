import type { Instance } from '../discovery.js';

/** Live load of instances, as the balancer tracks it. */
export interface InstanceLoad {
  /** Calls started on `instance` and not yet released. */
  inFlight(instance: Instance): number;
}

/**
 * How one instance is chosen among the admitted candidates. A strategy only
 * chooses; in-flight counting and outlier ejection are the balancer's, so
 * every strategy gets them. Strategies may keep state (a rotation counter),
 * so each balancer creates its own.
 */
export interface BalancingStrategy {
  readonly name: string;
  /** `candidates` is never empty. */
  choose(candidates: readonly Instance[], load: InstanceLoad): Instance;
}
