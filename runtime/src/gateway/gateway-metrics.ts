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
 * Label children are cached per (route, status): resolving labels by object
 * on every request costs more than the rest of the bookkeeping.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const ABORTED_STATUS = 'aborted';
/** Route label for requests that matched no route (404, 400, own endpoints are not counted). */
export const NO_ROUTE = '(none)';

type Child = { observe(seconds: number): void; inc(): void };

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #duration: Histogram<'route' | 'service' | 'status'>;
  readonly #requests: Counter<'route' | 'service' | 'status'>;
  readonly #upstreamErrors: Counter<'service' | 'kind'>;
  readonly #rejections: Counter<'group'>;
  readonly #storeErrors: Counter<'group'>;
  readonly #children = new Map<string, Child>();

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
    this.#requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Requests answered by the gateway, by route prefix, service and status.',
      labelNames: ['route', 'service', 'status'],
      registers,
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
    const key = `${route}\u0000${service}\u0000${status}`;
    let child = this.#children.get(key);
    if (child === undefined) {
      const duration = this.#duration.labels(route, service, status);
      const requests = this.#requests.labels(route, service, status);
      child = { observe: (s) => duration.observe(s), inc: () => requests.inc() };
      this.#children.set(key, child);
    }
    child.observe(seconds);
    child.inc();
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
