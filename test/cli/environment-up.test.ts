/**
 * `msx up --env staging` runs what staging says: its replicas and its
 * environment variables reach the running instances, and its secrets are
 * staging's own, generated into a git-ignored `.env.staging` (0600) on the
 * first up, not the `.env` of the default environment. Commands after it
 * (`ps`, `token`, `down`) follow the environment the system was started in.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseDocument } from 'yaml';
import { parseEnvFile } from '../../src/scaffold/secrets.js';
import { signUserToken } from '../../src/token/user-token.js';
import { freePort } from '../support/free-port.js';
import { installAndBuild } from '../support/install-system.js';
import { LocalSystem } from '../support/local-system.js';
import { msx, tempDir, userEnv } from '../support/msx.js';

let dir: string;
let cleanup: () => void;
let root: string;
let system: LocalSystem;
let gatewayPort: number;

before(async () => {
  ({ dir, cleanup } = tempDir('msx-env-up-'));
  const created = await msx(['new', 'sys', '--services', 'users', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  root = join(dir, 'sys');
  const file = join(root, 'msx.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  gatewayPort = await freePort();
  doc.setIn(['services', 'gateway', 'port'], gatewayPort);
  doc.setIn(['services', 'users', 'port'], await freePort());
  doc.set('environments', doc.createNode({ staging: { services: { users: { replicas: 2, env: { FEATURE_SEARCH: 'on' } } } } }));
  writeFileSync(file, doc.toString());
  await installAndBuild(root);
  system = new LocalSystem(root);
}, { timeout: 900_000 });

after(async () => {
  await msx(['down'], { cwd: root, env: userEnv() }).catch(() => undefined);
  system?.killLeftovers();
  cleanup?.();
});

function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

test('msx up --env staging runs staging\'s replicas, variables and secrets, generated into .env.staging', async () => {
  const up = await msx(['up', '-d', '--env', 'staging', '--timeout', '120s'], { cwd: root, env: userEnv() });
  assert.equal(up.exitCode, 0, up.stderr);
  assert.match(up.stderr, /generated into \.env\.staging: JWT_SECRET, MSX_SERVICE_TOKEN_SECRET/);

  const staging = parseEnvFile(readFileSync(join(root, '.env.staging'), 'utf8'));
  const plain = parseEnvFile(readFileSync(join(root, '.env'), 'utf8'));
  assert.equal(statSync(join(root, '.env.staging')).mode & 0o777, 0o600);
  assert.ok(staging.JWT_SECRET && staging.JWT_SECRET !== plain.JWT_SECRET, 'staging has secrets of its own');
  assert.match(readFileSync(join(root, '.gitignore'), 'utf8'), /^\.env\.\*$/m, '.env.staging is git-ignored');

  // ps follows the environment the system was started in: no --env needed.
  const users = (await system.ps()).filter((row) => row.service === 'users');
  assert.equal(users.length, 2, `staging's two replicas of users: ${JSON.stringify(users)}`);
  for (const instance of users) {
    const environ = environOf(instance.pid!);
    assert.equal(environ.FEATURE_SEARCH, 'on', 'staging\'s variable reaches the instance');
    assert.equal(environ.JWT_SECRET, staging.JWT_SECRET, 'the instance runs with staging\'s secret, not .env\'s');
  }

  // A token msx signs now is staging's; one signed with .env's secret is refused by the gateway.
  const token = (await msx(['token', '--sub', 'u-1'], { cwd: root, env: userEnv() })).stdout.trim();
  const list = (authorization: string) => fetch(`http://127.0.0.1:${gatewayPort}/api/users`, { headers: { authorization } });
  const accepted = await list(`Bearer ${token}`);
  assert.notEqual(accepted.status, 401, `staging's token is accepted: ${await accepted.text()} (${token})`);
  const foreign = signUserToken({ sub: 'u-1', scopes: [], ttlSeconds: 300, issuer: 'msx:sys', audience: 'sys', secret: plain.JWT_SECRET! }).token;
  assert.equal((await list(`Bearer ${foreign}`)).status, 401, 'a token of the default environment\'s secret is not');

  // A second up of the environment keeps its secrets.
  assert.equal((await msx(['down'], { cwd: root, env: userEnv() })).exitCode, 0);
  const again = await msx(['up', '-d', '--env', 'staging', '--timeout', '120s'], { cwd: root, env: userEnv() });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /generated into/);
  assert.deepEqual(parseEnvFile(readFileSync(join(root, '.env.staging'), 'utf8')), staging);
});
