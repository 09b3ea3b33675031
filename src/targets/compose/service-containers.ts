import type { Manifest } from '../../manifest/schema.js';
import { ownsDatabase, serviceIdentityEnv, usesBus } from '../service-env.js';
import { startWaves } from '../start-order.js';
import { COLLECTOR_PORT, CONTAINER_PORT, databaseName, databaseServiceName, INFRASTRUCTURE, publishedPort, SERVICE_LABEL, SYSTEM_LABEL } from './compose-names.js';
import { COMPOSE_SECRETS, databasePasswordVariable } from './compose-secrets.js';
import type { ComposeService } from './compose-spec.js';
import { literal, optional, required, requiredUserVariable } from './compose-variables.js';
import { nodeHealthcheck } from './healthchecks.js';

/** The service kit's defaults (runtime/src/service/config.ts), used when msx.yaml's `env` does not set them. */
const DEFAULT_SHUTDOWN_DELAY_MS = 3000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Slack between the service's own drain and compose's SIGKILL: exit, flush logs and spans. */
const STOP_SLACK_MS = 2000;

export interface ServiceContainerContext {
  readonly manifest: Manifest;
  readonly image: string;
  /** Whether the system has a RabbitMQ container (some service declares events). */
  readonly bus: boolean;
  /** Whether the system has a Redis container (the gateway's shared rate-limit budget). */
  readonly redis: boolean;
  /** Names of the user's own `.env` variables (not msx's secrets), passed to every service by reference. */
  readonly userVariables: readonly string[];
}

/**
 * One msx service as a compose service: its replicas, environment (msx.yaml
 * now, secrets by reference), a healthcheck on `/ready`, start order from
 * `calls`, a restart policy, an init process that forwards signals and reaps
 * zombies, and a stop grace period longer than the service's own drain.
 */
export function serviceContainer(name: string, context: ServiceContainerContext): ComposeService {
  const { manifest } = context;
  const spec = manifest.services[name]!;
  return {
    image: context.image,
    // `scale` is the one replica key both compose v2 and v1 (1.29) honour; v1 ignores deploy.replicas.
    ...(spec.replicas !== 1 ? { scale: spec.replicas } : {}),
    environment: serviceEnvironment(name, context),
    ...(spec.kind === 'gateway'
      ? { ports: [publishedPort(manifest.infrastructure.compose.publish.address, spec.port, CONTAINER_PORT)] }
      : { expose: [String(CONTAINER_PORT)] }),
    depends_on: serviceDependencies(name, context),
    healthcheck: nodeHealthcheck(CONTAINER_PORT),
    restart: 'unless-stopped',
    init: true,
    stop_grace_period: `${Math.ceil(stopGraceMs(spec.env) / 1000)}s`,
    labels: { [SYSTEM_LABEL]: manifest.name, [SERVICE_LABEL]: name },
  };
}

/**
 * The environment of a service's containers. Precedence, lowest first, as
 * on the local target: msx.yaml's `env`, the user's own `.env` entries (by
 * reference), then what only the target decides (address, discovery, bus,
 * database, tracing) and what msx.yaml alone decides (identity, open routes,
 * the gateway's routes), which nothing may override.
 */
export function serviceEnvironment(name: string, context: ServiceContainerContext): Record<string, string> {
  const { manifest } = context;
  const spec = manifest.services[name]!;
  const env: Record<string, string> = {};
  for (const variable of context.userVariables) env[variable] = optional(variable);
  for (const [key, value] of Object.entries(spec.env)) env[key] = literal(value);
  env.NODE_ENV ??= 'production';
  env.LOG_LEVEL ??= 'info';

  env.HOST = '0.0.0.0';
  env.PORT = String(CONTAINER_PORT);
  for (const [key, value] of Object.entries(serviceIdentityEnv(manifest, name))) env[key] = literal(value);
  // Replicas of one compose service share every variable; the runtime puts the container's hostname in.
  env.MSX_INSTANCE = `${name}-{hostname}`;
  if (manifest.infrastructure.compose.discovery === 'consul') {
    // An agent outside the compose project (msx builds no Consul image): its URL as containers reach it, from .env.
    env.MSX_DISCOVERY = 'consul';
    env.MSX_CONSUL_URL = requiredUserVariable('MSX_CONSUL_URL', "infrastructure.compose.discovery is consul, so set it in .env to the Consul agent's URL as containers reach it");
    env.MSX_CONSUL_TOKEN = optional('MSX_CONSUL_TOKEN');
  } else {
    // Compose's DNS answers a service name with one A record per running replica.
    env.MSX_DISCOVERY = 'dns';
  }
  env.MSX_DNS_PORT = String(CONTAINER_PORT);
  // Docker's DNS drops a container the moment it stops, and asking it costs nothing: a caller refreshing every
  // second lets go of a draining replica well within its SHUTDOWN_DELAY_MS (the kit's 3 s), where the default 5 s did not.
  env.MSX_DNS_TTL_MS ??= '1000';
  env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://${INFRASTRUCTURE.collector}:${COLLECTOR_PORT}`;

  if (spec.kind === 'gateway') {
    env[COMPOSE_SECRETS.jwt] = required(COMPOSE_SECRETS.jwt);
    env[COMPOSE_SECRETS.gatewayIdentity] = required(COMPOSE_SECRETS.gatewayIdentity);
    if (context.redis) env.REDIS_URL = `redis://:${required(COMPOSE_SECRETS.redisPassword)}@${INFRASTRUCTURE.redis}:6379`;
  } else {
    env[COMPOSE_SECRETS.gatewayIdentity] = required(COMPOSE_SECRETS.gatewayIdentity);
    env[COMPOSE_SECRETS.serviceToken] = required(COMPOSE_SECRETS.serviceToken);
    if (context.bus) env.MSX_BUS_URL = `amqp://msx:${required(COMPOSE_SECRETS.rabbitmqPassword)}@${INFRASTRUCTURE.rabbitmq}:5672`;
    if (ownsDatabase(spec)) {
      const db = databaseName(name);
      env.DATABASE_URL = `postgres://${db}:${required(databasePasswordVariable(name))}@${databaseServiceName(name)}:5432/${db}`;
    }
  }
  return env;
}

/**
 * What must be healthy before a service starts: its own database, the bus
 * when it uses it, and the services it calls that start earlier in the
 * order `calls` implies (services in a call cycle start together, as on the
 * local target, since compose refuses a cyclic depends_on). The gateway
 * waits for every service it routes to, and for Redis.
 */
export function serviceDependencies(name: string, context: ServiceContainerContext): NonNullable<ComposeService['depends_on']> {
  const { manifest } = context;
  const spec = manifest.services[name]!;
  const healthy = { condition: 'service_healthy' } as const;
  const deps: NonNullable<ComposeService['depends_on']> = {};
  if (spec.kind === 'gateway') {
    for (const [service, other] of Object.entries(manifest.services)) {
      if (other.kind !== 'gateway' && other.routes.length > 0) deps[service] = healthy;
    }
    if (context.redis) deps[INFRASTRUCTURE.redis] = healthy;
  } else {
    if (ownsDatabase(spec)) deps[databaseServiceName(name)] = healthy;
    if (context.bus && usesBus(spec)) deps[INFRASTRUCTURE.rabbitmq] = healthy;
    const waves = startWaves(manifest, Object.keys(manifest.services));
    const waveOf = new Map(waves.flatMap((wave, i) => wave.map((service) => [service, i] as const)));
    for (const callee of spec.calls) {
      if ((waveOf.get(callee) ?? Infinity) < waveOf.get(name)!) deps[callee] = healthy;
    }
  }
  // Spans sent before the collector listens are retried by the exporter; it need not be healthy.
  deps[INFRASTRUCTURE.collector] = { condition: 'service_started' };
  return deps;
}

/**
 * How long compose waits after SIGTERM before SIGKILL: the service's drain
 * delay (it keeps serving while discovery drops it), then its in-flight
 * requests' timeout, plus slack to exit.
 */
export function stopGraceMs(env: Readonly<Record<string, string>>): number {
  const ms = (value: string | undefined, fallback: number) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : fallback);
  return ms(env.SHUTDOWN_DELAY_MS, DEFAULT_SHUTDOWN_DELAY_MS) + ms(env.SHUTDOWN_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS) + STOP_SLACK_MS;
}
