import { createHash } from 'node:crypto';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ITopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import type { Manifest } from '../../../manifest/schema.js';
import { CONTAINER_PORT } from './kube-object.js';
import { serviceLabels, serviceSelector, type Labels } from './labels.js';
import { containerSecurity, podSecurity, scratchMount, scratchVolume, SERVICE_USER } from './pod-security.js';
import type { ServiceEnvironment } from './service-environment.js';

/** The kit's endpoints (runtime/src/service/probes.ts): the process answers; its dependencies are up and it is not draining. */
const HEALTH_PATH = '/health';
const READY_PATH = '/ready';

/** Annotation on the pod template with the hash of the ConfigMap, so a changed setting rolls the pods (env is read only at start). */
export const CONFIG_HASH_ANNOTATION = 'msx.dev/config-hash';

export function serviceConfigMap(manifest: Manifest, service: string, namespace: string, environment: ServiceEnvironment): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: service, namespace, labels: serviceLabels(manifest, service) },
    data: sortedRecord(environment.settings),
  };
}

export interface ServiceWorkloadInput {
  readonly manifest: Manifest;
  readonly service: string;
  readonly namespace: string;
  readonly image: string;
  readonly environment: ServiceEnvironment;
}

/**
 * The Deployment of one msx service. With `autoscaling` in msx.yaml it has
 * no `replicas`: the HorizontalPodAutoscaler owns that field, and an apply
 * that set it would scale the service back on every deploy.
 */
export function serviceDeployment(input: ServiceWorkloadInput): IDeployment {
  const { manifest, service, namespace, environment } = input;
  const spec = manifest.services[service]!;
  const labels = serviceLabels(manifest, service);
  const selector = serviceSelector(manifest, service);
  const probe = (path: string, extra: Partial<IProbe>): IProbe => ({
    httpGet: { path, port: 'http' },
    timeoutSeconds: 2,
    ...extra,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: service, namespace, labels },
    spec: {
      ...(spec.autoscaling ? {} : { replicas: spec.replicas }),
      revisionHistoryLimit: 5,
      progressDeadlineSeconds: 300,
      selector: { matchLabels: selector },
      // Never fewer ready pods than asked for during a rollout: a new pod comes up before an old one goes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels,
          annotations: { [CONFIG_HASH_ANNOTATION]: configHash(environment) },
        },
        spec: {
          // The kit drains on SIGTERM by itself (503 on /ready, then stops accepting after
          // SHUTDOWN_DELAY_MS, then waits for in-flight requests), so no preStop hook is needed,
          // only a grace period longer than all of that.
          terminationGracePeriodSeconds: environment.terminationGraceSeconds,
          // Services never talk to the API server, and Kubernetes' *_SERVICE_HOST variables would only add noise to their env.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurity(SERVICE_USER),
          topologySpreadConstraints: spread(selector),
          containers: [
            {
              name: service,
              image: input.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: CONTAINER_PORT, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: service } }],
              ...(environment.env.length > 0 ? { env: environment.env } : {}),
              resources: {
                requests: { cpu: spec.resources.requests.cpu, memory: spec.resources.requests.memory },
                limits: { cpu: spec.resources.limits.cpu, memory: spec.resources.limits.memory },
              },
              // Up to 60 s to start (migrations run before the listener opens), then the usual checks.
              startupProbe: probe(HEALTH_PATH, { periodSeconds: 2, failureThreshold: 30 }),
              readinessProbe: probe(READY_PATH, { periodSeconds: 5, failureThreshold: 2 }),
              livenessProbe: probe(HEALTH_PATH, { periodSeconds: 10, failureThreshold: 3 }),
              securityContext: containerSecurity({ readOnlyRootFilesystem: true }),
              volumeMounts: [scratchMount('tmp', '/tmp')],
            },
          ],
          volumes: [scratchVolume('tmp')],
        },
      },
    },
  };
}

/**
 * Spread a service's pods over nodes, then zones, preferring but never
 * requiring it (a one-node cluster still runs every replica). Only pods
 * of the same rollout count (`pod-template-hash`), so old pods on a
 * node do not push new ones away.
 */
function spread(selector: Labels): ITopologySpreadConstraint[] {
  return ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ['pod-template-hash'],
  }));
}

function configHash(environment: ServiceEnvironment): string {
  const text = JSON.stringify({ settings: sortedRecord(environment.settings), env: environment.env });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
