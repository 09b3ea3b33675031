import { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { runningSystemRules } from '../alerts/alert-rules.js';
import { printAlertTable } from '../alerts/alert-table.js';
import { evaluateAlerts } from '../alerts/evaluate-alerts.js';
import { DURATION_HELP } from '../manifest/duration.js';
import { scrapeAll, windowsOf } from '../observability/metrics-scrape.js';
import { serviceMetrics } from '../observability/service-metrics.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { endpointsFor, scrapeWindowOption } from './metrics.js';
import { manifestIfAny } from './optional-manifest.js';

export function alertsCommand(): Command {
  return new Command('alerts')
    .description('the alert rules of each service (error rate, p99 latency, consumer lag, dead letters, stuck sagas, restarts), evaluated over a scrape window: firing or ok')
    .argument('[service]', 'only this service\'s rules')
    .addOption(scrapeWindowOption())
    .option('--json', 'print the rules and their states as JSON')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx alerts                        # every rule over a 2 s window
  $ msx alerts orders --window 30s
  $ msx alerts --json | jq '.[] | select(.state == "firing")'

${DURATION_HELP}
The rules are those msx renders for Prometheus (compose/prometheus/alerts.yml,
and on Kubernetes a ConfigMap or a PrometheusRule), with the thresholds of
each service's alerts: in msx.yaml (errorRate, latencyP99, consumerLag). msx
evaluates them itself from two scrapes a window apart, with the arithmetic of
msx metrics; Prometheus also waits each rule's "for", msx fires at once.
State: firing (the value is above the threshold), ok, or unknown (no instance
of the service answered). The exit code is 0 whatever the states (1 when
nothing runs): use --json and jq to fail a script on a firing alert.`)
    .action(async (service: string | undefined, options: { window: number; json?: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      const manifest = manifestIfAny(root);
      const source = resolveTarget(root, { target: options.target, manifest }).metrics();
      const endpoints = await endpointsFor(source, service);
      const before = await scrapeAll(source, endpoints);
      await sleep(options.window);
      const after = await scrapeAll(source, endpoints);
      const metrics = serviceMetrics(windowsOf(endpoints, before, after));
      const rules = runningSystemRules(manifest, metrics.map((m) => m.service)).filter((r) => service === undefined || r.service === service);
      const statuses = evaluateAlerts(rules, metrics);
      if (options.json) printJson(statuses);
      else printAlertTable(statuses);
    });
}
