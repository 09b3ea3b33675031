import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SignJWT, UnsecuredJWT } from 'jose';
import {
  createServiceTokenIssuer,
  createUserTokenVerifier,
  requireServiceToken,
  ServiceTokenError,
  signServiceToken,
  signUserToken,
  UserTokenError,
  verifyServiceToken,
} from '../../src/auth/index.js';

const SECRET = 'service-secret-for-tests-0123456789abcdef';
const USER_SECRET = 'user-secret-for-tests-0123456789abcdef';

/** An express app with one route only other services may call, on 127.0.0.1. */
async function usersService(t: { after: (fn: () => unknown) => void }, options: { allowedIssuers?: string[] } = {}) {
  const app = express();
  app.get('/internal', requireServiceToken({ audience: 'users', secret: SECRET, ...options }), (_req, res) => {
    res.json({ caller: res.locals.serviceCaller?.service });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal`;
  return (token?: string) => fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
}

async function problemOf(res: Response): Promise<{ code: string; status: number; type: string }> {
  assert.equal(res.status, 401);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  return (await res.json()) as { code: string; status: number; type: string };
}

test('a token minted for users by orders is accepted, and the caller is known', async (t) => {
  const call = await usersService(t, { allowedIssuers: ['orders'] });
  const token = await signServiceToken({ issuer: 'orders', audience: 'users', secret: SECRET });
  const res = await call(token);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { caller: 'orders' });
});

test('missing, wrong audience, disallowed issuer, expired, user token and alg none are 401 problem+json', async (t) => {
  const call = await usersService(t, { allowedIssuers: ['orders'] });

  const missing = await call();
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="msx-services"');
  assert.equal((await problemOf(missing)).code, 'missing');

  const wrongAudience = await call(await signServiceToken({ issuer: 'orders', audience: 'payments', secret: SECRET }));
  assert.match(wrongAudience.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  assert.equal((await problemOf(wrongAudience)).code, 'claim');

  const wrongIssuer = await call(await signServiceToken({ issuer: 'billing', audience: 'users', secret: SECRET }));
  assert.equal((await problemOf(wrongIssuer)).code, 'claim');

  const tenMinutesAgo = Date.now() - 10 * 60_000;
  const expired = await call(await signServiceToken({ issuer: 'orders', audience: 'users', secret: SECRET, now: tenMinutesAgo }));
  assert.equal((await problemOf(expired)).code, 'expired');

  const otherSecret = await call(await signServiceToken({ issuer: 'orders', audience: 'users', secret: USER_SECRET }));
  assert.equal((await problemOf(otherSecret)).code, 'signature');

  // A user token, even one signed with the service secret and carrying the right aud/iss, is refused for lacking `type: service`.
  const userToken = await signUserToken({ sub: 'alice', iss: 'orders' }, { secret: SECRET, audience: 'users' });
  assert.equal((await problemOf(await call(userToken))).code, 'wrong-type');
  const typedUser = await new SignJWT({ type: 'user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('orders')
    .setAudience('users')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));
  assert.equal((await problemOf(await call(typedUser))).code, 'wrong-type');

  const none = new UnsecuredJWT({ type: 'service' }).setIssuer('orders').setAudience('users').setExpirationTime('5m').encode();
  assert.equal((await problemOf(await call(none))).code, 'algorithm');
});

test('the user-token verifier refuses a service token', async () => {
  const serviceToken = await signServiceToken({ issuer: 'orders', audience: 'users', secret: USER_SECRET });
  const verifier = createUserTokenVerifier({ algorithms: ['HS256'], secret: USER_SECRET });
  await assert.rejects(verifier.verify(serviceToken), (e: unknown) => e instanceof UserTokenError && e.code === 'wrong-type');
});

test('verifyServiceToken returns the identity; weak or missing secrets are refused up front', async () => {
  const token = await signServiceToken({ issuer: 'orders', audience: 'users', secret: SECRET, ttlSec: 60 });
  const identity = await verifyServiceToken(token, { audience: 'users', secret: SECRET });
  assert.equal(identity.service, 'orders');
  assert.equal(identity.audience, 'users');
  assert.equal(identity.claims.type, 'service');
  assert.ok(identity.exp - Math.floor(Date.now() / 1000) <= 60);
  assert.throws(() => requireServiceToken({ audience: 'users', secret: 'short' }), /at least 32 bytes, got 5/);
  assert.throws(() => requireServiceToken({ audience: 'users', env: {} }), /MSX_SERVICE_TOKEN_SECRET/);
  await assert.rejects(verifyServiceToken('not.a.token', { audience: 'users', secret: SECRET }), (e: unknown) => e instanceof ServiceTokenError && e.code === 'malformed');
});

test('the issuer caches one token per audience and mints a new one before expiry', async () => {
  let now = 1_700_000_000_000;
  const issuer = createServiceTokenIssuer({ service: 'orders', secret: SECRET, ttlSec: 300, refreshBeforeSec: 60, now: () => now });
  const first = await issuer.token('users');
  assert.equal(await issuer.token('users'), first);
  assert.notEqual(await issuer.token('payments'), first);
  now += 239_000; // 61 s left: still cached
  assert.equal(await issuer.token('users'), first);
  now += 2_000; // 59 s left: refreshed
  const second = await issuer.token('users');
  assert.notEqual(second, first);
  const identity = await verifyServiceToken(second, { audience: 'users', secret: SECRET, now });
  assert.equal(identity.service, 'orders');
});
