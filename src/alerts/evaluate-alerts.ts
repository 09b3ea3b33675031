/**
 * msx's own evaluation of the alert rules, for systems without Prometheus:
 * each rule's value is read from the figures `msx metrics` computes over
 * one scrape window (service-metrics.ts), compared with its threshold.
 * Prometheus also waits the rule's `for` before firing; msx fires at once,
 * for the window it measured (a longer --window smooths more).
 */
import type { ServiceMetrics } from '../observability/service-metrics.js';
import type { AlertRule, AlertSeverity, AlertUnit } from './alert-rules.js';

/** `unknown`: no instance of the service answered its scrape, so the window says nothing. */
export type AlertState = 'firing' | 'ok' | 'unknown';

export interface AlertStatus {
  readonly service: string;
  readonly alert: string;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  /** The measured value; null when the window had none (no requests, no bus, no scrape). */
  readonly value: number | null;
  readonly threshold: number;
  readonly unit: AlertUnit;
  readonly summary: string;
}

export function evaluateAlerts(rules: readonly AlertRule[], metrics: readonly ServiceMetrics[]): AlertStatus[] {
  const byService = new Map(metrics.map((m) => [m.service, m]));
  return rules.map((rule) => {
    const m = byService.get(rule.service);
    const reachable = m !== undefined && m.unreachable < m.instances;
    const value = reachable ? rule.measure(m) : null;
    const state: AlertState = !reachable ? 'unknown' : value !== null && value > rule.threshold ? 'firing' : 'ok';
    return { service: rule.service, alert: rule.alert, severity: rule.severity, state, value, threshold: rule.threshold, unit: rule.unit, summary: rule.summary };
  });
}
