/**
 * The dashboard's alert states (src/dashboard/server/live-alerts.ts), window
 * after window as its live feed measures them: pending, then firing once
 * held for the rule's `for`; kept across the short gap of a page reload;
 * started over after a long gap with no page, when nothing is known to have
 * held; values written as the terminal writes them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemAlertRules } from '../../src/alerts/alert-rules.js';
import { manifestSchema } from '../../src/manifest/schema.js';
import { parsePrometheusText } from '../../src/observability/prometheus-text.js';
import { serviceMetrics } from '../../src/observability/service-metrics.js';
import { LiveAlerts } from '../../src/dashboard/server/live-alerts.js';

const manifest = manifestSchema.parse({ version: 1, name: 's', services: { users: { kind: 'http', port: 3001, alerts: { errorRate: 0.2, for: '5s' } } } });

let total = 0;
let failed = 0;
const counters = () => parsePrometheusText([
  `http_requests_total{method="GET",route="/boom",status="200"} ${total - failed}`,
  `http_requests_total{method="GET",route="/boom",status="500"} ${failed}`,
].join('\n'));
/** The next 2-second window of users' traffic: 100 requests, half of them 5xx. */
function failingWindow() {
  const before = counters();
  total += 100;
  failed += 50;
  return serviceMetrics([{ service: 'users', instance: 'users-1', seconds: 2, before, after: counters() }]);
}

test('the dashboard\'s alerts go pending, then firing; a reload keeps them; a long gap without a page starts them over', () => {
  const alerts = new LiveAlerts((running) => systemAlertRules(manifest).filter((r) => running.includes(r.service)));
  const start = Date.parse('2026-12-01T10:00:00Z');
  const at = (second: number) => start + second * 1000;
  const errorRate = (second: number) => alerts.evaluate(failingWindow(), at(second - 2), at(second)).find((a) => a.alert === 'HighErrorRate')!;

  const first = errorRate(2);
  assert.deepEqual([first.state, first.value, first.threshold, first.for], ['pending', '50%', '20%', '5s']);
  assert.equal(errorRate(4).state, 'pending');
  assert.equal(errorRate(6).state, 'firing', 'held 6 s');
  // A page reloaded: the next window starts 3 s after the last one ended.
  assert.equal(errorRate(11).state, 'firing', 'a short gap keeps the state');
  // No page for a minute: the first window after it starts over.
  const after = errorRate(73);
  assert.equal(after.state, 'pending', 'after a long gap, nothing is known to have held');
  assert.equal(after.activeSince, new Date(at(71)).toISOString());
});
