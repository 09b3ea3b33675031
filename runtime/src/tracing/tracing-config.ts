import { instanceName } from '../config/instance-name.js';
import { TracingConfigError } from './tracing-config-error.js';

export interface TracingOptions {
  /** The service's name: `service.name` on every span. */
  readonly service: string;
  /** Tells replicas apart: `service.instance.id`. Default `MSX_INSTANCE`, else `<service>-<pid>`. */
  readonly instance?: string;
  /**
   * Where spans go: the full OTLP/HTTP traces URL (`http://127.0.0.1:4318/v1/traces`).
   * Default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
   * with `/v1/traces` appended (as the OpenTelemetry specification says).
   * Without any of them tracing is off.
   */
  readonly endpoint?: string;
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `initTracing` decided, before loading anything. */
export type TracingConfig =
  | { readonly enabled: false; readonly service: string }
  | { readonly enabled: true; readonly service: string; readonly instance: string; readonly url: string };

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'true';
}

/**
 * Resolves the tracing options against the environment, applying every
 * default once. Tracing is on only when an endpoint is known and neither
 * `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` turns it off.
 *
 * @throws TracingConfigError when the endpoint is not an http(s) URL.
 */
export function resolveTracingConfig(options: TracingOptions): TracingConfig {
  const env = options.env ?? process.env;
  const service = options.service;
  if (typeof service !== 'string' || service === '') {
    throw new TracingConfigError('service', service, `Expected the tracing \`service\` option to be a service name, got ${JSON.stringify(service)}`);
  }
  if (isTrue(env.OTEL_SDK_DISABLED) || env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return { enabled: false, service };

  let variable = 'endpoint';
  let url = options.endpoint?.trim() || undefined;
  if (url === undefined && env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) {
    variable = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
    url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.trim();
  }
  if (url === undefined && env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) {
    variable = 'OTEL_EXPORTER_OTLP_ENDPOINT';
    url = `${env.OTEL_EXPORTER_OTLP_ENDPOINT.trim().replace(/\/+$/, '')}/v1/traces`;
  }
  if (url === undefined) return { enabled: false, service };

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TracingConfigError(variable, url, `Expected ${variable} to be an http(s) URL such as http://127.0.0.1:4318, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TracingConfigError(variable, url, `Expected ${variable} to be an http(s) URL (OTLP over HTTP), got ${JSON.stringify(url)}`);
  }
  const instance = options.instance?.trim() || instanceName(service, env.MSX_INSTANCE);
  return { enabled: true, service, instance, url: parsed.href };
}
