import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';

/**
 * Every kind of object msx renders for Kubernetes, typed by the interfaces
 * kubernetes-models generates from the Kubernetes OpenAPI schemas, so a
 * misspelt field in the renderer is a compile error. They stay plain
 * objects (no model instances): that is what `yaml` serialises, what the
 * client sends in a server-side apply, and what the tests compare.
 */
export type KubeObject =
  | INamespace
  | IServiceAccount
  | IRole
  | IRoleBinding
  | ISecret
  | IConfigMap
  | IStatefulSet
  | IService
  | IDeployment
  | IHorizontalPodAutoscaler
  | IPodDisruptionBudget
  | INetworkPolicy
  | IIngress
  | IPrometheusRule
  | IServiceMonitor;

export type KubeKind = KubeObject['kind'];

/**
 * The order objects are applied in: what others refer to first (the
 * Namespace holds everything; Secrets and ConfigMaps are read by pods at
 * start; infrastructure before the services that connect to it), policies
 * and the way in last. `msx deploy` applies in this order and deletes in
 * the reverse.
 */
export const APPLY_ORDER: readonly KubeKind[] = [
  'Namespace',
  'Secret',
  'ConfigMap',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'StatefulSet',
  'Service',
  'Deployment',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'Ingress',
  'PrometheusRule',
  'ServiceMonitor',
];

/**
 * The port every msx service listens on inside its container (`PORT`), the
 * same on compose and Kubernetes, so probes, Services and NetworkPolicies
 * need no table; the ports in msx.yaml are the local target's.
 */
export { CONTAINER_PORT } from '../../compose/compose-names.js';

/** `kind/name` as kubectl names an object, for messages. */
export function objectRef(object: KubeObject): string {
  return `${object.kind}/${object.metadata?.name ?? '(no name)'}`;
}
