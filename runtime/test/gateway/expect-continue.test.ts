import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Gateway } from '../../src/gateway/index.js';
import { authOptions, fixedDiscovery, startGateway, startUpstream, type Upstream } from './fixtures/harness.js';

const run = promisify(execFile);
const BODY = Buffer.alloc(2048, 'a');

interface Answer {
  status: number;
  body: string;
  /** Whether the gateway asked for the body with `100 Continue`. */
  continued: boolean;
}

/** One request as curl sends bodies over 1 KB: headers with `Expect`, the body only after `100 Continue`. */
function expectingRequest(base: string, path: string, expect: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: { expect, 'content-type': 'application/json', 'content-length': String(BODY.length), ...headers },
    });
    let continued = false;
    req.on('continue', () => {
      continued = true;
      req.end(BODY);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), continued }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

async function circuitOf(base: string, service: string): Promise<string | undefined> {
  const ready = (await (await fetch(`${base}/ready`)).json()) as { upstreams: { service: string; circuit: string }[] };
  return ready.upstreams.find((u) => u.service === service)?.circuit;
}

describe('gateway and Expect: 100-continue', () => {
  let users: Upstream;
  let gateway: Gateway;
  let base: string;
  let received: number[] = [];

  before(async () => {
    users = await startUpstream((req, res) => {
      let length = 0;
      req.on('data', (c: Buffer) => (length += c.length));
      req.on('end', () => {
        received.push(length);
        const text = JSON.stringify({ received: length, expect: req.headers.expect ?? null });
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    ({ gateway, url: base } = await startGateway({
      routes: [
        { path: '/api/users', to: '/users', service: 'users', public: true },
        { path: '/api/private', to: '/users', service: 'users' },
        { path: '/api/small', to: '/users', service: 'users', public: true, bodyLimit: 1024 },
      ],
      discovery: fixedDiscovery({ users: [users.url] }),
      auth: authOptions,
    }));
  });

  after(async () => {
    await gateway.close();
    await users.close();
  });

  it('a 2 KB body sent after 100 Continue reaches the service, 20 times, and the circuit stays closed', async () => {
    received = [];
    for (let i = 0; i < 20; i += 1) {
      const answer = await expectingRequest(base, '/api/users', '100-continue');
      assert.equal(answer.status, 201, `request ${i + 1}: ${answer.body}`);
      assert.equal(answer.continued, true);
      // The gateway answered the expectation; the service gets a plain request with the whole body.
      assert.deepEqual(JSON.parse(answer.body), { received: 2048, expect: null });
    }
    assert.deepEqual(received, Array(20).fill(2048));
    assert.equal(await circuitOf(base, 'users'), 'closed');
  });

  it('curl -H "Expect: 100-continue" with a 2 KB body, 20 times: the service answers, no 5xx', async (t) => {
    try {
      await run('curl', ['--version']);
    } catch {
      assert.ok(!process.env.CI, 'CI must have curl (.ci/run checks for it)');
      t.skip('curl is not installed');
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'msx-expect-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'body.json');
    await writeFile(file, BODY);
    for (let i = 0; i < 20; i += 1) {
      const { stdout } = await run('curl', [
        '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Expect: 100-continue', '-H', 'content-type: application/json',
        '--data-binary', `@${file}`, `${base}/api/users`,
      ]);
      assert.equal(stdout, '201', `curl request ${i + 1}`);
    }
    assert.equal(await circuitOf(base, 'users'), 'closed');
  });

  it('a refused request is answered without asking for the body, and charges no breaker', async () => {
    for (let i = 0; i < 6; i += 1) {
      const unauthenticated = await expectingRequest(base, '/api/private', '100-continue');
      assert.equal(unauthenticated.status, 401);
      assert.equal(unauthenticated.continued, false);
      const tooLarge = await expectingRequest(base, '/api/small', '100-continue');
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.continued, false);
    }
    assert.equal(await circuitOf(base, 'users'), 'closed');
    assert.equal((await expectingRequest(base, '/api/users', '100-continue')).status, 201);
  });

  it('an expectation other than 100-continue gets 417, and charges no breaker', async () => {
    for (let i = 0; i < 6; i += 1) {
      const answer = await expectingRequest(base, '/api/users', 'something-else');
      assert.equal(answer.status, 417);
    }
    assert.equal(await circuitOf(base, 'users'), 'closed');
    assert.equal((await expectingRequest(base, '/api/users', '100-continue')).status, 201);
  });
});
