import type { Manifest, ServiceSpec } from '../../../manifest/schema.js';
import { ownsDatabase, usesBus } from '../../service-env.js';

/**
 * Who talks to whom, read once from msx.yaml: the one place the renderer
 * decides which service gets the broker, a database, Redis, and which
 * connections the NetworkPolicies allow. Each question has one answer here,
 * so the environment a pod gets and the traffic it is allowed always agree.
 */
export interface SystemTopology {
  /** The gateway's service name, when the system has one. */
  readonly gateway: string | undefined;
  readonly services: readonly string[];
  /** Services the gateway routes to (they have routes). */
  readonly routed: readonly string[];
  /** Services that own a database. */
  readonly withDatabase: readonly string[];
  /** Services connected to the broker: those that publish or subscribe (as on compose). */
  readonly onBus: readonly string[];
  /** Redis holds the gateway's rate-limit counters, so every gateway replica counts the same budget. */
  readonly redis: boolean;
  /** The services each service calls (from `calls`). */
  calls(service: string): readonly string[];
  /** The services that call this one. */
  callers(service: string): readonly string[];
}

export function systemTopology(manifest: Manifest): SystemTopology {
  const entries = Object.entries(manifest.services);
  const callsOf = (spec: ServiceSpec): readonly string[] => (spec.kind === 'gateway' ? [] : spec.calls);
  const gateway = entries.find(([, spec]) => spec.kind === 'gateway')?.[0];
  return {
    gateway,
    services: entries.map(([name]) => name),
    routed: entries.filter(([, spec]) => spec.kind !== 'gateway' && spec.routes.length > 0).map(([name]) => name),
    withDatabase: entries.filter(([, spec]) => ownsDatabase(spec)).map(([name]) => name),
    onBus: entries.filter(([, spec]) => usesBus(spec)).map(([name]) => name),
    redis: gateway !== undefined,
    calls: (service) => callsOf(manifest.services[service]!),
    callers: (service) => entries.filter(([, spec]) => callsOf(spec).includes(service)).map(([name]) => name),
  };
}

/** PostgreSQL's role and database name of a service, and the name of its StatefulSet and Service (`orders-db`): the same on every container target. */
export { databaseName, databaseServiceName as databaseHost } from '../../compose/compose-names.js';

export const RABBITMQ = 'rabbitmq';
export const REDIS = 'redis';
export const COLLECTOR = 'msx-collector';
/** The system's own Prometheus (self-contained, without the Prometheus Operator), and its web port. */
export const PROMETHEUS = 'prometheus';
export const PROMETHEUS_PORT = 9090;

export const POSTGRES_PORT = 5432;
export const AMQP_PORT = 5672;
export const REDIS_PORT = 6379;
/** OTLP over HTTP, where services send their spans; and where the collector keeps them. */
export { COLLECTOR_PORT as OTLP_PORT, COLLECTOR_DATA_DIR } from '../../compose/compose-names.js';
