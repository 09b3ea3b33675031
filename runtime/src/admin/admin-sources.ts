/**
 * What a service's admin surface (`/_msx/...`, admin-routes.ts) can read:
 * the buses and saga logs living in that service. They are found through
 * the service's metrics registry, the one handle every runtime part already
 * gets from its service (`createBus({ registry })`, `SagaOrchestrator.create({
 * registry })`), so generated code needs no new wiring and existing systems
 * get the admin surface by upgrading the runtime alone.
 */
import type { Registry } from 'prom-client';
import type { EventBus } from '../bus/bus.js';
import type { Database } from '../data/database.js';

export interface AdminSagaSource {
  readonly db: Database;
  /** Step names by saga name, in definition order. */
  readonly stepsOf: ReadonlyMap<string, readonly string[]>;
}

export interface AdminSources {
  readonly buses: Set<EventBus>;
  readonly sagas: Set<AdminSagaSource>;
}

const byRegistry = new WeakMap<Registry, AdminSources>();

export function adminSources(registry: Registry): AdminSources {
  let sources = byRegistry.get(registry);
  if (sources === undefined) {
    sources = { buses: new Set(), sagas: new Set() };
    byRegistry.set(registry, sources);
  }
  return sources;
}

/** Makes `bus` visible on the admin surface of the service owning `registry`; returns the undo (on close). */
export function exposeBus(registry: Registry | undefined, bus: EventBus): () => void {
  if (registry === undefined) return () => {};
  const { buses } = adminSources(registry);
  buses.add(bus);
  return () => { buses.delete(bus); };
}

export function exposeSagas(registry: Registry | undefined, source: AdminSagaSource): () => void {
  if (registry === undefined) return () => {};
  const { sagas } = adminSources(registry);
  sagas.add(source);
  return () => { sagas.delete(source); };
}
