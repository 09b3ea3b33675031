/**
 * The admin surface over HTTP, on a real service with the embedded bus:
 * only a service token from issuer msx opens it, whether it comes in
 * Authorization or in X-Msx-Admin-Token (what msx sends through the
 * Kubernetes API server's pod proxy, which drops Authorization), checked
 * the same way in both; dead letters are listed with their envelope and
 * error, and re-driven to the handler.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createService, type Service } from '../../src/index.js';
import { attachBus } from '../../src/resources/index.js';
import { SignJWT } from 'jose';
import { signServiceToken } from '../../src/auth/service-token.js';
import { ADMIN_TOKEN_HEADER } from '../../src/admin/admin-token-header.js';
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
  const call = async (path: string, init: RequestInit & { token?: string; adminHeader?: string } = {}) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.adminHeader !== undefined) headers[ADMIN_TOKEN_HEADER] = init.adminHeader;
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

  it('verifies a token in X-Msx-Admin-Token exactly as one in Authorization: issuer, audience, algorithm, expiry, type, secret', async () => {
    const key = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const jwt = (claims: Record<string, unknown>, alg = 'HS256', secret = key) => new SignJWT({ type: 'service', ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);
    const refused: Record<string, string> = {
      'another issuer': await token('orders'),
      'another audience': await token('msx', 'orders'),
      'expired ten minutes ago': await signServiceToken({ issuer: 'msx', audience: 'mailer', secret: SECRET, ttlSec: 60, now: Date.now() - 11 * 60_000 }),
      'HS512 instead of HS256': await jwt({ iss: 'msx', sub: 'msx', aud: 'mailer', iat: now, exp: now + 60 }, 'HS512'),
      'a user token, not a service token': await jwt({ type: 'user', iss: 'msx', sub: 'msx', aud: 'mailer', iat: now, exp: now + 60 }),
      'another secret': await jwt({ iss: 'msx', sub: 'msx', aud: 'mailer', iat: now, exp: now + 60 }, 'HS256', new TextEncoder().encode('some-other-secret-of-at-least-32-bytes!!')),
      'not a JWT': 'garbage',
    };
    for (const [why, bad] of Object.entries(refused)) {
      const viaAuthorization = await call('/_msx/events', { token: bad });
      const viaHeader = await call('/_msx/events', { adminHeader: bad });
      assert.equal(viaAuthorization.status, 401, `Authorization: ${why}`);
      assert.equal(viaHeader.status, 401, `${ADMIN_TOKEN_HEADER}: ${why}`);
      assert.equal(viaHeader.body.code, viaAuthorization.body.code, `the same verdict for ${why}`);
    }
    const good = await token();
    assert.equal((await call('/_msx/events', { adminHeader: good })).status, 200);
    assert.equal((await call('/_msx/events', { adminHeader: ` ${good} ` })).status, 200, 'surrounding spaces are not part of the token');
    assert.equal((await call('/_msx/events', { adminHeader: '', token: good })).status, 401, 'a present header is what counts: an empty one is no token, whatever Authorization says');
    assert.equal((await call('/_msx/events', { adminHeader: await token('orders'), token: good })).status, 401, 'a bad admin header is not rescued by a good bearer token');
    const viaGateway = gatewayIdentityHeaders({ sub: 'alice', scopes: ['admin'], secret: IDENTITY });
    assert.equal((await call('/_msx/events', { headers: viaGateway as Record<string, string>, adminHeader: 'x' })).status, 401, 'a gateway identity beside a bad header does not open it');
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
