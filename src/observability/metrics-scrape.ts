/**
 * Two scrapes of every instance a window apart, through the target's
 * {@link MetricsSource} (which knows how its instances are reached). The
 * network half of `msx metrics`; the arithmetic is in service-metrics.ts.
 */
import type { MetricsEndpoint, MetricsSource } from '../targets/target.js';
import { parsePrometheusText, type Exposition } from './prometheus-text.js';
import type { InstanceWindow } from './service-metrics.js';

export interface Scrapes {
  readonly at: number;
  readonly results: ReadonlyMap<string, Exposition | undefined>;
}

/** One scrape of each endpoint; an instance that does not answer (in time) or answers nonsense maps to undefined. */
/**
 * How long one instance may take to answer its /metrics: an instance busy on
 * a loaded machine (or behind a container network) still counts, as it would
 * for Prometheus, whose default is 10 s.
 */
const SCRAPE_TIMEOUT_MS = 5000;

export async function scrapeAll(source: MetricsSource, endpoints: readonly MetricsEndpoint[], timeoutMs = SCRAPE_TIMEOUT_MS): Promise<Scrapes> {
  const at = performance.now();
  const results = await Promise.all(endpoints.map(async (e) => {
    const text = await source.scrape(e, timeoutMs).catch(() => undefined);
    let exposition: Exposition | undefined;
    try {
      exposition = text === undefined ? undefined : parsePrometheusText(text);
    } catch {
      exposition = undefined;
    }
    return [e.instance, exposition] as const;
  }));
  return { at, results: new Map(results) };
}

/** Pairs two rounds of scrapes into the windows `serviceMetrics` takes. */
export function windowsOf(endpoints: readonly MetricsEndpoint[], before: Scrapes, after: Scrapes): InstanceWindow[] {
  const seconds = (after.at - before.at) / 1000;
  return endpoints.map((t) => ({ service: t.service, instance: t.instance, before: before.results.get(t.instance), after: after.results.get(t.instance), seconds }));
}
