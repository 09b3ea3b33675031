import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { ATTR } from '../tracing/attributes.js';
import { extract } from '../tracing/propagation.js';
import { startSpan } from '../tracing/spans.js';
import { tracingEnabled } from '../tracing/tracing.js';
import { HEALTH_PATH, METRICS_PATH, READY_PATH } from './probes.js';
import { routeTemplate } from './routeTemplate.js';

const PROBES: ReadonlySet<string> = new Set([HEALTH_PATH, READY_PATH, METRICS_PATH]);

/**
 * One SERVER span per incoming request, continuing the caller's
 * `traceparent`, named `METHOD /route/template` once routing has run, and
 * active while the request is handled, so the calls, publishes and queries
 * made for it become its children. Probes (`/health`, `/ready`, `/metrics`)
 * are not traced: scrapers would drown the real traffic. With tracing off
 * the middleware only calls `next()`.
 */
export function requestTracing(service: string): RequestHandler {
  return (req, res, next) => {
    if (!tracingEnabled() || PROBES.has(req.path)) {
      next();
      return;
    }
    const started = startSpan(
      req.method,
      { [ATTR.httpMethod]: req.method, [ATTR.urlPath]: req.path },
      { kind: SpanKind.SERVER, parent: extract(req.headers, ROOT_CONTEXT), service },
    );
    if (started === undefined) {
      next();
      return;
    }
    const { span } = started;
    res.once('close', () => {
      const route = routeTemplate(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute(ATTR.httpRoute, route);
      if (res.writableFinished) {
        span.setAttribute(ATTR.httpStatus, res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.statusCode}` });
      } else {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the connection before the response was complete' });
      }
      span.end();
    });
    // Body parsers call `next` from the request stream's 'end' event, which
    // runs outside this context; bound listeners keep the span active there.
    context.bind(started.context, req);
    context.with(started.context, next);
  };
}
