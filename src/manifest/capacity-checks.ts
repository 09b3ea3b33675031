import type { Diagnostic } from './diagnostic.js';
import { cpuMillicores, memoryBytes } from './quantities.js';
import type { Manifest } from './schema.js';

/**
 * Rules about what instances may use and how many run, which span keys of
 * one service: a request above its limit would be refused by Kubernetes at
 * deploy time, and an autoscaler with min above max or with nothing to
 * scale on does nothing useful. Caught here, with the line, instead.
 */
export function capacityChecks(manifest: Manifest): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const [name, service] of Object.entries(manifest.services)) {
    const { requests, limits } = service.resources;
    if (cpuMillicores(requests.cpu) > cpuMillicores(limits.cpu)) {
      problems.push({
        path: ['services', name, 'resources', 'requests', 'cpu'],
        message: `the CPU request ${requests.cpu} is above the limit ${limits.cpu}`,
        hint: `lower the request or raise resources.limits.cpu to at least ${requests.cpu}`,
      });
    }
    if (memoryBytes(requests.memory) > memoryBytes(limits.memory)) {
      problems.push({
        path: ['services', name, 'resources', 'requests', 'memory'],
        message: `the memory request ${requests.memory} is above the limit ${limits.memory}`,
        hint: `lower the request or raise resources.limits.memory to at least ${requests.memory}`,
      });
    }
    const scaling = service.autoscaling;
    if (scaling === undefined) continue;
    if (scaling.min > scaling.max) {
      problems.push({
        path: ['services', name, 'autoscaling', 'min'],
        message: `autoscaling.min (${scaling.min}) is above autoscaling.max (${scaling.max})`,
        hint: 'make min at most max',
      });
    }
    if (scaling.cpu === undefined && scaling.memory === undefined) {
      problems.push({
        path: ['services', name, 'autoscaling'],
        message: 'autoscaling names no target to scale on',
        hint: 'add cpu, memory or both: the average use to keep, in percent of the request (e.g. cpu: 70)',
      });
    }
  }
  const kubernetes = manifest.infrastructure.kubernetes;
  if (kubernetes.expose !== 'ingress' && (kubernetes.ingress.host ?? kubernetes.ingress.className ?? kubernetes.ingress.tlsSecret) !== undefined) {
    problems.push({
      path: ['infrastructure', 'kubernetes', 'ingress'],
      message: `ingress settings are given, but expose is ${kubernetes.expose}, so no Ingress is rendered`,
      hint: 'set expose: ingress, or remove the ingress settings',
    });
  }
  if (kubernetes.ingress.tlsSecret !== undefined && kubernetes.ingress.host === undefined) {
    problems.push({
      path: ['infrastructure', 'kubernetes', 'ingress', 'tlsSecret'],
      message: 'a TLS certificate needs the host it is for',
      hint: 'add ingress.host (the name on the certificate)',
    });
  }
  return problems;
}
