/**
 * Saga metrics on the service's registry: starts, outcomes, and stuck
 * sagas both as a counter (events) and a gauge read from the log at scrape
 * time (what an operator must look at now).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SagaLog } from './saga-log.js';

export interface SagaMetrics {
  started(saga: string): void;
  finished(saga: string, status: string): void;
  stuck(saga: string): void;
}

const NOOP: SagaMetrics = { started() {}, finished() {}, stuck() {} };

function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function createSagaMetrics(log: SagaLog, registry?: Registry): SagaMetrics {
  if (registry === undefined) return NOOP;
  const started = getOrCreate(registry, 'saga_started_total', () => new Counter({ name: 'saga_started_total', help: 'Sagas started, by name.', labelNames: ['saga'], registers: [registry] }));
  const finished = getOrCreate(registry, 'saga_finished_total', () => new Counter({ name: 'saga_finished_total', help: 'Sagas finished by this instance, by name and status (completed, compensated, stuck).', labelNames: ['saga', 'status'], registers: [registry] }));
  const stuck = getOrCreate(registry, 'saga_stuck_total', () => new Counter({ name: 'saga_stuck_total', help: 'Sagas whose compensation gave up after its retries (they need an operator).', labelNames: ['saga'], registers: [registry] }));
  getOrCreate(registry, 'saga_stuck', () => {
    const gauge: Gauge = new Gauge({
      name: 'saga_stuck', help: 'Sagas currently stuck in the log, by name.', labelNames: ['saga'], registers: [registry],
      async collect() {
        const rows = await log.countStuck().catch(() => []);
        gauge.reset();
        for (const row of rows) gauge.set({ saga: row.name }, row.n);
      },
    });
    return gauge;
  });
  return {
    started: (saga) => started.inc({ saga }),
    finished: (saga, status) => finished.inc({ saga, status }),
    stuck: (saga) => stuck.inc({ saga }),
  };
}
