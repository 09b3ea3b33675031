/**
 * msx's own evaluation of the alert rules, for systems without Prometheus:
 * each rule's value is read from the figures `msx metrics` computes over
 * one scrape window (service-metrics.ts), compared with its threshold, and
 * its states are Prometheus's: a rule whose condition holds is `pending`
 * until it has held for the rule's `for`, then `firing`; once the condition
 * no longer holds it is `ok` again, and the next time it holds its `for`
 * starts over.
 *
 * One difference, on purpose: Prometheus counts a condition as holding from
 * the first evaluation that sees it; msx counts it from the start of the
 * window it was measured over, so that one window as long as the `for`
 * (`msx alerts --window 2m`) can answer on its own. A window's figure is an
 * average, so a burst late in a long window fires sooner than it would in
 * Prometheus. `msx alerts --watch` (one tracker over window after window)
 * fires a rule whose `for` is longer than the window once the windows it
 * held in add up to it.
 */
import { durationMs } from '../manifest/duration.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import type { AlertRule, AlertSeverity, AlertUnit } from './alert-rules.js';

/** `unknown`: no instance of the service answered its scrape, so the window says nothing. */
export type AlertState = 'firing' | 'pending' | 'ok' | 'unknown';

export interface AlertStatus {
  readonly service: string;
  readonly alert: string;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  /** The measured value; null when the window had none (no requests, no bus, no scrape). */
  readonly value: number | null;
  readonly threshold: number;
  readonly unit: AlertUnit;
  /** How long the condition must hold before the rule fires, as msx.yaml or the rule's default says (`2m`). */
  readonly for: string;
  /** Since when the condition has held (ISO time), while pending or firing; null otherwise. */
  readonly activeSince: string | null;
  readonly summary: string;
}

export interface AlertWindow {
  /** When the window's second scrape was taken (ms since the epoch). */
  readonly at: number;
  /** How long the window was: its condition is taken to hold from `at - windowMs`. */
  readonly windowMs: number;
}

/**
 * The state of every rule across windows. One evaluation alone (`msx alerts`)
 * is a tracker used once; `--watch` keeps one for the whole run.
 */
export class AlertTracker {
  /** Since when each active rule's condition has held, by service and alert. */
  readonly #activeSince = new Map<string, number>();

  evaluate(rules: readonly AlertRule[], metrics: readonly ServiceMetrics[], window: AlertWindow): AlertStatus[] {
    const byService = new Map(metrics.map((m) => [m.service, m]));
    const keys = new Set(rules.map((rule) => `${rule.service}\u0000${rule.alert}`));
    // A rule that went away (its service stopped, msx.yaml changed) starts over if it comes back.
    for (const key of this.#activeSince.keys()) if (!keys.has(key)) this.#activeSince.delete(key);
    return rules.map((rule) => {
      const key = `${rule.service}\u0000${rule.alert}`;
      const m = byService.get(rule.service);
      const reachable = m !== undefined && m.unreachable < m.instances;
      const value = reachable ? rule.measure(m) : null;
      const holds = value !== null && value > rule.threshold;
      if (!holds) this.#activeSince.delete(key);
      else if (!this.#activeSince.has(key)) this.#activeSince.set(key, window.at - window.windowMs);
      const since = this.#activeSince.get(key);
      const state: AlertState = !reachable ? 'unknown'
        : since === undefined ? 'ok'
        : window.at - since >= durationMs(rule.for) ? 'firing' : 'pending';
      return {
        service: rule.service,
        alert: rule.alert,
        severity: rule.severity,
        state,
        value,
        threshold: rule.threshold,
        unit: rule.unit,
        for: rule.for,
        activeSince: since === undefined ? null : new Date(since).toISOString(),
        summary: rule.summary,
      };
    });
  }
}

/** The states of one window on its own: what `msx alerts` and `msx metrics` show without --watch. */
export function evaluateAlerts(rules: readonly AlertRule[], metrics: readonly ServiceMetrics[], window: AlertWindow): AlertStatus[] {
  return new AlertTracker().evaluate(rules, metrics, window);
}
