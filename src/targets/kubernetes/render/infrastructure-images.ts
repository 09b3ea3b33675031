import { MSX_VERSION } from '../../../package-root.js';
import { COMPOSE_IMAGE_DEFAULTS, type Manifest } from '../../../manifest/schema.js';

/**
 * Images of the infrastructure when `infrastructure.kubernetes.images` names
 * none. The Debian-based official images, whose processes run as uid 999,
 * so the pods can run as that numeric non-root user from the start.
 */
export const DEFAULT_INFRASTRUCTURE_IMAGES = {
  postgres: 'postgres:16',
  rabbitmq: 'rabbitmq:3.13',
  redis: 'redis:7',
  // The same Prometheus as on compose (it runs as nobody, uid 65534).
  prometheus: COMPOSE_IMAGE_DEFAULTS.prometheus,
} as const;

/** The uid (and gid) the official postgres, rabbitmq and redis images run their servers as. */
export const INFRASTRUCTURE_USER = 999;

export type InfrastructureRole = keyof typeof DEFAULT_INFRASTRUCTURE_IMAGES | 'msx-collector';

export function infrastructureImage(manifest: Manifest, role: InfrastructureRole): string {
  const given = manifest.infrastructure.kubernetes.images[role];
  if (given) return given;
  if (role === 'msx-collector') {
    // msx's own trace collector, built beside the services' images (no other collector image can be had here).
    const registry = manifest.infrastructure.kubernetes.registry;
    return `${registry ? `${registry.replace(/\/+$/, '')}/` : ''}${manifest.name}/msx-collector:${MSX_VERSION}`;
  }
  return DEFAULT_INFRASTRUCTURE_IMAGES[role];
}
