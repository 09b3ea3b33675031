import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { routeTemplate } from './routeTemplate.js';

/** Status label of a request whose client went away before the response was complete. */
export const ABORTED_STATUS = 'aborted';

/**
 * The RED metrics of a service's HTTP API, on the service's own registry:
 * `http_request_duration_seconds` (histogram) and `http_requests_total`
 * (counter) labelled by method, route template and status, and
 * `http_requests_in_flight`. Returns the middleware that records them.
 */
export function httpMetrics(registry: Registry): RequestHandler {
  const labelNames = ['method', 'route', 'status'] as const;
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests in seconds, by method, route template and status.',
    labelNames,
    registers: [registry],
  });
  const total = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests completed, by method, route template and status.',
    labelNames,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served right now.',
    registers: [registry],
  });

  return (req, res, next) => {
    const start = process.hrtime.bigint();
    inFlight.inc();
    res.once('close', () => {
      inFlight.dec();
      const labels = {
        method: req.method,
        route: routeTemplate(req),
        status: res.writableFinished ? String(res.statusCode) : ABORTED_STATUS,
      };
      duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      total.inc(labels);
    });
    next();
  };
}
