/**
 * The gateway's Prometheus metrics, on its own registry (so two gateways in
 * one process, as in tests, do not collide):
 * - `gateway_requests_total` and `gateway_request_duration_seconds` by route
 *   prefix, service and status (`aborted` when the client left early);
 * - `gateway_upstream_errors_total` by service and kind (timeout,
 *   unavailable, circuit-open, failed);
 * - `gateway_ratelimit_rejections_total` and
 *   `gateway_ratelimit_store_errors_total` by rate-limit group.
 *
 * Label children are cached per (route, service, status) in nested maps
 * keyed by the route's own strings (no key built per request). The request
 * counter is kept as a plain number per child and added to prom-client's
 * counter when the registry is read (its `collect` hook): prom-client
 * validates and hashes the labels on every `inc`, which cost as much as the
 * histogram's `observe`, and a scrape sees the same totals either way.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const ABORTED_STATUS = 'aborted';
/** Route label for requests that matched no route (404, 400, own endpoints are not counted). */
export const NO_ROUTE = '(none)';

interface Child {
  readonly duration: { observe(seconds: number): void };
  readonly labels: readonly [string, string, string];
  /** Requests since the counter last collected them. */
  pending: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #duration: Histogram<'route' | 'service' | 'status'>;
  readonly #requests: Counter<'route' | 'service' | 'status'>;
  readonly #upstreamErrors: Counter<'service' | 'kind'>;
  readonly #rejections: Counter<'group'>;
  readonly #storeErrors: Counter<'group'>;
  readonly #children = new Map<string, Map<string, Map<string, Child>>>();
  readonly #counted: Child[] = [];

  constructor(options: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}) {
    if (options.labels !== undefined) this.registry.setDefaultLabels(options.labels);
    const registers = [this.registry];
    this.#duration = new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time from request arrival to the end of the response, by route prefix, service and status.',
      labelNames: ['route', 'service', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const counted = this.#counted;
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
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  observeRequest(route: string, service: string, status: string, seconds: number): void {
    let byService = this.#children.get(route);
    if (byService === undefined) this.#children.set(route, (byService = new Map()));
    let byStatus = byService.get(service);
    if (byStatus === undefined) byService.set(service, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (child === undefined) {
      child = { duration: this.#duration.labels(route, service, status), labels: [route, service, status], pending: 0 };
      byStatus.set(status, child);
      this.#counted.push(child);
    }
    child.duration.observe(seconds);
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
