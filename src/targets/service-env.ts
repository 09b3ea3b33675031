import type { Manifest } from '../manifest/schema.js';
import { gatewayConfig } from '../scaffold/gateway-config.js';

/**
 * The part of a service's environment that msx.yaml alone decides, the same
 * on every target: who the service is, which routes it serves to callers
 * that bypass the gateway, and (for the gateway) the routes, auth and rate
 * limits msx.yaml says now. Targets add where things are (port, discovery,
 * bus, database, trace collector) and never let anything else override these.
 */
export function serviceIdentityEnv(manifest: Manifest, service: string): Record<string, string> {
  const spec = manifest.services[service];
  if (!spec) throw new Error(`serviceIdentityEnv: msx.yaml has no service "${service}"`);
  const env: Record<string, string> = {
    // Only msx.yaml opens a route to callers that bypass the gateway; nothing else may.
    MSX_OPEN_ROUTES: openRoutes(spec),
    MSX_SERVICE: service,
    MSX_SYSTEM: manifest.name,
  };
  // The environment of msx.yaml it runs in (--env), for the service's own configuration (e.g. its keys in Consul).
  if (manifest.environment) env.MSX_ENVIRONMENT = manifest.environment.name;
  // The gateway runs what msx.yaml says now, not what was compiled into it
  // (runGateway prefers MSX_GATEWAY_CONFIG over gateway.generated.ts).
  if (spec.kind === 'gateway') env.MSX_GATEWAY_CONFIG = JSON.stringify(gatewayConfig(manifest));
  return env;
}

/**
 * What msx.yaml marks `open` (reachable without the gateway), in the form
 * the service kit reads from `MSX_OPEN_ROUTES`: `*` for an open service,
 * else the upstream path of each open route, per method when it names any.
 */
export function openRoutes(spec: Manifest['services'][string]): string {
  if (spec.kind === 'gateway') return '';
  if (spec.open === true) return '*';
  const entries: string[] = [];
  for (const route of spec.routes) {
    if (route.open !== true) continue;
    const path = route.to ?? route.path;
    if (route.methods === undefined) entries.push(path);
    else for (const method of route.methods) entries.push(`${method}:${path}`);
  }
  return entries.join(',');
}

/** Whether a service declares events, and so attaches the bus. */
export function usesBus(spec: Manifest['services'][string]): boolean {
  return spec.kind !== 'gateway' && (spec.events.publishes.length > 0 || spec.events.subscribes.length > 0);
}

/** Whether a service owns a database (the gateway never does). */
export function ownsDatabase(spec: Manifest['services'][string]): boolean {
  return spec.kind !== 'gateway' && spec.database;
}
