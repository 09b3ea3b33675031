/**
 * msx's own evaluation of the alert rules, on scrapes as services answer
 * them: each rule's value is the figure `msx metrics` computes over the
 * window (the 5xx share, p99 of the bucket increase, the largest reading of
 * a shared queue, a changed start time), compared with msx.yaml's threshold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceAlertRules, systemAlertRules } from '../../src/alerts/alert-rules.js';
import { AlertTracker, evaluateAlerts, type AlertStatus } from '../../src/alerts/evaluate-alerts.js';
import { prometheusRuleGroups } from '../../src/alerts/prometheus-rules.js';
import { manifestSchema } from '../../src/manifest/schema.js';
import { parsePrometheusText } from '../../src/observability/prometheus-text.js';
import { serviceMetrics, type InstanceWindow } from '../../src/observability/service-metrics.js';

const manifest = manifestSchema.parse({
  version: 1,
  name: 'shop',
  services: {
    gateway: { kind: 'gateway', port: 8080 },
    orders: { kind: 'http', port: 3001, database: true, events: { subscribes: ['payment.*'] }, alerts: { errorRate: 0.2, latencyP99: '250ms', consumerLag: 10, for: '2s' } },
  },
});

function scrape(lines: string[]) {
  return parsePrometheusText(lines.join('\n'));
}

/** An instance's /metrics: request counts by status, one latency histogram, and extra lines. */
function orders(ok: number, failed: number, buckets: [string, number][], extra: string[] = []) {
  return scrape([
    `http_requests_total{method="GET",route="/orders",status="200"} ${ok}`,
    `http_requests_total{method="GET",route="/orders",status="503"} ${failed}`,
    ...buckets.map(([le, n]) => `http_request_duration_seconds_bucket{le="${le}",method="GET",route="/orders",status="200"} ${n}`),
    ...extra,
  ]);
}

/** The windows of these tests: two seconds, ending now; orders' rules fire once held 2s (msx.yaml's `for`). */
const TWO_SECONDS = { at: Date.now(), windowMs: 2000 };

const state = (statuses: AlertStatus[], alert: string) => statuses.find((s) => s.alert === alert)!;

test('the rules of a service follow msx.yaml: its thresholds, the bus rules for a consumer, the saga rule for a database', () => {
  const rules = systemAlertRules(manifest);
  assert.deepEqual(rules.filter((r) => r.service === 'gateway').map((r) => r.alert), ['HighErrorRate', 'HighLatencyP99', 'InstanceRestarting']);
  const mine = new Map(rules.filter((r) => r.service === 'orders').map((r) => [r.alert, r]));
  assert.deepEqual([...mine.keys()], ['HighErrorRate', 'HighLatencyP99', 'InstanceRestarting', 'HighConsumerLag', 'DeadLettersPresent', 'SagasStuck']);
  assert.equal(mine.get('HighErrorRate')!.threshold, 0.2);
  assert.equal(mine.get('HighLatencyP99')!.threshold, 0.25, 'latencyP99 in seconds, as the histogram counts');
  assert.equal(mine.get('HighConsumerLag')!.threshold, 10);
  const defaults = new Map(serviceAlertRules('users', manifestSchema.parse({ version: 1, name: 's', services: { users: { kind: 'http', port: 3001 } } }).services.users).map((r) => [r.alert, r]));
  assert.equal(defaults.get('HighErrorRate')!.threshold, 0.05);
  assert.equal(defaults.get('HighLatencyP99')!.threshold, 1);
  assert.equal(defaults.has('DeadLettersPresent'), false, 'no subscriptions, no bus rules');
});

test('a window with 25% 5xx and a slow p99 fires the error-rate and latency alerts; the next calm window clears them', () => {
  const rules = systemAlertRules(manifest);
  const started = 'process_start_time_seconds 1700000000';
  const slow: InstanceWindow[] = [{
    service: 'orders', instance: 'orders-1', seconds: 2,
    before: orders(0, 0, [['0.1', 0], ['0.5', 0], ['+Inf', 0]], [started]),
    // 40 requests, 10 of them 503; 20 of them between 100 and 500 ms: p99 = 100 + 400 × 19.6/20 = 492 ms > 250 ms.
    after: orders(30, 10, [['0.1', 20], ['0.5', 40], ['+Inf', 40]], [started, 'bus_consumer_lag{group="orders"} 3', 'bus_dead_letters{group="orders"} 0', 'saga_stuck{saga="order"} 0']),
  }];
  const firing = evaluateAlerts(rules.filter((r) => r.service === 'orders'), serviceMetrics(slow), TWO_SECONDS);
  assert.equal(state(firing, 'HighErrorRate').state, 'firing');
  assert.equal(state(firing, 'HighErrorRate').value, 0.25);
  assert.equal(state(firing, 'HighLatencyP99').state, 'firing');
  assert.equal(state(firing, 'HighLatencyP99').value, 0.492);
  for (const alert of ['InstanceRestarting', 'HighConsumerLag', 'DeadLettersPresent', 'SagasStuck']) assert.equal(state(firing, alert).state, 'ok', alert);

  const calm: InstanceWindow[] = [{
    service: 'orders', instance: 'orders-1', seconds: 2,
    before: slow[0]!.after,
    after: orders(70, 10, [['0.1', 60], ['0.5', 80], ['+Inf', 80]], [started]),
  }];
  const cleared = evaluateAlerts(rules.filter((r) => r.service === 'orders'), serviceMetrics(calm), TWO_SECONDS);
  assert.equal(state(cleared, 'HighErrorRate').state, 'ok');
  assert.equal(state(cleared, 'HighErrorRate').value, 0, '40 more requests, no more 503');
  assert.equal(state(cleared, 'HighLatencyP99').state, 'ok');
  assert.equal(state(cleared, 'DeadLettersPresent').value, null, 'no gauge in the scrape: no value');
});

test('queues and the saga log are read once per group across replicas; a changed start time is a restart; a silent service is unknown', () => {
  const rules = systemAlertRules(manifest);
  const lines = (start: number, lag: number, dead: number, stuck: number) => [
    `process_start_time_seconds ${start}`,
    `bus_consumer_lag{group="orders"} ${lag}`, `bus_consumer_lag{group="orders.audit"} 4`,
    `bus_dead_letters{group="orders"} ${dead}`,
    `saga_stuck{saga="order"} ${stuck}`,
  ];
  const windows: InstanceWindow[] = [
    { service: 'orders', instance: 'orders-1', seconds: 2, before: orders(0, 0, [['+Inf', 0]], lines(100, 0, 0, 0)), after: orders(0, 0, [['+Inf', 0]], lines(100, 8, 2, 1)) },
    // The second replica restarted within the window (a new start time, counters from zero) and reads the same queues.
    { service: 'orders', instance: 'orders-2', seconds: 2, before: orders(50, 0, [['+Inf', 50]], lines(100, 0, 0, 0)), after: orders(1, 0, [['+Inf', 1]], lines(160, 8, 2, 1)) },
  ];
  const [metrics] = serviceMetrics(windows);
  assert.equal(metrics!.consumerLag, 12, 'orders 8 (read by both replicas, counted once) + orders.audit 4');
  assert.equal(metrics!.deadLetters, 2);
  assert.equal(metrics!.sagasStuck, 1);
  assert.equal(metrics!.restarts, 1);
  const statuses = evaluateAlerts(rules, [metrics!], TWO_SECONDS);
  assert.equal(state(statuses.filter((s) => s.service === 'orders'), 'HighConsumerLag').state, 'firing', '12 > 10');
  assert.equal(state(statuses.filter((s) => s.service === 'orders'), 'DeadLettersPresent').state, 'firing');
  assert.equal(state(statuses.filter((s) => s.service === 'orders'), 'SagasStuck').state, 'firing');
  assert.equal(state(statuses.filter((s) => s.service === 'orders'), 'InstanceRestarting').state, 'firing');
  assert.ok(statuses.filter((s) => s.service === 'gateway').every((s) => s.state === 'unknown' && s.value === null), 'the gateway was not scraped');
});

test('a rule is pending until its condition has held for its "for", then firing; once it stops holding it is ok and its "for" starts over', () => {
  const users = manifestSchema.parse({ version: 1, name: 's', services: { users: { kind: 'http', port: 3001, alerts: { for: '5s' } }, mail: { kind: 'http', port: 3002 } } });
  const rules = systemAlertRules(users).filter((r) => r.alert === 'HighErrorRate');
  assert.deepEqual(rules.map((r) => [r.service, r.for]), [['users', '5s'], ['mail', '2m']], 'msx.yaml\'s for, or the rule\'s default');
  const groups = prometheusRuleGroups(users, (service) => `service="${service}"`);
  assert.deepEqual(groups.map((g) => g.rules.find((r) => r.alert === 'HighErrorRate')!.for), ['5s', '2m'], 'Prometheus waits the same "for"');
  assert.equal(systemAlertRules(users).find((r) => r.service === 'users' && r.alert === 'InstanceRestarting')!.for, '0s', 'a restart fires at once whatever alerts.for says');
  const bad = manifestSchema.safeParse({ version: 1, name: 's', services: { users: { kind: 'http', port: 3001, alerts: { for: '3' } } } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => [i.path.join('.'), i.message]), [['services.users.alerts.for', 'must be a duration such as 0s, 30s or 5m']]);

  let total = 0;
  let failed = 0;
  /** The next 2-second window of users' traffic: 100 requests, `share` of them 5xx. */
  const window = (share: number): InstanceWindow => {
    const before = orders(total - failed, failed, [['+Inf', total]]);
    total += 100;
    failed += Math.round(share * 100);
    return { service: 'users', instance: 'users-1', seconds: 2, before, after: orders(total - failed, failed, [['+Inf', total]]) };
  };
  const tracker = new AlertTracker();
  const start = Date.parse('2026-12-01T10:00:00Z');
  const at = (second: number) => ({ at: start + second * 1000, windowMs: 2000 });
  const seen = (share: number, second: number) => state(tracker.evaluate(rules.filter((r) => r.service === 'users'), serviceMetrics([window(share)]), at(second)), 'HighErrorRate');

  const first = seen(0.5, 2);
  assert.equal(first.state, 'pending', 'held for the 2s of one window, not yet 5s');
  assert.equal(first.activeSince, '2026-12-01T10:00:00.000Z', 'held from the start of the window it was measured over');
  assert.equal(seen(0.5, 4).state, 'pending', 'held 4s');
  const fired = seen(0.5, 6);
  assert.equal(fired.state, 'firing', 'held 6s ≥ 5s');
  assert.equal(fired.activeSince, '2026-12-01T10:00:00.000Z');
  const resolved = seen(0, 8);
  assert.deepEqual([resolved.state, resolved.activeSince], ['ok', null]);
  assert.equal(seen(0.5, 10).state, 'pending', 'the "for" starts over');
  assert.equal(evaluateAlerts(rules, serviceMetrics([window(0.5)]), { at: start, windowMs: 5000 }).find((s) => s.service === 'users')!.state, 'firing', 'one window as long as the "for" fires on its own');
});
