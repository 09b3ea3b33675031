/**
 * `db_query_duration_seconds`, registered once per registry and shared by
 * every database on it (the service kit's registry is the one at /metrics).
 */
import { Histogram, type Registry } from 'prom-client';

export type QueryOutcome = 'ok' | 'error';

/** Times one query; call the returned function when it settled (with the error when it failed). */
export type QueryTimer = (outcome: QueryOutcome, error?: unknown) => void;

export interface QueryMetrics {
  start(): QueryTimer;
}

/** `metrics`, also handing every failed query's error to `observe` (e.g. a DiskFullWatch). */
export function observeQueryErrors(metrics: QueryMetrics, observe: ((error: unknown) => void) | undefined): QueryMetrics {
  if (observe === undefined) return metrics;
  return {
    start() {
      const end = metrics.start();
      return (outcome, error) => {
        end(outcome, error);
        if (outcome === 'error') observe(error);
      };
    },
  };
}

const NOOP: QueryMetrics = { start: () => () => {} };

export function createQueryMetrics(service: string, kind: string, registry?: Registry): QueryMetrics {
  if (registry === undefined) return NOOP;
  const histogram = (registry.getSingleMetric('db_query_duration_seconds') as Histogram | undefined) ?? new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Duration of database queries (transactions count each of their statements), by engine kind and outcome.',
    labelNames: ['service', 'kind', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    start() {
      const end = histogram.startTimer({ service, kind });
      return (outcome) => { end({ outcome }); };
    },
  };
}
