/**
 * The gateway's Prometheus metrics, on its own registry (so two gateways in
 * one process, as in tests, do not collide):
 * - `gateway_requests_total` and `gateway_request_duration_seconds` by route
 *   prefix, service and status (`aborted` when the client left early);
 * - `gateway_upstream_errors_total` by service and kind (timeout,
 *   unavailable, circuit-open, failed);
 * - `gateway_upstream_retries_total` by service: requests sent to another
 *   instance after one refused the connection;
 * - `gateway_upstream_instances` by service and state (`admitted`,
 *   `ejected`) and `gateway_upstream_circuit_open` by service (0 closed,
 *   0.5 half-open, 1 open), read at scrape time;
 * - `gateway_ratelimit_rejections_total` and
 *   `gateway_ratelimit_store_errors_total` by rate-limit group.
 *
 * Label children are cached per (route, service, status) in nested maps
 * keyed by the route's own strings (no key built per request). Per request
 * the gateway only adds to plain numbers in its child; prom-client reads
 * them when the registry is scraped. prom-client's own `inc` and `observe`
 * validate the labels, hash them into a string and allocate a closure on
 * every call, which on the proxy path cost as much as a header of the
 * request; a scrape sees the same series either way. The request counter
 * is prom-client's `Counter` fed from its `collect` hook; the duration
 * histogram is a registry metric of our own ({@link RequestDurations}),
 * because a prom-client `Histogram` can only be fed one observation at a
 * time.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { UpstreamState } from './upstreams.js';

export const ABORTED_STATUS = 'aborted';
/** Route label for requests that matched no route (404, 400, own endpoints are not counted). */
export const NO_ROUTE = '(none)';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Child {
  readonly labels: readonly [string, string, string];
  /** Requests since the counter last collected them. */
  pending: number;
  /** Observations per duration bucket (not cumulative; the last slot is +Inf). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

interface SampleValue {
  readonly metricName: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * `gateway_request_duration_seconds` as a Prometheus histogram, read from
 * the children's plain counts at scrape time, in the shape prom-client's
 * registry formats (`_bucket` with `le` first and cumulative counts, then
 * `_sum` and `_count`).
 */
class RequestDurations {
  readonly name = 'gateway_request_duration_seconds';
  readonly help = 'Time from request arrival to the end of the response, by route prefix, service and status.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(private readonly children: readonly Child[]) {}

  get(): { name: string; help: string; type: string; aggregator: string; values: SampleValue[] } {
    const values: SampleValue[] = [];
    for (const child of this.children) {
      const [route, service, status] = child.labels;
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += child.buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: String(DURATION_BUCKETS[i]), route, service, status }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', route, service, status }, value: child.count });
      values.push({ metricName: `${this.name}_sum`, labels: { route, service, status }, value: child.sum });
      values.push({ metricName: `${this.name}_count`, labels: { route, service, status }, value: child.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const child of this.children) {
      child.buckets.fill(0);
      child.sum = 0;
      child.count = 0;
    }
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'service' | 'status'>;
  readonly #upstreamErrors: Counter<'service' | 'kind'>;
  readonly #rejections: Counter<'group'>;
  readonly #storeErrors: Counter<'group'>;
  readonly #retries: Counter<'service'>;
  #upstreamStates: (() => Promise<UpstreamState[]>) | undefined;
  readonly #children = new Map<string, Map<string, Map<string, Child>>>();
  readonly #counted: Child[] = [];

  constructor(options: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}) {
    if (options.labels !== undefined) this.registry.setDefaultLabels(options.labels);
    const registers = [this.registry];
    const counted = this.#counted;
    this.registry.registerMetric(new RequestDurations(counted) as unknown as Metric);
    this.#requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Requests answered by the gateway, by route prefix, service and status.',
      labelNames: ['route', 'service', 'status'],
      registers,
      collect() {
        for (const child of counted) {
          if (child.pending === 0) continue;
          this.labels(...child.labels).inc(child.pending);
          child.pending = 0;
        }
      },
    });
    this.#upstreamErrors = new Counter({
      name: 'gateway_upstream_errors_total',
      help: 'Upstream calls that failed before a response, by service and kind.',
      labelNames: ['service', 'kind'],
      registers,
    });
    this.#rejections = new Counter({
      name: 'gateway_ratelimit_rejections_total',
      help: 'Requests answered 429 by rate-limit group.',
      labelNames: ['group'],
      registers,
    });
    this.#storeErrors = new Counter({
      name: 'gateway_ratelimit_store_errors_total',
      help: 'Rate-limit decisions the shared store (Redis) could not make; the gateway used its local budget instead.',
      labelNames: ['group'],
      registers,
    });
    this.#retries = new Counter({
      name: 'gateway_upstream_retries_total',
      help: 'Requests sent to another instance because the one chosen refused the connection, by service.',
      labelNames: ['service'],
      registers,
    });
    const states = () => this.#upstreamStates?.() ?? Promise.resolve([]);
    new Gauge({
      name: 'gateway_upstream_instances',
      help: 'Instances of each upstream service that discovery lists, by state (admitted, ejected by outlier ejection).',
      labelNames: ['service', 'state'],
      registers,
      async collect() {
        for (const upstream of await states()) {
          this.labels(upstream.service, 'admitted').set(upstream.instances - upstream.ejected);
          this.labels(upstream.service, 'ejected').set(upstream.ejected);
        }
      },
    });
    new Gauge({
      name: 'gateway_upstream_circuit_open',
      help: 'Whether the circuit of each upstream service is open (1), half-open (0.5) or closed (0).',
      labelNames: ['service'],
      registers,
      async collect() {
        for (const upstream of await states()) {
          this.labels(upstream.service).set(upstream.circuit === 'open' ? 1 : upstream.circuit === 'half-open' ? 0.5 : 0);
        }
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the upstream gauges read their values at scrape time. */
  reportUpstreams(read: () => Promise<UpstreamState[]>): void {
    this.#upstreamStates = read;
  }

  upstreamRetry(service: string): void {
    this.#retries.labels(service).inc();
  }

  observeRequest(route: string, service: string, status: string, seconds: number): void {
    let byService = this.#children.get(route);
    if (byService === undefined) this.#children.set(route, (byService = new Map()));
    let byStatus = byService.get(service);
    if (byStatus === undefined) byService.set(service, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (child === undefined) {
      child = { labels: [route, service, status], pending: 0, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 };
      byStatus.set(status, child);
      this.#counted.push(child);
    }
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
    child.buckets[bucket]! += 1;
    child.sum += seconds;
    child.count += 1;
    child.pending += 1;
  }

  upstreamError(service: string, kind: string): void {
    this.#upstreamErrors.labels(service, kind).inc();
  }

  rateLimitRejected(group: string): void {
    this.#rejections.labels(group).inc();
  }

  rateLimitStoreError(group: string): void {
    this.#storeErrors.labels(group).inc();
  }
}
