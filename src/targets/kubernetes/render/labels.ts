import type { Manifest } from '../../../manifest/schema.js';

/** Label every object msx renders carries: who manages it (the prune and `down` selector relies on it). */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
/** The system an object belongs to. */
export const SYSTEM_LABEL = 'msx.dev/system';
/** The msx service (from msx.yaml) an object belongs to. */
export const SERVICE_LABEL = 'msx.dev/service';
/** The piece of infrastructure (a service's database, the broker, Redis, the trace collector) an object belongs to. */
export const INFRASTRUCTURE_LABEL = 'msx.dev/infrastructure';

export type Labels = Record<string, string>;

/** Labels of everything msx makes for the system. */
export function systemLabels(manifest: Manifest): Labels {
  return {
    'app.kubernetes.io/part-of': manifest.name,
    [MANAGED_BY]: 'msx',
    [SYSTEM_LABEL]: manifest.name,
  };
}

/**
 * The label selector of everything msx made for a system, for listing,
 * pruning and deleting: `app.kubernetes.io/managed-by=msx,msx.dev/system=<system>`.
 * Never wider, so nothing msx did not create is touched.
 */
export function systemSelector(manifest: Manifest): string {
  return `${MANAGED_BY}=msx,${SYSTEM_LABEL}=${manifest.name}`;
}

/** The namespace the system goes into: `infrastructure.kubernetes.namespace`, else the system's name. */
export function kubernetesNamespace(manifest: Manifest): string {
  return manifest.infrastructure.kubernetes.namespace ?? manifest.name;
}

/** What selects the pods of one workload. Kept small and fixed: a Deployment's selector can never change. */
export function serviceSelector(manifest: Manifest, service: string): Labels {
  return { [SYSTEM_LABEL]: manifest.name, [SERVICE_LABEL]: service };
}

export function infrastructureSelector(manifest: Manifest, name: string): Labels {
  return { [SYSTEM_LABEL]: manifest.name, [INFRASTRUCTURE_LABEL]: name };
}

/** Labels of an msx service's objects and pods. */
export function serviceLabels(manifest: Manifest, service: string): Labels {
  return {
    ...systemLabels(manifest),
    'app.kubernetes.io/name': service,
    'app.kubernetes.io/component': manifest.services[service]!.kind,
    [SERVICE_LABEL]: service,
  };
}

/** Labels of an infrastructure piece's objects and pods; `software` is what runs (postgres, rabbitmq, redis). */
export function infrastructureLabels(manifest: Manifest, name: string, software: string, component: string): Labels {
  return {
    ...systemLabels(manifest),
    'app.kubernetes.io/name': software,
    'app.kubernetes.io/component': component,
    [INFRASTRUCTURE_LABEL]: name,
  };
}
