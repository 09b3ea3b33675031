import { createHash } from 'node:crypto';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { Manifest } from '../../../manifest/schema.js';
import { generatedYaml } from '../../compose/generated-yaml.js';
import { SCRAPE_INTERVAL } from '../../compose/prometheus-config.js';
import { ALERT_RULES_KEY } from './alert-rules.js';
import { infrastructureImage } from './infrastructure-images.js';
import { infrastructureLabels, infrastructureSelector, SERVICE_LABEL, SYSTEM_LABEL } from './labels.js';
import { CONFIG_HASH_ANNOTATION } from './service-workload.js';
import { containerSecurity, podSecurity, scratchMount, scratchVolume } from './pod-security.js';
import { PROMETHEUS, PROMETHEUS_PORT } from './system-topology.js';

/** The uid the official Prometheus image runs as (`nobody`). */
const PROMETHEUS_USER = 65534;
const CONFIG_FILE = 'prometheus.yml';
// Side by side, not nested: a mount cannot be made inside a ConfigMap's read-only volume.
const CONFIG_DIR = '/etc/prometheus/config';
const RULES_DIR = '/etc/prometheus/rules';

/**
 * What scrapes the services' pods: the Prometheus Operator's Prometheus
 * (through a ServiceMonitor) when msx.yaml asks for PrometheusRules, else,
 * with self-contained infrastructure, msx's own; with external
 * infrastructure and a rules ConfigMap, the cluster's Prometheus, which
 * msx knows nothing of.
 */
export function podScraper(manifest: Manifest): 'operator' | 'own' | undefined {
  const { alertRules, infrastructure } = manifest.infrastructure.kubernetes;
  if (alertRules === 'prometheusRule') return 'operator';
  return infrastructure === 'selfContained' ? 'own' : undefined;
}

/** `msx.dev/service` as Prometheus's pod discovery names a pod label: every character not allowed in a label name becomes `_`. */
const metaLabel = (label: string) => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;

/**
 * prometheus.yml of the system's own Prometheus: the pods of the msx
 * services, found by Kubernetes pod discovery in the system's namespace
 * only (a Role grants no more) and selected by msx's labels, scraped on
 * their `http` port. Each sample carries `namespace` and `service` (the
 * msx.yaml name), the labels the alert rules select by (as a
 * ServiceMonitor would set them), and `pod`. Pods are followed as they
 * come and go, so `msx scale` needs no reload.
 */
export function kubernetesPrometheusConfig(manifest: Manifest, namespace: string) {
  return {
    global: { scrape_interval: SCRAPE_INTERVAL, evaluation_interval: '15s', external_labels: { system: manifest.name } },
    rule_files: [`${RULES_DIR}/${ALERT_RULES_KEY}`],
    scrape_configs: [
      {
        job_name: 'msx-services',
        metrics_path: '/metrics',
        kubernetes_sd_configs: [{
          role: 'pod',
          namespaces: { names: [namespace] },
          selectors: [{ role: 'pod', label: `${SYSTEM_LABEL}=${manifest.name},${SERVICE_LABEL}` }],
        }],
        relabel_configs: [
          // One target per declared container port: only the services' own.
          { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'http', action: 'keep' },
          { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          { source_labels: [metaLabel(SERVICE_LABEL)], target_label: 'service' },
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        ],
      },
      { job_name: 'prometheus', metrics_path: '/metrics', static_configs: [{ targets: [`127.0.0.1:${PROMETHEUS_PORT}`] }] },
    ],
  };
}

/**
 * The system's own Prometheus, when no Prometheus Operator is asked for:
 * a ServiceAccount with a Role to discover the namespace's pods (and
 * nothing else), its configuration and the alert rules' ConfigMap mounted,
 * one pod under the restricted profile. Its data lives on an emptyDir, as
 * the collector's spans do: it is for looking at the system now; a cluster
 * Prometheus (or the Operator, `alertRules: prometheusRule`) keeps history.
 */
export function prometheusObjects(manifest: Manifest, namespace: string): [IServiceAccount, IRole, IRoleBinding, IConfigMap, IService, IDeployment] {
  const labels = infrastructureLabels(manifest, PROMETHEUS, PROMETHEUS, 'monitoring');
  const selector = infrastructureSelector(manifest, PROMETHEUS);
  const metadata = { name: PROMETHEUS, namespace, labels };
  const config = generatedYaml(kubernetesPrometheusConfig(manifest, namespace), 'Generated by msx from msx.yaml: Prometheus scraping the pods of the system\'s services.');
  const configName = `${PROMETHEUS}-config`;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: PROMETHEUS },
      subjects: [{ kind: 'ServiceAccount', name: PROMETHEUS, namespace }],
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...metadata, name: configName }, data: { [CONFIG_FILE]: config } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: { selector, ports: [{ name: 'web', port: PROMETHEUS_PORT, targetPort: 'web', protocol: 'TCP' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: 1,
        // Two Prometheus processes must never share the data folder: the old pod goes before the new one starts.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          // A changed configuration rolls the pod (Prometheus reads it at start).
          metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: createHash('sha256').update(config).digest('hex').slice(0, 16) } },
          spec: {
            serviceAccountName: PROMETHEUS,
            // Pod discovery needs the account's token; only this pod of the system mounts one.
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: podSecurity(PROMETHEUS_USER),
            containers: [
              {
                name: PROMETHEUS,
                image: infrastructureImage(manifest, 'prometheus'),
                imagePullPolicy: 'IfNotPresent',
                args: [`--config.file=${CONFIG_DIR}/${CONFIG_FILE}`, '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=2d', `--web.listen-address=:${PROMETHEUS_PORT}`],
                ports: [{ name: 'web', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                readinessProbe: { httpGet: { path: '/-/ready', port: 'web' }, periodSeconds: 5, timeoutSeconds: 3 },
                livenessProbe: { httpGet: { path: '/-/healthy', port: 'web' }, initialDelaySeconds: 30, periodSeconds: 15, timeoutSeconds: 5 },
                securityContext: containerSecurity({ readOnlyRootFilesystem: true }),
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'rules', mountPath: RULES_DIR, readOnly: true },
                  scratchMount('data', '/prometheus'),
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: configName } },
              { name: 'rules', configMap: { name: `${manifest.name}-alert-rules` } },
              scratchVolume('data', '2Gi'),
            ],
          },
        },
      },
    },
  ];
}

/**
 * With the Prometheus Operator (`alertRules: prometheusRule`): a
 * ServiceMonitor instead of a Prometheus of msx's, selecting the Services
 * of the msx services (they carry `msx.dev/service`) on their `http` port.
 * The Operator labels each sample with the namespace and the Service's
 * name, which is the msx service's: the labels the PrometheusRule selects.
 */
export function serviceMonitor(manifest: Manifest, namespace: string): IServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: manifest.name, namespace, labels: infrastructureLabels(manifest, PROMETHEUS, PROMETHEUS, 'monitoring') },
    spec: {
      namespaceSelector: { matchNames: [namespace] },
      selector: {
        matchLabels: { [SYSTEM_LABEL]: manifest.name },
        matchExpressions: [{ key: SERVICE_LABEL, operator: 'Exists' }],
      },
      endpoints: [{ port: 'http', path: '/metrics', interval: SCRAPE_INTERVAL }],
    },
  };
}
