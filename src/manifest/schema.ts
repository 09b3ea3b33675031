import { z } from 'zod';
import { DNS_LABEL, DNS_LABEL_RULE } from './names.js';
import { alertsSchema } from './alerts-schema.js';
import { DURATION, durationMs } from './duration.js';
import { CPU_QUANTITY, CPU_QUANTITY_RULE, MEMORY_QUANTITY, MEMORY_QUANTITY_RULE } from './quantities.js';

/**
 * The schema of `msx.yaml`, the one manifest every command reads. It is the
 * single source for validation, for the JSON Schema written into generated
 * systems (editor completion), and for the TypeScript types of the CLI.
 * Objects are strict: an unknown key is an error (with a did-you-mean).
 */

/** The targets msx can run a system on, as `--target` and the manifest's `target:` name them. */
export const TARGET_NAMES = ['local', 'compose', 'kubernetes'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

const name = z.string().regex(DNS_LABEL, { error: `must be ${DNS_LABEL_RULE}` });
const port = z.number().int().min(1024, { error: 'must be 1024 or above (lower ports need root)' }).max(65535, { error: 'must be at most 65535' });
const duration = z.string().regex(DURATION, { error: 'must be a duration such as 500ms, 5s, 1m or 1h' });
const size = z.string().regex(/^\d+(b|kb|mb|gb)$/i, { error: 'must be a size such as 100kb, 1mb or 50mb' });
const eventType = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/, { error: 'must be a dotted event type such as order.created' });
const eventPattern = z.string().regex(/^([a-z0-9-]+|\*|#)(\.([a-z0-9-]+|\*|#))*$/, {
  error: 'must be an event type or pattern such as order.created, order.* or #',
});
const httpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const hostname = z.string().regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: 'must be a host name such as shop.example.com' });
const storage = z.string().regex(MEMORY_QUANTITY, { error: 'must be a volume size in binary units such as 512Mi or 10Gi' });
const envVarName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must be an environment variable name such as LOG_LEVEL' });

export const routeSchema = z.strictObject({
  path: z.string().regex(/^\/[-a-zA-Z0-9_/.:]*$/, { error: 'must be a path prefix starting with "/", such as /api/users' })
    .describe('Path prefix the gateway matches, e.g. /api/users'),
  to: z.string().regex(/^\/[-a-zA-Z0-9_/.:]*$/, { error: 'must be a path starting with "/", such as /users' })
    .optional().describe('Upstream path the prefix is rewritten to (default: the same path)'),
  methods: z.array(httpMethod).min(1).optional().describe('Methods this route applies to (default: all)'),
  public: z.boolean().default(false).describe('Whether the route is served without a user token'),
  open: z.boolean().optional()
    .describe('Whether the service serves this route to callers that reach its port directly, without the gateway or a service token (default: false)'),
  timeout: duration.default('10s').describe('Upstream timeout'),
  bodyLimit: size.default('1mb').describe('Largest request body accepted'),
  rateLimit: name.optional().describe('Rate-limit group of the gateway that applies (default: the gateway\'s default group)'),
});

const eventsSchema = z.strictObject({
  publishes: z.array(eventType).default([]).describe('Event types this service publishes'),
  subscribes: z.array(eventPattern).default([]).describe('Event types or patterns this service consumes'),
});

const cpu = z.string().regex(CPU_QUANTITY, { error: `must be ${CPU_QUANTITY_RULE}` });
const memory = z.string().regex(MEMORY_QUANTITY, { error: `must be ${MEMORY_QUANTITY_RULE}` });
const utilisation = z.number().int().min(1).max(1000);

/**
 * What one instance may use. Requests are what the scheduler reserves (and
 * what an autoscaler's percentages are of), limits what the container is
 * held to: memory over the limit is killed, CPU over it throttled.
 */
export const resourcesSchema = z.strictObject({
  requests: z.strictObject({
    cpu: cpu.default('100m'),
    memory: memory.default('128Mi'),
  }).prefault({}).describe('Reserved for each instance (default 100m CPU, 128Mi memory)'),
  limits: z.strictObject({
    cpu: cpu.default('1'),
    memory: memory.default('256Mi'),
  }).prefault({}).describe('Most each instance may use (default 1 CPU, 256Mi memory)'),
}).prefault({}).describe('CPU and memory of each instance on the container targets (Kubernetes requests and limits)');

export const autoscalingSchema = z.strictObject({
  min: z.number().int().min(1).max(100).describe('Fewest instances'),
  max: z.number().int().min(1).max(100).describe('Most instances'),
  cpu: utilisation.optional().describe('Average CPU use to keep, in percent of the CPU request (e.g. 70)'),
  memory: utilisation.optional().describe('Average memory use to keep, in percent of the memory request (e.g. 80)'),
}).describe('Scale between min and max instances on CPU and/or memory use (a Kubernetes HorizontalPodAutoscaler); replicas is then only where the local and compose targets start');

const commonServiceFields = {
  port: port.describe('Port of the first instance on the local target; inside containers too'),
  replicas: z.number().int().min(1).max(50).default(1).describe('Instances to run'),
  env: z.record(envVarName, z.string()).default({}).describe('Extra environment variables (no secrets: those belong in .env)'),
  resources: resourcesSchema,
  autoscaling: autoscalingSchema.optional(),
  alerts: alertsSchema,
};

export const httpServiceSchema = z.strictObject({
  kind: z.literal('http'),
  ...commonServiceFields,
  database: z.boolean().default(false).describe('Whether the service owns a database'),
  open: z.boolean().optional()
    .describe('Whether every route of the service is served to callers that reach its port directly, without the gateway or a service token (default: false)'),
  calls: z.array(name).default([]).describe('Services this one calls over HTTP (start order and discovery)'),
  events: eventsSchema.default({ publishes: [], subscribes: [] }),
  routes: z.array(routeSchema).default([]).describe('Routes the gateway exposes to this service'),
});

export const workerServiceSchema = z.strictObject({
  kind: z.literal('worker'),
  ...commonServiceFields,
  database: z.boolean().default(false).describe('Whether the service owns a database'),
  open: z.boolean().optional()
    .describe('Whether every route of the worker is served to callers that reach its port directly, without the gateway or a service token (default: false)'),
  calls: z.array(name).default([]),
  events: eventsSchema.default({ publishes: [], subscribes: [] }),
  routes: z.array(routeSchema).default([]).describe('Routes the gateway exposes to this worker\'s HTTP port (e.g. a read API)'),
});

const rateLimitSchema = z.strictObject({
  points: z.number().int().min(1).describe('Requests allowed per window'),
  per: duration.describe('Window length'),
  by: z.enum(['ip', 'subject']).default('ip').describe('Whose budget: client IP, or the token\'s subject'),
});

export const gatewayServiceSchema = z.strictObject({
  kind: z.literal('gateway'),
  ...commonServiceFields,
  auth: z.strictObject({
    algorithms: z.array(z.enum(['HS256', 'RS256', 'ES256', 'EdDSA'])).min(1).default(['HS256'])
      .describe('Accepted JWT algorithms (HS256 uses JWT_SECRET from .env)'),
    issuer: z.string().min(1).optional()
      .describe('Required `iss` of user tokens (default: msx:<system name>, what msx token mints); set your identity provider\'s'),
    audience: z.string().min(1).optional()
      .describe('Required `aud` of user tokens (default: the system name, what msx token mints)'),
    jwksUrl: z.url().optional().describe('JWKS endpoint for RS256/ES256/EdDSA tokens'),
    clockSkew: duration.default('30s'),
    // Token ages are whole seconds (iat, exp): anything shorter would refuse every token.
    maxTokenAge: duration.refine((value) => !DURATION.test(value) || durationMs(value) >= 1000, { error: 'must be at least 1s: token lifetimes are counted in whole seconds' }).default('24h')
      .describe('Longest token lifetime accepted: tokens need iat, and exp - iat at most this; msx token mints no longer'),
  }).default({ algorithms: ['HS256'], clockSkew: '30s', maxTokenAge: '24h' }),
  rateLimits: z.record(name, rateLimitSchema).default({ default: { points: 100, per: '1s', by: 'ip' } })
    .describe('Named rate-limit groups; routes pick one with rateLimit (default: "default")'),
  cors: z.strictObject({
    origins: z.array(z.string().min(1)).default([]),
    credentials: z.boolean().default(false),
  }).default({ origins: [], credentials: false }),
  // Optional, with the runtime's default: a manifest that does not set it generates the same gateway config as before.
  // (A refinement runs even when the pattern failed: the pattern's own message is the one to show then.)
  headersTimeout: duration.refine((value) => !DURATION.test(value) || durationMs(value) >= 1, { error: 'must be at least 1ms' }).optional()
    .describe('Time a client has to send a request\'s headers; then it gets 408 and its connection closes (default: 10s)'),
});

export const serviceSchema = z.discriminatedUnion('kind', [httpServiceSchema, workerServiceSchema, gatewayServiceSchema]);

const imagesSchema = z.record(z.string().min(1), z.string().min(1)).default({})
  .describe('Images to use instead of the defaults, by role: node, rabbitmq, postgres, redis, prometheus, msx-collector');

/** The official images the compose target runs when msx.yaml names none; tags pinned to a major (or minor) line. */
export const COMPOSE_IMAGE_DEFAULTS = {
  node: 'node:20-bookworm-slim',
  postgres: 'postgres:16-alpine',
  rabbitmq: 'rabbitmq:3.13-alpine',
  redis: 'redis:7-alpine',
  prometheus: 'prom/prometheus:v2.55.1',
  grafana: 'grafana/grafana-oss:11.3.1',
} as const;

const imageRef = z.string().min(1).regex(/^[^\s]+$/, { error: 'must be an image reference such as postgres:16-alpine, without spaces' });

const composeImagesSchema = z.strictObject({
  node: imageRef.default(COMPOSE_IMAGE_DEFAULTS.node).describe('Base image of every service image (Node 20)'),
  postgres: imageRef.default(COMPOSE_IMAGE_DEFAULTS.postgres).describe('PostgreSQL, one container per database-owning service'),
  rabbitmq: imageRef.default(COMPOSE_IMAGE_DEFAULTS.rabbitmq).describe('RabbitMQ, the bus'),
  redis: imageRef.default(COMPOSE_IMAGE_DEFAULTS.redis).describe('Redis, the gateway\'s shared rate-limit budget'),
  prometheus: imageRef.default(COMPOSE_IMAGE_DEFAULTS.prometheus).describe('Prometheus, scraping every instance'),
  grafana: imageRef.default(COMPOSE_IMAGE_DEFAULTS.grafana).describe('Grafana, with the system\'s dashboard provisioned'),
}).prefault({}).describe('Images of the compose target, by role (default: the official images)');

const publishSchema = z.strictObject({
  address: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)' })
    .default('127.0.0.1').describe('Host address published ports bind to (default 127.0.0.1: reachable from this machine only)'),
  prometheus: port.optional().describe('Host port to publish Prometheus on (default: not published)'),
  grafana: port.optional().describe('Host port to publish Grafana on (default: not published)'),
}).prefault({}).describe('What the compose target publishes to the host: always the gateway on its port, Prometheus and Grafana on request');

export const infrastructureSchema = z.strictObject({
  local: z.strictObject({
    bus: z.enum(['embedded', 'rabbitmq']).default('embedded'),
    database: z.enum(['embedded', 'postgres']).default('embedded'),
    discovery: z.enum(['local', 'consul']).default('local')
      .describe('How instances find each other under msx up: the supervisor\'s registry (local), or a Consul agent at MSX_CONSUL_URL (default http://127.0.0.1:8500) that each instance registers with'),
  }).default({ bus: 'embedded', database: 'embedded', discovery: 'local' }),
  compose: z.strictObject({
    bus: z.enum(['rabbitmq']).default('rabbitmq'),
    database: z.enum(['postgres']).default('postgres'),
    discovery: z.enum(['dns', 'consul']).default('dns')
      .describe('How containers find each other: compose\'s DNS, or a Consul agent at MSX_CONSUL_URL (set in .env, as containers reach it) that each container registers with'),
    images: composeImagesSchema,
    publish: publishSchema,
  }).prefault({}),
  kubernetes: z.strictObject({
    bus: z.enum(['rabbitmq']).default('rabbitmq'),
    database: z.enum(['postgres']).default('postgres'),
    discovery: z.enum(['dns', 'consul']).default('dns'),
    namespace: name.optional().describe('Namespace to deploy into (default: the system name)'),
    registry: z.string().min(1).optional().describe('Registry prefix for built images, e.g. registry.example.com/team'),
    images: imagesSchema,
    expose: z.enum(['ingress', 'loadBalancer', 'none']).default('ingress')
      .describe('How the gateway is reached from outside the cluster: an Ingress, a LoadBalancer Service, or not at all (port-forward)'),
    ingress: z.strictObject({
      host: hostname.optional().describe('Host name the Ingress answers (default: any host)'),
      className: z.string().min(1).optional().describe('IngressClass to use (default: the cluster\'s default class)'),
      tlsSecret: name.optional().describe('Secret holding the TLS certificate for host (kubernetes.io/tls)'),
    }).prefault({}),
    infrastructure: z.enum(['selfContained', 'external']).default('selfContained')
      .describe('selfContained: PostgreSQL, RabbitMQ and Redis run in the namespace as StatefulSets; external: their URLs come from the system\'s Secret (managed services)'),
    storage: z.strictObject({
      className: z.string().min(1).optional().describe('StorageClass of the volumes (default: the cluster\'s default class)'),
      postgres: storage.default('1Gi').describe('Volume of each service\'s PostgreSQL'),
      rabbitmq: storage.default('1Gi'),
      redis: storage.default('256Mi'),
    }).prefault({}).describe('Volumes of the self-contained infrastructure'),
    alertRules: z.enum(['configMap', 'prometheusRule']).default('configMap')
      .describe('How the alert rules are rendered: configMap (a ConfigMap holding the Prometheus rule file, for any Prometheus) or prometheusRule (a PrometheusRule object, for clusters running the Prometheus Operator)'),
  }).prefault({}),
});

/**
 * What one environment changes of one service. Only what differs between
 * environments: what a service is (kind, routes, events, calls, port) is the
 * same everywhere, so that what was tested in staging is what runs in prod.
 * Maps merge into the service's own (env adds and replaces variables,
 * resources per key); replicas and autoscaling replace.
 */
export const serviceOverrideSchema = z.strictObject({
  env: z.record(envVarName, z.string()).optional().describe('Environment variables added to (or replacing) the service\'s env'),
  replicas: z.number().int().min(1).max(50).optional().describe('Instances to run in this environment'),
  resources: z.strictObject({
    requests: z.strictObject({ cpu: cpu.optional(), memory: memory.optional() }).optional(),
    limits: z.strictObject({ cpu: cpu.optional(), memory: memory.optional() }).optional(),
  }).optional().describe('CPU and memory requests and limits that differ in this environment'),
  autoscaling: autoscalingSchema.partial().optional().describe('Autoscaling in this environment (merged into the service\'s own, if it has one)'),
});

/**
 * Infrastructure keys an environment overrides, per target: a namespace, a
 * registry, images, the exposure, volumes. Checked against the
 * infrastructure schema once merged, so a mistake here is reported at its
 * line in the environment.
 */
const infrastructureOverrideSchema = z.strictObject({
  local: z.record(z.string(), z.unknown()).optional(),
  compose: z.record(z.string(), z.unknown()).optional(),
  kubernetes: z.record(z.string(), z.unknown()).optional(),
}).describe('Keys of infrastructure.<target> that differ in this environment, e.g. kubernetes.namespace, kubernetes.registry, compose.images');

export const SECRET_SOURCES = ['file', 'environment'] as const;

export const environmentSchema = z.strictObject({
  description: z.string().optional(),
  target: z.enum(TARGET_NAMES).optional()
    .describe('Where this environment runs when --target is not given; it is also the default environment of that target (see default)'),
  default: z.boolean().optional()
    .describe('Whether this is the environment msx uses on its target when --env is not given; needed only when several environments name the same target'),
  secrets: z.enum(SECRET_SOURCES).default('file')
    .describe('Where the secrets come from: file (.env.<environment>, git-ignored, generated by msx up/deploy when missing) or environment (msx\'s own environment variables, e.g. a CI job\'s secrets)'),
  services: z.record(name, serviceOverrideSchema).default({}).describe('Per service, what differs in this environment'),
  infrastructure: infrastructureOverrideSchema.optional(),
});

export const manifestSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only manifest version so far)' }),
  name: name.describe('System name: becomes the npm workspace name, compose project and Kubernetes namespace'),
  description: z.string().optional(),
  target: z.enum(TARGET_NAMES).optional()
    .describe('Where msx up runs the system when --target is not given (default: local)'),
  services: z.record(name, serviceSchema).refine((services) => Object.keys(services).length > 0, {
    error: 'must list at least one service',
  }),
  keep: z.array(z.string().min(1).refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), { error: 'must be a path inside the system folder, relative to it' }))
    .default([])
    .describe('msx-owned files you have taken over (paths relative to the system folder): msx never rewrites them (msx up, generate, upgrade) and says so'),
  infrastructure: infrastructureSchema.prefault({}),
  environments: z.record(name, environmentSchema).default({})
    .describe('Named environments (e.g. dev, staging, prod) and what each changes; chosen with --env, or per target by default'),
});

/** The environment a manifest was resolved for, when one was chosen (--env, the deployment's, or the target's default). */
export interface SelectedEnvironment {
  readonly name: string;
  readonly secrets: (typeof SECRET_SOURCES)[number];
}

export type Manifest = z.infer<typeof manifestSchema> & {
  /** Set when an environment's overrides were applied: which one, and where its secrets come from. */
  readonly environment?: SelectedEnvironment | undefined;
};
export type EnvironmentSpec = z.infer<typeof environmentSchema>;
export type ManifestInput = z.input<typeof manifestSchema>;
export type ServiceSpec = z.infer<typeof serviceSchema>;
export type HttpServiceSpec = z.infer<typeof httpServiceSchema>;
export type WorkerServiceSpec = z.infer<typeof workerServiceSchema>;
export type GatewayServiceSpec = z.infer<typeof gatewayServiceSchema>;
export type RouteSpec = z.infer<typeof routeSchema>;
export type KubernetesInfrastructure = Manifest['infrastructure']['kubernetes'];
export type ServiceKind = ServiceSpec['kind'];
