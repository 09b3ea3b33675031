import type { Manifest } from '../manifest/schema.js';

/**
 * Start order as waves: every service of a wave starts together, once each
 * service it calls (`calls` in msx.yaml) is ready in an earlier wave.
 * Gateways start last, because they route to everyone. Services caught in a
 * call cycle cannot be ordered; they start together in one wave after the
 * rest, rather than never.
 */
export function startWaves(manifest: Manifest, services: readonly string[]): string[][] {
  const selected = new Set(services);
  const gateways = services.filter((n) => manifest.services[n]!.kind === 'gateway');
  const pending = new Set(services.filter((n) => !gateways.includes(n)));
  const done = new Set<string>();
  const waves: string[][] = [];
  while (pending.size > 0) {
    const wave = [...pending].filter((name) => {
      const spec = manifest.services[name]!;
      const calls = spec.kind === 'gateway' ? [] : spec.calls;
      return calls.every((callee) => done.has(callee) || !selected.has(callee));
    });
    const next = wave.length > 0 ? wave : [...pending]; // a cycle: start the rest together
    next.forEach((n) => {
      pending.delete(n);
      done.add(n);
    });
    waves.push(next);
  }
  if (gateways.length > 0) waves.push(gateways);
  return waves;
}

/**
 * What each service waits for before it starts, from its waves: the
 * services it calls that start in an earlier wave (callees in its own wave
 * are in a call cycle with it, and start beside it); for a gateway, every
 * service of an earlier wave. So a service starts as soon as its own callees
 * are ready, not when a whole wave is: orders need not wait for a
 * notifications worker it never calls.
 */
export function startsAfter(manifest: Manifest, waves: readonly (readonly string[])[]): Map<string, string[]> {
  const after = new Map<string, string[]>();
  const earlier = new Set<string>();
  for (const wave of waves) {
    for (const service of wave) {
      const spec = manifest.services[service]!;
      after.set(service, spec.kind === 'gateway' ? [...earlier] : spec.calls.filter((callee) => earlier.has(callee)));
    }
    wave.forEach((service) => earlier.add(service));
  }
  return after;
}

/** Stop order: the reverse of start order, so nothing loses a callee while still serving. */
export function stopWaves(waves: readonly (readonly string[])[]): string[][] {
  return [...waves].reverse().map((w) => [...w]);
}
