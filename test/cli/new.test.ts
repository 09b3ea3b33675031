import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import { execa } from 'execa';
import { parse } from 'yaml';
import { MSX_BIN, msx, tempDir } from '../support/msx.js';

test('msx new generates a complete workspace', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const result = await msx(['new', 'demo', '--services', 'users,orders,mailer:worker', '--yes'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /created demo/);

  const root = join(dir, 'demo');
  for (const file of [
    'msx.yaml', 'msx.schema.json', 'package.json', 'tsconfig.json', 'tsconfig.base.json', '.gitignore', '.env', 'README.md',
    'services/gateway/src/main.ts', 'services/gateway/src/gateway.generated.ts',
    'services/users/src/main.ts', 'services/users/src/service.ts', 'services/users/test/service.test.ts', 'services/users/package.json',
    'services/orders/src/routes.ts', 'services/mailer/src/job.ts',
    'services/users/src/contract.ts', 'services/orders/src/contract.ts',
  ]) {
    assert.ok(existsSync(join(root, file)), `${file} should exist`);
  }
  assert.ok(readdirSync(join(root, 'vendor')).some((f) => /^msx-runtime-.+\.tgz$/.test(f)), 'runtime tarball vendored');

  const manifest = parse(readFileSync(join(root, 'msx.yaml'), 'utf8'));
  assert.equal(manifest.name, 'demo');
  assert.deepEqual(Object.keys(manifest.services), ['gateway', 'users', 'orders', 'mailer']);
  assert.equal(manifest.services.mailer.kind, 'worker');
  assert.equal(manifest.services.users.routes[0].path, '/api/users');

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.workspaces, ['services/*']);
  const users = JSON.parse(readFileSync(join(root, 'services/users/package.json'), 'utf8'));
  assert.match(users.dependencies['@msx/runtime'], /^file:\.\.\/\.\.\/vendor\/msx-runtime-/);

  const schema = JSON.parse(readFileSync(join(root, 'msx.schema.json'), 'utf8'));
  assert.equal(schema.type, 'object');
  assert.ok(schema.properties.services);

  // Each http service declares its example routes in a contract: msx openapi prints valid OpenAPI 3.1 from it,
  // and the gateway's document has them under their public paths.
  for (const service of ['users', 'orders', 'gateway']) {
    const printed = await msx(['openapi', service], { cwd: root });
    assert.equal(printed.exitCode, 0, printed.stderr);
    const document = JSON.parse(printed.stdout) as { openapi: string; paths: Record<string, Record<string, { operationId?: string }>> };
    assert.equal(document.openapi, '3.1.0');
    const checked = await validateOpenApi(structuredClone(document) as never);
    assert.equal(checked.valid, true, `${service}: ${JSON.stringify((checked as { errors?: unknown }).errors)}`);
    if (service === 'users') {
      assert.deepEqual(Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => `${op.operationId} ${method.toUpperCase()} ${path}`)).sort(), [
        'createItem POST /users', 'getItem GET /users/{id}', 'listItems GET /users',
      ]);
    }
    if (service === 'gateway') assert.ok(document.paths['/api/orders/{id}']?.get, Object.keys(document.paths).join(', '));
  }
});

test('secrets are fresh per system, live only in a git-ignored .env, and are private', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  assert.equal((await msx(['new', 'a', '--yes'], { cwd: dir })).exitCode, 0);
  assert.equal((await msx(['new', 'b', '--yes'], { cwd: dir })).exitCode, 0);
  const envOf = (name: string) => Object.fromEntries(
    readFileSync(join(dir, name, '.env'), 'utf8').split('\n').filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => l.split('=') as [string, string]),
  );
  const a = envOf('a');
  const b = envOf('b');
  assert.ok(a.JWT_SECRET && a.JWT_SECRET.length >= 43, 'JWT secret has at least 256 bits');
  assert.notEqual(a.JWT_SECRET, b.JWT_SECRET);
  assert.notEqual(a.MSX_SERVICE_TOKEN_SECRET, b.MSX_SERVICE_TOKEN_SECRET);
  assert.match(readFileSync(join(dir, 'a', '.gitignore'), 'utf8'), /^\.env$/m);
  assert.equal(statSync(join(dir, 'a', '.env')).mode & 0o077, 0, '.env is readable by its owner only');

  // No secret value appears in any other generated file.
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]);
  for (const file of walk(join(dir, 'a')).filter((f) => !f.endsWith('.env') && !f.endsWith('.tgz'))) {
    const text = readFileSync(file, 'utf8');
    for (const secret of Object.values(a)) assert.ok(!text.includes(secret), `${file} contains a secret`);
  }
});

test('msx new refuses a non-empty folder without --force and leaves it untouched', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const target = join(dir, 'busy');
  mkdirSync(target);
  writeFileSync(join(target, 'notes.txt'), 'mine');
  const refused = await msx(['new', 'busy', '--yes'], { cwd: dir });
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /busy is not empty/);
  assert.match(refused.stderr, /--force/);
  assert.deepEqual(readdirSync(target), ['notes.txt']);
  assert.deepEqual(readdirSync(dir), ['busy'], 'no staging folder left behind');

  const forced = await msx(['new', 'busy', '--yes', '--force'], { cwd: dir });
  assert.equal(forced.exitCode, 0, forced.stderr);
  assert.equal(readFileSync(join(target, 'notes.txt'), 'utf8'), 'mine', 'user files survive --force');
  assert.ok(existsSync(join(target, 'msx.yaml')));
});

test('msx new refuses bad names and says what would do', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const cases: [string[], RegExp][] = [
    [['new', 'x', '--services', 'Users', '--yes'], /"Users" cannot be a service name: it has uppercase letters[\s\S]*"users"/],
    [['new', 'x', '--services', 'user_db', '--yes'], /"user_db" cannot be a service name: it contains "_"[\s\S]*DNS label/],
    [['new', 'x', '--services', '1st', '--yes'], /does not start with a letter/],
    [['new', 'x', '--services', 'a'.repeat(64), '--yes'], /64 characters long/],
    [['new', 'x', '--services', 'users,users', '--yes'], /listed twice/],
    [['new', 'x', '--services', 'gateway', '--yes'], /name of the system's gateway/],
    [['new', 'x', '--services', 'jobs:cron', '--yes'], /unknown kind "cron"/],
    [['new', 'My_System', '--yes'], /cannot be a system name[\s\S]*--name my-system/],
  ];
  for (const [args, expected] of cases) {
    const result = await msx(args, { cwd: dir });
    assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, expected);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});

test('msx new --example shop generates the reference shop', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const result = await msx(['new', 'shop', '--example', 'shop', '--yes', '--json'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as { services: { name: string; kind: string }[] };
  assert.deepEqual(summary.services.map((s) => `${s.name}:${s.kind}`), ['gateway:gateway', 'users:http', 'products:http', 'payments:http', 'orders:http', 'notifications:worker']);
  for (const file of ['services/orders/src/order-saga.ts', 'services/orders/src/order.ts', 'services/products/migrations/001_create_products.sql', 'services/notifications/test/notifications.test.ts']) {
    assert.ok(existsSync(join(dir, 'shop', file)), file);
  }
  const manifest = parse(readFileSync(join(dir, 'shop', 'msx.yaml'), 'utf8'));
  assert.deepEqual(manifest.services.orders.calls, ['users', 'products', 'payments']);
  assert.deepEqual(manifest.services.users.routes[0], { path: '/api/users', to: '/users', methods: ['POST'], public: true });

  const both = await msx(['new', 'x', '--example', 'shop', '--services', 'a', '--yes'], { cwd: dir });
  assert.equal(both.exitCode, 2);
  assert.match(both.stderr, /cannot be combined/);
  const unknown = await msx(['new', 'x', '--example', 'bank', '--yes'], { cwd: dir });
  assert.equal(unknown.exitCode, 2);
  assert.match(unknown.stderr, /Allowed choices are shop/);
});

test('interrupting msx new leaves nothing behind', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const child = execa(process.execPath, [MSX_BIN, 'new', 'half', '--yes'], {
    cwd: dir,
    reject: false,
    env: { NO_COLOR: '1', MSX_TEST_PAUSE_BEFORE_COMMIT_MS: '20000' },
  });
  // Wait until the staging folder holds the rendered files, then interrupt.
  const deadline = Date.now() + 15_000;
  while (!readdirSync(dir).some((f) => f.includes('msx-staging')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(readdirSync(dir).some((f) => f.includes('msx-staging')), 'generation reached its staging step');
  child.kill('SIGINT');
  const result = await child;
  assert.equal(result.exitCode, 130);
  assert.match(String(result.stderr), /interrupted/);
  assert.deepEqual(readdirSync(dir), [], 'no target folder and no staging folder');
});

test('-C runs msx new relative to another folder', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const result = await msx(['-C', dir, 'new', 'elsewhere', '--services', 'billing', '--yes', '--json']);
  assert.equal(result.exitCode, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.equal(summary.name, 'elsewhere');
  assert.deepEqual(summary.services.map((s: { name: string }) => s.name), ['gateway', 'billing']);
  assert.ok(existsSync(join(dir, 'elsewhere', 'services', 'billing', 'src', 'main.ts')));
});
