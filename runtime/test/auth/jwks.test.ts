/**
 * User tokens verified against a real JWKS endpoint: a node:http server on
 * 127.0.0.1 serves the key set, the verifier (and the gateway) fetch it
 * over HTTP through jose's createRemoteJWKSet.
 */
import assert from 'node:assert/strict';
import { KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { errors as joseErrors, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import { createUserTokenVerifier, readGatewayIdentity, UserTokenError, type UserTokenOptions } from '../../src/auth/index.js';
import type { Gateway } from '../../src/gateway/index.js';
import { echo, fixedDiscovery, IDENTITY_SECRET, startGateway, startUpstream, type Upstream } from '../gateway/fixtures/harness.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'msx-api';

type Alg = 'RS256' | 'ES256' | 'EdDSA';
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

interface SigningKey {
  readonly alg: Alg;
  readonly kid: string;
  readonly privateKey: KeyPair['privateKey'];
  readonly publicKey: KeyPair['publicKey'];
  readonly jwk: JWK;
}

async function signingKey(alg: Alg, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk };
}

function sign(key: SigningKey, claims: Record<string, unknown> = {}, header: { kid?: string } = {}): Promise<string> {
  return new SignJWT({ sub: 'user-1', scope: 'orders:read', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

type Mode = 'ok' | '500' | 'not-json' | 'not-a-jwks' | 'hang';

/** A JWKS endpoint whose answer the test changes at will; counts the fetches. */
interface JwksServer {
  readonly url: string;
  keys: JWK[];
  mode: Mode;
  requests: number;
  close(): Promise<void>;
}

const servers: JwksServer[] = [];

async function startJwks(keys: readonly SigningKey[]): Promise<JwksServer> {
  const state = { keys: keys.map((k) => k.jwk), mode: 'ok' as Mode, requests: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    state.requests++;
    switch (state.mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
        return;
      case '500':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
        return;
      case 'not-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>Service Unavailable</html>');
        return;
      case 'not-a-jwks':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"nope"}');
        return;
      case 'hang':
        return; // never answers
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed = false;
  const jwks: JwksServer = Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  servers.push(jwks);
  return jwks;
}

function options(jwksUrl: string, extra: Partial<UserTokenOptions> = {}): UserTokenOptions {
  return { algorithms: ['RS256', 'ES256', 'EdDSA'], jwksUrl, issuer: ISSUER, audience: AUDIENCE, ...extra };
}

async function rejectsWith(promise: Promise<unknown>, code: string, status: 401 | 503 = code === 'key-unavailable' ? 503 : 401): Promise<UserTokenError> {
  let caught: UserTokenError | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserTokenError, `expected UserTokenError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code} (${err.message}; cause: ${String(err.cause)})`);
    assert.equal(err.status, status);
    caught = err;
    return true;
  });
  return caught!;
}

// Every failure mode below must be a rejected promise, never an unhandled one (which would crash a gateway).
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

let rsa: SigningKey;
let ec: SigningKey;
let ed: SigningKey;
/** The key the set rotates to. */
let rsaNext: SigningKey;
/** Same `kid` as `rsa`, another key: what an attacker who knows the kid can sign with. */
let impostor: SigningKey;

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  [rsa, ec, ed, rsaNext, impostor] = await Promise.all([
    signingKey('RS256', 'rsa-1'),
    signingKey('ES256', 'ec-1'),
    signingKey('EdDSA', 'ed-1'),
    signingKey('RS256', 'rsa-2'),
    signingKey('RS256', 'rsa-1'),
  ]);
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no unhandled rejections');
});

describe('user tokens against a real JWKS endpoint', () => {
  it('verifies RS256, ES256 and EdDSA tokens signed with keys of the set, fetching the set once', async () => {
    const jwks = await startJwks([rsa, ec, ed]);
    const verifier = createUserTokenVerifier(options(jwks.url));
    for (const key of [rsa, ec, ed]) {
      const identity = await verifier.verify(await sign(key, { sub: `user-${key.alg}` }));
      assert.equal(identity.sub, `user-${key.alg}`);
      assert.deepEqual(identity.scopes, ['orders:read']);
      assert.equal(identity.claims.iss, ISSUER);
    }
    assert.equal(jwks.requests, 1, 'the set is fetched once and cached');
  });

  it('pins the algorithm per verifier: an RS256-only verifier refuses ES256 and EdDSA tokens from the same set', async () => {
    const jwks = await startJwks([rsa, ec, ed]);
    const verifiers = Object.fromEntries((['RS256', 'ES256', 'EdDSA'] as const).map((alg) => [alg, createUserTokenVerifier(options(jwks.url, { algorithms: [alg] }))]));
    for (const key of [rsa, ec, ed]) {
      assert.equal((await verifiers[key.alg]!.verify(await sign(key))).sub, 'user-1');
    }
    await rejectsWith(verifiers.RS256!.verify(await sign(ec)), 'algorithm');
    await rejectsWith(verifiers.RS256!.verify(await sign(ed)), 'algorithm');
    await rejectsWith(verifiers.EdDSA!.verify(await sign(rsa)), 'algorithm');
  });

  it('refuses an unknown kid, then accepts it once the endpoint serves the rotated set; a removed key is refused', async () => {
    const jwks = await startJwks([rsa, ec, ed]);
    const verifier = createUserTokenVerifier(options(jwks.url, { jwksCooldownMs: 0 }));
    assert.equal((await verifier.verify(await sign(rsa))).sub, 'user-1');
    assert.equal(jwks.requests, 1);

    const next = await sign(rsaNext, { sub: 'after-rotation' });
    await rejectsWith(verifier.verify(next), 'signature');
    assert.equal(jwks.requests, 2, 'an unknown kid makes the verifier fetch the set again');

    jwks.keys = [rsaNext.jwk, ec.jwk, ed.jwk];
    assert.equal((await verifier.verify(next)).sub, 'after-rotation');
    assert.equal(jwks.requests, 3);
    // The old key left the set: a token signed with it now (not one remembered as verified) is refused.
    await rejectsWith(verifier.verify(await sign(rsa, { sub: 'old-key' })), 'signature');
  });

  it('with the default 30 s cooldown, a kid that appears right after a fetch is refused without refetching', async () => {
    // Shows the cooldown is real, so the option above is what makes rotation visible at once in a test.
    const jwks = await startJwks([rsa]);
    const verifier = createUserTokenVerifier(options(jwks.url));
    await verifier.verify(await sign(rsa));
    jwks.keys = [rsa.jwk, rsaNext.jwk];
    await rejectsWith(verifier.verify(await sign(rsaNext)), 'signature');
    assert.equal(jwks.requests, 1, 'no refetch within the cooldown');
  });

  it('refuses a token signed by a key that is not in the set, even under a kid that is', async () => {
    const jwks = await startJwks([rsa, ec, ed]);
    const verifier = createUserTokenVerifier(options(jwks.url));
    const forged = await sign(impostor, { sub: 'attacker' });
    await rejectsWith(verifier.verify(forged), 'signature');
    // The same claims under the real key pass, so it is the key that was refused.
    assert.equal((await verifier.verify(await sign(rsa, { sub: 'attacker' }))).sub, 'attacker');
  });

  it('refuses HS256 forged with the public key as the secret, and alg none, before fetching any key', async () => {
    const jwks = await startJwks([rsa, ec, ed]);
    const verifier = createUserTokenVerifier(options(jwks.url));
    const pem = KeyObject.from(rsa.publicKey).export({ type: 'spki', format: 'pem' }) as string;
    const encoder = new TextEncoder();
    for (const secret of [encoder.encode(pem), encoder.encode(JSON.stringify(rsa.jwk)), encoder.encode(rsa.jwk.n!)]) {
      const forged = await new SignJWT({ sub: 'attacker' })
        .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(secret);
      await rejectsWith(verifier.verify(forged), 'algorithm');
    }
    const none = new UnsecuredJWT({ sub: 'attacker', iss: ISSUER, aud: AUDIENCE }).setExpirationTime('5m').encode();
    await rejectsWith(verifier.verify(none), 'algorithm');
    assert.equal(jwks.requests, 0, 'the algorithm is refused before any key is fetched');
  });
});

describe('user tokens when the JWKS endpoint fails', () => {
  it('endpoint down (connection refused): key-unavailable (503), not a bad-token verdict', async () => {
    const jwks = await startJwks([rsa]);
    await jwks.close();
    const verifier = createUserTokenVerifier(options(jwks.url));
    const error = await rejectsWith(verifier.verify(await sign(rsa)), 'key-unavailable');
    assert.ok(!(error.cause instanceof joseErrors.JOSEError), `the cause is the fetch failure, got ${String(error.cause)}`);
  });

  for (const mode of ['500', 'not-json', 'not-a-jwks'] as const) {
    it(`endpoint answering ${mode}: key-unavailable (503); the verifier recovers when the endpoint does`, async () => {
      const jwks = await startJwks([rsa]);
      jwks.mode = mode;
      const verifier = createUserTokenVerifier(options(jwks.url));
      const token = await sign(rsa);
      await rejectsWith(verifier.verify(token), 'key-unavailable');
      assert.equal(jwks.requests, 1);
      jwks.mode = 'ok';
      assert.equal((await verifier.verify(token)).sub, 'user-1');
    });
  }

  it('endpoint that never answers: key-unavailable after jwksTimeoutMs', async () => {
    const jwks = await startJwks([rsa]);
    jwks.mode = 'hang';
    const verifier = createUserTokenVerifier(options(jwks.url, { jwksTimeoutMs: 300 }));
    const started = performance.now();
    const error = await rejectsWith(verifier.verify(await sign(rsa)), 'key-unavailable');
    const elapsed = performance.now() - started;
    assert.ok(error.cause instanceof joseErrors.JWKSTimeout, `expected a JWKSTimeout cause, got ${String(error.cause)}`);
    assert.ok(elapsed >= 250 && elapsed < 3000, `gave up after ${Math.round(elapsed)} ms`);
  });

  it('endpoint that never answers, default options (as the gateway runs): gives up after about 5 s', async () => {
    const jwks = await startJwks([rsa]);
    jwks.mode = 'hang';
    const verifier = createUserTokenVerifier(options(jwks.url));
    const started = performance.now();
    const error = await rejectsWith(verifier.verify(await sign(rsa)), 'key-unavailable');
    const elapsed = performance.now() - started;
    assert.ok(error.cause instanceof joseErrors.JWKSTimeout, `expected a JWKSTimeout cause, got ${String(error.cause)}`);
    assert.ok(elapsed >= 4500 && elapsed < 10_000, `gave up after ${Math.round(elapsed)} ms`);
  });
});

describe('gateway with auth from a JWKS endpoint', () => {
  let upstream: Upstream;
  const gateways: Gateway[] = [];

  before(async () => {
    upstream = await startUpstream(echo);
  });

  after(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await upstream.close();
  });

  async function gatewayFor(jwksUrl: string): Promise<string> {
    const { gateway, url } = await startGateway({
      realm: 'msx-jwks',
      routes: [{ path: '/api/orders', to: '/orders', service: 'orders' }],
      discovery: fixedDiscovery({ orders: [upstream.url] }),
      auth: { algorithms: ['RS256'], jwksUrl, issuer: ISSUER, audience: AUDIENCE },
    });
    gateways.push(gateway);
    return url;
  }

  async function get(base: string, token: string) {
    const res = await fetch(`${base}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } });
    return { res, body: (await res.json()) as Record<string, unknown> };
  }

  it('200 for a token signed with a key of the set; 401 with a challenge for an unknown key or kid', async () => {
    const jwks = await startJwks([rsa, ec]);
    const base = await gatewayFor(jwks.url);

    const ok = await get(base, await sign(rsa, { sub: 'alice' }));
    assert.equal(ok.res.status, 200);
    const seen = ok.body as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/orders/1');
    assert.equal(readGatewayIdentity(seen.headers, IDENTITY_SECRET)?.sub, 'alice');

    for (const token of [await sign(impostor), await sign(rsaNext)]) {
      const { res, body } = await get(base, token);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="msx-jwks", error="invalid_token", error_description="[^"]+"$/);
      assert.equal(body.code, 'signature');
    }
    // ES256 is in the set but not in the gateway's algorithms.
    const { res, body } = await get(base, await sign(ec));
    assert.equal(res.status, 401);
    assert.equal(body.code, 'algorithm');
    assert.equal(jwks.requests, 1);
  });

  for (const failure of ['down', '500', 'not-json'] as const) {
    it(`503 without a challenge when the JWKS endpoint is ${failure}; the gateway stays up`, async () => {
      const jwks = await startJwks([rsa]);
      if (failure === 'down') await jwks.close();
      else jwks.mode = failure;
      const base = await gatewayFor(jwks.url);
      const token = await sign(rsa, { sub: 'bob' });

      const { res, body } = await get(base, token);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal(res.headers.get('www-authenticate'), null, 'keys unavailable is not a bad credential');
      assert.equal(body.status, 503);

      if (failure === 'down') {
        // Nothing listens at that URL any more: the gateway stays up and keeps answering 503.
        assert.equal((await get(base, token)).res.status, 503);
      } else {
        jwks.mode = 'ok';
        const recovered = await get(base, token);
        assert.equal(recovered.res.status, 200, 'the gateway is still up and recovers with the endpoint');
        assert.equal(readGatewayIdentity((recovered.body as { headers: Record<string, string> }).headers, IDENTITY_SECRET)?.sub, 'bob');
      }
    });
  }
});
