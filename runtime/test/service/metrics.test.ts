import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { Counter } from 'prom-client';
import { parsePrometheusText, type Sample } from './prometheusText.js';
import { eventually, startService } from './harness.js';

async function scrape(url: string): Promise<{ samples: Sample[]; types: Map<string, string>; text: string }> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { ...parsePrometheusText(text), text };
}

function find(samples: Sample[], name: string, labels: Record<string, string>): Sample | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

test('the prometheus text reader rejects malformed lines (so the tests below can fail)', () => {
  assert.throws(() => parsePrometheusText('http_requests_total{route=/x} 1\n'), /not valid/);
  assert.throws(() => parsePrometheusText('bad-name 1\n'), /not valid/);
  assert.throws(() => parsePrometheusText('x 1 2 3\n'), /not valid/);
  assert.equal(parsePrometheusText('# TYPE x counter\nx{a="q\\"uote"} 1.5e3\n').samples[0]!.value, 1500);
});

test('/metrics is valid exposition text with request metrics labelled by route template, never the raw path', async (t) => {
  const { url } = await startService(t, {}, (s) => {
    s.app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
    s.app.post('/users/:id/orders', (_req, res) => res.status(201).json({}));
  });
  for (const id of ['1', '2', 'ab9f']) await (await fetch(`${url}/users/${id}`)).arrayBuffer();
  await (await fetch(`${url}/users/5/orders`, { method: 'POST' })).arrayBuffer();
  await (await fetch(`${url}/nowhere/123`)).arrayBuffer();
  const { samples, types, text } = await scrape(url);

  assert.equal(types.get('http_request_duration_seconds'), 'histogram');
  assert.equal(types.get('http_requests_total'), 'counter');
  assert.equal(types.get('http_requests_in_flight'), 'gauge');
  assert.equal(find(samples, 'http_requests_total', { method: 'GET', route: '/users/:id', status: '200' })?.value, 3);
  assert.equal(find(samples, 'http_requests_total', { method: 'POST', route: '/users/:id/orders', status: '201' })?.value, 1);
  assert.equal(find(samples, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })?.value, 1);
  assert.equal(find(samples, 'http_request_duration_seconds_count', { route: '/users/:id', status: '200' })?.value, 3);
  assert.equal(find(samples, 'http_request_duration_seconds_bucket', { route: '/users/:id', le: '+Inf' })?.value, 3);
  assert.doesNotMatch(text, /\/users\/(1|2|ab9f|5)\b|nowhere/, 'no raw paths in labels');
  assert.ok(find(samples, 'http_requests_in_flight', {}), 'in-flight gauge exposed');
  // Default process metrics.
  assert.ok(types.has('process_cpu_user_seconds_total'));
  assert.ok(types.has('nodejs_eventloop_lag_seconds'));
  assert.equal(samples.every((s) => s.labels.service === 'test-svc'), true, 'every sample carries the service label');
});

test('probes and scrapes do not appear in the request metrics', async (t) => {
  const { url } = await startService(t);
  for (const path of ['/health', '/ready', '/metrics', '/health']) await (await fetch(`${url}${path}`)).arrayBuffer();
  const { samples } = await scrape(url);
  assert.equal(samples.filter((s) => s.name.startsWith('http_request') && s.name !== 'http_requests_in_flight').length, 0);
});

test('http_requests_in_flight counts requests being served', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrived = 0;
  const { url } = await startService(t, {}, (s) =>
    s.app.get('/wait', async (_req, res) => {
      arrived++;
      await gate;
      res.json({});
    }),
  );
  const pending = [fetch(`${url}/wait`), fetch(`${url}/wait`)];
  await eventually(() => arrived === 2, 3000, 'two requests in the handler');
  assert.equal(find((await scrape(url)).samples, 'http_requests_in_flight', {})?.value, 2);
  release();
  for (const res of await Promise.all(pending)) await res.arrayBuffer();
  assert.equal(find((await scrape(url)).samples, 'http_requests_in_flight', {})?.value, 0);
});

test('a client that disconnects mid-request is counted with status "aborted"', async (t) => {
  let arrived = false;
  const { url } = await startService(t, {}, (s) =>
    s.app.get('/hang', async (_req, res) => {
      arrived = true;
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!res.destroyed) res.json({});
    }),
  );
  const req = request(`${url}/hang`);
  req.on('error', () => {});
  req.end();
  await eventually(() => arrived, 3000, 'request in the handler');
  req.destroy();
  let sample: Sample | undefined;
  for (let i = 0; i < 50 && !sample; i++) {
    sample = find((await scrape(url)).samples, 'http_requests_total', { route: '/hang', status: 'aborted' });
    if (!sample) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(sample?.value, 1);
});

test('each service has its own registry, and other runtime parts can register metrics on it', async (t) => {
  const a = await startService(t, { name: 'alpha' }, (s) => s.app.get('/a', (_req, res) => res.json({})));
  const b = await startService(t, { name: 'beta' });
  new Counter({ name: 'bus_messages_total', help: 'test', registers: [b.service.metrics.registry] }).inc(3);
  await (await fetch(`${a.url}/a`)).arrayBuffer();
  const sa = await scrape(a.url);
  const sb = await scrape(b.url);
  assert.ok(find(sa.samples, 'http_requests_total', { route: '/a', service: 'alpha' }));
  assert.equal(find(sb.samples, 'http_requests_total', { route: '/a' }), undefined);
  assert.equal(find(sb.samples, 'bus_messages_total', { service: 'beta' })?.value, 3);
  assert.equal(sa.types.has('bus_messages_total'), false);
});
