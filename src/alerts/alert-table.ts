/**
 * How alert states are shown: the table of `msx alerts`, and the lines of
 * firing alerts `msx metrics` prints under its own table.
 */
import { colour } from '../ui/colour.js';
import { info, printTable } from '../ui/output.js';
import { formatAlertValue } from './alert-rules.js';
import type { AlertState, AlertStatus } from './evaluate-alerts.js';

function stateText(state: AlertState): string {
  return state === 'firing' ? colour.red('firing') : state === 'ok' ? colour.green('ok') : colour.yellow('unknown');
}

export function printAlertTable(statuses: readonly AlertStatus[]): void {
  printTable(
    ['service', 'alert', 'severity', 'state', 'value', 'fires above'],
    statuses.map((s) => [
      s.service,
      s.alert,
      s.severity,
      stateText(s.state),
      s.value === null ? '-' : formatAlertValue(s.value, s.unit),
      formatAlertValue(s.threshold, s.unit),
    ]),
  );
}

/** One line per firing alert, for under `msx metrics`' table; nothing when none fires. */
export function printFiringAlerts(statuses: readonly AlertStatus[]): void {
  const firing = statuses.filter((s) => s.state === 'firing');
  if (firing.length === 0) return;
  info('');
  info(colour.red(`${firing.length} alert${firing.length === 1 ? '' : 's'} firing:`));
  for (const s of firing) {
    info(`  ${colour.red(s.alert)} ${s.service} (${s.severity}): ${s.summary}; now ${formatAlertValue(s.value ?? 0, s.unit)}`);
  }
}
