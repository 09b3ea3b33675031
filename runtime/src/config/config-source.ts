import { ConfigError } from '../service/errors/ConfigError.js';

export type ConfigSourceKind = 'environment' | 'consul';

/**
 * Where a service's own settings come from besides its environment:
 * `MSX_CONFIG` says (`environment` or `consul`); unset, Consul when
 * discovery is Consul (`MSX_DISCOVERY=consul`), since the system then has
 * an agent beside every service and its KV store is the configuration centre.
 */
export function configSourceFromEnvironment(service: string, env: NodeJS.ProcessEnv): { readonly kind: ConfigSourceKind } {
  const given = env.MSX_CONFIG?.trim();
  if (!given) return { kind: env.MSX_DISCOVERY?.trim() === 'consul' ? 'consul' : 'environment' };
  if (given === 'environment' || given === 'consul') return { kind: given };
  throw new ConfigError(service, [{ variable: 'MSX_CONFIG', problem: 'must be one of environment, consul', received: given }]);
}
