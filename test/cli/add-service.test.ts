import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { msx, tempDir } from '../support/msx.js';

async function newSystem(t: { after: (fn: () => void) => void }): Promise<string> {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const result = await msx(['new', 'sys', '--services', 'users', '--yes'], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  return join(dir, 'sys');
}

test('msx add service keeps the user\'s comments and formatting in msx.yaml', async (t) => {
  const root = await newSystem(t);
  const file = join(root, 'msx.yaml');
  const edited = readFileSync(file, 'utf8')
    .replace('  users:\n', '  # Users own sign-up; ask the identity team before changing.\n  users:\n')
    .replace('    kind: http\n    port: 3001', '    kind: http\n    port: 3001 # fixed: the mobile app calls it directly');
  writeFileSync(file, edited);

  const result = await msx(['add', 'service', 'billing'], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  const after = readFileSync(file, 'utf8');
  assert.ok(after.startsWith(edited.trimEnd().split('\n').slice(0, 3).join('\n')), 'header comments kept');
  assert.match(after, /# Users own sign-up; ask the identity team before changing\.\n  users:/);
  assert.match(after, /port: 3001 # fixed: the mobile app calls it directly/);
  const manifest = parse(after);
  assert.deepEqual(manifest.services.billing, { kind: 'http', port: 3002, routes: [{ path: '/api/billing', to: '/billing' }] });
  // Everything that was there is unchanged, line for line, before the new entry.
  const firstNewLine = after.split('\n').findIndex((l) => l.startsWith('  billing:'));
  assert.deepEqual(after.split('\n').slice(0, firstNewLine), edited.split('\n').slice(0, firstNewLine));
});

test('msx add service renders the service and routes it through the gateway', async (t) => {
  const root = await newSystem(t);
  const result = await msx(['add', 'service', 'billing', '--json'], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.equal(summary.port, 3002);
  for (const f of ['src/main.ts', 'src/service.ts', 'src/contract.ts', 'src/routes.ts', 'test/service.test.ts', 'package.json', 'tsconfig.json']) {
    assert.ok(existsSync(join(root, 'services', 'billing', f)), f);
  }
  assert.match(readFileSync(join(root, 'services/billing/src/routes.ts'), 'utf8'), /serveContract\(service, contract, \{/);
  const gateway = readFileSync(join(root, 'services/gateway/src/gateway.generated.ts'), 'utf8');
  assert.match(gateway, /"service": "billing"/);
  assert.match(gateway, /"path": "\/api\/billing"/);
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  assert.ok(tsconfig.references.some((r: { path: string }) => r.path === 'services/billing'));

  const worker = await msx(['add', 'service', 'mailer', '--kind', 'worker', '--database'], { cwd: root });
  assert.equal(worker.exitCode, 0, worker.stderr);
  assert.ok(existsSync(join(root, 'services/mailer/src/job.ts')));
  assert.match(readFileSync(join(root, '.env'), 'utf8'), /^MAILER_DB_PASSWORD=\S{20,}$/m);
  assert.doesNotMatch(readFileSync(join(root, 'services/gateway/src/gateway.generated.ts'), 'utf8'), /mailer/);
});

test('msx add service --database declares its routes in a contract that msx openapi publishes', async (t) => {
  const root = await newSystem(t);
  const result = await msx(['add', 'service', 'stock', '--database'], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  const routes = readFileSync(join(root, 'services/stock/src/routes.ts'), 'utf8');
  assert.match(routes, /serveContract\(service, contract, \{/);
  assert.match(routes, /INSERT INTO stock/);
  const printed = await msx(['openapi', 'stock'], { cwd: root });
  assert.equal(printed.exitCode, 0, printed.stderr);
  const document = JSON.parse(printed.stdout) as { paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: Record<string, unknown> }>> };
  assert.deepEqual(Object.keys(document.paths).sort(), ['/stock', '/stock/{id}']);
  assert.equal(document.paths['/stock']!.post!.operationId, 'createItem');
  assert.ok(document.paths['/stock']!.post!.requestBody, 'the body schema is published');
  assert.ok(document.paths['/stock/{id}']!.get!.responses['404'], 'an unknown item is a declared 404');
});

test('msx add service refuses duplicates, bad names, taken ports and existing folders', async (t) => {
  const root = await newSystem(t);
  const before = readFileSync(join(root, 'msx.yaml'), 'utf8');
  const cases: [string[], RegExp][] = [
    [['add', 'service', 'users'], /service "users" already exists/],
    [['add', 'service', 'Bad_Name'], /cannot be a service name: it has uppercase letters/],
    [['add', 'service', 'gateway'], /name of the system's gateway/],
    [['add', 'service', 'x', '--port', '3001'], /port 3001 is already used by service "users"/],
    [['add', 'service', 'x', '--port', '80'], /--port must be an integer from 1024 to 65535/],
    [['add', 'service', 'x', '--kind', 'gateway'], /Allowed choices are http, worker/],
  ];
  for (const [args, expected] of cases) {
    const result = await msx(args, { cwd: root });
    assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, expected);
  }
  // A folder msx.yaml does not know is user data: refused without --force.
  writeFileSync(join(root, 'services', 'users', 'x'), '');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(root, 'services', 'legacy'));
  writeFileSync(join(root, 'services', 'legacy', 'keep.ts'), 'export {};');
  const refused = await msx(['add', 'service', 'legacy'], { cwd: root });
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /services\/legacy already exists but is not in msx\.yaml/);
  assert.ok(existsSync(join(root, 'services', 'legacy', 'keep.ts')));
  assert.equal(readFileSync(join(root, 'msx.yaml'), 'utf8'), before, 'msx.yaml untouched by refused commands');
});
