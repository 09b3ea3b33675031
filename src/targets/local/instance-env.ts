import type { Manifest } from '../../manifest/schema.js';
import { serviceIdentityEnv } from '../service-env.js';
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
  Object.assign(env, serviceIdentityEnv(input.manifest, input.service));
  env.MSX_INSTANCE = input.instanceId;
  // The supervisor's registry file is written either way (msx ps, the gateway's readiness); with Consul the
  // instances also register there themselves, and callers resolve through the agent.
  env.MSX_LOCAL_REGISTRY = input.paths.registryFile;
  if (local.discovery === 'consul') {
    env.MSX_DISCOVERY = 'consul';
    env.MSX_CONSUL_URL ||= 'http://127.0.0.1:8500';
  } else {
    env.MSX_DISCOVERY = 'local';
  }
  // Colour codes and a terminal-width guess make no sense in log files.
  delete env.FORCE_COLOR;
  return env;
}

// Kept here for the callers that import it from the local target.
export { openRoutes } from '../service-env.js';
