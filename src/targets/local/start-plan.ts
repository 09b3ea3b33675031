import type { Manifest } from '../../manifest/schema.js';

// Start order is the same on every target; it lives beside them, re-exported for the supervisor.
export { startsAfter, startWaves, stopWaves } from '../start-order.js';

/** An instance the supervisor should run: who it is and where it listens. */
export interface PlannedInstance {
  readonly id: string;
  readonly service: string;
  /** 1-based: `users-1`, `users-2`, … */
  readonly index: number;
  readonly port: number;
}

/** A service name that msx.yaml does not know. */
export class UnknownServiceError extends Error {
  override readonly name = 'UnknownServiceError';
  constructor(readonly service: string, readonly known: readonly string[]) {
    super(`unknown service "${service}"`);
  }
}

/**
 * The services to run: the requested ones plus everything they call,
 * transitively (a service cannot become useful without its callees). An
 * empty request means every service.
 */
export function selectServices(manifest: Manifest, requested: readonly string[]): string[] {
  const names = Object.keys(manifest.services);
  if (requested.length === 0) return names;
  const chosen = new Set<string>();
  const visit = (name: string): void => {
    if (chosen.has(name)) return;
    const service = manifest.services[name];
    if (!service) throw new UnknownServiceError(name, names);
    chosen.add(name);
    if (service.kind !== 'gateway') service.calls.forEach(visit);
  };
  requested.forEach(visit);
  return names.filter((n) => chosen.has(n));
}

/** `users-3` for the third instance of users. */
export function instanceId(service: string, index: number): string {
  return `${service}-${index}`;
}

/**
 * Ports the manifest reserves: each service owns `[port, port + replicas)`.
 * Instances found a free port for (scaled beyond `replicas`) avoid these so a
 * later `msx up` of another service never finds its port taken by a replica.
 */
export function reservedPorts(manifest: Manifest): Map<number, string> {
  const owners = new Map<number, string>();
  for (const [name, spec] of Object.entries(manifest.services)) {
    for (let i = 0; i < spec.replicas; i++) owners.set(spec.port + i, name);
  }
  return owners;
}

/**
 * The instances `msx up` starts for a service: `replicas` of them on the
 * consecutive ports msx.yaml reserves, from `port`.
 */
export function initialInstances(manifest: Manifest, service: string): PlannedInstance[] {
  const spec = manifest.services[service]!;
  return Array.from({ length: spec.replicas }, (_, i) => ({ id: instanceId(service, i + 1), service, index: i + 1, port: spec.port + i }));
}

/**
 * Candidate ports for an instance added by `msx scale`, best first: its
 * reserved port when the index is within `replicas`, then upwards from the
 * end of the service's range, skipping ports other services reserve and ports
 * already used by running instances. The caller probes each for being free.
 */
export function* scaledPortCandidates(
  manifest: Manifest,
  service: string,
  index: number,
  inUse: ReadonlySet<number>,
): Generator<number> {
  const spec = manifest.services[service]!;
  const reserved = reservedPorts(manifest);
  if (index <= spec.replicas && !inUse.has(spec.port + index - 1)) yield spec.port + index - 1;
  for (let port = spec.port + spec.replicas; port <= 65535; port++) {
    if (!reserved.has(port) && !inUse.has(port)) yield port;
  }
}

/** The lowest instance indexes not in use, for `count` new instances. */
export function nextIndexes(used: readonly number[], count: number): number[] {
  const taken = new Set(used);
  const out: number[] = [];
  for (let i = 1; out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}
