/** Real OpenTelemetry spans for the collector tests (one provider per service, as separate processes would have), and real services for the metrics tests. */
import { PassThrough } from 'node:stream';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createService } from '../../runtime/src/service/index.js';

export interface ShopTrace {
  readonly traceId: string;
  readonly spans: ReadableSpan[];
}

/**
 * gateway `POST /api/orders` → orders `POST /orders` → (client) `GET users`
 * → users `GET /users/:id` (failed, 503), plus an orders INTERNAL span.
 * Parents are passed explicitly: no context manager is needed.
 */
export async function shopTrace(exporterFor: (service: string) => SpanExporter | undefined = () => undefined): Promise<ShopTrace> {
  const memory = new InMemorySpanExporter();
  const providers = new Map<string, BasicTracerProvider>();
  const tracer = (service: string) => {
    let provider = providers.get(service);
    if (provider === undefined) {
      const processors: SpanProcessor[] = [new SimpleSpanProcessor(memory)];
      const exporter = exporterFor(service);
      if (exporter !== undefined) processors.push(new SimpleSpanProcessor(exporter));
      provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'service.instance.id': `${service}-1` }), spanProcessors: processors });
      providers.set(service, provider);
    }
    return provider.getTracer('test');
  };
  const child = (service: string, name: string, parent: Span, kind: SpanKind) =>
    tracer(service).startSpan(name, { kind }, trace.setSpan(context.active(), parent));

  const edge = tracer('gateway').startSpan('POST /api/orders', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 502 } });
  const orders = child('orders', 'POST /orders', edge, SpanKind.SERVER);
  const validate = child('orders', 'validate order', orders, SpanKind.INTERNAL);
  validate.end();
  const call = child('orders', 'GET users', orders, SpanKind.CLIENT);
  const users = child('users', 'GET /users/:id', call, SpanKind.SERVER);
  await new Promise((resolve) => setTimeout(resolve, 5));
  users.setAttribute('http.response.status_code', 503);
  users.setStatus({ code: SpanStatusCode.ERROR, message: 'database down' });
  users.end();
  call.setStatus({ code: SpanStatusCode.ERROR, message: 'Service "users" answered 503' });
  call.end();
  orders.end();
  edge.end();
  await Promise.all([...providers.values()].map((p) => p.forceFlush()));
  // Shutting down clears the in-memory exporter: take the spans first.
  const finished = [...memory.getFinishedSpans()];
  await Promise.all([...providers.values()].map((p) => p.shutdown()));
  return { traceId: edge.spanContext().traceId, spans: finished };
}

/**
 * {@link shopTrace}, sent to a collector's OTLP/HTTP endpoint by the real
 * exporter (JSON over HTTP), one per service as separate processes would
 * have; resolves once every exporter has flushed.
 */
export async function exportShopTrace(tracesUrl: string): Promise<ShopTrace> {
  const exporters: OTLPTraceExporter[] = [];
  const trace = await shopTrace(() => {
    const exporter = new OTLPTraceExporter({ url: tracesUrl });
    exporters.push(exporter);
    return exporter;
  });
  await Promise.all(exporters.map((e) => e.forceFlush()));
  return trace;
}

/**
 * A real runtime service on 127.0.0.1 with one route, `GET /work`, that
 * fails every fourth request with a 503: traffic whose rate and 5xx share
 * the metrics commands have to find in its /metrics.
 */
export async function startWorkService(name: string) {
  const service = createService({ name, env: { LOG_LEVEL: 'silent', MSX_OPEN_ROUTES: '*' }, logDestination: new PassThrough() });
  let n = 0;
  service.app.get('/work', (_req, res) => {
    n += 1;
    if (n % 4 === 0) res.status(503).json({ error: 'busy' });
    else res.json({ ok: true });
  });
  const { url } = await service.listen({ port: 0, handleSignals: false });
  return { service, url };
}
