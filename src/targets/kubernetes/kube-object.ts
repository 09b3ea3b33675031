/**
 * The plain shape msx renders and applies: what every Kubernetes object has.
 * Rendering builds typed objects; the apply path only needs these fields.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `Deployment shop/orders`: how objects are named to a person. */
export function describeObject(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

/** Identity of an object in a cluster: group/kind, namespace, name. */
export function objectKey(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  return `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/**
 * The kinds msx creates, in the order an apply must follow (what a kind
 * refers to exists before it) and the reverse order a delete follows.
 * PersistentVolumeClaims come from StatefulSets' claim templates; they are
 * listed so `down --volumes` finds them, and are never pruned.
 */
export const KIND_ORDER: readonly { readonly apiVersion: string; readonly kind: string; readonly namespaced: boolean }[] = [
  { apiVersion: 'v1', kind: 'Namespace', namespaced: false },
  { apiVersion: 'v1', kind: 'ServiceAccount', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespaced: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespaced: true },
  // Served only where the Prometheus Operator's CRD is installed; listing skips it elsewhere (404).
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', namespaced: true },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', namespaced: true },
];

/** Objects sorted by KIND_ORDER, keeping the given order within a kind; unknown kinds go last. */
export function inApplyOrder<T extends Pick<KubeObject, 'kind'>>(objects: readonly T[]): T[] {
  const rank = (kind: string) => {
    const index = KIND_ORDER.findIndex((k) => k.kind === kind);
    return index === -1 ? KIND_ORDER.length : index;
  };
  return objects.map((object, index) => ({ object, index })).sort((a, b) => rank(a.object.kind) - rank(b.object.kind) || a.index - b.index).map((x) => x.object);
}

/** The labels msx sets on everything it creates for a system. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const SYSTEM_LABEL = 'msx.dev/system';
export const SERVICE_LABEL = 'msx.dev/service';
export const INFRASTRUCTURE_LABEL = 'msx.dev/infrastructure';

/** What a person calls the workload an object or pod belongs to: the msx service, or the infrastructure's name (`orders-db`). */
export function workloadName(labels: Readonly<Record<string, string>> | undefined, fallback: string): string {
  return labels?.[SERVICE_LABEL] ?? labels?.[INFRASTRUCTURE_LABEL] ?? labels?.['app.kubernetes.io/name'] ?? fallback;
}

/** The field manager msx applies as, so the API server knows which fields are msx's. */
export const FIELD_MANAGER = 'msx';

/** The field manager `msx scale` writes replica counts as. A deploy takes those fields back: msx.yaml says what runs. */
export const SCALE_FIELD_MANAGER = 'msx-scale';
