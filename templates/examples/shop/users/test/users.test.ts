import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Service } from '@msx/runtime';
import { gatewayIdentityHeaders, signServiceToken } from '@msx/runtime/auth';
import { createBus, type EventEnvelope, type EventBus } from '@msx/runtime/bus';
import { buildService } from '../src/service.js';

// In-process: an in-memory database and an embedded bus in a temporary folder.
const dataDir = mkdtempSync(join(tmpdir(), 'users-test-'));
process.env.MSX_DATA_DIR = dataDir;
// The tests call as the gateway does (a signed identity) and as orders does (a service token).
process.env.GATEWAY_IDENTITY_SECRET = randomBytes(48).toString('base64url');
process.env.MSX_SERVICE_TOKEN_SECRET = randomBytes(48).toString('base64url');
const as = (sub: string, scopes: string[] = []) => ({ headers: gatewayIdentityHeaders({ sub, scopes }) });
let service: Service;
let url: string;
let bus: EventBus;
const published: EventEnvelope[] = [];

before(async () => {
  bus = await createBus({ service: 'users-test', url: 'embedded' });
  await bus.subscribe('user.*', (event) => { published.push(event); }, { group: 'users-test' });
  service = await buildService({ ...process.env, DATABASE_URL: 'embedded:memory', MSX_BUS_URL: 'embedded' });
  ({ url } = await service.listen({ port: 0, handleSignals: false }));
});

after(async () => {
  await service.close();
  await bus.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (body: unknown) => fetch(`${url}/users`, { method: 'POST', headers: { 'content-type': 'application/json', ...as('sign-up').headers }, body: JSON.stringify(body) });

test('sign-up creates an active user and announces it', async () => {
  const res = await post({ email: 'Ann@Example.com', name: 'Ann' });
  assert.equal(res.status, 201);
  const user = (await res.json()) as { id: string; email: string; name: string; active: boolean };
  assert.deepEqual({ ...user, id: 'x' }, { id: 'x', email: 'ann@example.com', name: 'Ann', active: true });

  const fetched = await fetch(`${url}/users/${user.id}`, as(user.id));
  assert.equal(fetched.status, 200);
  assert.equal(((await fetched.json()) as { id: string }).id, user.id);

  const deadline = Date.now() + 10_000;
  while (!published.some((e) => (e.data as { id: string }).id === user.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const event = published.find((e) => (e.data as { id: string }).id === user.id);
  assert.ok(event, 'user.created was published through the outbox');
  assert.equal(event.type, 'user.created');
  assert.equal(event.source, 'users');
});

test('an e-mail address is taken once, whatever its case', async () => {
  assert.equal((await post({ email: 'bob@example.com', name: 'Bob' })).status, 201);
  const again = await post({ email: 'BOB@example.com', name: 'Bobby' });
  assert.equal(again.status, 409);
  assert.match(again.headers.get('content-type') ?? '', /application\/problem\+json/);
});

test('bad input and unknown users are answered with problem+json', async () => {
  assert.equal((await post({ email: 'not-an-email', name: 'X' })).status, 400);
  assert.equal((await post({ email: 'x@example.com' })).status, 400);
  const admin = as('root', ['admin']);
  assert.equal((await fetch(`${url}/users/00000000-0000-4000-8000-000000000000`, admin)).status, 404);
  assert.equal((await fetch(`${url}/users/not-a-uuid`, admin)).status, 404);
  assert.equal((await post({ email: 'nul@example.com', name: 'a\u0000b' })).status, 400);
  assert.equal((await post({ email: 'n\u0000l@example.com', name: 'N' })).status, 400);
});

test('a user reads only their own record; admins and other services read any', async () => {
  const ann = (await (await post({ email: 'own@example.com', name: 'Own' })).json()) as { id: string };
  assert.equal((await fetch(`${url}/users/${ann.id}`, as(ann.id))).status, 200);
  const other = await fetch(`${url}/users/${ann.id}`, as('someone-else'));
  assert.equal(other.status, 403);
  assert.match(other.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal((await fetch(`${url}/users/${ann.id}`, as('root', ['admin']))).status, 200);
  const token = await signServiceToken({ issuer: 'orders', audience: 'users' });
  assert.equal((await fetch(`${url}/users/${ann.id}`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  const direct = await fetch(`${url}/users/${ann.id}`);
  assert.equal(direct.status, 401);
  assert.match(direct.headers.get('www-authenticate') ?? '', /^Bearer/);
});
