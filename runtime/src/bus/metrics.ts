/**
 * Prometheus metrics of a bus, registered on the service's registry when
 * one is given (the service kit passes the registry it serves at /metrics).
 * Several buses may share a registry: metrics are created once per registry
 * and reused, and each bus adds its own lag source to the lag gauge.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ConsumeOutcome = 'ack' | 'retry' | 'dead_letter';

/**
 * Per group, events pending (not yet acknowledged) and events in its dead
 * letters, read when Prometheus scrapes.
 */
export type LagSource = () => Promise<ReadonlyArray<{ readonly group: string; readonly pending: number; readonly deadLetters: number }>>;

export interface BusMetrics {
  published(type: string): void;
  consumed(group: string, outcome: ConsumeOutcome, seconds: number): void;
  /** Adds a lag source; returns a function that removes it (on close). */
  addLagSource(source: LagSource): () => void;
}

const NOOP: BusMetrics = { published() {}, consumed() {}, addLagSource: () => () => {} };

const lagSources = new WeakMap<Gauge, Set<LagSource>>();

function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function createBusMetrics(registry?: Registry): BusMetrics {
  if (registry === undefined) return NOOP;
  const published = getOrCreate(registry, 'bus_published_total', () => new Counter({
    name: 'bus_published_total', help: 'Events durably accepted by the bus, by type.', labelNames: ['type'], registers: [registry],
  }));
  const consumed = getOrCreate(registry, 'bus_consumed_total', () => new Counter({
    name: 'bus_consumed_total', help: 'Handled deliveries by group and outcome (ack, retry, dead_letter).', labelNames: ['group', 'outcome'], registers: [registry],
  }));
  const duration = getOrCreate(registry, 'bus_handler_duration_seconds', () => new Histogram({
    name: 'bus_handler_duration_seconds', help: 'Event handler duration by group.', labelNames: ['group'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  }));
  const lag = getOrCreate(registry, 'bus_consumer_lag', () => {
    const sources = new Set<LagSource>();
    const gauge: Gauge = new Gauge({
      name: 'bus_consumer_lag', help: 'Events waiting in a group\'s queue (not yet handed to a consumer, or not yet acknowledged).', labelNames: ['group'], registers: [registry],
      async collect() {
        gauge.reset();
        for (const source of sources) {
          // A scrape during a reconnect must not fail the whole /metrics response.
          const rows = await source().catch(() => []);
          for (const row of rows) gauge.set({ group: row.group }, row.pending);
        }
      },
    });
    lagSources.set(gauge, sources);
    return gauge;
  });
  // What an operator must look at now (the counter of dead_letter outcomes says only that some arrived once,
  // and counts from zero in every process): read from the queues at scrape time, like the lag.
  getOrCreate(registry, 'bus_dead_letters', () => {
    const gauge: Gauge = new Gauge({
      name: 'bus_dead_letters', help: 'Events in a group\'s dead letters (exhausted their attempts; msx events re-drives them).', labelNames: ['group'], registers: [registry],
      async collect() {
        gauge.reset();
        for (const source of lagSources.get(lag) ?? []) {
          const rows = await source().catch(() => []);
          for (const row of rows) gauge.set({ group: row.group }, row.deadLetters);
        }
      },
    });
    return gauge;
  });

  return {
    published(type) { published.inc({ type }); },
    consumed(group, outcome, seconds) {
      consumed.inc({ group, outcome });
      duration.observe({ group }, seconds);
    },
    addLagSource(source) {
      const sources = lagSources.get(lag);
      sources?.add(source);
      return () => { sources?.delete(source); };
    },
  };
}
