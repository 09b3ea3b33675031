import type { Manifest } from '../../manifest/schema.js';

/**
 * The port every msx service listens on inside its container (`PORT`). One
 * port for all keeps discovery simple: a compose service name plus this port
 * reaches every replica (`MSX_DNS_PORT`), and Prometheus scrapes the same.
 * The host sees only the gateway, on the port msx.yaml gives it.
 */
export const CONTAINER_PORT = 3000;

/** OTLP/HTTP port of the `msx-collector` container. */
export const COLLECTOR_PORT = 4318;

/** Where the collector container keeps its spans (a named volume), so `msx trace` finds them after a restart. */
export const COLLECTOR_DATA_DIR = '/var/lib/msx-collector';

/** Names of the infrastructure services in the compose file (msx services keep their msx.yaml names). */
export const INFRASTRUCTURE = {
  rabbitmq: 'rabbitmq',
  redis: 'redis',
  prometheus: 'prometheus',
  grafana: 'grafana',
  collector: 'msx-collector',
} as const;

/** The PostgreSQL container of a database-owning service: `orders-db`. */
export function databaseServiceName(service: string): string {
  return `${service}-db`;
}

/** Role and database name inside that PostgreSQL: the service name, `-` as `_`, so no SQL needs quoting. */
export function databaseName(service: string): string {
  return service.replace(/-/g, '_');
}

/**
 * The compose project name: the system's name, which msx.yaml already
 * restricts to a DNS label (lowercase letters, digits, `-`), a subset of
 * what compose allows; anything else is replaced defensively so the result
 * always starts with a letter or digit.
 */
export function composeProjectName(manifest: Pick<Manifest, 'name'>): string {
  const cleaned = manifest.name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return cleaned || 'msx';
}

/** The label msx puts on everything it renders, so engine queries can tell its containers and volumes apart. */
export const SYSTEM_LABEL = 'dev.msx.system';
export const SERVICE_LABEL = 'dev.msx.service';
export const ROLE_LABEL = 'dev.msx.role';

/** A published port in compose's short syntax, bound to `address` (IPv6 addresses in brackets). */
export function publishedPort(address: string, hostPort: number, containerPort: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${hostPort}:${containerPort}`;
}
