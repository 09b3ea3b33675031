import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, createService, type ProblemDocument, type Service } from '../../src/index.js';
import { gatewayIdentityHeaders, signAnonymousGatewayIdentity, signServiceToken, type Caller } from '../../src/auth/index.js';
import { startService } from './harness.js';

// The service kit answers only callers it can verify: the gateway's signed
// identity or a service token for this service, unless msx.yaml opened the route.

const IDENTITY_SECRET = 'gateway-identity-secret-0123456789';
const TOKEN_SECRET = 'service-token-secret-0123456789abcdef0123';
const SECRETS = { GATEWAY_IDENTITY_SECRET: IDENTITY_SECRET, MSX_SERVICE_TOKEN_SECRET: TOKEN_SECRET, MSX_OPEN_ROUTES: '' };

function routes(service: Service): void {
  const echo = (req: { caller?: Caller }, res: { json(v: unknown): void }) => res.json({ caller: req.caller?.kind, sub: req.caller?.kind === 'user' ? req.caller.identity.sub : undefined });
  service.app.get('/items', echo);
  service.app.post('/items', echo);
  service.app.post('/hooks/in', echo);
}

async function start(t: Parameters<typeof startService>[0], env: Record<string, string>) {
  return startService(t, { name: 'products', env }, routes);
}

async function refused(res: Response): Promise<ProblemDocument> {
  assert.equal(res.status, 401);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="msx"/);
  return (await res.json()) as ProblemDocument;
}

test('a request with neither the gateway\'s identity nor a service token gets 401 problem+json, on every method', async (t) => {
  const { url } = await start(t, SECRETS);
  for (const method of ['GET', 'POST']) {
    const body = await refused(await fetch(`${url}/items`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined }));
    assert.equal(body.code, 'missing');
  }
  // Unknown paths too: an unverified caller learns nothing about the routes.
  await refused(await fetch(`${url}/nothing-here`));
});

test('the probes stay open', async (t) => {
  const { url } = await start(t, SECRETS);
  for (const path of ['/health', '/ready', '/metrics']) assert.equal((await fetch(`${url}${path}`)).status, 200, path);
});

test('the gateway\'s signed user identity, its anonymous identity and a service token for this service are accepted', async (t) => {
  const { url } = await start(t, SECRETS);
  const user = await fetch(`${url}/items`, { headers: gatewayIdentityHeaders({ sub: 'ann', secret: IDENTITY_SECRET }) });
  assert.deepEqual(await user.json(), { caller: 'user', sub: 'ann' });

  const anonymous = signAnonymousGatewayIdentity(IDENTITY_SECRET, Math.floor(Date.now() / 1000) + 30, 'products');
  const anon = await fetch(`${url}/items`, { headers: { 'x-msx-identity': anonymous.identity, 'x-msx-identity-signature': anonymous.signature } });
  assert.deepEqual(await anon.json(), { caller: 'gateway' });

  const token = await signServiceToken({ issuer: 'orders', audience: 'products', secret: TOKEN_SECRET });
  const service = await fetch(`${url}/items`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(await service.json(), { caller: 'service' });
});

test('forged, expired and misdirected credentials are refused', async (t) => {
  const { url } = await start(t, SECRETS);
  const forged = gatewayIdentityHeaders({ sub: 'ann', secret: 'another-secret-0123456789abcdef' });
  assert.equal((await refused(await fetch(`${url}/items`, { headers: forged }))).code, 'bad-signature');
  // The anonymous identity is made out to one service, and gets only a few seconds of skew.
  const anonymousHeaders = (signed: { identity: string; signature: string }) => ({ 'x-msx-identity': signed.identity, 'x-msx-identity-signature': signed.signature });
  const nowSec = Math.floor(Date.now() / 1000);
  assert.equal((await refused(await fetch(`${url}/items`, { headers: anonymousHeaders(signAnonymousGatewayIdentity(IDENTITY_SECRET, nowSec + 30, 'users')) }))).code, 'wrong-audience');
  assert.equal((await refused(await fetch(`${url}/items`, { headers: anonymousHeaders(signAnonymousGatewayIdentity(IDENTITY_SECRET, nowSec + 30)) }))).code, 'wrong-audience');
  assert.equal((await refused(await fetch(`${url}/items`, { headers: anonymousHeaders(signAnonymousGatewayIdentity(IDENTITY_SECRET, nowSec - 10, 'products')) }))).code, 'expired');
  const stale = signAnonymousGatewayIdentity(IDENTITY_SECRET, Math.floor(Date.now() / 1000) - 120, 'products');
  assert.equal((await refused(await fetch(`${url}/items`, { headers: { 'x-msx-identity': stale.identity, 'x-msx-identity-signature': stale.signature } }))).code, 'expired');
  // A token minted for another service, or with another key.
  const forUsers = await signServiceToken({ issuer: 'orders', audience: 'users', secret: TOKEN_SECRET });
  assert.equal((await refused(await fetch(`${url}/items`, { headers: { authorization: `Bearer ${forUsers}` } }))).code, 'claim');
  const otherKey = await signServiceToken({ issuer: 'orders', audience: 'products', secret: 'x'.repeat(40) });
  assert.equal((await refused(await fetch(`${url}/items`, { headers: { authorization: `Bearer ${otherKey}` } }))).code, 'signature');
});

test('without secrets nothing can be verified, so nothing but the probes is served', async (t) => {
  const { url } = await start(t, { MSX_OPEN_ROUTES: '' });
  assert.equal((await refused(await fetch(`${url}/items`, { headers: gatewayIdentityHeaders({ sub: 'ann', secret: IDENTITY_SECRET }) }))).code, 'not-configured');
  assert.equal((await fetch(`${url}/health`)).status, 200);
});

test('routes msx.yaml opens (MSX_OPEN_ROUTES) serve anyone, by prefix and method, and nothing else', async (t) => {
  const { url } = await start(t, { ...SECRETS, MSX_OPEN_ROUTES: 'POST:/hooks, GET:/items' });
  assert.deepEqual(await (await fetch(`${url}/hooks/in`, { method: 'POST' })).json(), { caller: 'unverified' });
  assert.equal((await fetch(`${url}/items`)).status, 200);
  assert.equal((await fetch(`${url}/items`, { method: 'HEAD' })).status, 200, 'HEAD is served as GET');
  await refused(await fetch(`${url}/items`, { method: 'POST' }));
  await refused(await fetch(`${url}/hooksx`, { method: 'POST' }));
  // A verified caller is still known on an open route.
  const user = await fetch(`${url}/items`, { headers: gatewayIdentityHeaders({ sub: 'bo', secret: IDENTITY_SECRET }) });
  assert.deepEqual(await user.json(), { caller: 'user', sub: 'bo' });
  const all = await start(t, { ...SECRETS, MSX_OPEN_ROUTES: '*' });
  assert.equal((await fetch(`${all.url}/items`, { method: 'POST' })).status, 200);
});

test('a malformed MSX_OPEN_ROUTES or a short secret stops the start with a configuration error', () => {
  for (const env of [{ MSX_OPEN_ROUTES: 'items' }, { MSX_OPEN_ROUTES: 'FETCH:/items' }, { GATEWAY_IDENTITY_SECRET: 'short' }, { MSX_SERVICE_TOKEN_SECRET: 'short' }]) {
    assert.throws(
      () => createService({ name: 'products', env, logDestination: { write() {} } }),
      (error: unknown) => error instanceof ConfigError && error.exitCode === 78 && error.issues.some((i) => i.variable === Object.keys(env)[0]) && !error.message.includes('short'),
      JSON.stringify(env),
    );
  }
});
