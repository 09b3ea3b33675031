import type { Discovery } from './discovery.js';
import { resolveDiscovery } from './index.js';
import { createStaticDiscovery, staticUrlsVariable } from './static.js';

/**
 * Discovery for generated code: `MSX_DISCOVERY` (local under `msx up`, dns,
 * consul, …) when set; otherwise static instances, where
 * `MSX_SERVICE_<NAME>_URLS` overrides the default URL msx derived from
 * msx.yaml (its ports on 127.0.0.1), so a service started by hand still
 * finds the others.
 */
export function discoveryFromEnvironment(defaults: Readonly<Record<string, string>> = {}, env: NodeJS.ProcessEnv = process.env): Discovery {
  if (env.MSX_DISCOVERY) return resolveDiscovery(undefined, env);
  const services = Object.fromEntries(
    Object.entries(defaults).map(([name, url]) => [name, (env[staticUrlsVariable(name)] ?? url).split(',').map((u) => u.trim()).filter(Boolean)]),
  );
  return createStaticDiscovery({ services, env });
}
