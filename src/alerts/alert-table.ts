/**
 * How alert states are shown: the table of `msx alerts`, and the lines of
 * firing alerts `msx metrics` prints under its own table.
 */
import { formatDurationMs } from '../manifest/duration.js';
import { colour } from '../ui/colour.js';
import { info, printTable } from '../ui/output.js';
import { formatAlertValue } from './alert-rules.js';
import type { AlertState, AlertStatus } from './evaluate-alerts.js';

function stateText(state: AlertState): string {
  switch (state) {
    case 'firing':
      return colour.red('firing');
    case 'pending':
      return colour.yellow('pending');
    case 'ok':
      return colour.green('ok');
    default:
      return colour.dim('unknown');
  }
}

/** `held 4s of 2m` while the condition holds, `2m` otherwise: how far a rule is on its way to firing. */
function heldText(status: AlertStatus, at: number): string {
  if (status.activeSince === null) return status.for;
  const held = Math.max(0, Math.round((at - Date.parse(status.activeSince)) / 1000) * 1000);
  return `held ${formatDurationMs(held)} of ${status.for}`;
}

export function printAlertTable(statuses: readonly AlertStatus[], at: number): void {
  printTable(
    ['service', 'alert', 'severity', 'state', 'value', 'fires above', 'for'],
    statuses.map((s) => [
      s.service,
      s.alert,
      s.severity,
      stateText(s.state),
      s.value === null ? '-' : formatAlertValue(s.value, s.unit),
      formatAlertValue(s.threshold, s.unit),
      heldText(s, at),
    ]),
  );
}

/** One line per firing alert, then per pending one, for under `msx metrics`' table; nothing when none is active. */
export function printFiringAlerts(statuses: readonly AlertStatus[], at: number): void {
  const firing = statuses.filter((s) => s.state === 'firing');
  const pending = statuses.filter((s) => s.state === 'pending');
  if (firing.length > 0) {
    info('');
    info(colour.red(`${firing.length} alert${firing.length === 1 ? '' : 's'} firing:`));
    for (const s of firing) info(`  ${colour.red(s.alert)} ${s.service} (${s.severity}): ${s.summary}; now ${formatAlertValue(s.value ?? 0, s.unit)}`);
  }
  if (pending.length > 0) {
    info('');
    info(colour.yellow(`${pending.length} alert${pending.length === 1 ? '' : 's'} pending (firing once the condition has held for the rule's "for"):`));
    for (const s of pending) info(`  ${colour.yellow(s.alert)} ${s.service} (${s.severity}): ${s.summary}; now ${formatAlertValue(s.value ?? 0, s.unit)}, ${heldText(s, at)}`);
  }
}
