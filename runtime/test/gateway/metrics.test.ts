import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { echo, fixedDiscovery, startGateway, startUpstream } from './fixtures/harness.js';

/** `name{labels} value` lines of one metric family, as [labels, value]. */
function samples(text: string, name: string): Array<[string, number]> {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => {
      const close = line.lastIndexOf('}');
      return [line.slice(name.length + 1, close), Number(line.slice(close + 2))];
    });
}

describe('gateway /metrics', () => {
  it('counts requests and their durations per route, service and status in Prometheus histogram form', async (t) => {
    const upstream = await startUpstream((req, res) => {
      if (req.url?.startsWith('/missing')) {
        res.writeHead(404).end();
        return;
      }
      // Some answers take ~30 ms so they land in a higher bucket than the rest.
      if (req.url?.includes('slow')) setTimeout(() => echo(req, res), 30);
      else echo(req, res);
    });
    t.after(() => upstream.close());
    const { gateway, url } = await startGateway({
      routes: [{ path: '/api', to: '/', service: 'api', public: true }],
      discovery: fixedDiscovery({ api: [upstream.url] }),
    });
    t.after(() => gateway.close());
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${url}/api/fast`)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${url}/api/slow`)).status, 200);
    assert.equal((await fetch(`${url}/api/missing`)).status, 404);

    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /# TYPE gateway_request_duration_seconds histogram/);
    const ok = 'route="/api",service="api",status="200"';
    const buckets = samples(text, 'gateway_request_duration_seconds_bucket').filter(([labels]) => labels.endsWith(ok));
    assert.equal(buckets.length, 14, '13 bounds and +Inf');
    assert.match(buckets[0]![0], /^le="0\.001",/);
    assert.equal(buckets.at(-1)![0], `le="+Inf",${ok}`);
    // Cumulative: never decreasing, ending at the count.
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]![1] >= buckets[i - 1]![1], `bucket ${i} is cumulative`);
    assert.equal(buckets.at(-1)![1], 7);
    // The two ~30 ms answers are above the 25 ms bound.
    const at25ms = buckets.find(([labels]) => labels.startsWith('le="0.025"'))![1];
    assert.ok(at25ms <= 5, `at most the 5 fast answers are under 25 ms, got ${at25ms}`);
    assert.deepEqual(samples(text, 'gateway_request_duration_seconds_count'), [[ok, 7], ['route="/api",service="api",status="404"', 1]]);
    const [[, sum]] = samples(text, 'gateway_request_duration_seconds_sum').filter(([labels]) => labels === ok) as [[string, number]];
    assert.ok(sum >= 0.06 && sum < 5, `sum of durations ${sum} s includes the two slow answers`);
    assert.deepEqual(samples(text, 'gateway_requests_total').filter(([labels]) => labels === ok), [[ok, 7]]);
  });
});
