/**
 * What the dashboard's Events and Sagas pages show, read from the running
 * system: recent events per type and their consumer groups, consumer lag,
 * dead letters (with a re-drive), and the sagas of each orchestrating
 * service. It reaches every instance through the `Target` (so it works the
 * same on local processes, compose and Kubernetes) and asks each one's
 * admin surface (`/_msx/...`, runtime/src/admin/), authenticated with a
 * service token minted here from the system's MSX_SERVICE_TOKEN_SECRET.
 *
 * The shape below is what the dashboard codes against; keep it stable.
 */
import { CliError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import type { AdminSource, MetricsEndpoint, Target } from '../../targets/target.js';
import { serviceTokenSecret, signAdminToken } from '../../token/admin-token.js';
import type { ConsumerGroupStats, DeadLetter, EventTypeStats, SagaRecord, SagaState, SagaStep, SystemInsight } from './insight-types.js';
import { topicMatches } from './topic-match.js';

export type { ConsumerGroupStats, DeadLetter, EventTypeStats, SagaRecord, SagaState, SagaStep, SystemInsight } from './insight-types.js';

export interface InsightOptions {
  /** The system's folder (holds msx.yaml and .env). */
  readonly root: string;
  readonly manifest: Manifest;
  readonly target: Target;
  /** How long one instance may take to answer, ms. Default 3000. */
  readonly timeoutMs?: number;
}

/** Kept per event type in `events()`. */
const RECENT_PER_TYPE = 20;

interface AdminGroup { group: string; patterns: string[]; pending: number; deadLetters: number }
interface AdminRecent { id: string; type: string; time: string; source: string; traceId?: string; direction: 'published' | 'consumed'; group?: string; seenAt: string }
interface AdminDeadLetter { event: { id: string; type: string } & Record<string, unknown>; group: string; attempts: number; error: string; failedAt: string }
interface AdminSaga { id: string; saga: string; state: SagaState; startedAt: string; updatedAt: string; steps: SagaStep[]; error?: string; stuckReason?: string }

export function openInsight(options: InsightOptions): SystemInsight {
  const { manifest, target } = options;
  const timeoutMs = options.timeoutMs ?? 3000;
  const secret = serviceTokenSecret(options.root, manifest);
  const admin: AdminSource = target.admin();

  async function call<T>(endpoint: MetricsEndpoint, method: 'GET' | 'POST', path: string): Promise<T | undefined> {
    const response = await admin.request(endpoint, { method, path, token: signAdminToken(secret, endpoint.service), timeoutMs });
    if (response === undefined) return undefined;
    if (response.status === 404 && method === 'GET') return undefined; // an older runtime without the admin surface
    if (response.status < 200 || response.status >= 300) {
      let detail = response.body;
      try { detail = String((JSON.parse(response.body) as { detail?: string }).detail ?? detail); } catch { /* not problem+json */ }
      throw Object.assign(new CliError(`${endpoint.instance} answered ${response.status} to ${method} ${path}: ${detail}`, { exitCode: 1 }), { status: response.status });
    }
    return JSON.parse(response.body) as T;
  }

  /** One answering instance per service: the queues and the saga log are shared by a service's instances. */
  async function perService<T>(path: string, only?: string): Promise<Array<{ service: string; body: T }>> {
    const byService = new Map<string, MetricsEndpoint[]>();
    for (const endpoint of await admin.endpoints()) {
      if (only !== undefined && endpoint.service !== only) continue;
      byService.set(endpoint.service, [...(byService.get(endpoint.service) ?? []), endpoint]);
    }
    const answers = await Promise.all([...byService].map(async ([service, endpoints]) => {
      for (const endpoint of endpoints) {
        const body = await call<T>(endpoint, 'GET', path);
        if (body !== undefined) return { service, body, endpoint };
      }
      return undefined;
    }));
    return answers.filter((a) => a !== undefined);
  }

  return {
    async events() {
      // Every instance: each remembers what it published and handled itself.
      const endpoints = await admin.endpoints();
      const answers = await Promise.all(endpoints.map(async (endpoint) => ({ endpoint, body: await call<{ groups: AdminGroup[]; recent: AdminRecent[] }>(endpoint, 'GET', '/_msx/events') })));
      const groups = new Map<string, ConsumerGroupStats & { patterns: string[] }>();
      const publishers = new Map<string, Set<string>>();
      const recent = new Map<string, Map<string, { id: string; at: string; traceId?: string }>>();
      for (const [service, definition] of Object.entries(manifest.services)) {
        for (const type of (definition as { events?: { publishes?: string[] } }).events?.publishes ?? []) publishers.set(type, (publishers.get(type) ?? new Set()).add(service));
      }
      for (const { endpoint, body } of answers) {
        if (body === undefined) continue;
        for (const g of body.groups) {
          if (!groups.has(g.group)) groups.set(g.group, { group: g.group, service: endpoint.service, pattern: g.patterns.join(','), patterns: g.patterns, lag: g.pending, deadLetters: g.deadLetters });
        }
        for (const e of body.recent) {
          if (e.direction === 'published') publishers.set(e.type, (publishers.get(e.type) ?? new Set()).add(e.source));
          const byId = recent.get(e.type) ?? new Map();
          if (!byId.has(e.id)) byId.set(e.id, { id: e.id, at: e.time, ...(e.traceId ? { traceId: e.traceId } : {}) });
          recent.set(e.type, byId);
        }
      }
      const types = [...new Set([...publishers.keys(), ...recent.keys()])].sort();
      return types.map((type) => ({
        type,
        publishers: [...(publishers.get(type) ?? [])].sort(),
        consumers: [...groups.values()].filter((g) => g.patterns.some((p) => topicMatches(p, type))).map(({ patterns: _p, ...stats }) => stats),
        recent: [...(recent.get(type)?.values() ?? [])].sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, RECENT_PER_TYPE),
      }));
    },

    async deadLetters(group) {
      const query = group === undefined ? '' : `?group=${encodeURIComponent(group)}`;
      const answers = await perService<{ deadLetters: AdminDeadLetter[] }>(`/_msx/dead-letters${query}`);
      return answers.flatMap(({ service, body }) => body.deadLetters.map((letter) => ({
        id: String(letter.event.id),
        group: letter.group,
        service,
        type: String(letter.event.type),
        envelope: letter.event,
        lastError: letter.error,
        attempts: letter.attempts,
        failedAt: letter.failedAt,
      })));
    },

    async redrive(group, id) {
      for (const endpoint of await admin.endpoints()) {
        const events = await call<{ groups: AdminGroup[] }>(endpoint, 'GET', '/_msx/events');
        if (!events?.groups.some((g) => g.group === group)) continue;
        try {
          const body = await call<{ redriven: number }>(endpoint, 'POST', `/_msx/dead-letters/${encodeURIComponent(id)}/redrive?group=${encodeURIComponent(group)}`);
          return body?.redriven ?? 0;
        } catch (error) {
          if ((error as { status?: number }).status === 404) return 0;
          throw error;
        }
      }
      throw new CliError(`no running service consumes for group ${group}`, { exitCode: 2, hint: 'msx events lists the groups and their dead letters' });
    },

    async sagas(filter = {}) {
      const query = filter.state === undefined || filter.state === 'failed' ? '' : `?state=${encodeURIComponent(filter.state)}`;
      if (filter.state === 'failed') return [];
      const answers = await perService<{ sagas: AdminSaga[] }>(`/_msx/sagas${query}`, filter.service);
      return answers.flatMap(({ service, body }) => body.sagas.map((saga) => ({
        id: saga.id,
        service,
        saga: saga.saga,
        state: saga.state,
        startedAt: saga.startedAt,
        updatedAt: saga.updatedAt,
        steps: saga.steps,
        ...(saga.error ?? saga.stuckReason ? { error: saga.error ?? saga.stuckReason } : {}),
      }))).sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    },
  };
}
