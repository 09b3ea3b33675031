import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { execa } from 'execa';
import { installSystem } from '../support/install-system.js';
import { msx, tempDir, userEnv } from '../support/msx.js';

// The shop's contracts as a user meets them: msx openapi prints valid OpenAPI
// 3.1, the gateway's document marks exactly msx.yaml's public routes public,
// msx contracts check catches a field removed from users, and orders' typed
// client of users follows users' contract, so that orders' build fails on a
// field users drops.

let dir: string;
let cleanup: () => void;
let root: string;

before(async () => {
  ({ dir, cleanup } = tempDir('msx-contracts-'));
  const created = await msx(['new', 'shop', '--example', 'shop', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  root = join(dir, 'shop');
});

after(() => cleanup());

async function documentOf(service: string): Promise<Record<string, unknown>> {
  const result = await msx(['openapi', service], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

test('every shop service\'s document, and the gateway\'s, is valid OpenAPI 3.1', async () => {
  for (const service of ['users', 'products', 'payments', 'orders', 'notifications', 'gateway']) {
    const document = await documentOf(service);
    assert.equal(document.openapi, '3.1.0');
    const result = await validate(structuredClone(document) as never);
    assert.equal(result.valid, true, `${service}: ${JSON.stringify((result as { errors?: unknown }).errors)}`);
  }
});

test('the gateway\'s document lists exactly the public routes as public, under their public paths', async () => {
  const document = (await documentOf('gateway')) as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> };
  const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })));
  const open = operations.filter(({ op }) => Array.isArray(op.security) && op.security.length === 0).map(({ route }) => route).sort();
  // msx.yaml: POST /api/users and GET /api/products are public; everything else the gateway routes needs a token.
  assert.deepEqual(open, ['GET /api/products/{id}', 'POST /api/users']);
  assert.deepEqual(operations.map(({ route }) => route).sort(), [
    'GET /api/notifications',
    'GET /api/orders/{id}',
    'GET /api/products/{id}',
    'GET /api/users/{id}',
    'POST /api/orders',
    'POST /api/products',
    'POST /api/users',
  ], 'the internal routes (reservations, charges, refunds) are not on the gateway');
  const getUser = document.paths['/api/users/{id}']?.get;
  assert.ok(getUser, `GET /api/users/{id} is listed: ${operations.map((o) => o.route).join(', ')}`);
  assert.deepEqual(getUser.security, [{ bearerAuth: [] }]);
  assert.ok(getUser.responses['401'], 'a protected route may answer 401');
  assert.ok(getUser.responses['429'], 'a rate-limited route may answer 429');
  assert.equal(document.paths['/users/{id}'], undefined, 'service paths appear only as rewritten by the gateway');
});

test('the internal routes are in their services\' documents, with the statuses the saga relies on', async () => {
  type Document = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>> };
  const products = (await documentOf('products')) as Document;
  const reserve = products.paths['/reservations']?.post;
  assert.equal(reserve?.operationId, 'reserveStock');
  assert.deepEqual(Object.keys(reserve.responses).sort(), ['201', '400', '401', '404', '409']);
  assert.ok(reserve.responses['409']!.content?.['application/problem+json'], 'out of stock is a problem');
  assert.equal(products.paths['/reservations/{orderId}']?.delete?.operationId, 'releaseStock');
  const payments = (await documentOf('payments')) as Document;
  assert.ok(payments.paths['/charges']?.post?.responses['402'], 'a declined payment is declared');
  assert.equal(payments.paths['/refunds']?.post?.operationId, 'refundOrder');
  const orders = (await documentOf('orders')) as Document;
  assert.ok(orders.paths['/orders']?.post?.responses['409']?.content?.['application/json'], 'a cancelled order answers the order');
  const invalid = orders.paths['/orders']?.post?.responses['400']?.content;
  assert.ok(invalid?.['application/json'] && invalid['application/problem+json'], 'a 400 is a cancelled order, or the problem of invalid input');
});

test('a field removed from users\' response: contracts check names service, route and field, and the typed client loses it', async () => {
  const update = await msx(['contracts', 'update'], { cwd: root });
  assert.equal(update.exitCode, 0, update.stderr);
  assert.ok(existsSync(join(root, 'contracts', 'users.openapi.json')));
  const clean = await msx(['contracts', 'check'], { cwd: root });
  assert.equal(clean.exitCode, 0, clean.stdout + clean.stderr);

  const generated = await msx(['generate'], { cwd: root });
  assert.equal(generated.exitCode, 0, generated.stderr);
  const clientFile = join(root, 'services', 'orders', 'src', 'clients', 'users.generated.ts');
  assert.match(readFileSync(clientFile, 'utf8'), /export interface GetUserResponse200 \{[^}]*\bname: string/);
  // orders calls products and payments too: its saga uses their typed clients.
  assert.match(readFileSync(join(root, 'services', 'orders', 'src', 'clients', 'products.generated.ts'), 'utf8'), /reserveStock\(input: ReserveStockInput/);
  assert.match(readFileSync(join(root, 'services', 'orders', 'src', 'clients', 'payments.generated.ts'), 'utf8'), /createCharge\(input: CreateChargeInput/);

  const contractFile = join(root, 'services', 'users', 'src', 'contract.ts');
  const source = readFileSync(contractFile, 'utf8');
  writeFileSync(contractFile, source.replace(/export const User = z\.object\(\{([^}]*?)\n  name: z\.string\(\),/, 'export const User = z.object({$1'));
  assert.notEqual(readFileSync(contractFile, 'utf8'), source, 'the test removed name from User');

  const check = await msx(['contracts', 'check', '--json'], { cwd: root });
  assert.equal(check.exitCode, 1, check.stdout + check.stderr);
  const { breaking } = JSON.parse(check.stdout) as { breaking: { service: string; route: string; location: string; field?: string }[] };
  assert.ok(
    breaking.some((b) => b.service === 'users' && b.route === 'GET /users/{id}' && b.location === 'response 200' && b.field === 'name'),
    JSON.stringify(breaking),
  );
  // The gateway's public API breaks with it, under the public path.
  assert.ok(breaking.some((b) => b.service === 'gateway' && b.route === 'GET /api/users/{id}' && b.field === 'name'), JSON.stringify(breaking));
  const human = await msx(['contracts', 'check'], { cwd: root, env: { NO_COLOR: '1' } });
  assert.equal(human.exitCode, 1);
  assert.match(human.stdout, /users\s+GET \/users\/\{id\}\s+response 200\s+name/);

  const regenerated = await msx(['generate'], { cwd: root });
  assert.equal(regenerated.exitCode, 0, regenerated.stderr);
  assert.doesNotMatch(readFileSync(clientFile, 'utf8'), /export interface GetUserResponse200 \{[^}]*\bname: string/);

  // orders reads the buyer's name from users (order details): its build now fails where it does, not its run.
  await installSystem(root);
  const build = await execa('npm', ['run', 'build', '-w', 'services/orders'], { cwd: root, reject: false, env: userEnv() });
  assert.notEqual(build.exitCode, 0, 'orders\' build fails on the removed field');
  assert.match(`${build.stdout}${build.stderr}`, /src\/routes\.ts\(\d+,\d+\): error TS2339: Property 'name' does not exist on type 'GetUserResponse200'/);
  writeFileSync(contractFile, source);
  assert.equal((await msx(['generate'], { cwd: root })).exitCode, 0);
  const fixed = await execa('npm', ['run', 'build', '-w', 'services/orders'], { cwd: root, reject: false, env: userEnv() });
  assert.equal(fixed.exitCode, 0, `with the field back orders builds: ${fixed.stdout}${fixed.stderr}`);
});
