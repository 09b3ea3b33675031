import { context, propagation, type TextMapPropagator } from '@opentelemetry/api';
import { resolveTracingConfig, type TracingOptions } from './tracing-config.js';
import { disabledTracing, registerTracing, unregisterTracing, type Tracing } from './tracing.js';
import { useW3CPropagator } from './propagation.js';

/** The runtime's version, as the instrumentation scope of its spans. */
const SCOPE = '@msx/runtime';

/** `service.name`, from the semantic conventions (stable), as a literal: the conventions module is large. */
const ATTR_SERVICE_NAME = 'service.name';

let contextManagerInstalled = false;

/**
 * Turns tracing on for one service when an OTLP endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or the
 * `endpoint` option), and otherwise returns a disabled `Tracing` without
 * loading the OpenTelemetry SDK at all: a service that does not trace pays
 * for `@opentelemetry/api` and nothing else.
 *
 * When on: spans are batched (`BatchSpanProcessor`, tuned with the standard
 * `OTEL_BSP_*` variables) and sent as OTLP/HTTP JSON; the W3C trace-context
 * propagator and an AsyncLocalStorage context manager are installed once
 * per process, so the span being served is the parent of calls made while
 * serving it. No auto-instrumentation: the runtime's own hooks (service kit,
 * client, gateway, bus, database, saga) create the spans.
 *
 * Call `shutdown()` on the result before exiting, or the last batch is lost;
 * `createService` does this for you.
 *
 * @throws TracingConfigError (as a rejection) when the endpoint is not an http(s) URL.
 */
/**
 * The SDK's default 5 s between exports puts a request's trace on screen
 * (msx trace, the dashboard) seconds after the request; 500 ms keeps it
 * under a second at the cost of a few more small batches while busy (an
 * idle service exports nothing). `OTEL_BSP_SCHEDULE_DELAY` still decides
 * when it is set.
 */
function batchTiming(): { scheduledDelayMillis?: number } {
  return process.env.OTEL_BSP_SCHEDULE_DELAY ? {} : { scheduledDelayMillis: 500 };
}

export async function initTracing(options: TracingOptions): Promise<Tracing> {
  const config = resolveTracingConfig(options);
  if (!config.enabled) return disabledTracing(config.service);

  const [{ BasicTracerProvider, BatchSpanProcessor }, { OtlpJsonTraceExporter }, { resourceFromAttributes }, { W3CTraceContextPropagator }, { AsyncLocalStorageContextManager }] = await sdkModules();

  if (!contextManagerInstalled) {
    // setGlobal* refuse to replace what an application registered itself; then theirs is used.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const w3c: TextMapPropagator = new W3CTraceContextPropagator();
    propagation.setGlobalPropagator(w3c);
    useW3CPropagator(w3c);
    contextManagerInstalled = true;
  }

  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.service, 'service.instance.id': config.instance }),
    spanProcessors: [new BatchSpanProcessor(new OtlpJsonTraceExporter({ url: config.url }), batchTiming())],
  });

  let stopped: Promise<void> | undefined;
  const tracing: Tracing = {
    enabled: true,
    service: config.service,
    url: config.url,
    tracer: provider.getTracer(SCOPE),
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        unregisterTracing(tracing);
        await provider.shutdown();
      })();
      return stopped;
    },
  };
  registerTracing(tracing);
  return tracing;
}


/**
 * The SDK's modules, imported once. Our own OTLP/HTTP JSON exporter, not
 * @opentelemetry/exporter-trace-otlp-http: that one loads the metrics and
 * logs SDKs through its transformer, megabytes per instance for the same
 * bytes on the wire.
 */
function sdkModules() {
  return Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('./otlp-json-exporter.js'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
  ]);
}

/**
 * Starts loading the SDK when the environment turns tracing on, so that a
 * later `initTracing` finds it loaded: for a process that waits anyway (at
 * the start gate). Never throws; `initTracing` reports what is wrong.
 */
export function preloadTracing(env: Readonly<Record<string, string | undefined>> = process.env): void {
  try {
    if (!resolveTracingConfig({ service: 'preload', env }).enabled) return;
  } catch {
    return;
  }
  sdkModules().catch(() => {});
}
