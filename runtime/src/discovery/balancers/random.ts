import type { Instance } from '../discovery.js';
import type { BalancingStrategy } from './strategy.js';

export interface RandomOptions {
  /** Source of numbers in [0, 1). Default `Math.random`; tests pass a seeded one. */
  readonly random?: () => number;
}

/** Picks uniformly at random: no shared state, so several callers never fall into step. */
export function random(options: RandomOptions = {}): BalancingStrategy {
  const next = options.random ?? Math.random;
  return {
    name: 'random',
    choose(candidates) {
      const i = Math.min(candidates.length - 1, Math.floor(next() * candidates.length));
      return candidates[i] as Instance;
    },
  };
}
