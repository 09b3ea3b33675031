/**
 * Options every adapter takes, resolved once: defaults applied, values
 * validated with messages that name the option and echo the bad value.
 */
import type { Registry } from 'prom-client';
import type { TraceContextProvider } from './envelope.js';
import { BusError } from './errors.js';
import { createBusMetrics, type BusMetrics } from './metrics.js';
import { RecentEvents } from './recent-events.js';

/** The subset of a pino logger the bus uses (reconnects, dropped acks). */
export interface BusLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface CommonBusOptions {
  /** The service this bus publishes for (envelope `source`) and the default consumer group. */
  readonly service: string;
  /** Registry to register `bus_*` metrics on (the one served at /metrics). Default: none. */
  readonly registry?: Registry;
  /** Supplies the current span's trace context for published events. Default: none. */
  readonly traceContext?: TraceContextProvider;
  /** How long `publish` waits for the transport to come back before failing with `BUS_UNAVAILABLE`. Default 10000. */
  readonly publishTimeoutMs?: number;
  /** How long `close` waits for in-flight handlers. Default 10000. */
  readonly drainTimeoutMs?: number;
  /** Default: silent. */
  readonly logger?: BusLogger;
}

export interface ResolvedCommonOptions {
  readonly service: string;
  readonly metrics: BusMetrics;
  /** What this bus published and handled lately, for the admin surface. */
  readonly recent: RecentEvents;
  readonly traceContext: TraceContextProvider | undefined;
  readonly publishTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly logger: BusLogger;
}

const SILENT: BusLogger = { warn() {}, info() {} };

export function resolveCommonOptions(options: CommonBusOptions): ResolvedCommonOptions {
  if (typeof options?.service !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(options.service)) {
    throw new BusError('BUS_CONFIG_INVALID', `Expected the \`service\` option to be a service name (letters, digits, "_", ".", "-"), got ${JSON.stringify(options?.service)}`);
  }
  return {
    service: options.service,
    metrics: createBusMetrics(options.registry),
    recent: new RecentEvents(),
    traceContext: options.traceContext,
    publishTimeoutMs: positive('publishTimeoutMs', options.publishTimeoutMs, 10_000),
    drainTimeoutMs: positive('drainTimeoutMs', options.drainTimeoutMs, 10_000),
    logger: options.logger ?? SILENT,
  };
}

export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BusError('BUS_CONFIG_INVALID', `Expected the \`${name}\` option to be a positive number, got ${String(value)}`);
  }
  return value;
}

/** Throws `BUS_INVALID_PATTERN`-free group names only: they become queue names and file rows. */
export function assertGroup(group: unknown): asserts group is string {
  if (typeof group !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/.test(group)) {
    throw new BusError('BUS_CONFIG_INVALID', `Expected the \`group\` option to be a name of letters, digits, "_", ".", ":" or "-", got ${JSON.stringify(group)}`);
  }
}
