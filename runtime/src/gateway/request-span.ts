/**
 * The gateway's SERVER span per request, continuing the client's
 * `traceparent`. The gateway is `node:http`, not the service kit, so it
 * starts and ends its spans itself; this file keeps that out of the hot
 * path's code, which only checks `tracingEnabled()` first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR } from '../tracing/attributes.js';
import { extract } from '../tracing/propagation.js';
import { startSpan, type StartedSpan } from '../tracing/spans.js';

export function startRequestSpan(gateway: string, req: IncomingMessage): StartedSpan | undefined {
  const method = req.method ?? 'GET';
  return startSpan(
    method,
    { [ATTR.httpMethod]: method, [ATTR.urlPath]: (req.url ?? '/').split('?', 1)[0]! },
    { kind: SpanKind.SERVER, parent: extract(req.headers, ROOT_CONTEXT), service: gateway },
  );
}

/** Names the span after the matched route (`GET /api/orders/*`), records the outcome and ends it. */
export function endRequestSpan(started: StartedSpan, req: IncomingMessage, res: ServerResponse, route: string, service: string): void {
  const { span } = started;
  span.updateName(`${req.method ?? 'GET'} ${route}`);
  span.setAttribute(ATTR.httpRoute, route);
  span.setAttribute(ATTR.peerService, service);
  if (res.writableFinished) {
    span.setAttribute(ATTR.httpStatus, res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.statusCode}` });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the connection before the response was complete' });
  }
  span.end();
}
