/**
 * What every open dashboard page shares: the instances (from `ps`), the
 * recent traces and the per-service metrics, each read on the server at a
 * steady pace while at least one page listens and pushed to the pages only
 * when it changed. Metrics are a window between two scrapes, the same
 * arithmetic as `msx metrics`; the last five minutes are kept so a chart
 * opened now is not empty. Each window also evaluates the alert rules
 * (live-alerts.ts).
 */
import { scrapeAll, windowsOf, type Scrapes } from '../../observability/metrics-scrape.js';
import { serviceMetrics, type ServiceMetrics } from '../../observability/service-metrics.js';
import { summarizeTrace, type TraceSummary } from '../../observability/trace-model.js';
import type { InstanceStatus, MetricsEndpoint, Target } from '../../targets/target.js';
import type { DashboardAlert, LiveAlerts } from './live-alerts.js';

export interface MetricsPoint {
  /** End of the window, ms since epoch. */
  readonly at: number;
  readonly services: readonly ServiceMetrics[];
}

export type FeedEvent =
  | { readonly kind: 'instances'; readonly data: readonly InstanceStatus[] }
  | { readonly kind: 'traces'; readonly data: readonly TraceSummary[] }
  | { readonly kind: 'metrics'; readonly data: MetricsPoint }
  | { readonly kind: 'alerts'; readonly data: readonly DashboardAlert[] };

export interface LiveFeedOptions {
  readonly instancesEveryMs?: number;
  readonly tracesEveryMs?: number;
  readonly metricsWindowMs?: number;
  /** How many recent traces the Traces page lists. */
  readonly traceLimit?: number;
}

const HISTORY_MS = 5 * 60_000;

export class LiveFeed {
  readonly #target: Target;
  readonly #options: Required<LiveFeedOptions>;
  readonly #listeners = new Set<(event: FeedEvent) => void>();
  #timers: ReturnType<typeof setInterval>[] = [];
  #instances: readonly InstanceStatus[] = [];
  #instancesKey = '';
  #traces: readonly TraceSummary[] = [];
  #tracesKey = '';
  #history: MetricsPoint[] = [];
  readonly #alerts: LiveAlerts | undefined;
  #alertStates: readonly DashboardAlert[] = [];
  #scrape: { endpoints: readonly MetricsEndpoint[]; scrapes: Scrapes; at: number } | undefined;
  /** Moves on at every stop: a read still under way when the last page left must not feed the next start. */
  #generation = 0;
  #errors = new Map<string, string>();

  constructor(target: Target, options: LiveFeedOptions = {}, alerts?: LiveAlerts) {
    this.#target = target;
    this.#alerts = alerts;
    this.#options = { instancesEveryMs: 1000, tracesEveryMs: 500, metricsWindowMs: 2000, traceLimit: 100, ...options };
  }

  /** The latest of everything, for a page that just connected. */
  snapshot(): { instances: readonly InstanceStatus[]; traces: readonly TraceSummary[]; metrics: readonly MetricsPoint[]; alerts: readonly DashboardAlert[]; errors: Record<string, string> } {
    return { instances: this.#instances, traces: this.#traces, metrics: this.#history, alerts: this.#alertStates, errors: Object.fromEntries(this.#errors) };
  }

  /** Listens until the returned function is called; the first listener starts the reading, the last one stops it. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** Reads the instances now (after a restart or scale), instead of at the next tick. */
  async refreshInstances(): Promise<readonly InstanceStatus[]> {
    await this.#readInstances();
    return this.#instances;
  }

  async warm(): Promise<void> {
    await Promise.all([this.#readInstances(), this.#readTraces()]);
  }

  #emit(event: FeedEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #start(): void {
    const every = (ms: number, read: () => Promise<void>) => {
      let busy = false;
      const tick = () => {
        if (busy) return; // a slow read (a loaded machine) is not stacked up
        busy = true;
        void read().finally(() => (busy = false));
      };
      tick();
      this.#timers.push(setInterval(tick, ms));
    };
    every(this.#options.instancesEveryMs, () => this.#readInstances());
    every(this.#options.tracesEveryMs, () => this.#readTraces());
    every(this.#options.metricsWindowMs, () => this.#readMetrics());
  }

  #stop(): void {
    this.#timers.forEach(clearInterval);
    this.#timers = [];
    this.#scrape = undefined;
    this.#generation += 1;
  }

  async #guard(what: string, read: () => Promise<void>): Promise<void> {
    try {
      await read();
      this.#errors.delete(what);
    } catch (error) {
      this.#errors.set(what, (error as Error).message);
    }
  }

  #readInstances(): Promise<void> {
    return this.#guard('instances', async () => {
      const instances = await this.#target.ps();
      // CPU and memory move all the time; the rest is what a page must see at once.
      const key = JSON.stringify(instances);
      if (key === this.#instancesKey) return;
      this.#instancesKey = key;
      this.#instances = instances;
      this.#emit({ kind: 'instances', data: instances });
    });
  }

  #readTraces(): Promise<void> {
    return this.#guard('traces', async () => {
      const traces = (await this.#target.traces().recent(this.#options.traceLimit)).map(summarizeTrace);
      const key = traces.map((t) => `${t.traceId}:${t.spans}`).join();
      if (key === this.#tracesKey) return;
      this.#tracesKey = key;
      this.#traces = traces;
      this.#emit({ kind: 'traces', data: traces });
    });
  }

  #readMetrics(): Promise<void> {
    return this.#guard('metrics', async () => {
      const generation = this.#generation;
      const source = this.#target.metrics();
      const endpoints = await source.endpoints();
      const scrapes = await scrapeAll(source, endpoints);
      if (generation !== this.#generation) return;
      const at = Date.now();
      const previous = this.#scrape;
      this.#scrape = { endpoints, scrapes, at };
      // Instances came or went (scale, restart): the next window starts now.
      if (previous === undefined || previous.endpoints.map((e) => e.instance).join() !== endpoints.map((e) => e.instance).join()) return;
      const point: MetricsPoint = { at, services: serviceMetrics(windowsOf(endpoints, previous.scrapes, scrapes)) };
      this.#history.push(point);
      while (this.#history.length > 0 && this.#history[0]!.at < point.at - HISTORY_MS) this.#history.shift();
      this.#emit({ kind: 'metrics', data: point });
      if (this.#alerts !== undefined) {
        const alerts = this.#alerts;
        // Its own guard: a failing evaluation stops the alerts, not the charts, and leaves no stale state on the page.
        await this.#guard('alerts', async () => {
          try {
            this.#alertStates = alerts.evaluate(point.services, previous.at, at);
          } catch (error) {
            this.#alertStates = [];
            throw error;
          } finally {
            this.#emit({ kind: 'alerts', data: this.#alertStates });
          }
        });
      }
    });
  }
}
