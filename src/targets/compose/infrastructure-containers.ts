import type { Manifest } from '../../manifest/schema.js';
import { COLLECTOR_DATA_DIR, COLLECTOR_PORT, databaseName, INFRASTRUCTURE, publishedPort, ROLE_LABEL, SERVICE_LABEL, SYSTEM_LABEL } from './compose-names.js';
import { COMPOSE_SECRETS, databasePasswordVariable } from './compose-secrets.js';
import type { ComposeService } from './compose-spec.js';
import { required } from './compose-variables.js';
import { postgresHealthcheck, rabbitmqHealthcheck, redisHealthcheck, wgetHealthcheck } from './healthchecks.js';
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_PROVISIONING_DIR, PROMETHEUS_CONFIG_DIR, PROVISIONING } from './provisioning-files.js';

type Images = Manifest['infrastructure']['compose']['images'];

function labels(manifest: Manifest, role: string, service?: string): Record<string, string> {
  return { [SYSTEM_LABEL]: manifest.name, [ROLE_LABEL]: role, ...(service ? { [SERVICE_LABEL]: service } : {}) };
}

/** Named volume of a service's database: `orders-db-data`. */
export function databaseVolume(service: string): string {
  return `${service}-db-data`;
}

/**
 * The PostgreSQL of one service (database per service): its own role,
 * database and password from `.env`, data in a named volume so `down` and
 * `up` keep it. PostgreSQL shuts down fast on SIGINT; SIGTERM waits for
 * every client to leave.
 */
export function postgresContainer(manifest: Manifest, images: Images, service: string): ComposeService {
  const db = databaseName(service);
  return {
    image: images.postgres,
    environment: {
      POSTGRES_USER: db,
      POSTGRES_DB: db,
      POSTGRES_PASSWORD: required(databasePasswordVariable(service)),
    },
    volumes: [{ type: 'volume', source: databaseVolume(service), target: '/var/lib/postgresql/data' }],
    healthcheck: postgresHealthcheck(db, db),
    restart: 'unless-stopped',
    stop_signal: 'SIGINT',
    stop_grace_period: '30s',
    labels: labels(manifest, 'database', service),
  };
}

export const RABBITMQ_VOLUME = 'rabbitmq-data';

/**
 * RabbitMQ, the bus of the container targets. Its data directory is named
 * after the node, and the node after the host name, so the host name is
 * fixed: a recreated container finds its queues (and undelivered messages).
 */
export function rabbitmqContainer(manifest: Manifest, images: Images): ComposeService {
  return {
    image: images.rabbitmq,
    hostname: INFRASTRUCTURE.rabbitmq,
    environment: {
      RABBITMQ_DEFAULT_USER: 'msx',
      RABBITMQ_DEFAULT_PASS: required(COMPOSE_SECRETS.rabbitmqPassword),
    },
    volumes: [{ type: 'volume', source: RABBITMQ_VOLUME, target: '/var/lib/rabbitmq' }],
    healthcheck: rabbitmqHealthcheck(),
    restart: 'unless-stopped',
    stop_grace_period: '30s',
    labels: labels(manifest, 'bus'),
  };
}

/**
 * Redis for the gateway's rate limits: one budget shared by every gateway
 * replica. Budgets are seconds long, so nothing is persisted.
 */
export function redisContainer(manifest: Manifest, images: Images): ComposeService {
  const password = required(COMPOSE_SECRETS.redisPassword);
  return {
    image: images.redis,
    command: ['redis-server', '--requirepass', password, '--save', '', '--appendonly', 'no'],
    // For the healthcheck's redis-cli only.
    environment: { [COMPOSE_SECRETS.redisPassword]: password },
    healthcheck: redisHealthcheck(COMPOSE_SECRETS.redisPassword),
    restart: 'unless-stopped',
    labels: labels(manifest, 'rate-limit-store'),
  };
}

/** Prometheus with msx's scrape configuration (generated beside compose.yaml), published only on request. */
export function prometheusContainer(manifest: Manifest, images: Images, mountBase: string): ComposeService {
  const { publish } = manifest.infrastructure.compose;
  return {
    image: images.prometheus,
    volumes: [{ type: 'bind', source: `${mountBase}/${PROVISIONING.prometheusDir}`, target: PROMETHEUS_CONFIG_DIR, read_only: true }],
    ...(publish.prometheus !== undefined ? { ports: [publishedPort(publish.address, publish.prometheus, 9090)] } : { expose: ['9090'] }),
    healthcheck: wgetHealthcheck('http://127.0.0.1:9090/-/ready'),
    restart: 'unless-stopped',
    labels: labels(manifest, 'metrics'),
  };
}

export const GRAFANA_VOLUME = 'grafana-data';

/** The compose profile Grafana sits in when it is not published (see {@link grafanaContainer}). */
export const GRAFANA_PROFILE = 'grafana';

/**
 * Grafana with Prometheus as its data source and the system's dashboard,
 * both provisioned from files msx generates. Published only on request;
 * unpublished, nobody outside the project's network could open it, so it
 * sits in the `grafana` profile and starts only when asked
 * (`docker compose --profile grafana up -d`), instead of pulling and
 * running a large image on every `up` for no reader.
 */
export function grafanaContainer(manifest: Manifest, images: Images, mountBase: string): ComposeService {
  const { publish } = manifest.infrastructure.compose;
  return {
    image: images.grafana,
    environment: {
      GF_SECURITY_ADMIN_USER: 'admin',
      GF_SECURITY_ADMIN_PASSWORD: required(COMPOSE_SECRETS.grafanaAdminPassword),
      GF_USERS_ALLOW_SIGN_UP: 'false',
      GF_ANALYTICS_REPORTING_ENABLED: 'false',
      GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
    },
    volumes: [
      { type: 'volume', source: GRAFANA_VOLUME, target: '/var/lib/grafana' },
      { type: 'bind', source: `${mountBase}/${PROVISIONING.grafanaProvisioningDir}`, target: GRAFANA_PROVISIONING_DIR, read_only: true },
      { type: 'bind', source: `${mountBase}/${PROVISIONING.grafanaDashboardsDir}`, target: GRAFANA_DASHBOARDS_DIR, read_only: true },
    ],
    ...(publish.grafana !== undefined ? { ports: [publishedPort(publish.address, publish.grafana, 3000)] } : { expose: ['3000'], profiles: [GRAFANA_PROFILE] }),
    depends_on: { [INFRASTRUCTURE.prometheus]: { condition: 'service_healthy' } },
    healthcheck: wgetHealthcheck('http://127.0.0.1:3000/api/health'),
    restart: 'unless-stopped',
    labels: labels(manifest, 'dashboards'),
  };
}

export const COLLECTOR_VOLUME = 'msx-collector-data';

/**
 * msx's own trace collector as a container: services export OTLP/HTTP to it
 * and `msx trace` reads it as it does locally. It is msx's, not an OTel
 * collector or Jaeger, because those images cannot be had here and so could
 * not be tested; its image and entrypoint come from the compose target.
 */
export function collectorContainer(manifest: Manifest, image: string): ComposeService {
  return {
    image,
    expose: [String(COLLECTOR_PORT)],
    volumes: [{ type: 'volume', source: COLLECTOR_VOLUME, target: COLLECTOR_DATA_DIR }],
    restart: 'unless-stopped',
    init: true,
    labels: labels(manifest, 'traces'),
  };
}
