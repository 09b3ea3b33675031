import type { Manifest } from '../../manifest/schema.js';
import { gatewayConfig } from '../../scaffold/gateway-config.js';
import type { LocalPaths } from './local-paths.js';

/** The bus is set to RabbitMQ in msx.yaml, but no URL says where it is. */
export class MissingBusUrlError extends Error {
  override readonly name = 'MissingBusUrlError';
  constructor() {
    super('infrastructure.local.bus is rabbitmq, but neither MSX_BUS_URL nor RABBITMQ_URL is set');
  }
}

export interface InstanceEnvInput {
  readonly manifest: Manifest;
  readonly service: string;
  readonly instanceId: string;
  readonly port: number;
  readonly paths: LocalPaths;
  /** The environment msx itself runs in. */
  readonly processEnv: Readonly<Record<string, string | undefined>>;
  /** The system's `.env` (secrets). */
  readonly dotEnv: Readonly<Record<string, string>>;
  /** What the supervisor's embedded infrastructure gives this service (database URL, trace collector). */
  readonly infrastructureEnv?: Readonly<Record<string, string>>;
}

/**
 * The environment of one instance, built in one place. Precedence, lowest
 * first: the service's `env` in msx.yaml, the system's `.env`, the
 * environment msx runs in (as `node --env-file` does, the shell wins over the
 * file), then what only the supervisor may decide: the port, the instance id
 * and local discovery, so every instance finds the others through the
 * registry file the supervisor keeps.
 *
 * Infrastructure: a bus URL in the environment or `.env` (`MSX_BUS_URL`) is
 * used as given; else `rabbitmq` in msx.yaml takes `RABBITMQ_URL`; else the
 * embedded bus, whose SQLite files all instances share under `.msx/data`.
 */
export function instanceEnv(input: InstanceEnvInput): Record<string, string> {
  const spec = input.manifest.services[input.service]!;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.env)) env[key] = value;
  for (const [key, value] of Object.entries(input.dotEnv)) env[key] = value;
  for (const [key, value] of Object.entries(input.processEnv)) if (value !== undefined) env[key] = value;
  for (const [key, value] of Object.entries(input.infrastructureEnv ?? {})) env[key] = value;

  const local = input.manifest.infrastructure.local;
  if (!env.MSX_BUS_URL) {
    if (local.bus === 'rabbitmq') {
      if (!env.RABBITMQ_URL) throw new MissingBusUrlError();
      env.MSX_BUS_URL = env.RABBITMQ_URL;
    } else {
      env.MSX_BUS_URL = 'embedded';
    }
  }
  env.MSX_DATA_DIR ||= input.paths.dataDir;
  env.HOST ||= '127.0.0.1';
  env.LOG_LEVEL ||= 'info';

  env.PORT = String(input.port);
  // Only msx.yaml opens a route to callers that bypass the gateway; nothing else may.
  env.MSX_OPEN_ROUTES = openRoutes(spec);
  env.MSX_INSTANCE = input.instanceId;
  env.MSX_SERVICE = input.service;
  env.MSX_SYSTEM = input.manifest.name;
  env.MSX_DISCOVERY = 'local';
  env.MSX_LOCAL_REGISTRY = input.paths.registryFile;
  // The gateway runs what msx.yaml says now, not what was compiled into it
  // (runGateway prefers MSX_GATEWAY_CONFIG over gateway.generated.ts).
  if (spec.kind === 'gateway') env.MSX_GATEWAY_CONFIG = JSON.stringify(gatewayConfig(input.manifest));
  // Colour codes and a terminal-width guess make no sense in log files.
  delete env.FORCE_COLOR;
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
