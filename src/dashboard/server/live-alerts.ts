/**
 * The alert rules of `msx alerts`, evaluated by the dashboard on each
 * metrics window it already measures, with one tracker for as long as a
 * page listens: so a rule goes pending, then firing once it has held for its
 * `for`, as in `msx alerts --watch`. The page gets each rule's state with
 * its value and threshold already written as msx writes them.
 */
import { formatAlertValue, type AlertRule } from '../../alerts/alert-rules.js';
import { AlertTracker, type AlertState } from '../../alerts/evaluate-alerts.js';
import type { ServiceMetrics } from '../../observability/service-metrics.js';

export interface DashboardAlert {
  readonly service: string;
  readonly alert: string;
  readonly severity: 'critical' | 'warning';
  readonly state: AlertState;
  /** The measured value as msx writes it (`12.5%`, `1.2s`), or `–` when the window had none. */
  readonly value: string;
  readonly threshold: string;
  readonly for: string;
  readonly activeSince: string | null;
  readonly summary: string;
}

export class LiveAlerts {
  readonly #rules: (running: readonly string[]) => readonly AlertRule[];
  #tracker = new AlertTracker();

  /** `rules` gives the rules for the services that run (msx.yaml's, read anew each window, and any other running one's). */
  constructor(rules: (running: readonly string[]) => readonly AlertRule[]) {
    this.#rules = rules;
  }

  evaluate(services: readonly ServiceMetrics[], at: number, windowMs: number): DashboardAlert[] {
    const rules = this.#rules(services.map((s) => s.service));
    return this.#tracker.evaluate(rules, services, { at, windowMs }).map((s) => ({
      service: s.service,
      alert: s.alert,
      severity: s.severity,
      state: s.state,
      value: s.value === null ? '–' : formatAlertValue(s.value, s.unit),
      threshold: formatAlertValue(s.threshold, s.unit),
      for: s.for,
      activeSince: s.activeSince,
      summary: s.summary,
    }));
  }

  /** A gap in the windows (no page listened): nothing is known to have held through it. */
  reset(): void {
    this.#tracker = new AlertTracker();
  }
}
