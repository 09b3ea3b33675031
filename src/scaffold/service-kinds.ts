/**
 * The one table of service kinds: the template each renders from, the help
 * text and what `msx add service --kind` accepts all come from here.
 */
export const SERVICE_KINDS = {
  http: {
    template: 'service-http',
    summary: 'an HTTP API behind the gateway (express, health, metrics, graceful shutdown)',
    addable: true,
  },
  worker: {
    template: 'service-worker',
    summary: 'a background worker with no public API (still serves /health, /ready, /metrics)',
    addable: true,
  },
  gateway: {
    template: 'gateway',
    summary: 'the single public entry point: routing, JWT auth, rate limits, CORS',
    addable: false,
  },
} as const;

export type ServiceKindName = keyof typeof SERVICE_KINDS;

export const ADDABLE_KINDS = (Object.keys(SERVICE_KINDS) as ServiceKindName[]).filter((k) => SERVICE_KINDS[k].addable);
