import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseDocument } from 'yaml';
import { msx, tempDir } from '../support/msx.js';

// What msx add service renders for --database, --publishes and --subscribes,
// and that the event module msx owns follows msx.yaml while the user's files
// stay as they are. (That the rendered code builds and runs is the e2e's job:
// test/e2e/generated-data-events.test.ts.)
let dir: string;
let cleanup: () => void;
const root = () => join(dir, 'sys');
const read = (path: string) => readFileSync(join(root(), path), 'utf8');

before(async () => {
  ({ dir, cleanup } = tempDir());
  assert.equal((await msx(['new', 'sys', '--services', 'web', '--yes'], { cwd: dir })).exitCode, 0);
});
after(() => cleanup());

test('--database --publishes renders a migration, routes that store, and a publisher through the outbox', async () => {
  const result = await msx(['add', 'service', 'users', '--database', '--publishes', 'user.created,user.deleted'], { cwd: root() });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(read('services/users/migrations/001_create_users.sql'), /CREATE TABLE users \(/);
  const routes = read('services/users/src/routes.ts');
  assert.match(routes, /INSERT INTO users/);
  assert.match(routes, /await events\.publish\(tx, 'user\.created', item/);
  assert.doesNotMatch(routes, /new Map/);
  assert.match(read('services/users/src/service.ts'), /attachDatabase\(service, \{ migrationsDir: MIGRATIONS/);
  assert.match(read('services/users/src/events.generated.ts'), /export const PUBLISHES = \["user\.created", "user\.deleted"\] as const;/);
  assert.match(read('services/users/src/events.ts'), /'user\.deleted': UserDeleted;/);
  assert.ok(!existsSync(join(root(), 'services/users/src/handlers.ts')), 'no handlers without subscriptions');
});

test('--subscribes renders one handler stub per pattern, wired through the inbox when the service has a database', async () => {
  const result = await msx(['add', 'service', 'orders', '--kind', 'worker', '--database', '--subscribes', 'user.created,user.*'], { cwd: root() });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stderr, '', 'every subscription has a publisher: no warning');
  assert.match(read('services/orders/src/service.ts'), /subscribeHandlers\(bus, await createInbox\(\{ db \}\), eventHandlers\(service\)\)/);
  const handlers = read('services/orders/src/handlers.ts');
  assert.match(handlers, /'user\.created': async \(event, tx\) =>/);
  assert.match(handlers, /'user\.\*': async \(event, tx\) =>/);
  assert.match(read('services/orders/src/events.generated.ts'), /"user\.\*": "orders\.user\.any"/);
});

test('without a database, events go straight to the bus, and add service says so', async () => {
  const result = await msx(['add', 'service', 'mailer', '--kind', 'worker', '--subscribes', 'user.created'], { cwd: root() });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /handlers run at least once; --database gives mailer an outbox and an inbox/);
  assert.match(read('services/mailer/src/service.ts'), /await subscribeHandlers\(bus, eventHandlers\(service\)\);/);
  assert.ok(!existsSync(join(root(), 'services/mailer/migrations')));
});

test('a plain service keeps the simple template: no database, no events, no port', () => {
  assert.match(read('services/web/src/routes.ts'), /new Map<string, Item>/);
  assert.ok(!existsSync(join(root(), 'services/web/migrations')));
  assert.ok(!existsSync(join(root(), 'services/web/src/events.generated.ts')));
  for (const service of ['web', 'users', 'orders', 'mailer']) assert.doesNotMatch(read(`services/${service}/src/service.ts`), /PORT\s*:|\b30\d\d\b/);
});

test('an event type changed in msx.yaml regenerates the module msx owns and leaves the user\'s files alone', async () => {
  const userFiles = ['services/users/src/events.ts', 'services/users/src/routes.ts', 'services/users/src/service.ts'].map((p) => [p, read(p)] as const);
  const doc = parseDocument(read('msx.yaml'));
  doc.addIn(['services', 'users', 'events', 'publishes'], 'user.renamed');
  writeFileSync(join(root(), 'msx.yaml'), doc.toString());

  const check = await msx(['generate', '--check'], { cwd: root() });
  assert.notEqual(check.exitCode, 0, 'the module is stale');
  assert.match(check.stdout + check.stderr, /services\/users\/src\/events\.generated\.ts/);
  const generated = await msx(['generate'], { cwd: root() });
  assert.equal(generated.exitCode, 0, generated.stderr);
  assert.match(read('services/users/src/events.generated.ts'), /\["user\.created", "user\.deleted", "user\.renamed"\]/);
  for (const [path, content] of userFiles) assert.equal(read(path), content, `${path} is the user's`);
});

test('a bad event type in --publishes is a usage error naming the flag, and nothing is written', async () => {
  const before = read('msx.yaml');
  const result = await msx(['add', 'service', 'billing', '--publishes', 'Invoice'], { cwd: root() });
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /--publishes: "Invoice" must be a dotted event type such as order\.created/);
  assert.equal(read('msx.yaml'), before);
  assert.ok(!existsSync(join(root(), 'services/billing')));
});
