import type { Diagnostic } from './diagnostic.js';
import { capacityChecks } from './capacity-checks.js';
import { environmentChecks } from './environments.js';
import type { Manifest } from './schema.js';
import { topicMatches } from './topic-pattern.js';

/**
 * Rules that span several keys and so cannot live in the schema: port clashes,
 * references to services that do not exist, routes without a gateway.
 * Pure function of the parsed manifest.
 */
export function semanticChecks(manifest: Manifest): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const names = Object.keys(manifest.services);
  const portOwner = new Map<number, string>();
  const gateways = names.filter((n) => manifest.services[n]!.kind === 'gateway');

  for (const [name, service] of Object.entries(manifest.services)) {
    // Replicas of a service take the ports after its own on the local target,
    // so a clash is any overlap of [port, port + replicas).
    for (let i = 0; i < service.replicas; i++) {
      const p = service.port + i;
      const owner = portOwner.get(p);
      if (owner !== undefined && owner !== name) {
        problems.push({
          path: ['services', name, 'port'],
          message: i === 0
            ? `port ${p} is already used by service "${owner}"`
            : `port ${p} (replica ${i + 1} of "${name}") is already used by service "${owner}"`,
          hint: `give "${name}" a port that no other service uses, e.g. ${freePort(portOwner, service.port)}`,
        });
        break;
      }
      portOwner.set(p, name);
    }

    if (service.kind !== 'gateway') {
      service.calls.forEach((callee, i) => {
        if (callee === name) {
          problems.push({ path: ['services', name, 'calls', i], message: 'a service cannot list itself in calls' });
        } else if (!names.includes(callee)) {
          problems.push({
            path: ['services', name, 'calls', i],
            message: `calls unknown service "${callee}"`,
            hint: names.length ? `known services: ${names.join(', ')}` : undefined,
          });
        } else if (manifest.services[callee]!.kind === 'gateway') {
          problems.push({ path: ['services', name, 'calls', i], message: `"${callee}" is the gateway; services call each other directly` });
        }
      });
    }

    if (service.kind !== 'gateway') {
      const seen = new Map<string, number>();
      service.routes.forEach((route, i) => {
        for (const method of route.methods ?? ['*']) {
          const key = `${method} ${route.path}`;
          if (seen.has(key)) {
            problems.push({ path: ['services', name, 'routes', i, 'path'], message: `route ${key} is declared twice (first at routes[${seen.get(key)}])` });
          }
          seen.set(key, i);
        }
        if (route.rateLimit !== undefined && gateways.length > 0) {
          const gw = manifest.services[gateways[0]!]!;
          if (gw.kind === 'gateway' && !(route.rateLimit in gw.rateLimits)) {
            problems.push({
              path: ['services', name, 'routes', i, 'rateLimit'],
              message: `rate-limit group "${route.rateLimit}" is not defined by the gateway`,
              hint: `define it under services.${gateways[0]}.rateLimits, or use one of: ${Object.keys(gw.rateLimits).join(', ')}`,
            });
          }
        }
      });
      if (service.routes.length > 0 && gateways.length === 0) {
        problems.push({
          path: ['services', name, 'routes'],
          message: 'routes are declared but the system has no gateway to serve them',
          hint: 'add a service with "kind: gateway", or remove the routes',
        });
      }
    }
  }

  problems.push(...unpublishedSubscriptions(manifest));
  problems.push(...capacityChecks(manifest));
  problems.push(...environmentChecks(manifest));

  if (gateways.length > 1) {
    problems.push({ path: ['services', gateways[1]!, 'kind'], message: `only one gateway is supported; "${gateways[0]}" is already one` });
  }

  // Route prefixes are global: two services claiming the same prefix and method would be ambiguous.
  const claimed = new Map<string, string>();
  for (const [name, service] of Object.entries(manifest.services)) {
    if (service.kind === 'gateway') continue;
    service.routes.forEach((route, i) => {
      for (const method of route.methods ?? ['*']) {
        const key = `${method} ${route.path}`;
        const owner = claimed.get(key);
        if (owner !== undefined && owner !== name) {
          problems.push({ path: ['services', name, 'routes', i, 'path'], message: `route ${key} is already routed to "${owner}"` });
        }
        claimed.set(key, name);
      }
    });
  }
  return problems;
}

/**
 * Warns about a subscription no service in the manifest publishes: often a
 * typo, or a publisher not declared yet. A warning, not an error, because
 * events may come from outside the system.
 */
function unpublishedSubscriptions(manifest: Manifest): Diagnostic[] {
  const published = Object.values(manifest.services).flatMap((s) => (s.kind === 'gateway' ? [] : s.events.publishes));
  const warnings: Diagnostic[] = [];
  for (const [name, service] of Object.entries(manifest.services)) {
    if (service.kind === 'gateway') continue;
    service.events.subscribes.forEach((pattern, i) => {
      if (published.some((type) => topicMatches(pattern, type))) return;
      warnings.push({
        path: ['services', name, 'events', 'subscribes', i],
        message: `"${name}" subscribes to ${pattern}, but no service publishes a matching event`,
        hint: published.length > 0
          ? `published in msx.yaml: ${[...new Set(published)].join(', ')}; add the type to its publisher's events.publishes (events from outside the system are fine)`
          : "add the type to its publisher's events.publishes (events from outside the system are fine)",
        severity: 'warning',
      });
    });
  }
  return warnings;
}

function freePort(taken: Map<number, string>, near: number): number {
  let candidate = near + 1;
  while (taken.has(candidate) && candidate < 65535) candidate++;
  return candidate;
}
