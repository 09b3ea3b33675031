/**
 * The system's alert rules as a Prometheus rule file (the `groups:` format
 * `rule_files` loads and `promtool check rules` checks), one group per
 * service. The same groups fill a Kubernetes PrometheusRule's spec.
 */
import type { Manifest } from '../manifest/schema.js';
import { formatAlertValue, ruleExpression, serviceAlertRules, type AlertRule } from './alert-rules.js';

export interface PrometheusAlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PrometheusRuleGroup {
  name: string;
  rules: PrometheusAlertingRule[];
}

export interface PrometheusRuleFile {
  groups: PrometheusRuleGroup[];
}

/** How Prometheus's template functions write the value of each unit in the description. */
const VALUE_TEMPLATE: Readonly<Record<AlertRule['unit'], string>> = {
  share: '{{ $value | humanizePercentage }}',
  seconds: '{{ $value | humanizeDuration }}',
  events: '{{ $value }}',
  sagas: '{{ $value }}',
  restarts: '{{ $value }}',
};

/**
 * `selector` gives the label matchers of one service's series where the
 * rules run: on compose Prometheus labels each job's samples
 * `service="<name>"`; on Kubernetes a ServiceMonitor labels them with the
 * namespace and the Service's name (the msx service's).
 */
export function prometheusRuleGroups(manifest: Manifest, selector: (service: string) => string): PrometheusRuleGroup[] {
  return Object.entries(manifest.services).map(([service, spec]) => ({
    name: `${manifest.name}.${service}`,
    rules: serviceAlertRules(service, spec).map((rule) => ({
      alert: rule.alert,
      expr: ruleExpression(rule, selector(service)),
      for: rule.for,
      labels: { severity: rule.severity, system: manifest.name, service },
      annotations: { summary: rule.summary, description: `${rule.alert} of ${service}: ${VALUE_TEMPLATE[rule.unit]} (fires above ${formatAlertValue(rule.threshold, rule.unit)})` },
    })),
  }));
}

export function prometheusRuleFile(manifest: Manifest, selector: (service: string) => string): PrometheusRuleFile {
  return { groups: prometheusRuleGroups(manifest, selector) };
}
