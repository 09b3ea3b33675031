import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it, mock } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createUserTokenVerifier, signUserToken, verifyUserToken, UserTokenError } from '../../src/auth/index.js';
import { VerificationCache } from '../../src/auth/verification-cache.js';

const secret = 'user-token-secret-0123456789abcdef';
const options = { algorithms: ['HS256'] as const, secret, issuer: 'msx', audience: 'api' } as const;
const key = new TextEncoder().encode(secret);

async function rejectsWith(promise: Promise<unknown>, code: string, claim?: string) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserTokenError, `expected UserTokenError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (claim !== undefined) assert.equal(err.claim, claim);
    return true;
  });
}

describe('user tokens', () => {
  it('signs HS256 tokens that verify to the identity', async () => {
    const token = await signUserToken({ sub: 'u1', scopes: ['a', 'b'], role: 'admin' }, { secret, issuer: 'msx', audience: 'api', expiresIn: 60 });
    const identity = await verifyUserToken(token, options);
    assert.equal(identity.sub, 'u1');
    assert.deepEqual(identity.scopes, ['a', 'b']);
    assert.equal(identity.claims.role, 'admin');
    assert.equal(identity.claims.type, 'user');
    assert.ok(identity.exp > Date.now() / 1000);
  });

  it('refuses a bad signature, a wrong audience or issuer, and an expired token', async () => {
    const verifier = createUserTokenVerifier(options);
    const other = await signUserToken({ sub: 'u1' }, { secret: 'another-secret-0123456789abcdef', issuer: 'msx', audience: 'api' });
    await rejectsWith(verifier.verify(other), 'signature');
    await rejectsWith(verifier.verify(await signUserToken({ sub: 'u1' }, { secret, issuer: 'msx', audience: 'other' })), 'claim', 'aud');
    await rejectsWith(verifier.verify(await signUserToken({ sub: 'u1' }, { secret, issuer: 'evil', audience: 'api' })), 'claim', 'iss');
    const expired = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api').setExpirationTime(Math.floor(Date.now() / 1000) - 120).sign(key);
    await rejectsWith(verifier.verify(expired), 'expired');
  });

  it('accepts a token expired within the clock tolerance, and a future nbf within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const justExpired = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api').setExpirationTime(now - 5).sign(key);
    assert.equal((await createUserTokenVerifier(options).verify(justExpired)).sub, 'u1');
    const early = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api').setExpirationTime(now + 600).setNotBefore(now + 300).sign(key);
    await rejectsWith(createUserTokenVerifier(options).verify(early), 'claim', 'nbf');
  });

  it('with maxTokenAgeSec, refuses a token without iat, one living longer than the bound, and one issued too long ago', async () => {
    const verifier = createUserTokenVerifier({ ...options, maxTokenAgeSec: 3600 });
    const now = Math.floor(Date.now() / 1000);
    const base = () => new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api');
    assert.equal((await verifier.verify(await base().setIssuedAt(now).setExpirationTime(now + 3600).sign(key))).sub, 'u1');
    await rejectsWith(verifier.verify(await base().setExpirationTime(now + 600).sign(key)), 'claim', 'iat');
    await rejectsWith(verifier.verify(await base().setIssuedAt(now).setExpirationTime(now + 3601).sign(key)), 'claim', 'exp');
    await rejectsWith(verifier.verify(await base().setIssuedAt(now - 7200).setExpirationTime(now + 600).sign(key)), 'expired');
    await rejectsWith(verifier.verify(await base().setIssuedAt(now + 600).setExpirationTime(now + 1200).sign(key)), 'claim', 'iat');
    assert.throws(() => createUserTokenVerifier({ ...options, maxTokenAgeSec: 0 }), /maxTokenAgeSec/);
  });

  it('refuses alg none, other algorithms, and tokens without exp or sub', async () => {
    const verifier = createUserTokenVerifier(options);
    const none = new UnsecuredJWT({ sub: 'u1', iss: 'msx', aud: 'api' }).setExpirationTime('1h').encode();
    await rejectsWith(verifier.verify(none), 'algorithm');
    const hs512 = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS512' }).setIssuer('msx').setAudience('api').setExpirationTime('1h').sign(new Uint8Array(64).fill(1));
    await rejectsWith(verifier.verify(hs512), 'algorithm');
    const noExp = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api').sign(key);
    await rejectsWith(verifier.verify(noExp), 'claim', 'exp');
    const noSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api').setExpirationTime('1h').sign(key);
    await rejectsWith(verifier.verify(noSub), 'claim', 'sub');
    await rejectsWith(verifier.verify('not-a-jwt'), 'malformed');
    await rejectsWith(verifier.verify(''), 'missing');
  });

  it('refuses a service token where a user token is required', async () => {
    const serviceToken = await new SignJWT({ sub: 'orders', type: 'service' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api').setExpirationTime('1h').sign(key);
    await rejectsWith(createUserTokenVerifier(options).verify(serviceToken), 'wrong-type');
  });

  it('verifies RS256 with a public key and refuses HS256 forged with that public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const verifier = createUserTokenVerifier({ algorithms: ['RS256'], publicKey: pem, audience: 'api' });
    const good = await new SignJWT({ sub: 'u2' }).setProtectedHeader({ alg: 'RS256' }).setAudience('api').setExpirationTime('1h').sign(privateKey);
    assert.equal((await verifier.verify(good)).sub, 'u2');
    const forged = await new SignJWT({ sub: 'u2' }).setProtectedHeader({ alg: 'HS256' }).setAudience('api').setExpirationTime('1h').sign(new TextEncoder().encode(pem));
    await rejectsWith(verifier.verify(forged), 'algorithm');
  });

  it('rejects configurations that mix HMAC and public-key algorithms or lack a key', () => {
    assert.throws(() => createUserTokenVerifier({ algorithms: ['HS256', 'RS256'], secret }), TypeError);
    assert.throws(() => createUserTokenVerifier({ algorithms: ['HS256'] }), TypeError);
    assert.throws(() => createUserTokenVerifier({ algorithms: ['RS256'] }), TypeError);
    assert.throws(() => createUserTokenVerifier({ algorithms: ['none' as 'HS256'], secret }), TypeError);
  });
});

describe('VerificationCache', () => {
  it('never serves an entry at or after its exp', () => {
    const cache = new VerificationCache<{ exp: number }>(10);
    cache.set('t', { exp: 100 });
    assert.deepEqual(cache.get('t', 99.9), { exp: 100 });
    assert.equal(cache.get('t', 100), undefined);
    assert.equal(cache.size, 0);
  });

  it('evicts the least recently used entry past its bound', () => {
    const cache = new VerificationCache<{ exp: number }>(2);
    cache.set('a', { exp: 10 });
    cache.set('b', { exp: 10 });
    cache.get('a', 0);
    cache.set('c', { exp: 10 });
    assert.equal(cache.get('b', 0), undefined);
    assert.ok(cache.get('a', 0));
    assert.ok(cache.get('c', 0));
  });

  it('does not let a cached verdict outlive the token in the verifier', async () => {
    const verifier = createUserTokenVerifier({ ...options, clockToleranceSec: 0 });
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('msx').setAudience('api').setExpirationTime(now + 2).sign(key);
    assert.equal((await verifier.verify(shortLived)).sub, 'u1');
    // Mocks both Date.now (the cache's clock) and new Date() (jose's).
    mock.timers.enable({ apis: ['Date'], now: (now + 3) * 1000 });
    try {
      await rejectsWith(verifier.verify(shortLived), 'expired');
    } finally {
      mock.timers.reset();
    }
  });
});
