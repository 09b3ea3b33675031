import type { Instance } from '../discovery.js';
import type { BalancingStrategy } from './strategy.js';

/**
 * Picks the instance with the fewest calls in flight from this process (the
 * counts are real: the client and the gateway track every call). Ties are
 * broken by rotation, so idle instances share the load evenly instead of the
 * first one taking everything.
 */
export function leastConnections(): BalancingStrategy {
  let tieBreak = 0;
  return {
    name: 'least-connections',
    choose(candidates, load) {
      let best: Instance[] = [];
      let min = Infinity;
      for (const instance of candidates) {
        const n = load.inFlight(instance);
        if (n < min) {
          min = n;
          best = [instance];
        } else if (n === min) {
          best.push(instance);
        }
      }
      tieBreak = (tieBreak + 1) % Number.MAX_SAFE_INTEGER;
      return best[tieBreak % best.length] as Instance;
    },
  };
}
