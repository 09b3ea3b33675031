/**
 * The alert rules of a system, one model for every place they are used:
 * rendered as PromQL for Prometheus (compose's rule file, Kubernetes'
 * PrometheusRule or ConfigMap) and evaluated by msx itself over its scrape
 * window (`msx alerts`, `msx metrics`). Each rule names the quantity it
 * compares twice: as a PromQL expression, and as the field of
 * {@link ServiceMetrics} that `msx metrics` computes the same way (5xx
 * share of requests, `histogram_quantile` of the bucket increase, ...), so
 * the two cannot drift into measuring different things.
 *
 * The rules are derived from what the runtime exports (runtime/src):
 * http_requests_total / http_request_duration_seconds (the service kit),
 * gateway_requests_total / gateway_request_duration_seconds (the gateway),
 * bus_consumer_lag and bus_dead_letters (the bus), saga_stuck (the saga
 * orchestrator), process_start_time_seconds (prom-client's defaults).
 */
import { ALERT_DEFAULTS, type AlertThresholds } from '../manifest/alerts-schema.js';
import { durationMs, formatDurationMs } from '../manifest/duration.js';
import type { Manifest, ServiceSpec } from '../manifest/schema.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';

export type AlertSeverity = 'critical' | 'warning';

/** What a rule's threshold and value are in, for showing them. */
export type AlertUnit = 'share' | 'seconds' | 'events' | 'sagas' | 'restarts';

export interface AlertRule {
  readonly service: string;
  /** The alert's name, as Prometheus and Alertmanager show it; the `service` label tells the services apart. */
  readonly alert: string;
  readonly severity: AlertSeverity;
  /** The rule fires when the measured value is above this. */
  readonly threshold: number;
  readonly unit: AlertUnit;
  /** The range Prometheus measures rates and changes over (msx measures over its own --window instead). */
  readonly range: string;
  /** How long the condition must hold before the alert fires, in Prometheus and in msx's own evaluation (AlertTracker in evaluate-alerts.ts). */
  readonly for: string;
  /** One line for a person: what is wrong, with the threshold. */
  readonly summary: string;
  /** The PromQL that gives the rule's value; `selector` holds the label matchers of the service's series. */
  readonly query: (selector: string) => string;
  /** The same value from a window of `msx metrics`; null when the window has none (no requests, no bus). */
  readonly measure: (metrics: ServiceMetrics) => number | null;
}

/** Prometheus's range of each rule (msx's own evaluation measures over its --window instead). */
const RATE_RANGE = '5m';
const RESTART_RANGE = '15m';

/** `0.05` → `5%`, `1.5` seconds → `1.5s`: thresholds and values as msx writes them. */
export function formatAlertValue(value: number, unit: AlertUnit): string {
  switch (unit) {
    case 'share':
      return `${Number((value * 100).toFixed(2))}%`;
    case 'seconds':
      return value < 1 ? `${Number((value * 1000).toFixed(1))}ms` : `${Number(value.toFixed(3))}s`;
    default:
      return String(Number(value.toFixed(2)));
  }
}

/** The request metrics a service exports: the gateway its own, every other service the service kit's. */
function requestFamily(spec: ServiceSpec | undefined): { total: string; duration: string } {
  return spec?.kind === 'gateway'
    ? { total: 'gateway_requests_total', duration: 'gateway_request_duration_seconds' }
    : { total: 'http_requests_total', duration: 'http_request_duration_seconds' };
}

/**
 * The rules of one service. `spec` says which apply (bus rules for a
 * consumer, the saga rule for a service with a database); without it (a
 * running service msx.yaml does not name) every rule applies, with the
 * default thresholds.
 */
export function serviceAlertRules(service: string, spec: ServiceSpec | undefined): AlertRule[] {
  const thresholds: AlertThresholds = spec?.alerts ?? { ...ALERT_DEFAULTS };
  const family = requestFamily(spec);
  const latency = durationMs(thresholds.latencyP99) / 1000;
  const consumes = spec === undefined || (spec.kind !== 'gateway' && spec.events.subscribes.length > 0);
  const runsSagas = spec === undefined || (spec.kind !== 'gateway' && spec.database);
  const rules: AlertRule[] = [
    {
      service,
      alert: 'HighErrorRate',
      severity: 'critical',
      threshold: thresholds.errorRate,
      unit: 'share',
      range: RATE_RANGE,
      for: thresholds.for ?? '2m',
      summary: `${service} answers more than ${formatAlertValue(thresholds.errorRate, 'share')} of its requests with 5xx`,
      // The share of 5xx among all answers, as msx metrics' "errors" column (status label starting with 5).
      query: (s) => `sum(rate(${family.total}{${s},status=~"5.."}[${RATE_RANGE}])) / sum(rate(${family.total}{${s}}[${RATE_RANGE}]))`,
      measure: (m) => m.errorRate,
    },
    {
      service,
      alert: 'HighLatencyP99',
      severity: 'warning',
      threshold: latency,
      unit: 'seconds',
      range: RATE_RANGE,
      for: thresholds.for ?? '5m',
      summary: `the 99th percentile latency of ${service} is above ${formatDurationMs(durationMs(thresholds.latencyP99))}`,
      query: (s) => `histogram_quantile(0.99, sum by (le) (rate(${family.duration}_bucket{${s}}[${RATE_RANGE}])))`,
      measure: (m) => (m.p99Ms === null ? null : m.p99Ms / 1000),
    },
    {
      service,
      alert: 'InstanceRestarting',
      severity: 'warning',
      threshold: 0,
      unit: 'restarts',
      range: RESTART_RANGE,
      // A restart is an event, not a state that lasts: it fires at once, whatever alerts.for says.
      for: '0s',
      summary: `an instance of ${service} restarted`,
      // A restarted process has a new start time: each change is one restart of that instance.
      query: (s) => `sum(changes(process_start_time_seconds{${s}}[${RESTART_RANGE}]))`,
      measure: (m) => m.restarts,
    },
  ];
  if (consumes) {
    rules.push(
      {
        service,
        alert: 'HighConsumerLag',
        severity: 'warning',
        threshold: thresholds.consumerLag,
        unit: 'events',
        range: RATE_RANGE,
        for: thresholds.for ?? '5m',
        summary: `more than ${thresholds.consumerLag} events wait for ${service}'s consumers`,
        // Every instance reads the same group queue: the largest reading per group, not one per replica.
        query: (s) => `sum(max by (group) (bus_consumer_lag{${s}}))`,
        measure: (m) => m.consumerLag,
      },
      {
        service,
        alert: 'DeadLettersPresent',
        severity: 'warning',
        threshold: 0,
        unit: 'events',
        range: RATE_RANGE,
        for: thresholds.for ?? '1m',
        summary: `${service} has events in its dead letters (msx events shows them; re-drive once fixed)`,
        query: (s) => `sum(max by (group) (bus_dead_letters{${s}}))`,
        measure: (m) => m.deadLetters,
      },
    );
  }
  if (runsSagas) {
    rules.push({
      service,
      alert: 'SagasStuck',
      severity: 'critical',
      threshold: 0,
      unit: 'sagas',
      range: RATE_RANGE,
      for: thresholds.for ?? '1m',
      summary: `sagas of ${service} are stuck (their compensation gave up; they need an operator)`,
      query: (s) => `sum(max by (saga) (saga_stuck{${s}}))`,
      measure: (m) => m.sagasStuck,
    });
  }
  return rules;
}

/** The rules of every service of the system, in msx.yaml's order. */
export function systemAlertRules(manifest: Manifest): AlertRule[] {
  return Object.entries(manifest.services).flatMap(([service, spec]) => serviceAlertRules(service, spec));
}

/**
 * The rules msx evaluates for what runs: every service of msx.yaml (when
 * the folder has one), and any other service that answers scrapes, with
 * the default thresholds.
 */
export function runningSystemRules(manifest: Manifest | undefined, running: readonly string[]): AlertRule[] {
  const named = manifest ? systemAlertRules(manifest) : [];
  const others = [...new Set(running)].filter((service) => manifest?.services[service] === undefined).sort();
  return [...named, ...others.flatMap((service) => serviceAlertRules(service, undefined))];
}

/** The rule's PromQL condition: its query above its threshold. */
export function ruleExpression(rule: AlertRule, selector: string): string {
  return `${rule.query(selector)} > ${rule.threshold}`;
}
