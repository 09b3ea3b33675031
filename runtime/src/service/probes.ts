import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.js';

export const HEALTH_PATH = '/health';
export const READY_PATH = '/ready';
export const METRICS_PATH = '/metrics';

/**
 * `/health` (liveness: the process answers), `/ready` (readiness: every
 * registered dependency is up and shutdown has not begun) and `/metrics`
 * (Prometheus text). They sit in front of request logging and HTTP metrics
 * so that probes and scrapes, which arrive every few seconds, do not drown
 * the service's own traffic in logs or in `http_request_duration_seconds`.
 */
export function probes(readiness: Readiness, registry: Registry): Router {
  const router = Router();
  router.get(HEALTH_PATH, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get(READY_PATH, async (_req, res) => {
    const report = await readiness.report();
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  router.get(METRICS_PATH, async (_req, res) => {
    const text = await registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(text);
  });
  return router;
}
