import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router } from 'express';
import { parsePrometheusText } from './prometheusText.js';
import { eventually, startService } from './harness.js';

test('routes of a router mounted at a fixed prefix are labelled with the full template', async (t) => {
  const { url, logs } = await startService(t, {}, (s) => {
    const v1 = Router();
    v1.get('/items/:id', (req, res) => res.json({ id: req.params.id }));
    s.app.use('/v1', v1);
  });
  const res = await fetch(`${url}/v1/items/abc`);
  assert.deepEqual(await res.json(), { id: 'abc' });
  await eventually(() => logs.some((l) => l.msg === 'request completed'), 3000, 'completion log');
  assert.equal(logs.find((l) => l.msg === 'request completed')?.route, '/v1/items/:id');
  const { samples } = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
  assert.equal(samples.find((s) => s.name === 'http_requests_total')?.labels.route, '/v1/items/:id');
});

test('a 405 is detected for routes inside a mounted router too', async (t) => {
  const { url } = await startService(t, {}, (s) => {
    const v1 = Router();
    v1.post('/items', (_req, res) => res.status(201).json({}));
    v1.get('/items', (_req, res) => res.json([]));
    s.app.use('/v1', v1);
  });
  const res = await fetch(`${url}/v1/items`, { method: 'PATCH' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, HEAD, POST');
  await res.arrayBuffer();
  const missing = await fetch(`${url}/v1/other`, { method: 'PATCH' });
  assert.equal(missing.status, 404);
  await missing.arrayBuffer();
});

test('routes added after listen() still run before the 404 handler', async (t) => {
  const { service, url } = await startService(t);
  service.app.get('/late', (_req, res) => res.json({ late: true }));
  const res = await fetch(`${url}/late`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { late: true });
});

test('a malformed percent-encoding in a route parameter is a 400 problem, not a 500', async (t) => {
  const { url } = await startService(t, {}, (s) => s.app.get('/users/:id', (req, res) => res.json({ id: req.params.id })));
  const res = await fetch(`${url}/users/%E0%A4%A`);
  assert.equal(res.status, 400);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  await res.arrayBuffer();
});
