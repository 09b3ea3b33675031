import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { Manifest } from '../../../manifest/schema.js';
import { serviceLabels, serviceSelector } from './labels.js';

/** The fewest pods a service runs with: the autoscaler's minimum, else its replicas. */
export function minimumPods(manifest: Manifest, service: string): number {
  const spec = manifest.services[service]!;
  return spec.autoscaling?.min ?? spec.replicas;
}

/** An autoscaling/v2 HorizontalPodAutoscaler, when msx.yaml gives the service `autoscaling`. */
export function serviceAutoscaler(manifest: Manifest, service: string, namespace: string): IHorizontalPodAutoscaler | undefined {
  const scaling = manifest.services[service]!.autoscaling;
  if (!scaling) return undefined;
  const metrics = (['cpu', 'memory'] as const)
    .filter((resource) => scaling[resource] !== undefined)
    .map((resource) => ({
      type: 'Resource',
      resource: { name: resource, target: { type: 'Utilization', averageUtilization: scaling[resource]! } },
    }));
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: service, namespace, labels: serviceLabels(manifest, service) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: service },
      minReplicas: scaling.min,
      maxReplicas: scaling.max,
      metrics,
    },
  };
}

/**
 * A PodDisruptionBudget when the service runs two pods or more: node drains
 * and cluster upgrades then take at most one of its pods at a time. With
 * one pod a budget could only block the drain, so there is none. A pod
 * that is not ready may always be evicted, so a crashing pod never holds
 * a node drain up.
 */
export function serviceDisruptionBudget(manifest: Manifest, service: string, namespace: string): IPodDisruptionBudget | undefined {
  if (minimumPods(manifest, service) < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: service, namespace, labels: serviceLabels(manifest, service) },
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: serviceSelector(manifest, service) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
