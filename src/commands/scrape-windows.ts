/**
 * The scrape loop of `msx metrics` and `msx alerts`: each instance's
 * /metrics scraped twice a window apart, and with --watch window after
 * window until Ctrl-C, following instances as they come and go.
 */
import type { Option } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../errors/cli-error.js';
import { durationOption, formatDurationMs } from '../manifest/duration.js';
import { colour } from '../ui/colour.js';
import { info } from '../ui/output.js';
import { scrapeAll, windowsOf } from '../observability/metrics-scrape.js';
import { serviceMetrics, type ServiceMetrics } from '../observability/service-metrics.js';
import type { MetricsEndpoint, MetricsSource } from '../targets/target.js';

/** --window of msx metrics and msx alerts: the time between the two scrapes a window's figures come from. */
export function scrapeWindowOption(): Option {
  return durationOption('--window <duration>', 'how long to measure between the two scrapes, e.g. 2s, 1m (a bare number is seconds)', { example: '10s', minMs: 200, maxMs: 300_000 }, 2000);
}

/** The instances to scrape: all, or only `service`'s (exit 2 naming the running ones when it has none). */
export async function endpointsFor(source: MetricsSource, service: string | undefined): Promise<readonly MetricsEndpoint[]> {
  const all = await source.endpoints();
  if (all.length === 0) throw new CliError('no running instances found', { exitCode: 1, hint: 'start the system with msx up -d, then run this again' });
  if (service === undefined) return all;
  const mine = all.filter((t) => t.service === service);
  if (mine.length === 0) {
    const known = [...new Set(all.map((t) => t.service))].sort();
    throw new CliError(`no running instance of service "${service}"`, { exitCode: 2, hint: `running services: ${known.join(', ')}` });
  }
  return mine;
}

export interface MeasuredWindow {
  /** When the window's second scrape was taken (ms since the epoch). */
  readonly at: number;
  readonly windowMs: number;
  readonly metrics: ServiceMetrics[];
}

/** Above each window of --watch: on a terminal the screen cleared first, so the latest window stands alone. */
export function printWindowHeading(at: number, windowMs: number): void {
  if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
  info(colour.dim(`${new Date(at).toLocaleTimeString()}  window ${formatDurationMs(windowMs)}  (Ctrl-C to stop)`));
}

/** One window, or with `watch` one after the other until Ctrl-C, which ends the loop without the window in progress (a scrape under way still finishes first, within its timeout). */
export async function* scrapeWindows(source: MetricsSource, service: string | undefined, windowMs: number, watch: boolean): AsyncGenerator<MeasuredWindow> {
  let endpoints = await endpointsFor(source, service);
  let before = await scrapeAll(source, endpoints);
  const interrupted = new AbortController();
  const stop = () => interrupted.abort();
  if (watch) process.once('SIGINT', stop);
  try {
    while (true) {
      try {
        await sleep(windowMs, undefined, { signal: interrupted.signal });
      } catch (error) {
        if (interrupted.signal.aborted) return;
        throw error;
      }
      const after = await scrapeAll(source, endpoints);
      if (interrupted.signal.aborted) return;
      yield { at: Date.now(), windowMs, metrics: serviceMetrics(windowsOf(endpoints, before, after)) };
      if (!watch || interrupted.signal.aborted) return;
      // Instances come and go (scale, restarts): follow them, starting their window now.
      const next = await endpointsFor(source, service);
      if (next.map((e) => e.instance).join() !== endpoints.map((e) => e.instance).join()) {
        endpoints = next;
        before = await scrapeAll(source, endpoints);
      } else before = after;
    }
  } finally {
    process.off('SIGINT', stop);
  }
}
