/**
 * The alert rules of `msx alerts`, evaluated by the dashboard on each
 * metrics window it already measures, with one tracker for as long as a
 * page listens: so a rule goes pending, then firing once it has held for its
 * `for`, as in `msx alerts --watch`. A page reloaded or reconnecting keeps
 * the states; a longer gap with no page (no windows measured) starts them
 * over, since nothing is known to have held through it. The page gets each
 * rule's state with its value and threshold already written as msx writes
 * them.
 */
import { formatAlertValue, type AlertRule, type AlertSeverity } from '../../alerts/alert-rules.js';
import { AlertTracker, type AlertState } from '../../alerts/evaluate-alerts.js';
import type { ServiceMetrics } from '../../observability/service-metrics.js';

export interface DashboardAlert {
  readonly service: string;
  readonly alert: string;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  /** The measured value as msx writes it (`12.5%`, `1.2s`), or `–` when the window had none. */
  readonly value: string;
  readonly threshold: string;
  readonly for: string;
  readonly activeSince: string | null;
  readonly summary: string;
}

/** Windows further apart than this (no page listened) start the states over. */
const GAP_MS = 30_000;

export class LiveAlerts {
  readonly #rules: (running: readonly string[]) => readonly AlertRule[];
  #tracker = new AlertTracker();
  #lastAt: number | undefined;

  /** `rules` gives the rules for the services that run (msx.yaml's, read anew each window, and any other running one's). */
  constructor(rules: (running: readonly string[]) => readonly AlertRule[]) {
    this.#rules = rules;
  }

  /** The states after the window from `from` to `at` (ms since the epoch). */
  evaluate(services: readonly ServiceMetrics[], from: number, at: number): DashboardAlert[] {
    if (this.#lastAt !== undefined && from - this.#lastAt > GAP_MS) this.#tracker = new AlertTracker();
    this.#lastAt = at;
    const rules = this.#rules(services.map((s) => s.service));
    return this.#tracker.evaluate(rules, services, { at, windowMs: at - from }).map((s) => ({
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
}
