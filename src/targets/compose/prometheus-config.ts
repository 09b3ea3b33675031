import type { Manifest } from '../../manifest/schema.js';
import { prometheusRuleFile, type PrometheusRuleFile } from '../../alerts/prometheus-rules.js';
import { CONTAINER_PORT } from './compose-names.js';

/** How often Prometheus scrapes, and how often it asks compose's DNS for the replicas of each service. */
export const SCRAPE_INTERVAL = '5s';
export const DNS_REFRESH_INTERVAL = '5s';

/** The alert rules' file, beside prometheus.yml (rule_files are read relative to the configuration). */
export const ALERT_RULES_FILE = 'alerts.yml';

export interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string; external_labels: Record<string, string> };
  rule_files: string[];
  scrape_configs: PrometheusScrapeConfig[];
}

export interface PrometheusScrapeConfig {
  job_name: string;
  metrics_path: string;
  scrape_interval?: string;
  dns_sd_configs?: { names: string[]; type: 'A'; port: number; refresh_interval: string }[];
  static_configs?: { targets: string[] }[];
  relabel_configs?: { source_labels?: string[]; target_label: string; replacement?: string; regex?: string }[];
}

/**
 * Prometheus's configuration: one job per msx service, named after it, whose
 * targets come from compose's DNS (one A record per running replica, on the
 * container port), so `msx scale` changes what is scraped with no reload.
 * Each sample carries `service` (the msx.yaml name); `instance` stays the
 * replica's address. The alert rules (src/alerts/) select a service's
 * series by that label.
 */
export function prometheusConfig(manifest: Manifest): PrometheusConfig {
  return {
    global: { scrape_interval: SCRAPE_INTERVAL, evaluation_interval: '15s', external_labels: { system: manifest.name } },
    rule_files: [ALERT_RULES_FILE],
    scrape_configs: [
      ...Object.keys(manifest.services).map((service) => ({
        job_name: service,
        metrics_path: '/metrics',
        dns_sd_configs: [{ names: [service], type: 'A' as const, port: CONTAINER_PORT, refresh_interval: DNS_REFRESH_INTERVAL }],
        relabel_configs: [{ target_label: 'service', replacement: service }],
      })),
      { job_name: 'prometheus', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:9090'] }] },
    ],
  };
}

/** The alert rules Prometheus loads: msx's rules of every service, on the `service` label the scrape configs set. */
export function prometheusAlertRules(manifest: Manifest): PrometheusRuleFile {
  return prometheusRuleFile(manifest, (service) => `service="${service}"`);
}
