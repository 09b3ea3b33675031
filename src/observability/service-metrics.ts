/**
 * Per-service figures over a window, from two scrapes of each instance's
 * `/metrics`: the arithmetic behind `msx metrics`. Pure: scrapes in,
 * numbers out. Counters and histogram buckets are differenced per instance
 * (a restarted instance's counters count from zero) and then added across
 * the service's instances; gauges are read from the second scrape.
 */
import { bucketDelta, histogramQuantile, sumBuckets, type Bucket } from './histogram.js';
import type { Exposition, Sample } from './prometheus-text.js';

export interface InstanceWindow {
  readonly service: string;
  readonly instance: string;
  /** Undefined when a scrape failed; the instance then counts as unreachable. */
  readonly before: Exposition | undefined;
  readonly after: Exposition | undefined;
  /** Seconds between the two scrapes. */
  readonly seconds: number;
}

export interface ServiceMetrics {
  readonly service: string;
  readonly instances: number;
  readonly unreachable: number;
  readonly requestsPerSecond: number;
  /** Share of requests answered 5xx in the window; null without requests. */
  readonly errorRate: number | null;
  /** Latency percentiles in milliseconds; null without requests. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  /** Requests being served at the second scrape; null when the service exports no in-flight gauge. */
  readonly inFlight: number | null;
  /** Resident memory of all instances, bytes. */
  readonly memoryBytes: number | null;
  /** Events waiting for this service's consumer groups; null without a bus. */
  readonly consumerLag: number | null;
  /** Events in this service's dead-letter queues at the second scrape; null when the service exports none (no bus, or an older runtime). */
  readonly deadLetters: number | null;
  /** Sagas of this service stuck in its log (compensation gave up) at the second scrape; null when the service runs no saga. */
  readonly sagasStuck: number | null;
  /** Instances whose process started during the window (a restart: process_start_time_seconds changed). */
  readonly restarts: number;
}

/** Request metrics of the service kit, else the gateway's own. */
const REQUEST_FAMILIES = [
  { total: 'http_requests_total', duration: 'http_request_duration_seconds' },
  { total: 'gateway_requests_total', duration: 'gateway_request_duration_seconds' },
] as const;

function byName(exposition: Exposition, name: string): Sample[] {
  return exposition.samples.filter((s) => s.name === name);
}

function sum(samples: readonly Sample[]): number {
  return samples.reduce((total, s) => total + (Number.isFinite(s.value) ? s.value : 0), 0);
}

function counterDelta(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** Cumulative buckets of a histogram family, added across label sets. */
export function histogramBuckets(exposition: Exposition, family: string): Bucket[] {
  const byLe = new Map<number, number>();
  for (const s of byName(exposition, `${family}_bucket`)) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    if (!Number.isNaN(le)) byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

function family(exposition: Exposition) {
  return REQUEST_FAMILIES.find((f) => exposition.samples.some((s) => s.name === f.total)) ?? REQUEST_FAMILIES[0];
}

function gauge(exposition: Exposition, name: string): number | null {
  const samples = byName(exposition, name);
  return samples.length === 0 ? null : sum(samples);
}

function addNullable(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a + b;
}

/**
 * A gauge every instance reads from the same shared place (a group's queue,
 * the saga log), per label value: the largest reading of each, added over
 * the values. Adding instances up would count one queue once per replica.
 * PromQL: `sum(max by (<label>) (<name>))`.
 */
class SharedGauge {
  readonly #byLabel = new Map<string, number>();
  #seen = false;
  constructor(readonly name: string, readonly label: string) {}
  add(exposition: Exposition): void {
    for (const s of byName(exposition, this.name)) {
      if (!Number.isFinite(s.value)) continue;
      this.#seen = true;
      const key = s.labels[this.label] ?? '';
      this.#byLabel.set(key, Math.max(this.#byLabel.get(key) ?? 0, s.value));
    }
  }
  total(): number | null {
    return this.#seen ? [...this.#byLabel.values()].reduce((a, b) => a + b, 0) : null;
  }
}

/** The process restarted between the scrapes: its start time moved (PromQL: `changes(process_start_time_seconds[w])`). */
function restarted(before: Exposition, after: Exposition): boolean {
  const was = gauge(before, 'process_start_time_seconds');
  const is = gauge(after, 'process_start_time_seconds');
  return was !== null && is !== null && was !== is;
}

const toMs = (seconds: number | undefined) => (seconds === undefined ? null : Math.round(seconds * 1e6) / 1e3);

export function serviceMetrics(windows: readonly InstanceWindow[]): ServiceMetrics[] {
  const services = [...new Set(windows.map((w) => w.service))].sort();
  return services.map((service) => {
    const mine = windows.filter((w) => w.service === service);
    let requests = 0;
    let errors = 0;
    let rate = 0;
    let inFlight: number | null = null;
    let memory: number | null = null;
    const lag = new SharedGauge('bus_consumer_lag', 'group');
    const deadLetters = new SharedGauge('bus_dead_letters', 'group');
    const sagasStuck = new SharedGauge('saga_stuck', 'saga');
    let restarts = 0;
    let unreachable = 0;
    const histograms: Bucket[][] = [];
    for (const w of mine) {
      if (w.before === undefined || w.after === undefined || w.seconds <= 0) {
        unreachable++;
        continue;
      }
      const names = family(w.after);
      const totals = (e: Exposition, only5xx: boolean) => sum(byName(e, names.total).filter((s) => !only5xx || /^5/.test(s.labels.status ?? '')));
      const instanceRequests = counterDelta(totals(w.before, false), totals(w.after, false));
      requests += instanceRequests;
      rate += instanceRequests / w.seconds;
      errors += counterDelta(totals(w.before, true), totals(w.after, true));
      histograms.push(bucketDelta(histogramBuckets(w.before, names.duration), histogramBuckets(w.after, names.duration)));
      inFlight = addNullable(inFlight, gauge(w.after, 'http_requests_in_flight'));
      memory = addNullable(memory, gauge(w.after, 'process_resident_memory_bytes'));
      lag.add(w.after);
      deadLetters.add(w.after);
      sagasStuck.add(w.after);
      if (restarted(w.before, w.after)) restarts++;
    }
    const latency = sumBuckets(histograms);
    return {
      service,
      instances: mine.length,
      unreachable,
      requestsPerSecond: Math.round(rate * 100) / 100,
      errorRate: requests > 0 ? errors / requests : null,
      p50Ms: requests > 0 ? toMs(histogramQuantile(0.5, latency)) : null,
      p95Ms: requests > 0 ? toMs(histogramQuantile(0.95, latency)) : null,
      p99Ms: requests > 0 ? toMs(histogramQuantile(0.99, latency)) : null,
      inFlight,
      memoryBytes: memory,
      consumerLag: lag.total(),
      deadLetters: deadLetters.total(),
      sagasStuck: sagasStuck.total(),
      restarts,
    };
  });
}
