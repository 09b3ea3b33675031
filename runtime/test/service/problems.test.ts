import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpProblem, problems, validate, z, type ProblemDocument } from '../../src/index.js';
import { eventually, startService } from './harness.js';

async function problemOf(res: Response): Promise<ProblemDocument> {
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json\b/);
  const body = (await res.json()) as ProblemDocument;
  assert.equal(body.status, res.status, 'status member matches the HTTP status');
  assert.equal(typeof body.type, 'string');
  assert.equal(typeof body.title, 'string');
  assert.equal(body.requestId, res.headers.get('x-request-id'));
  return body;
}

const UserInput = z.object({
  email: z.email(),
  age: z.number().int().min(0),
  address: z.object({ zip: z.string().length(5) }),
});

async function kit(t: Parameters<typeof startService>[0], options = {}) {
  return startService(t, options, (s) => {
    s.app.get('/users/:id', (req) => {
      throw new HttpProblem({ status: 404, title: 'User not found', detail: `no user ${req.params.id}`, extensions: { userId: req.params.id } });
    });
    s.app.post('/users', (req, res) => {
      const input = validate(UserInput, req.body);
      res.status(201).json(input);
    });
    s.app.put('/users/:id', () => {
      throw problems.conflict('email already taken', { title: 'Duplicate email' });
    });
    s.app.get('/boom', () => {
      throw new Error('secret connection string postgres://admin:hunter2@db');
    });
    s.app.get('/boom-async', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw new TypeError('cannot read properties of undefined (internal detail)');
    });
    s.app.get('/zod', (req, res) => {
      res.json(z.object({ page: z.coerce.number().int() }).parse(req.query));
    });
  });
}

test('a thrown HttpProblem becomes problem+json with its status, title, detail, instance and extensions', async (t) => {
  const { url } = await kit(t);
  const res = await fetch(`${url}/users/7?verbose=1`);
  assert.equal(res.status, 404);
  const body = await problemOf(res);
  assert.equal(body.type, 'about:blank');
  assert.equal(body.title, 'User not found');
  assert.equal(body.detail, 'no user 7');
  assert.equal(body.instance, '/users/7');
  assert.equal(body.userId, '7');
});

test('problems.* shorthands set the status and keep a custom title', async (t) => {
  const { url } = await kit(t);
  const res = await fetch(`${url}/users/7`, { method: 'PUT' });
  assert.equal(res.status, 409);
  const body = await problemOf(res);
  assert.equal(body.title, 'Duplicate email');
  assert.equal(body.detail, 'email already taken');
  assert.equal(problems.notFound().title, 'Not Found');
  assert.equal(problems.badRequest('x').status, 400);
});

test('validate() answers 400 listing every invalid field with pointer, field and detail', async (t) => {
  const { url } = await kit(t);
  const res = await fetch(`${url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'not-an-email', age: -1, address: { zip: '12' } }),
  });
  assert.equal(res.status, 400);
  const body = await problemOf(res);
  assert.equal(body.type, 'urn:msx:problem:validation');
  const errors = body.errors ?? [];
  assert.deepEqual(errors.map((e) => e.field).sort(), ['address.zip', 'age', 'email']);
  assert.deepEqual(errors.map((e) => e.pointer).sort(), ['#/address/zip', '#/age', '#/email']);
  for (const e of errors) assert.ok(e.detail.length > 0);

  const ok = await fetch(`${url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'a@b.io', age: 3, address: { zip: '12345' } }),
  });
  assert.equal(ok.status, 201);
  assert.equal(((await ok.json()) as { email: string }).email, 'a@b.io');
});

test('a missing body (no JSON content type) is a validation problem, not a crash', async (t) => {
  const { url } = await kit(t);
  const res = await fetch(`${url}/users`, { method: 'POST', body: 'email=a' });
  assert.equal(res.status, 400);
  const body = await problemOf(res);
  assert.deepEqual(body.errors?.map((e) => e.pointer), ['#']);
});

test('a ZodError thrown by a route is also a 400 validation problem', async (t) => {
  const { url } = await kit(t);
  const res = await fetch(`${url}/zod?page=abc`);
  assert.equal(res.status, 400);
  assert.deepEqual((await problemOf(res)).errors?.map((e) => e.field), ['page']);
});

test('malformed JSON is a 400 problem', async (t) => {
  const { url } = await kit(t);
  const res = await fetch(`${url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": ' });
  assert.equal(res.status, 400);
  const body = await problemOf(res);
  assert.equal(body.type, 'urn:msx:problem:malformed-json');
  assert.equal(body.title, 'Malformed JSON body');
});

test('a body over the limit is a 413 problem; BODY_LIMIT overrides the bodyLimit option', async (t) => {
  const { url } = await kit(t, { bodyLimit: '1kb' });
  const big = JSON.stringify({ email: 'x'.repeat(2048) });
  const res = await fetch(`${url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
  assert.equal(res.status, 413);
  const body = await problemOf(res);
  assert.equal(body.type, 'urn:msx:problem:body-too-large');
  assert.match(body.detail ?? '', /1024 bytes/);

  const { url: url2 } = await kit(t, { bodyLimit: '1kb', env: { BODY_LIMIT: '4kb' } });
  const res2 = await fetch(`${url2}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
  assert.equal(res2.status, 400, 'accepted by the 4kb limit, then refused by validation');
  await res2.arrayBuffer();
});

test('an unknown route is a 404 problem; a known path with another method is a 405 with Allow', async (t) => {
  const { url } = await kit(t);
  const missing = await fetch(`${url}/nothing/here`);
  assert.equal(missing.status, 404);
  assert.equal((await problemOf(missing)).title, 'Not Found');

  const wrong = await fetch(`${url}/users/1`, { method: 'DELETE' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, HEAD, PUT');
  assert.equal((await problemOf(wrong)).title, 'Method Not Allowed');

  const probe = await fetch(`${url}/health`, { method: 'POST' });
  assert.equal(probe.status, 405);
  assert.equal(probe.headers.get('allow'), 'GET, HEAD');
  await probe.arrayBuffer();
});

test('an unexpected error is a 500 with no internals in the body, logged with its stack; the service keeps serving', async (t) => {
  const { url, logs } = await kit(t);
  for (const path of ['/boom', '/boom-async']) {
    const res = await fetch(`${url}${path}`);
    assert.equal(res.status, 500);
    const raw = await res.text();
    assert.doesNotMatch(raw, /hunter2|postgres|internal detail|TypeError|at .*\.ts/);
    const body = JSON.parse(raw) as ProblemDocument;
    assert.equal(body.title, 'Internal Server Error');
    assert.equal(body.type, 'about:blank');
    const requestId = res.headers.get('x-request-id');
    await eventually(() => logs.some((l) => l.requestId === requestId && l.level === 'error' && l.err !== undefined), 3000, 'error log');
    const line = logs.find((l) => l.requestId === requestId && l.err !== undefined)!;
    assert.match((line.err as { stack: string }).stack, /Error: .*\n\s+at /);
  }
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  await health.arrayBuffer();
});

test('HttpProblem refuses a status outside 400-599', () => {
  assert.throws(() => new HttpProblem({ status: 200 }), RangeError);
  assert.throws(() => new HttpProblem({ status: 600 }), RangeError);
});
