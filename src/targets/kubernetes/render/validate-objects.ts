import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { objectRef, type KubeObject } from './kube-object.js';
import { unknownFields } from './unknown-fields.js';
import { rangeProblems } from './range-checks.js';

/** One thing wrong with one rendered object. */
export interface ValidationIssue {
  /** `Deployment/users`. */
  readonly object: string;
  /** JSON pointer into the object, e.g. `/spec/template/spec/containers/0/imagePullPolice`. */
  readonly path: string;
  readonly problem: string;
}

/** A model's `validate()`: the compiled OpenAPI schema of its kind, throwing with ajv's errors. */
type ValidateMethod = (this: unknown) => void;

/**
 * The validators of the kinds msx renders, from kubernetes-models (pinned
 * in package.json), whose schemas are generated from the Kubernetes
 * OpenAPI definitions of one Kubernetes release; PrometheusRule's and
 * ServiceMonitor's from the Prometheus Operator's CRDs.
 */
const VALIDATORS: Readonly<Record<string, ValidateMethod>> = {
  'v1/Namespace': Namespace.prototype.validate,
  'v1/ConfigMap': ConfigMap.prototype.validate,
  'v1/Secret': Secret.prototype.validate,
  'v1/Service': Service.prototype.validate,
  'v1/ServiceAccount': ServiceAccount.prototype.validate,
  'rbac.authorization.k8s.io/v1/Role': Role.prototype.validate,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding.prototype.validate,
  'apps/v1/Deployment': Deployment.prototype.validate,
  'apps/v1/StatefulSet': StatefulSet.prototype.validate,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler.prototype.validate,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget.prototype.validate,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy.prototype.validate,
  'networking.k8s.io/v1/Ingress': Ingress.prototype.validate,
  // A custom resource, from the Prometheus Operator's CRD (@kubernetes-models/prometheus-operator, pinned in package.json).
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule.prototype.validate,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor.prototype.validate,
};

interface AjvError {
  readonly instancePath: string;
  readonly message?: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
}

/**
 * Checks every object three ways and returns every problem found (empty
 * when all are valid):
 * - against the Kubernetes OpenAPI schema of its kind (types, required
 *   fields, enums), with kubernetes-models' validators;
 * - for fields the schema does not know, which those validators let
 *   through, so a typo such as `replica:` or `imagePullPolice:` fails
 *   instead of being dropped by the API server;
 * - for ranges the schemas do not state (ports 1-65535, names and label
 *   values of the forms the API server demands).
 */
export function validateObjects(objects: readonly KubeObject[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const object of objects) {
    const ref = objectRef(object);
    const validate = VALIDATORS[`${object.apiVersion}/${object.kind}`];
    if (validate === undefined) {
      issues.push({ object: ref, path: '/kind', problem: `${object.apiVersion} ${object.kind} is not a kind msx renders or can validate` });
      continue;
    }
    const { value, reads } = unknownFields.track(object);
    try {
      validate.call(value);
    } catch (error) {
      const errors = (error as { errors?: AjvError[] }).errors;
      if (!Array.isArray(errors)) throw error;
      for (const e of errors) issues.push({ object: ref, path: e.instancePath || '/', problem: schemaProblem(e) });
    }
    for (const path of unknownFields.report(object, reads)) {
      issues.push({ object: ref, path, problem: `unknown field "${path.slice(path.lastIndexOf('/') + 1)}" (not in the Kubernetes schema of ${object.kind})` });
    }
    for (const problem of rangeProblems(object)) issues.push({ object: ref, ...problem });
  }
  return issues;
}

function schemaProblem(error: AjvError): string {
  switch (error.keyword) {
    case 'required':
      return `required field "${String(error.params.missingProperty)}" is missing`;
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? error.keyword;
  }
}
