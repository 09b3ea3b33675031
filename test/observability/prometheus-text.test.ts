import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText, PrometheusParseError } from '../../src/observability/prometheus-text.js';
import { bucketDelta, histogramQuantile, sumBuckets } from '../../src/observability/histogram.js';
import { serviceMetrics, type InstanceWindow } from '../../src/observability/service-metrics.js';

test('parses types, labels with escapes, special values and timestamps', () => {
  const { samples, types } = parsePrometheusText(`# HELP http_requests_total HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/a \\"b\\"",status="200"} 12 1700000000000
http_requests_total{method="POST",route="/x\\\\y\\nz",status="500",} 3
# TYPE up gauge
up 1
nan_metric NaN
inf_bucket{le="+Inf"} +Inf
`);
  assert.equal(types.get('http_requests_total'), 'counter');
  assert.equal(types.get('up'), 'gauge');
  assert.deepEqual(samples[0], { name: 'http_requests_total', labels: { method: 'GET', route: '/a "b"', status: '200' }, value: 12 });
  assert.deepEqual(samples[1]!.labels, { method: 'POST', route: '/x\\y\nz', status: '500' });
  assert.equal(samples[2]!.value, 1);
  assert.ok(Number.isNaN(samples[3]!.value));
  assert.equal(samples[4]!.value, Infinity);
  assert.equal(samples[4]!.labels.le, '+Inf');
});

test('a malformed line is a coded error naming the line', () => {
  assert.throws(() => parsePrometheusText('ok 1\nbad{le="1} 2\n'), (err) => err instanceof PrometheusParseError && err.line === 2 && err.code === 'PROMETHEUS_PARSE_FAILED');
  assert.throws(() => parsePrometheusText('name_only\n'), PrometheusParseError);
  assert.throws(() => parsePrometheusText('x abc\n'), PrometheusParseError);
});

test('histogram quantiles interpolate inside the bucket, as histogram_quantile does', () => {
  // 100 observations: 50 ≤ 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1].
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 100 },
    { le: Infinity, count: 100 },
  ];
  assert.equal(histogramQuantile(0.5, buckets), 0.1);
  assert.ok(Math.abs(histogramQuantile(0.7, buckets)! - 0.3) < 1e-12); // 20 of the 40 in (0.1, 0.5]
  assert.ok(Math.abs(histogramQuantile(0.95, buckets)! - 0.75) < 1e-12);
  assert.equal(histogramQuantile(0.25, buckets), 0.05);
  assert.equal(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }]), undefined);
  // Ranks in +Inf give the highest finite bound.
  assert.equal(histogramQuantile(0.99, [{ le: 0.1, count: 1 }, { le: Infinity, count: 10 }]), 0.1);
  assert.throws(() => histogramQuantile(1.5, buckets), RangeError);
});

test('bucket deltas describe the window, survive counter resets, and add across instances', () => {
  const before = [{ le: 0.1, count: 10 }, { le: Infinity, count: 12 }];
  const after = [{ le: 0.1, count: 15 }, { le: Infinity, count: 20 }];
  assert.deepEqual(bucketDelta(before, after), [{ le: 0.1, count: 5 }, { le: Infinity, count: 8 }]);
  assert.deepEqual(bucketDelta(after, before), before, 'a restarted instance counts from zero');
  assert.deepEqual(sumBuckets([before, after]), [{ le: 0.1, count: 25 }, { le: Infinity, count: 32 }]);
});

function exposition(requests: { status: string; count: number }[], buckets: [string, number][], extra = '') {
  const lines = [
    ...requests.map((r) => `http_requests_total{method="GET",route="/a",status="${r.status}"} ${r.count}`),
    ...buckets.map(([le, count]) => `http_request_duration_seconds_bucket{le="${le}",method="GET",route="/a",status="200"} ${count}`),
    extra,
  ];
  return parsePrometheusText(lines.join('\n'));
}

test('service figures: rate, 5xx share, percentiles over the window, gauges summed across instances', () => {
  const windows: InstanceWindow[] = [
    {
      service: 'orders',
      instance: 'orders-1',
      seconds: 2,
      before: exposition([{ status: '200', count: 100 }, { status: '500', count: 5 }], [['0.01', 80], ['0.1', 100], ['+Inf', 105]]),
      after: exposition(
        [{ status: '200', count: 118 }, { status: '500', count: 7 }],
        [['0.01', 80], ['0.1', 120], ['+Inf', 125]],
        'http_requests_in_flight 2\nprocess_resident_memory_bytes 50000000\nbus_consumer_lag{group="orders"} 3',
      ),
    },
    {
      service: 'orders',
      instance: 'orders-2',
      seconds: 2,
      before: exposition([{ status: '200', count: 0 }], [['0.01', 0], ['0.1', 0], ['+Inf', 0]]),
      after: exposition([{ status: '200', count: 20 }], [['0.01', 20], ['0.1', 20], ['+Inf', 20]], 'http_requests_in_flight 1\nprocess_resident_memory_bytes 40000000'),
    },
    { service: 'users', instance: 'users-1', seconds: 2, before: undefined, after: undefined },
  ];
  const [orders, users] = serviceMetrics(windows);
  assert.equal(orders!.service, 'orders');
  assert.equal(orders!.requestsPerSecond, 20); // (20 + 20) / 2 s
  assert.equal(orders!.errorRate, 2 / 40);
  // Window latency: 20 ≤ 10 ms (orders-2), 20 in (10, 100] ms (orders-1); lifetime buckets would say otherwise.
  assert.equal(orders!.p50Ms, 10);
  assert.equal(orders!.p95Ms, 91);
  assert.equal(orders!.inFlight, 3);
  assert.equal(orders!.memoryBytes, 90_000_000);
  assert.equal(orders!.consumerLag, 3);
  assert.equal(orders!.unreachable, 0);
  assert.deepEqual({ ...users }, { service: 'users', instances: 1, unreachable: 1, requestsPerSecond: 0, errorRate: null, p50Ms: null, p95Ms: null, p99Ms: null, inFlight: null, memoryBytes: null, consumerLag: null, deadLetters: null, sagasStuck: null, restarts: 0 });
});
