import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startService } from './harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a request without X-Request-ID gets a fresh UUID, echoed on the response', async (t) => {
  const { url } = await startService(t, {}, (s) => s.app.get('/hello', (req, res) => res.json({ id: req.id })));
  const a = await fetch(`${url}/hello`);
  const b = await fetch(`${url}/hello`);
  const idA = a.headers.get('x-request-id');
  assert.match(idA ?? '', UUID);
  assert.deepEqual(await a.json(), { id: idA });
  assert.notEqual(b.headers.get('x-request-id'), idA);
  await b.arrayBuffer();
});

test('a sane incoming X-Request-ID is reused; an unsafe or oversized one is replaced', async (t) => {
  const { url } = await startService(t, {}, (s) => s.app.get('/hello', (_req, res) => res.json({})));
  const sane = await fetch(`${url}/hello`, { headers: { 'X-Request-ID': 'edge-7f3a.42:retry-1' } });
  assert.equal(sane.headers.get('x-request-id'), 'edge-7f3a.42:retry-1');
  for (const bad of ['x'.repeat(129), 'has space', 'quote"inject', '{"level":"fatal"}']) {
    const res = await fetch(`${url}/hello`, { headers: { 'X-Request-ID': bad } });
    assert.match(res.headers.get('x-request-id') ?? '', UUID, `replaced ${JSON.stringify(bad)}`);
    await res.arrayBuffer();
  }
  await sane.arrayBuffer();
});

test('every log line of a request carries its id; one completion line has method, route template, status, duration', async (t) => {
  const { url, logs } = await startService(t, {}, (s) =>
    s.app.get('/users/:id', (req, res) => {
      req.log.info({ user: req.params.id }, 'looking up user');
      res.locals.log.info('from res.locals');
      res.status(201).json({ id: req.params.id });
    }),
  );
  const res = await fetch(`${url}/users/42?secret=x`, { headers: { 'X-Request-ID': 'trace-me-1' } });
  assert.equal(res.status, 201);
  await res.arrayBuffer();
  await eventually(() => logs.some((l) => l.msg === 'request completed'), 3000, 'completion log');
  const mine = logs.filter((l) => l.requestId === 'trace-me-1');
  assert.deepEqual(
    mine.map((l) => l.msg),
    ['looking up user', 'from res.locals', 'request completed'],
  );
  for (const line of logs) {
    assert.equal(line.service, 'test-svc');
    assert.equal(line.instance, `test-svc-${process.pid}`);
  }
  const done = mine[2]!;
  assert.equal(done.level, 'info');
  assert.equal(done.method, 'GET');
  assert.equal(done.route, '/users/:id');
  assert.equal(done.path, '/users/42', 'the query string is not logged');
  assert.equal(done.status, 201);
  assert.equal(typeof done.durationMs, 'number');
});

test('probe endpoints do not produce request log lines', async (t) => {
  const { url, logs } = await startService(t);
  for (const path of ['/health', '/ready', '/metrics']) await (await fetch(`${url}${path}`)).arrayBuffer();
  const res = await fetch(`${url}/nope`);
  await res.arrayBuffer();
  await eventually(() => logs.some((l) => l.msg === 'request completed'), 3000, 'completion log');
  const completed = logs.filter((l) => l.msg === 'request completed');
  assert.deepEqual(completed.map((l) => l.path), ['/nope']);
  assert.equal(completed[0]!.route, 'unmatched');
});
