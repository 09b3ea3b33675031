/**
 * The admin surface over HTTP, on a real service with the embedded bus:
 * only a service token from issuer msx opens it; dead letters are listed
 * with their envelope and error, and re-driven to the handler.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createService, type Service } from '../../src/index.js';
import { attachBus } from '../../src/resources/index.js';
import { signServiceToken } from '../../src/auth/service-token.js';
import { gatewayIdentityHeaders } from '../../src/auth/index.js';
import type { EventBus } from '../../src/bus/index.js';
import { eventually } from '../bus/eventually.js';

const SECRET = 'a-service-token-secret-of-at-least-32-bytes!';
const IDENTITY = 'a-gateway-identity-secret-long-enough';

describe('admin surface /_msx', () => {
  let dataDir: string;
  let service: Service;
  let bus: EventBus;
  let url: string;
  let broken = true;
  const handled: string[] = [];
  const token = (issuer = 'msx', audience = 'mailer') => signServiceToken({ issuer, audience, secret: SECRET });
  const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const response = await fetch(`${url}${path}`, { ...init, headers });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.json() as Record<string, any> };
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'msx-admin-'));
    const env = { PORT: '0', HOST: '127.0.0.1', MSX_SERVICE_TOKEN_SECRET: SECRET, GATEWAY_IDENTITY_SECRET: IDENTITY, MSX_DATA_DIR: dataDir, MSX_OPEN_ROUTES: '*', LOG_LEVEL: 'silent' };
    service = createService({ name: 'mailer', env });
    bus = await attachBus(service, { url: 'embedded' });
    await bus.subscribe('mail.*', (e) => {
      if (broken) throw new Error('smtp refused');
      handled.push(e.id);
    }, { retries: 1, backoff: { initialMs: 20 } });
    url = (await service.listen({ port: 0, handleSignals: false })).url;
  });
  after(async () => {
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses callers that are not msx, even on a system whose routes are all open', async () => {
    const none = await call('/_msx/events');
    assert.equal(none.status, 401);
    assert.match(none.type, /application\/problem\+json/);
    assert.equal((await call('/_msx/events', { token: await token('orders') })).status, 401, 'another service is not msx');
    assert.equal((await call('/_msx/events', { token: await token('msx', 'orders') })).status, 401, 'minted for another service');
    const viaGateway = gatewayIdentityHeaders({ sub: 'alice', scopes: ['admin'], secret: IDENTITY });
    assert.equal((await call('/_msx/dead-letters', { headers: viaGateway as Record<string, string> })).status, 401, 'a gateway identity does not open it');
  });

  it('lists a dead letter with its envelope and error, re-drives it, and the handler gets it once', async () => {
    const published = await bus.publish({ type: 'mail.send', data: { to: 'ada' }, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    const auth = await token();
    await eventually('a dead letter', async () => (await call('/_msx/dead-letters', { token: auth })).body.deadLetters.length === 1, 10_000);
    const [letter] = (await call('/_msx/dead-letters?group=mailer', { token: auth })).body.deadLetters;
    assert.equal(letter.event.id, published.id);
    assert.deepEqual(letter.event.data, { to: 'ada' });
    assert.match(letter.error, /smtp refused/);
    assert.equal(letter.attempts, 2);

    const events = (await call('/_msx/events', { token: auth })).body;
    assert.deepEqual(events.groups, [{ group: 'mailer', patterns: ['mail.*'], pending: 0, deadLetters: 1 }]);
    assert.ok(events.recent.some((e: any) => e.id === published.id && e.traceId === '0af7651916cd43dd8448eb211c80319c'));

    assert.equal((await call(`/_msx/dead-letters/${published.id}/redrive`, { method: 'POST', token: auth })).status, 400, 'group is required');
    assert.equal((await call(`/_msx/dead-letters/${published.id}/redrive?group=nope`, { method: 'POST', token: auth })).status, 404);
    assert.equal((await call('/_msx/dead-letters/no-such/redrive?group=mailer', { method: 'POST', token: auth })).status, 404);
    assert.equal((await call('/_msx/sagas?state=bogus', { token: auth })).status, 400);

    broken = false;
    const redrive = await call(`/_msx/dead-letters/${published.id}/redrive?group=mailer`, { method: 'POST', token: auth });
    assert.equal(redrive.status, 200);
    assert.equal(redrive.body.redriven, 1);
    await eventually('the handler to get it', () => handled.length === 1, 10_000);
    assert.deepEqual(handled, [published.id]);
    assert.deepEqual((await call('/_msx/dead-letters', { token: auth })).body.deadLetters, []);
    assert.deepEqual((await call('/_msx/sagas', { token: auth })).body.sagas, [], 'no orchestrator in this service');
  });
});
