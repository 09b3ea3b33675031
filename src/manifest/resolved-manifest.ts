import { gatewayAuth } from './gateway-auth.js';
import type { Manifest } from './schema.js';

/**
 * The manifest as msx applies it: every default filled in, including the
 * ones derived from the system (the gateway's issuer and audience), so what
 * `msx config` prints is what runs.
 */
export function resolvedManifest(manifest: Manifest): Manifest {
  const auth = gatewayAuth(manifest);
  if (!auth) return manifest;
  const gateway = manifest.services[auth.gateway]!;
  if (gateway.kind !== 'gateway') return manifest;
  return {
    ...manifest,
    services: { ...manifest.services, [auth.gateway]: { ...gateway, auth: { ...gateway.auth, issuer: auth.issuer, audience: auth.audience } } },
  };
}
