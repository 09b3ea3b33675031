import { Command } from 'commander';
import { DURATION_HELP } from '../manifest/duration.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import { formatDuration } from '../observability/waterfall.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { AlertTracker } from '../alerts/evaluate-alerts.js';
import { printFiringAlerts } from '../alerts/alert-table.js';
import { runningSystemRules } from '../alerts/alert-rules.js';
import { colour } from '../ui/colour.js';
import { printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { manifestIfAny } from './optional-manifest.js';
import { printWindowHeading, scrapeWindowOption, scrapeWindows } from './scrape-windows.js';

function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

function formatMs(ms: number | null): string {
  return ms === null ? '-' : formatDuration(ms);
}

function printMetrics(rows: readonly ServiceMetrics[]): void {
  printTable(
    ['service', 'inst', 'req/s', 'errors', 'p50', 'p95', 'p99', 'in-flight', 'memory', 'lag'],
    rows.map((m) => [
      m.service,
      m.unreachable > 0 ? colour.yellow(`${m.instances - m.unreachable}/${m.instances}`) : String(m.instances),
      m.requestsPerSecond.toFixed(1),
      m.errorRate === null ? '-' : m.errorRate > 0 ? colour.red(`${(m.errorRate * 100).toFixed(1)}%`) : '0%',
      formatMs(m.p50Ms),
      formatMs(m.p95Ms),
      formatMs(m.p99Ms),
      m.inFlight === null ? '-' : String(m.inFlight),
      formatBytes(m.memoryBytes),
      m.consumerLag === null ? '-' : m.consumerLag > 0 ? colour.yellow(String(m.consumerLag)) : '0',
    ]),
  );
}

export function metricsCommand(): Command {
  return new Command('metrics')
    .description('requests per second, errors, latency percentiles, in-flight, memory and consumer lag per service')
    .argument('[service]', 'only this service')
    .addOption(scrapeWindowOption())
    .option('-w, --watch', 'keep measuring, one window after the other, until Ctrl-C')
    .option('--json', 'print the figures as JSON')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx metrics                       # every service over a 2 s window
  $ msx metrics orders --window 10s
  $ msx metrics --watch
  $ msx metrics --json | jq '.[] | select(.errorRate > 0.01)'

${DURATION_HELP}
Scrapes each instance's /metrics twice, a window apart: req/s and errors (5xx
share) from http_requests_total, percentiles from the increase of the
http_request_duration_seconds buckets, memory from process_resident_memory_bytes,
lag from bus_consumer_lag. Under the table: the alert rules (msx alerts) that
fire or are pending over the window (with --watch, a pending rule fires once
its condition has held for its "for"). The instances are those of the running deployment
(locally .msx/state.json; on compose the containers, reached on their network).`)
    .action(async (service: string | undefined, options: { window: number; watch?: boolean; json?: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      const manifest = manifestIfAny(root);
      const source = resolveTarget(root, { target: options.target, manifest }).metrics();
      const tracker = new AlertTracker();
      for await (const { at, windowMs, metrics: rows } of scrapeWindows(source, service, options.window, options.watch === true)) {
        if (options.json) printJson(options.watch ? { at: new Date(at).toISOString(), services: rows } : rows);
        else {
          if (options.watch) printWindowHeading(at, windowMs);
          printMetrics(rows);
          const rules = runningSystemRules(manifest, rows.map((r) => r.service)).filter((r) => service === undefined || r.service === service);
          printFiringAlerts(tracker.evaluate(rules, rows, { at, windowMs }), at);
        }
      }
    });
}
