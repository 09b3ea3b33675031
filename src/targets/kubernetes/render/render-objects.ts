import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { Manifest } from '../../../manifest/schema.js';
import { alertRuleObjects } from './alert-rules.js';
import { collectorObjects, postgresServer, rabbitmqServer, redisServer, serverService, statefulSetOf } from './infrastructure.js';
import { APPLY_ORDER, type KubeObject } from './kube-object.js';
import { systemLabels } from './labels.js';
import { networkPolicies } from './network-policies.js';
import { podScraper, prometheusObjects, serviceMonitor } from './prometheus.js';
import { serviceAutoscaler, serviceDisruptionBudget } from './scaling.js';
import { secretObjects } from './secret-objects.js';
import { serviceEnvironment } from './service-environment.js';
import { gatewayIngress, serviceService } from './service-network.js';
import { serviceConfigMap, serviceDeployment } from './service-workload.js';
import { systemTopology } from './system-topology.js';

export { CONTAINER_PORT, APPLY_ORDER, type KubeObject } from './kube-object.js';
export { kubernetesNamespace, systemSelector } from './labels.js';
export { secretObjects, MissingSecretKeysError } from './secret-objects.js';
export { requiredSecretKeys } from './required-secrets.js';

export interface KubernetesObjectsInput {
  readonly manifest: Manifest;
  /** Image reference of each msx service, by service name; `msx-collector` may name the trace collector's (default `<system>/msx-collector:<msx version>`). */
  readonly images: Readonly<Record<string, string>>;
  readonly namespace: string;
  /** Put the system's Secret (from these `.env` values) into the output: for piping to kubectl only, never for files. */
  readonly includeSecrets?: { readonly values: Readonly<Record<string, string>> };
}

/**
 * Everything the system is on Kubernetes, built from msx.yaml as typed
 * objects, in the order they are applied ({@link APPLY_ORDER}). A pure
 * function of its input: the same manifest and images give the same
 * objects, byte for byte once serialised (no timestamps, no random names).
 */
export function kubernetesObjects(input: KubernetesObjectsInput): KubeObject[] {
  const { manifest, namespace } = input;
  const topology = systemTopology(manifest);
  const selfContained = manifest.infrastructure.kubernetes.infrastructure === 'selfContained';
  const objects: KubeObject[] = [namespaceObject(manifest, namespace)];
  if (input.includeSecrets) objects.push(...secretObjects(manifest, namespace, input.includeSecrets.values));

  if (selfContained) {
    const servers = [
      ...topology.withDatabase.map((service) => postgresServer(manifest, service)),
      ...(topology.onBus.length > 0 ? [rabbitmqServer(manifest)] : []),
      ...(topology.redis ? [redisServer(manifest)] : []),
    ];
    for (const server of servers) objects.push(statefulSetOf(manifest, namespace, server), serverService(manifest, namespace, server));
  }
  objects.push(...collectorObjects(manifest, namespace, input.images['msx-collector']));

  for (const service of topology.services) {
    const image = input.images[service];
    if (image === undefined) throw new TypeError(`no image given for service "${service}"`);
    const environment = serviceEnvironment(manifest, topology, service);
    objects.push(serviceConfigMap(manifest, service, namespace, environment));
    objects.push(serviceService(manifest, service, namespace));
    objects.push(serviceDeployment({ manifest, service, namespace, image, environment }));
    const autoscaler = serviceAutoscaler(manifest, service, namespace);
    if (autoscaler) objects.push(autoscaler);
    const budget = serviceDisruptionBudget(manifest, service, namespace);
    if (budget) objects.push(budget);
  }
  objects.push(...networkPolicies(manifest, topology, namespace));
  if (topology.gateway && manifest.infrastructure.kubernetes.expose === 'ingress') objects.push(gatewayIngress(manifest, topology.gateway, namespace));
  objects.push(...alertRuleObjects(manifest, namespace));
  // Something scrapes the pods: the Operator's Prometheus through a ServiceMonitor, else (self-contained) msx's own.
  const scraper = podScraper(manifest);
  if (scraper === 'operator') objects.push(serviceMonitor(manifest, namespace));
  if (scraper === 'own') objects.push(...prometheusObjects(manifest, namespace));

  // A stable sort: within a kind, objects keep the order they were built in (msx.yaml's order of services).
  return objects
    .map((object, index) => ({ object, index }))
    .sort((a, b) => APPLY_ORDER.indexOf(a.object.kind) - APPLY_ORDER.indexOf(b.object.kind) || a.index - b.index)
    .map(({ object }) => object);
}

function namespaceObject(manifest: Manifest, namespace: string): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: {
        ...systemLabels(manifest),
        // Every pod msx renders meets the restricted profile; the namespace enforces it, so nothing weaker slips in.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  };
}
