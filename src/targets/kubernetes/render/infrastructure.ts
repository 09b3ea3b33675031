import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import type { Manifest } from '../../../manifest/schema.js';
import { infrastructureImage, INFRASTRUCTURE_USER } from './infrastructure-images.js';
import { infrastructureLabels, infrastructureSelector, systemLabels } from './labels.js';
import { containerSecurity, podSecurity, scratchMount, scratchVolume, SERVICE_USER } from './pod-security.js';
import { databasePasswordKey, RABBITMQ_PASSWORD_KEY, REDIS_PASSWORD_KEY, secretName } from './secret-refs.js';
import { RABBITMQ_USER } from './service-environment.js';
import {
  AMQP_PORT,
  COLLECTOR,
  COLLECTOR_DATA_DIR,
  databaseHost,
  databaseName,
  OTLP_PORT,
  POSTGRES_PORT,
  RABBITMQ,
  REDIS,
  REDIS_PORT,
} from './system-topology.js';

/** A server of the self-contained infrastructure: one pod, its data on a PersistentVolumeClaim that outlives it. */
interface StatefulServer {
  readonly name: string;
  readonly software: 'postgres' | 'rabbitmq' | 'redis';
  readonly component: string;
  readonly port: { readonly name: string; readonly number: number };
  readonly env: IEnvVar[];
  readonly args?: string[];
  readonly dataPath: string;
  readonly storage: string;
  /** Writable folders besides the data volume, on a read-only root filesystem. */
  readonly scratch: readonly string[];
  readonly readOnlyRootFilesystem: boolean;
  readonly readinessProbe: IProbe;
  readonly livenessProbe: IProbe;
  readonly resources: { requests: Record<string, string>; limits: Record<string, string> };
  readonly terminationGraceSeconds: number;
}

const secretEnv = (manifest: Manifest, name: string, key: string): IEnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secretName(manifest), key } },
});

/** PostgreSQL owned by one service: its own server, role and database, reachable only from that service's pods. */
export function postgresServer(manifest: Manifest, service: string): StatefulServer {
  const db = databaseName(service);
  return {
    name: databaseHost(service),
    software: 'postgres',
    component: 'database',
    port: { name: 'postgres', number: POSTGRES_PORT },
    env: [
      { name: 'POSTGRES_USER', value: db },
      { name: 'POSTGRES_DB', value: db },
      secretEnv(manifest, 'POSTGRES_PASSWORD', databasePasswordKey(service)),
      // A subfolder: the volume's root may hold lost+found, which initdb refuses.
      { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
    ],
    dataPath: '/var/lib/postgresql/data',
    storage: manifest.infrastructure.kubernetes.storage.postgres,
    scratch: ['/var/run/postgresql', '/tmp'],
    readOnlyRootFilesystem: true,
    readinessProbe: { exec: { command: ['pg_isready', '-h', '127.0.0.1', '-U', db, '-d', db] }, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { tcpSocket: { port: 'postgres' }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 3 },
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    // The image stops on SIGINT (fast shutdown): a checkpoint, then exit.
    terminationGraceSeconds: 60,
  };
}

export function rabbitmqServer(manifest: Manifest): StatefulServer {
  return {
    name: RABBITMQ,
    software: 'rabbitmq',
    component: 'bus',
    port: { name: 'amqp', number: AMQP_PORT },
    env: [
      { name: 'RABBITMQ_DEFAULT_USER', value: RABBITMQ_USER },
      secretEnv(manifest, 'RABBITMQ_DEFAULT_PASS', RABBITMQ_PASSWORD_KEY),
    ],
    dataPath: '/var/lib/rabbitmq',
    storage: manifest.infrastructure.kubernetes.storage.rabbitmq,
    scratch: ['/tmp'],
    // The image's entrypoint writes its configuration under /etc/rabbitmq at start.
    readOnlyRootFilesystem: false,
    readinessProbe: { tcpSocket: { port: 'amqp' }, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { exec: { command: ['rabbitmq-diagnostics', '-q', 'ping'] }, initialDelaySeconds: 60, periodSeconds: 30, timeoutSeconds: 15 },
    resources: { requests: { cpu: '200m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    terminationGraceSeconds: 60,
  };
}

export function redisServer(manifest: Manifest): StatefulServer {
  return {
    name: REDIS,
    software: 'redis',
    component: 'cache',
    port: { name: 'redis', number: REDIS_PORT },
    env: [secretEnv(manifest, 'REDIS_PASSWORD', REDIS_PASSWORD_KEY)],
    args: ['redis-server', '--requirepass', '$(REDIS_PASSWORD)', '--appendonly', 'yes', '--dir', '/data'],
    dataPath: '/data',
    storage: manifest.infrastructure.kubernetes.storage.redis,
    scratch: ['/tmp'],
    readOnlyRootFilesystem: true,
    readinessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { tcpSocket: { port: 'redis' }, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 3 },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    terminationGraceSeconds: 30,
  };
}

export function statefulSetOf(manifest: Manifest, namespace: string, server: StatefulServer): IStatefulSet {
  const labels = infrastructureLabels(manifest, server.name, server.software, server.component);
  const selector = infrastructureSelector(manifest, server.name);
  const scratchNames = server.scratch.map((_, i) => `scratch-${i}`);
  const { storage: size } = server;
  const storageClassName = manifest.infrastructure.kubernetes.storage.className;
  const container: IContainer = {
    name: server.software,
    image: infrastructureImage(manifest, server.software),
    imagePullPolicy: 'IfNotPresent',
    ...(server.args ? { args: server.args } : {}),
    ports: [{ name: server.port.name, containerPort: server.port.number, protocol: 'TCP' }],
    env: server.env,
    resources: server.resources,
    readinessProbe: server.readinessProbe,
    livenessProbe: server.livenessProbe,
    securityContext: containerSecurity({ readOnlyRootFilesystem: server.readOnlyRootFilesystem }),
    volumeMounts: [
      { name: 'data', mountPath: server.dataPath },
      ...server.scratch.map((path, i) => scratchMount(scratchNames[i]!, path)),
    ],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: server.name, namespace, labels },
    spec: {
      serviceName: server.name,
      replicas: 1,
      selector: { matchLabels: selector },
      // Deleting or scaling down the StatefulSet keeps the data; msx down --volumes removes it.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: server.terminationGraceSeconds,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurity(INFRASTRUCTURE_USER),
          containers: [container],
          volumes: scratchNames.map((name) => scratchVolume(name)),
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          // The claims carry the system's labels, so msx down --volumes finds them by the same selector.
          metadata: { name: 'data', labels: { ...systemLabels(manifest), 'msx.dev/infrastructure': server.name } },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(storageClassName ? { storageClassName } : {}),
            resources: { requests: { storage: size } },
          },
        },
      ],
    },
  };
}

/** The headless Service a StatefulSet's pod is reached by (`<name>`, stable across restarts). */
export function serverService(manifest: Manifest, namespace: string, server: StatefulServer): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: server.name, namespace, labels: infrastructureLabels(manifest, server.name, server.software, server.component) },
    spec: {
      clusterIP: 'None',
      selector: infrastructureSelector(manifest, server.name),
      ports: [{ name: server.port.name, port: server.port.number, targetPort: server.port.name, protocol: 'TCP' }],
    },
  };
}

/**
 * msx's own trace collector, where every service sends its spans (OTLP over
 * HTTP) and where msx trace reads them. One pod; spans live on an emptyDir,
 * as they do in `.msx/traces` locally: a trace is for looking at now.
 */
export function collectorObjects(manifest: Manifest, namespace: string, image = infrastructureImage(manifest, 'msx-collector')): [IService, IDeployment] {
  const labels = infrastructureLabels(manifest, COLLECTOR, COLLECTOR, 'tracing');
  const selector = infrastructureSelector(manifest, COLLECTOR);
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: COLLECTOR, namespace, labels },
    spec: { selector, ports: [{ name: 'otlp-http', port: OTLP_PORT, targetPort: 'otlp-http', protocol: 'TCP' }] },
  };
  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: COLLECTOR, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurity(SERVICE_USER),
          containers: [
            {
              name: COLLECTOR,
              image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'otlp-http', containerPort: OTLP_PORT, protocol: 'TCP' }],
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              readinessProbe: { tcpSocket: { port: 'otlp-http' }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 'otlp-http' }, periodSeconds: 10 },
              securityContext: containerSecurity({ readOnlyRootFilesystem: true }),
              volumeMounts: [scratchMount('traces', COLLECTOR_DATA_DIR), scratchMount('tmp', '/tmp')],
            },
          ],
          volumes: [scratchVolume('traces', '512Mi'), scratchVolume('tmp')],
        },
      },
    },
  };
  return [service, deployment];
}
