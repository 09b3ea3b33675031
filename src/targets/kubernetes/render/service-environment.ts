import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { durationMs } from '../../../manifest/duration.js';
import type { Manifest } from '../../../manifest/schema.js';
import { serviceIdentityEnv } from '../../service-env.js';
import { CONTAINER_PORT } from './kube-object.js';
import {
  BUS_URL_KEY,
  databasePasswordKey,
  databaseUrlKey,
  RABBITMQ_PASSWORD_KEY,
  REDIS_PASSWORD_KEY,
  REDIS_URL_KEY,
  secretName,
  type SecretKeyUse,
} from './secret-refs.js';
import {
  AMQP_PORT,
  COLLECTOR,
  databaseHost,
  databaseName,
  OTLP_PORT,
  POSTGRES_PORT,
  RABBITMQ,
  REDIS,
  REDIS_PORT,
  type SystemTopology,
} from './system-topology.js';

/** The broker's user in the self-contained RabbitMQ. */
export const RABBITMQ_USER = 'msx';

/**
 * How long a stopping pod keeps accepting connections (answering /ready
 * with 503) before it closes its listener. Longer than the kit's 3 s
 * default: with DNS discovery a caller sees a pod go after CoreDNS's
 * record TTL (5 s by default) plus its own refresh (MSX_DNS_TTL_MS, 5 s),
 * so a shorter delay would let callers pick a pod that no longer listens.
 */
export const KUBERNETES_SHUTDOWN_DELAY_MS = 10_000;
/** The kit's default for in-flight requests after SIGTERM (SHUTDOWN_TIMEOUT_MS). */
const KIT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Time on top of the drain for the process to flush logs, spans and close its pools before the kubelet's SIGKILL. */
const EXIT_MARGIN_S = 5;

/** What one msx service's container is given: settings in its ConfigMap, secrets by key reference. */
export interface ServiceEnvironment {
  /** Non-secret settings, the data of the service's ConfigMap (read with envFrom). */
  readonly settings: Record<string, string>;
  /** Variables from the system's Secret (by key reference) and the ones built from them (`$(VAR)`), in order. */
  readonly env: IEnvVar[];
  /** The Secret's keys this service reads. */
  readonly secretKeys: readonly SecretKeyUse[];
  /** terminationGracePeriodSeconds: longer than the drain delay plus the longest request it lets finish. */
  readonly terminationGraceSeconds: number;
}

export function serviceEnvironment(manifest: Manifest, topology: SystemTopology, service: string): ServiceEnvironment {
  const spec = manifest.services[service]!;
  const external = manifest.infrastructure.kubernetes.infrastructure === 'external';
  const secrets: SecretKeyUse[] = [];
  const env: IEnvVar[] = [];
  const fromSecret = (variable: string, key: string, optional = false) => {
    secrets.push({ key, optional });
    env.push({ name: variable, valueFrom: { secretKeyRef: { name: secretName(manifest), key, ...(optional ? { optional: true } : {}) } } });
  };

  const shutdownTimeoutMs = Math.max(KIT_SHUTDOWN_TIMEOUT_MS, longestRequestMs(manifest, service));
  const settings: Record<string, string> = {
    HOST: '0.0.0.0',
    LOG_LEVEL: 'info',
    SHUTDOWN_DELAY_MS: String(KUBERNETES_SHUTDOWN_DELAY_MS),
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    // msx.yaml's own env wins over msx's defaults above, never over what msx must decide below.
    ...spec.env,
    PORT: String(CONTAINER_PORT),
    ...serviceIdentityEnv(manifest, service),
    // The pod's name (the runtime puts the hostname in): unique, and what kubectl and msx ps show.
    MSX_INSTANCE: '{hostname}',
    ...discoverySettings(manifest),
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://${COLLECTOR}:${OTLP_PORT}`,
  };
  if (manifest.infrastructure.kubernetes.discovery === 'consul') {
    fromSecret('MSX_CONSUL_TOKEN', 'MSX_CONSUL_TOKEN', true);
    // The service registers itself (runtime discovery/self-registration.ts) with the pod's own IP, at the
    // Consul client agent of its node: consul-k8s runs one per node with host port 8500, reached at the host IP.
    env.push({ name: 'MSX_ADVERTISE_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    if (spec.env.MSX_CONSUL_URL === undefined) {
      env.push({ name: 'MSX_HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } });
      // $(MSX_HOST_IP) is expanded by the kubelet, which only expands variables defined earlier in this list.
      env.push({ name: 'MSX_CONSUL_URL', value: 'http://$(MSX_HOST_IP):8500' });
    }
  }

  if (spec.kind === 'gateway') {
    fromSecret('JWT_SECRET', 'JWT_SECRET', !spec.auth.algorithms.includes('HS256'));
    fromSecret('JWT_PUBLIC_KEY', 'JWT_PUBLIC_KEY', true);
    fromSecret('GATEWAY_IDENTITY_SECRET', 'GATEWAY_IDENTITY_SECRET');
    if (topology.redis) {
      if (external) fromSecret('REDIS_URL', REDIS_URL_KEY, true);
      else {
        fromSecret('MSX_REDIS_PASSWORD', REDIS_PASSWORD_KEY);
        env.push({ name: 'REDIS_URL', value: `redis://:$(MSX_REDIS_PASSWORD)@${REDIS}:${REDIS_PORT}` });
      }
    }
  } else {
    fromSecret('GATEWAY_IDENTITY_SECRET', 'GATEWAY_IDENTITY_SECRET');
    fromSecret('MSX_SERVICE_TOKEN_SECRET', 'MSX_SERVICE_TOKEN_SECRET');
  }
  if (topology.withDatabase.includes(service)) {
    if (external) fromSecret('DATABASE_URL', databaseUrlKey(service));
    else {
      // Kubernetes expands $(VAR) from variables defined before it, so the password never leaves the Secret.
      fromSecret('MSX_DB_PASSWORD', databasePasswordKey(service));
      const db = databaseName(service);
      env.push({ name: 'DATABASE_URL', value: `postgres://${db}:$(MSX_DB_PASSWORD)@${databaseHost(service)}:${POSTGRES_PORT}/${db}` });
    }
  }
  if (topology.onBus.includes(service)) {
    if (external) fromSecret('MSX_BUS_URL', BUS_URL_KEY);
    else {
      fromSecret('MSX_RABBITMQ_PASSWORD', RABBITMQ_PASSWORD_KEY);
      env.push({ name: 'MSX_BUS_URL', value: `amqp://${RABBITMQ_USER}:$(MSX_RABBITMQ_PASSWORD)@${RABBITMQ}:${AMQP_PORT}` });
    }
  }

  const delayMs = Number(settings.SHUTDOWN_DELAY_MS) || KUBERNETES_SHUTDOWN_DELAY_MS;
  const timeoutMs = Number(settings.SHUTDOWN_TIMEOUT_MS) || shutdownTimeoutMs;
  return {
    settings,
    env,
    secretKeys: secrets,
    terminationGraceSeconds: Math.ceil((delayMs + timeoutMs) / 1000) + EXIT_MARGIN_S,
  };
}

/**
 * Discovery inside the cluster: every service but the gateway has a
 * headless Service of its own name, whose DNS name resolves to the
 * address of each ready pod, so callers balance over all pods themselves
 * (a ClusterIP would hide them behind one address and pin keep-alive
 * connections to one pod).
 */
function discoverySettings(manifest: Manifest): Record<string, string> {
  if (manifest.infrastructure.kubernetes.discovery === 'consul') {
    return { MSX_DISCOVERY: 'consul' };
  }
  return {
    MSX_DISCOVERY: 'dns',
    MSX_DNS_HOST_PATTERN: '{service}',
    MSX_DNS_PORT: String(CONTAINER_PORT),
  };
}

/**
 * The longest request the service may be serving when it is told to stop:
 * its routes' timeouts, and for the gateway every route's (it forwards them
 * all), so a rollout lets them finish instead of cutting them.
 */
function longestRequestMs(manifest: Manifest, service: string): number {
  const spec = manifest.services[service]!;
  const routes = spec.kind === 'gateway'
    ? Object.values(manifest.services).flatMap((s) => (s.kind === 'gateway' ? [] : s.routes))
    : spec.routes;
  return Math.max(0, ...routes.map((route) => durationMs(route.timeout)));
}
