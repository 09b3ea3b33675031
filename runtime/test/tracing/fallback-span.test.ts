/**
 * A call answered by its fallback is visible in its trace: the CLIENT span
 * still records the failure, and carries an `msx.fallback` event and the
 * reason and source as attributes — exported to msx's collector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startTraceCollector } from '../../../src/observability/trace-collector.js';
import { readSpans } from '../../../src/observability/trace-store.js';
import { createService } from '../../src/service/index.js';
import { createServiceClient } from '../../src/client/index.js';
import { createStaticDiscovery } from '../../src/discovery/index.js';
import { deadUrl } from '../client/fixtures/instances.js';

test('a fallback shows on the call\'s span: failed, with an msx.fallback event, reason and source', { timeout: 30_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msx-fallback-span-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const collector = await startTraceCollector({ dir: join(dir, 'traces') });
  t.after(() => collector.close());

  const orders = createService({ name: 'orders', env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '50', MSX_INSTANCE: 'orders-1', MSX_OPEN_ROUTES: '*' }, logDestination: new PassThrough() });
  const discovery = createStaticDiscovery({ services: { users: [await deadUrl()] } });
  const client = createServiceClient({ from: 'orders', discovery, tokens: false, env: {}, policy: { retry: false } });
  orders.app.get('/orders/:id', async (req, res) => {
    const user = await client.forRequest(req).get<{ name: string }>('users', '/users/7', { fallback: { value: { name: 'someone' } } });
    res.json({ name: user.body.name, degraded: user.degraded?.reason });
  });
  const { url } = await orders.listen({ port: 0, handleSignals: false });
  const answer = await (await fetch(`${url}/orders/1`)).json();
  assert.deepEqual(answer, { name: 'someone', degraded: 'unreachable' });
  await orders.close();
  await collector.store.flushed();

  const calls = (await readSpans(join(dir, 'traces'))).filter((s) => s.service === 'orders' && s.kind === 'client' && s.name === 'GET users');
  assert.equal(calls.length, 1, 'one client span for the call');
  const call = calls[0]!;
  assert.equal(call.status, 'error', 'the call itself failed');
  assert.equal(call.attributes['msx.fallback.reason'], 'unreachable');
  assert.equal(call.attributes['msx.fallback.source'], 'default');
  const event = call.events?.find((e) => e.name === 'msx.fallback');
  assert.ok(event, `an msx.fallback event among ${JSON.stringify(call.events?.map((e) => e.name))}`);
  assert.equal(event.attributes['msx.fallback.reason'], 'unreachable');
});
