import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { ConfigError, createService } from '../../src/index.js';
import { startService } from './harness.js';

test('JSON bodies are parsed before routes run', async (t) => {
  const { url } = await startService(t, {}, (s) => s.app.post('/echo', (req, res) => res.json({ got: req.body as unknown })));
  const res = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
  assert.deepEqual(await res.json(), { got: { a: [1, 2] } });
});

test('parseJsonBody: false leaves the body stream untouched (for proxies), with no size limit applied', async (t) => {
  const { url } = await startService(t, { parseJsonBody: false, bodyLimit: '10b' }, (s) =>
    s.app.post('/raw', async (req, res) => res.json({ raw: await text(req), parsed: req.body !== undefined })),
  );
  const res = await fetch(`${url}/raw`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"not": "parsed at all"}' });
  assert.deepEqual(await res.json(), { raw: '{"not": "parsed at all"}', parsed: false });
});

test('an invalid BODY_LIMIT is a configuration error', () => {
  assert.throws(
    () => createService({ name: 'users', env: { BODY_LIMIT: 'huge' }, logDestination: { write() {} } }),
    (error: unknown) => error instanceof ConfigError && error.issues[0]?.variable === 'BODY_LIMIT',
  );
});
