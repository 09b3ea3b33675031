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

/** Stop order: the reverse of start order, so nothing loses a callee while still serving. */
export function stopWaves(waves: readonly (readonly string[])[]): string[][] {
  return [...waves].reverse().map((w) => [...w]);
}
