import type { ManifestInput } from './schema.js';

export const GATEWAY_NAME = 'gateway';
export const GATEWAY_PORT = 8080;
export const FIRST_SERVICE_PORT = 3001;

export interface NewServiceRequest {
  readonly name: string;
  readonly kind: 'http' | 'worker';
  readonly database?: boolean;
}

/**
 * The manifest `msx new` writes for a list of services: a gateway on 8080,
 * services on 3001 upwards, each http service routed under /api/<name>.
 * Only what differs from the schema's defaults is written, so the file stays
 * short and the defaults can improve with msx.
 */
export function initialManifest(system: string, services: readonly NewServiceRequest[]): ManifestInput {
  const manifestServices: ManifestInput['services'] = {
    [GATEWAY_NAME]: { kind: 'gateway', port: GATEWAY_PORT },
  };
  services.forEach((service, i) => {
    manifestServices[service.name] = serviceEntry(service, FIRST_SERVICE_PORT + i);
  });
  return {
    version: 1,
    name: system,
    services: manifestServices,
    infrastructure: {
      local: { bus: 'embedded', database: 'embedded', discovery: 'local' },
      compose: { bus: 'rabbitmq', database: 'postgres', discovery: 'dns' },
      kubernetes: { bus: 'rabbitmq', database: 'postgres', discovery: 'dns' },
    },
  };
}

/** The manifest entry for a new service on `port`. */
export function serviceEntry(service: NewServiceRequest, port: number): ManifestInput['services'][string] {
  const database = service.database ? { database: true } : {};
  if (service.kind === 'worker') return { kind: 'worker', port, ...database };
  return { kind: 'http', port, ...database, routes: [{ path: `/api/${service.name}`, to: `/${service.name}` }] };
}

/** The lowest port at or above FIRST_SERVICE_PORT that no service's instances use. */
export function nextFreePort(used: Iterable<{ port: number; replicas: number }>): number {
  const taken = new Set<number>();
  for (const { port, replicas } of used) for (let i = 0; i < replicas; i++) taken.add(port + i);
  let port = FIRST_SERVICE_PORT;
  while (taken.has(port)) port++;
  return port;
}
