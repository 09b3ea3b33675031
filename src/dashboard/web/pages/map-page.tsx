/**
 * The system as a graph: services as boxes coloured by their instances'
 * state (live), HTTP calls as solid arrows, events as dashed arrows from
 * publisher to subscriber labelled with the event types, the gateway's
 * routes as dotted arrows. Laid out in layers: the gateway first, then
 * each service one column right of whatever calls it or sends it events.
 * The same arrows are listed in a table below, for the keyboard and screen
 * readers.
 */
import type { MapEdge, MapNode, Overview } from '../api.js';
import type { useLive } from '../api.js';
import { stateClass } from '../format.js';
import { href } from '../router.js';

const BOX_W = 170;
const BOX_H = 58;
const COL_GAP = 150;
const ROW_GAP = 50;
const PAD = 30;

interface Placed extends MapNode { x: number; y: number }

/** Arrows of one kind between one pair, their labels joined. */
function mergeEdges(edges: readonly MapEdge[]): MapEdge[] {
  const byKey = new Map<string, MapEdge>();
  for (const e of edges) {
    const key = `${e.from}>${e.to}>${e.kind}`;
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, label: [seen.label, e.label].filter(Boolean).join(', ') } : e);
  }
  return [...byKey.values()];
}

function layers(nodes: readonly MapNode[], edges: readonly MapEdge[]): Map<string, number> {
  const rank = new Map<string, number>();
  const incoming = (name: string) => edges.filter((e) => e.to === name && e.kind !== 'route' && e.from !== name).map((e) => e.from);
  const visit = (name: string, path: Set<string>): number => {
    const known = rank.get(name);
    if (known !== undefined) return known;
    const node = nodes.find((n) => n.name === name);
    if (node?.kind === 'gateway') return 0;
    path.add(name);
    const preds = incoming(name).filter((p) => !path.has(p)); // a cycle is cut where it closes
    const r = preds.length === 0 ? 1 : 1 + Math.max(...preds.map((p) => visit(p, path)));
    path.delete(name);
    rank.set(name, r);
    return r;
  };
  for (const n of nodes) rank.set(n.name, visit(n.name, new Set()));
  // No gateway: start at column 0.
  const min = Math.min(...rank.values());
  for (const [k, v] of rank) rank.set(k, v - min);
  return rank;
}

function worstState(node: MapNode): string {
  if (node.instances.length === 0) return 'stopped';
  const order = ['failed', 'crash-loop', 'backoff', 'orphaned', 'unready', 'starting', 'draining', 'stopping', 'stopped', 'ready'];
  return order.find((s) => node.instances.some((i) => i.state === s)) ?? node.instances[0]!.state;
}

export function MapPage({ overview, live }: { overview: Overview | undefined; live: ReturnType<typeof useLive> }) {
  if (!overview) return <p>Loading…</p>;
  const nodes: MapNode[] = overview.map.nodes.map((n) => {
    const instances = live.instances.filter((i) => i.service === n.name).map((i) => ({ id: i.id, state: i.state, ready: i.ready }));
    return { ...n, instances: live.connected || live.instances.length > 0 ? instances : n.instances };
  });
  const edges = mergeEdges(overview.map.edges);
  const rank = layers(nodes, edges);
  const columns = new Map<number, MapNode[]>();
  for (const n of nodes) columns.set(rank.get(n.name)!, [...(columns.get(rank.get(n.name)!) ?? []), n]);
  const tallest = Math.max(...[...columns.values()].map((c) => c.length));
  const height = PAD * 2 + tallest * BOX_H + (tallest - 1) * ROW_GAP;
  const placed = new Map<string, Placed>();
  for (const [col, list] of columns) {
    const top = (height - (list.length * BOX_H + (list.length - 1) * ROW_GAP)) / 2;
    list.forEach((n, row) => placed.set(n.name, { ...n, x: PAD + col * (BOX_W + COL_GAP), y: top + row * (BOX_H + ROW_GAP) }));
  }
  const width = PAD * 2 + (Math.max(...columns.keys()) + 1) * BOX_W + Math.max(...columns.keys()) * COL_GAP;

  return (
    <>
      <p class="legend">
        <span><svg width="30" height="8" aria-hidden="true"><line x1="0" y1="4" x2="30" y2="4" class="edge call" /></svg> HTTP call</span>
        <span><svg width="30" height="8" aria-hidden="true"><line x1="0" y1="4" x2="30" y2="4" class="edge event" /></svg> event</span>
        <span><svg width="30" height="8" aria-hidden="true"><line x1="0" y1="4" x2="30" y2="4" class="edge route" /></svg> gateway route</span>
      </p>
      <div class="map-scroll">
        <svg class="map" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={`${nodes.length} services and ${edges.length} arrows; the table below lists them`}>
          <defs>
            {(['call', 'event', 'route'] as const).map((kind) => (
              <marker id={`arrow-${kind}`} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" class={`head ${kind}`} />
              </marker>
            ))}
          </defs>
          {edges.map((e, i) => <Edge key={i} edge={e} from={placed.get(e.from)} to={placed.get(e.to)} index={i} />)}
          {[...placed.values()].map((n) => {
            const state = worstState(n);
            const ready = n.instances.filter((i) => i.ready).length;
            return (
              <a href={href('instances', { service: n.name })} key={n.name}>
                <g class={`node ${stateClass(state)}`} data-service={n.name} data-state={state}>
                  <rect x={n.x} y={n.y} width={BOX_W} height={BOX_H} rx="8" />
                  <text x={n.x + 12} y={n.y + 23} class="name">{n.name}</text>
                  <text x={n.x + 12} y={n.y + 44} class="sub">{n.kind} · :{n.port} · {ready}/{n.instances.length} ready</text>
                </g>
              </a>
            );
          })}
        </svg>
      </div>
      <h2>Arrows</h2>
      <table class="grid" aria-label="Arrows of the map">
        <thead><tr><th scope="col">from</th><th scope="col">to</th><th scope="col">kind</th><th scope="col">what</th></tr></thead>
        <tbody>
          {overview.map.edges.map((e, i) => (
            <tr key={i} data-edge={`${e.from}>${e.to}>${e.kind}>${e.label ?? ''}`}><td>{e.from}</td><td>{e.to}</td><td>{e.kind}</td><td>{e.label ?? ''}</td></tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Edge({ edge, from, to, index }: { edge: MapEdge; from: Placed | undefined; to: Placed | undefined; index: number }) {
  if (!from || !to) return null;
  const forward = to.x > from.x;
  const sx = forward ? from.x + BOX_W : from.x + BOX_W / 2;
  const sy = forward ? from.y + BOX_H / 2 + (edge.kind === 'event' ? 10 : edge.kind === 'route' ? -10 : 0) : from.y + BOX_H;
  const tx = forward ? to.x : to.x + BOX_W / 2;
  const ty = forward ? to.y + BOX_H / 2 + (edge.kind === 'event' ? 10 : edge.kind === 'route' ? -10 : 0) : to.y;
  const bend = forward ? Math.max(40, (tx - sx) / 2) : 0;
  const side = forward ? 0 : 60 + (index % 3) * 20;
  const d = forward
    ? `M ${sx} ${sy} C ${sx + bend} ${sy}, ${tx - bend} ${ty}, ${tx} ${ty}`
    : `M ${sx} ${sy} C ${sx + side} ${sy + 40}, ${tx + side} ${ty - 40}, ${tx} ${ty}`;
  const mx = forward ? (sx + tx) / 2 : Math.max(sx, tx) + side * 0.75;
  const my = (sy + ty) / 2 - 4;
  return (
    <g>
      <path d={d} class={`edge ${edge.kind}`} marker-end={`url(#arrow-${edge.kind})`} />
      {edge.label && edge.kind === 'event' && <text x={mx} y={my} class="edge-label" text-anchor="middle">{edge.label}</text>}
    </g>
  );
}
