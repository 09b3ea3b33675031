/**
 * The admin surface every service serves under `/_msx`: what msx's
 * dashboard and `msx events` read from the running system.
 *
 *   GET  /_msx/events                               consumer groups (patterns, pending, dead letters) and recent events
 *   GET  /_msx/dead-letters?group=&limit=           dead letters of this service's groups (or one of them)
 *   POST /_msx/dead-letters/:id/redrive?group=      re-drive one dead letter (`:id` = event id) or `all`
 *   GET  /_msx/sagas?state=&saga=&limit=            the sagas this service orchestrates
 *
 * Only msx itself may call it: a service token minted for this service by
 * issuer `msx` (MSX_SERVICE_TOKEN_SECRET), in `Authorization: Bearer` or in
 * `X-Msx-Admin-Token` (admin-token-header.ts: the Kubernetes API server's
 * pod proxy drops Authorization), verified the same way in either.
 * A gateway identity is never enough (so the gateway's public routes
 * cannot reach it, whatever msx.yaml routes), and `open` routes do not
 * open it. Served before the request log and HTTP metrics, like the
 * probes, so the dashboard watching a service does not count as traffic.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { createServiceTokenVerifier, SERVICE_TOKEN_SECRET_ENV } from '../auth/service-token.js';
import { ServiceTokenError } from '../auth/service-token-error.js';
import { querySagas, type SagaState } from '../saga/saga-query.js';
import { HttpProblem } from '../service/HttpProblem.js';
import { sendProblem } from '../service/problemResponses.js';
import { UNAUTHENTICATED_PROBLEM_TYPE } from '../service/callerCheck.js';
import { adminSources } from './admin-sources.js';
import { ADMIN_TOKEN_HEADER } from './admin-token-header.js';
import type { EventBus } from '../bus/bus.js';

export const ADMIN_PREFIX = '/_msx';
/** The only issuer admin tokens may come from: the msx CLI. */
export const ADMIN_TOKEN_ISSUER = 'msx';
const SAGA_STATES: readonly SagaState[] = ['running', 'compensating', 'stuck', 'completed', 'compensated'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

export function adminRoutes(service: string, registry: Registry, env: Readonly<Record<string, string | undefined>>): Router {
  const router = Router();
  router.use(ADMIN_PREFIX, requireMsxToken(service, env[SERVICE_TOKEN_SECRET_ENV] || undefined));
  const sources = adminSources(registry);

  router.get(`${ADMIN_PREFIX}/events`, async (_req, res) => {
    const buses = [...sources.buses];
    const groups = (await Promise.all(buses.map((bus) => bus.consumerGroups()))).flat();
    const recent = buses.flatMap((bus) => bus.recentEvents()).sort((a, b) => (a.seenAt < b.seenAt ? 1 : -1));
    res.json({ service, buses: buses.map((bus) => bus.kind), groups, recent });
  });

  router.get(`${ADMIN_PREFIX}/dead-letters`, async (req, res) => {
    const group = optionalName(req, 'group');
    const limit = optionalInt(req, 'limit', 1, 1000) ?? 100;
    const letters = [];
    for (const bus of sources.buses) {
      for (const state of await bus.consumerGroups()) {
        if (group !== undefined && state.group !== group) continue;
        if (state.deadLetters > 0) letters.push(...(await bus.deadLetters(state.group, limit)));
      }
    }
    res.json({ service, deadLetters: letters });
  });

  router.post(`${ADMIN_PREFIX}/dead-letters/:id/redrive`, async (req, res) => {
    const group = optionalName(req, 'group');
    if (group === undefined) throw badRequest('the query parameter `group` is required: the consumer group whose dead letter to re-drive');
    const id = String(req.params.id);
    if (id.length === 0 || id.length > 200) throw badRequest('the event id must be 1 to 200 characters, or `all`');
    const bus = await busOf(sources.buses, group);
    if (bus === undefined) throw new HttpProblem({ status: 404, title: 'Unknown consumer group', detail: `${service} consumes for no group named ${JSON.stringify(group)}` });
    const redriven = await bus.redrive(group, id === 'all' ? 'all' : id);
    if (redriven === 0 && id !== 'all') throw new HttpProblem({ status: 404, title: 'No such dead letter', detail: `group ${group} holds no dead letter with event id ${id}` });
    res.json({ service, group, redriven });
  });

  router.get(`${ADMIN_PREFIX}/sagas`, async (req, res) => {
    const state = req.query.state;
    if (state !== undefined && !SAGA_STATES.includes(state as SagaState)) {
      throw badRequest(`the query parameter \`state\` must be one of ${SAGA_STATES.join(', ')}`);
    }
    const saga = optionalName(req, 'saga');
    const limit = optionalInt(req, 'limit', 1, 1000);
    const sagas = [];
    for (const source of sources.sagas) {
      sagas.push(...(await querySagas(source.db, {
        stepsOf: source.stepsOf,
        ...(state !== undefined ? { state: state as SagaState } : {}),
        ...(saga !== undefined ? { saga } : {}),
        ...(limit !== undefined ? { limit } : {}),
      })));
    }
    res.json({ service, sagas });
  });
  return router;
}

async function busOf(buses: Iterable<EventBus>, group: string): Promise<EventBus | undefined> {
  for (const bus of buses) if ((await bus.consumerGroups()).some((g) => g.group === group)) return bus;
  return undefined;
}

function requireMsxToken(service: string, secret: string | undefined): RequestHandler {
  const verify = secret === undefined ? undefined : createServiceTokenVerifier({ audience: service, secret, allowedIssuers: [ADMIN_TOKEN_ISSUER], env: {} });
  return (req, res, next) => {
    const token = presentedToken(req);
    const refuse = (code: string, detail: string) => {
      res.setHeader('WWW-Authenticate', `Bearer realm="msx", error="invalid_token", error_description="${code}"`);
      sendProblem(req, res, new HttpProblem({ status: 401, type: UNAUTHENTICATED_PROBLEM_TYPE, title: 'Unauthenticated', detail, extensions: { code } }));
    };
    if (verify === undefined) return refuse('not-configured', `The admin surface needs ${SERVICE_TOKEN_SECRET_ENV}, which this service does not have`);
    if (token === undefined) return refuse('missing', `The admin surface answers msx only: send a service token from issuer msx in Authorization: Bearer or ${ADMIN_TOKEN_HEADER} (the msx dashboard does)`);
    verify(token).then(
      () => next(),
      (error: unknown) => (error instanceof ServiceTokenError ? refuse(error.code, error.message) : next(error)),
    );
  };
}

/**
 * The token in `X-Msx-Admin-Token` when the request has that header (what
 * msx sends through the Kubernetes API server's proxy), else the bearer
 * token of `Authorization`. A present but empty or repeated admin header is
 * no token, not a fall-back to Authorization.
 */
function presentedToken(req: Request): string | undefined {
  const header = req.headers[ADMIN_TOKEN_HEADER];
  if (header !== undefined) return typeof header === 'string' && /^\S+$/.test(header.trim()) ? header.trim() : undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

function badRequest(detail: string): HttpProblem {
  return new HttpProblem({ status: 400, title: 'Bad request', detail });
}

function optionalName(req: Request, key: string): string | undefined {
  const value = req.query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !NAME.test(value)) throw badRequest(`the query parameter \`${key}\` must be a name of letters, digits, "_", ".", ":" or "-"`);
  return value;
}

function optionalInt(req: Request, key: string, min: number, max: number): number | undefined {
  const value = req.query[key];
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw badRequest(`the query parameter \`${key}\` must be a whole number from ${min} to ${max}`);
  return n;
}
