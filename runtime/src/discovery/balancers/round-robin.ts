import type { Instance } from '../discovery.js';
import type { BalancingStrategy } from './strategy.js';

/**
 * Takes instances in turn, with one rotation per service so that calls to
 * `users` do not skew the order of calls to `orders`.
 */
export function roundRobin(): BalancingStrategy {
  const next = new Map<string, number>();
  return {
    name: 'round-robin',
    choose(candidates) {
      const service = candidates[0]!.service;
      const n = next.get(service) ?? 0;
      next.set(service, (n + 1) % Number.MAX_SAFE_INTEGER);
      return candidates[n % candidates.length] as Instance;
    },
  };
}
