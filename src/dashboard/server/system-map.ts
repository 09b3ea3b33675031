/**
 * The Map page's graph, derived from msx.yaml and what runs: one node per
 * service (kind, port, its instances' states), and three kinds of arrow —
 * `calls` (HTTP), events from each publisher to each subscriber whose
 * pattern matches (labelled with the event type), and the gateway's routes.
 * The page lays it out (map-page.tsx).
 */
import type { Manifest } from '../../manifest/schema.js';
import { topicMatches } from '../../manifest/topic-pattern.js';
import type { InstanceStatus } from '../../targets/target.js';

export interface MapNode {
  readonly name: string;
  readonly kind: string;
  readonly port: number;
  readonly instances: readonly { readonly id: string; readonly state: string; readonly ready: boolean }[];
}

export interface MapEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'call' | 'event' | 'route';
  /** The event type, or the gateway route's paths. */
  readonly label?: string;
}

export interface SystemMap {
  readonly system: string;
  readonly nodes: readonly MapNode[];
  readonly edges: readonly MapEdge[];
}

export function systemMap(manifest: Manifest, instances: readonly InstanceStatus[]): SystemMap {
  const names = Object.keys(manifest.services);
  const nodes: MapNode[] = names.map((name) => {
    const spec = manifest.services[name]!;
    return {
      name,
      kind: spec.kind,
      port: spec.port,
      instances: instances.filter((i) => i.service === name).map((i) => ({ id: i.id, state: i.state, ready: i.ready })),
    };
  });
  const edges: MapEdge[] = [];
  const gateways = names.filter((n) => manifest.services[n]!.kind === 'gateway');
  for (const name of names) {
    const spec = manifest.services[name]!;
    if (spec.kind === 'gateway') continue;
    for (const callee of spec.calls) edges.push({ from: name, to: callee, kind: 'call' });
    if (spec.routes.length > 0) {
      const paths = [...new Set(spec.routes.map((r) => r.path))].join(', ');
      for (const gateway of gateways) edges.push({ from: gateway, to: name, kind: 'route', label: paths });
    }
    for (const type of spec.events.publishes) {
      for (const subscriber of names) {
        const sub = manifest.services[subscriber]!;
        if (sub.kind === 'gateway') continue;
        if (sub.events.subscribes.some((pattern) => topicMatches(pattern, type))) edges.push({ from: name, to: subscriber, kind: 'event', label: type });
      }
    }
  }
  return { system: manifest.name, nodes, edges };
}
