import { createServiceClient, type ServiceClient } from './service-client.js';
import { discoveryFromEnvironment } from '../discovery/from-environment.js';
import type { Service } from '../service/service.js';

export interface AttachClientOptions {
  /**
   * Where each called service listens when nothing else says (msx.yaml's
   * ports on 127.0.0.1). `MSX_SERVICE_<NAME>_URLS` overrides one service;
   * `MSX_DISCOVERY` (local under `msx up`, dns, consul) replaces them all.
   */
  readonly defaults?: Readonly<Record<string, string>>;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A service client for calling other services by name, with discovery
 * chosen from the environment and closed on shutdown. Service tokens are
 * minted from `MSX_SERVICE_TOKEN_SECRET`. Fallbacks are counted on the
 * service's own registry.
 */
export function attachClient(service: Service, options: AttachClientOptions = {}): ServiceClient {
  const env = options.env ?? process.env;
  const discovery = discoveryFromEnvironment(options.defaults, env);
  service.onClose('discovery', () => discovery.close());
  // The service's registry, so its /metrics shows msx_client_fallbacks_total.
  return createServiceClient({ from: service.name, discovery, env, registry: service.metrics.registry });
}
