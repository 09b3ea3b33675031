import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INT32_MAX, int32, money, text, validate, z, type ProblemDocument } from '../../src/index.js';
import { startService } from './harness.js';

test('text() refuses the NUL character and keeps the string methods', () => {
  const name = text().trim().min(1).max(5);
  assert.equal(name.parse('  ab '), 'ab');
  assert.equal(name.safeParse('a\u0000b').success, false);
  assert.equal(name.safeParse('toolong').success, false);
  assert.equal(text().safeParse('\u0000').error?.issues[0]?.message, 'must not contain the NUL character (U+0000)');
});

test('int32() and money() hold exactly what an integer column holds', () => {
  assert.equal(int32().parse(INT32_MAX), INT32_MAX);
  assert.equal(int32().parse(-2_147_483_648), -2_147_483_648);
  for (const bad of [INT32_MAX + 1, -2_147_483_649, 1.5, Number.MAX_SAFE_INTEGER]) assert.equal(int32().safeParse(bad).success, false, String(bad));
  assert.equal(int32().min(1).safeParse(0).success, false, 'narrowing works');
  assert.equal(money().parse(0), 0);
  assert.equal(money().safeParse(-1).success, false);
  assert.equal(money().safeParse(2_147_483_648).success, false);
});

test('over HTTP: a NUL in a text field or a query parameter and an integer beyond the column are 400 problems naming the field', async (t) => {
  const { url } = await startService(t, {}, (s) => {
    s.app.post('/products', (req, res) => {
      res.status(201).json(validate(z.object({ name: text(), price: money() }), req.body));
    });
    s.app.get('/search', (req, res) => {
      res.json(validate(z.object({ q: text() }), req.query));
    });
  });
  const post = (body: unknown) => fetch(`${url}/products`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (const [body, field] of [[{ name: 'a\u0000', price: 1 }, 'name'], [{ name: 'a', price: 2_147_483_648 }, 'price']] as const) {
    const res = await post(body);
    assert.equal(res.status, 400);
    const problem = (await res.json()) as ProblemDocument;
    assert.deepEqual(problem.errors?.map((e) => e.field), [field]);
  }
  assert.equal((await fetch(`${url}/search?q=a%00b`)).status, 400);
  assert.equal((await fetch(`${url}/search?q=ab`)).status, 200);
});

test('a database data exception that slipped past validation is a 400, not a 500', async (t) => {
  const dataError = (code: string) => Object.assign(new Error(`db says ${code}`), { code, severity: 'ERROR' });
  const { url, logs } = await startService(t, {}, (s) => {
    s.app.get('/nul', () => {
      throw dataError('22P05');
    });
    s.app.get('/range', () => {
      // Wrapped, as a transaction helper may do.
      throw new Error('transaction failed', { cause: dataError('22003') });
    });
    s.app.get('/encoding', () => {
      throw dataError('22021');
    });
    s.app.get('/other', () => {
      throw dataError('23502');
    });
  });
  for (const path of ['/nul', '/range', '/encoding']) {
    const res = await fetch(`${url}${path}`);
    assert.equal(res.status, 400, path);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = (await res.json()) as ProblemDocument;
    assert.equal(problem.type, 'urn:msx:problem:unstorable-value');
    assert.doesNotMatch(JSON.stringify(problem), /db says/, 'no database text in the body');
  }
  assert.equal((await fetch(`${url}/other`)).status, 500, 'other SQL errors stay server errors');
  assert.ok(logs.some((l) => l.level === 'warn' && l.sqlState === '22P05'), 'logged as a validation gap');
});
