import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { gatewayIdentity, gatewayIdentityHeaders, GatewayIdentityError, readGatewayIdentity, signAnonymousGatewayIdentity, signGatewayIdentity, verifyGatewayHeaders, type RequestWithIdentity } from '../../src/auth/index.js';

const secret = 'identity-secret-0123456789abcdef';
const identity = { sub: 'u1', scopes: ['a'], exp: Math.floor(Date.now() / 1000) + 60, claims: { sub: 'u1', role: 'admin' } };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayIdentityError) return err.code;
    throw err;
  }
  return undefined;
}

describe('gateway identity headers', () => {
  it('an anonymous identity proves the gateway sent the request and names no user', () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = signAnonymousGatewayIdentity(secret, now + 30);
    const headers = { 'x-msx-identity': signed.identity, 'x-msx-identity-signature': signed.signature };
    assert.deepEqual(verifyGatewayHeaders(headers, secret), { kind: 'anonymous', exp: now + 30 });
    assert.equal(readGatewayIdentity(headers, secret), undefined, 'no user');
    assert.equal(codeOf(() => verifyGatewayHeaders(headers, 'another-secret-0123456789abcdef')), 'bad-signature');
    const stale = signAnonymousGatewayIdentity(secret, now - 31);
    assert.equal(codeOf(() => verifyGatewayHeaders({ 'x-msx-identity': stale.identity, 'x-msx-identity-signature': stale.signature }, secret)), 'expired');
    // Turning an anonymous identity into a user's breaks the signature.
    const upgraded = Buffer.from(JSON.stringify({ sub: 'admin', scopes: ['admin'], exp: now + 30 })).toString('base64url');
    assert.equal(codeOf(() => verifyGatewayHeaders({ 'x-msx-identity': upgraded, 'x-msx-identity-signature': signed.signature }, secret)), 'bad-signature');
  });

  it('gatewayIdentityHeaders signs what the gateway would send for a user', () => {
    const read = readGatewayIdentity(gatewayIdentityHeaders({ sub: 'ann', scopes: ['admin'], secret }), secret);
    assert.equal(read?.sub, 'ann');
    assert.deepEqual(read?.scopes, ['admin']);
  });

  it('round-trips an identity', () => {
    const signed = signGatewayIdentity(identity, secret);
    const read = readGatewayIdentity({ 'x-msx-identity': signed.identity, 'x-msx-identity-signature': signed.signature }, secret);
    assert.deepEqual(read, identity);
  });

  it('returns undefined when no identity headers are present', () => {
    assert.equal(readGatewayIdentity({}, secret), undefined);
  });

  it('refuses tampered payloads, other secrets, half headers and expired identities', () => {
    const signed = signGatewayIdentity(identity, secret);
    const forged = Buffer.from(JSON.stringify({ ...identity, sub: 'admin' })).toString('base64url');
    assert.equal(codeOf(() => readGatewayIdentity({ 'x-msx-identity': forged, 'x-msx-identity-signature': signed.signature }, secret)), 'bad-signature');
    assert.equal(codeOf(() => readGatewayIdentity({ 'x-msx-identity': signed.identity, 'x-msx-identity-signature': signed.signature }, 'another-secret-0123456789abcdef')), 'bad-signature');
    assert.equal(codeOf(() => readGatewayIdentity({ 'x-msx-identity': signed.identity }, secret)), 'malformed');
    const old = signGatewayIdentity({ ...identity, exp: 1000 }, secret);
    assert.equal(codeOf(() => readGatewayIdentity({ 'x-msx-identity': old.identity, 'x-msx-identity-signature': old.signature }, secret)), 'expired');
  });

  it('middleware sets req.identity and answers 401 problem+json otherwise', async () => {
    const middleware = gatewayIdentity({ secret });
    const server = createServer((req, res) => {
      middleware(req, res, () => {
        res.end(JSON.stringify((req as RequestWithIdentity).identity ?? null));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const signed = signGatewayIdentity(identity, secret);
      const ok = await fetch(url, { headers: { 'x-msx-identity': signed.identity, 'x-msx-identity-signature': signed.signature } });
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { sub: string }).sub, 'u1');
      const missing = await fetch(url);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await missing.json()) as { code: string }).code, 'missing');
      const bad = await fetch(url, { headers: { 'x-msx-identity': signed.identity, 'x-msx-identity-signature': 'v1=AAAA' } });
      assert.equal(bad.status, 401);
      assert.equal(((await bad.json()) as { code: string }).code, 'bad-signature');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses to build without a secret', () => {
    const saved = process.env.GATEWAY_IDENTITY_SECRET;
    delete process.env.GATEWAY_IDENTITY_SECRET;
    try {
      assert.throws(() => gatewayIdentity(), TypeError);
    } finally {
      if (saved !== undefined) process.env.GATEWAY_IDENTITY_SECRET = saved;
    }
  });
});
