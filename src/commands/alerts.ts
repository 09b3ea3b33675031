import { Command } from 'commander';
import { runningSystemRules } from '../alerts/alert-rules.js';
import { printAlertTable } from '../alerts/alert-table.js';
import { AlertTracker } from '../alerts/evaluate-alerts.js';
import { DURATION_HELP } from '../manifest/duration.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { printWindowHeading, scrapeWindowOption, scrapeWindows } from './scrape-windows.js';
import { manifestIfAny } from './optional-manifest.js';

export function alertsCommand(): Command {
  return new Command('alerts')
    .description('the alert rules of each service (error rate, p99 latency, consumer lag, dead letters, stuck sagas, restarts), evaluated over a scrape window: ok, pending or firing')
    .argument('[service]', 'only this service\'s rules')
    .addOption(scrapeWindowOption())
    .option('-w, --watch', 'keep evaluating, one window after the other, until Ctrl-C: a rule fires once its condition has held for its "for"')
    .option('--json', 'print the rules and their states as JSON (with --watch, one JSON object per line and window)')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx alerts                        # every rule over a 2 s window
  $ msx alerts orders --window 30s
  $ msx alerts --watch                # pending, then firing once a rule's "for" has passed
  $ msx alerts --json | jq '.[] | select(.state == "firing")'

${DURATION_HELP}
The rules are those msx renders for Prometheus (compose/prometheus/alerts.yml,
and on Kubernetes a ConfigMap or a PrometheusRule), with the thresholds of
each service's alerts: in msx.yaml (errorRate, latencyP99, consumerLag, and
for: how long a condition must hold before any of the service's rules fires).
msx evaluates them itself from scrapes a window apart, with the arithmetic of
msx metrics, in Prometheus's states: a rule whose condition holds is pending
until it has held for its "for", then firing; ok once it no longer holds.
Unlike Prometheus, which counts from the first evaluation that sees the
condition, msx counts it as holding from the start of the window it was
measured over: one window fires the rules whose "for" is no longer than the
window (--window 2m for the error rate's 2m), and --watch fires the others
once enough windows in a row held. unknown: no instance of the service
answered. The exit code is 0 whatever the states (1 when nothing runs): use
--json and jq to fail a script on a rule that is not ok, e.g.
  $ msx alerts --json | jq -e 'all(.state != "firing" and .state != "pending")'`)
    .action(async (service: string | undefined, options: { window: number; watch?: boolean; json?: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      const manifest = manifestIfAny(root);
      const source = resolveTarget(root, { target: options.target, manifest }).metrics();
      const tracker = new AlertTracker();
      for await (const { at, windowMs, metrics } of scrapeWindows(source, service, options.window, options.watch === true)) {
        const rules = runningSystemRules(manifest, metrics.map((m) => m.service)).filter((r) => service === undefined || r.service === service);
        const statuses = tracker.evaluate(rules, metrics, { at, windowMs });
        if (options.json) {
          if (options.watch) process.stdout.write(`${JSON.stringify({ at: new Date(at).toISOString(), alerts: statuses })}\n`);
          else printJson(statuses);
        } else {
          if (options.watch) printWindowHeading(at, windowMs);
          printAlertTable(statuses, at);
        }
      }
    });
}
