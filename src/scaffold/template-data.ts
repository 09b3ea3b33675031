import { envName } from '../manifest/names.js';
import type { Manifest } from '../manifest/schema.js';

/**
 * Everything a service template places, computed here so that templates hold
 * no logic beyond substitution.
 */
export interface ServiceTemplateData {
  readonly system: string;
  readonly name: string;
  readonly kind: string;
  readonly port: number;
  /** `orders-api` → `OrdersApi`, for type names in example code. */
  readonly typeName: string;
  /** `orders-api` → `ORDERS_API`. */
  readonly envName: string;
  /** Path the example resource is served under, e.g. `/users`. */
  readonly resourcePath: string;
  readonly database: boolean;
  readonly publishes: readonly string[];
  readonly subscribes: readonly string[];
  readonly calls: readonly string[];
  /** `{ "users": "http://127.0.0.1:3001" }`: where the services it calls listen by default, as a TypeScript literal. */
  readonly callDefaults: string;
}

export function serviceTemplateData(manifest: Manifest, name: string): ServiceTemplateData {
  const service = manifest.services[name]!;
  const firstRoute = service.kind !== 'gateway' ? service.routes[0] : undefined;
  return {
    system: manifest.name,
    name,
    kind: service.kind,
    port: service.port,
    typeName: name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join(''),
    envName: envName(name),
    resourcePath: firstRoute ? (firstRoute.to ?? firstRoute.path) : `/${name}`,
    database: service.kind !== 'gateway' && service.database,
    publishes: service.kind !== 'gateway' ? service.events.publishes : [],
    subscribes: service.kind !== 'gateway' ? service.events.subscribes : [],
    calls: service.kind !== 'gateway' ? service.calls : [],
    callDefaults: JSON.stringify(
      Object.fromEntries((service.kind !== 'gateway' ? service.calls : []).map((callee) => [callee, `http://127.0.0.1:${manifest.services[callee]!.port}`])),
    ),
  };
}

export interface SystemTemplateData {
  readonly system: string;
  readonly services: readonly { name: string; kind: string; port: number; start: string; routes: string }[];
  readonly gatewayUrl: string | undefined;
  readonly firstService: string | undefined;
}

export function systemTemplateData(manifest: Manifest): SystemTemplateData {
  const entries = Object.entries(manifest.services);
  const gateway = entries.find(([, s]) => s.kind === 'gateway');
  return {
    system: manifest.name,
    services: entries.map(([name, service]) => ({
      name,
      kind: service.kind,
      port: service.port,
      start: `node --env-file=.env services/${name}/dist/src/main.js`,
      routes: service.kind !== 'gateway' ? service.routes.map((r) => `${r.methods?.join('|') ?? 'ANY'} ${r.path}${r.public ? ' (public)' : ''}`).join(', ') : '',
    })),
    gatewayUrl: gateway ? `http://127.0.0.1:${gateway[1].port}` : undefined,
    firstService: entries.find(([, s]) => s.kind === 'http')?.[0],
  };
}
