import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { msx, tempDir } from '../support/msx.js';

// A subscription no service publishes is valid but probably a mistake: every
// command prints a warning with its line and column, and carries on.
let dir: string;
let cleanup: () => void;
let original: string;
const manifest = () => join(dir, 'sys', 'msx.yaml');

before(async () => {
  ({ dir, cleanup } = tempDir());
  const created = await msx(['new', 'sys', '--services', 'users,orders:worker', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  original = readFileSync(manifest(), 'utf8');
});
after(() => cleanup());

function withEvents(users: string, orders: string): string {
  const text = original
    .replace(/(  users:\n    kind: http\n    port: \d+\n)/, `$1${users}`)
    .replace(/(  orders:\n    kind: worker\n    port: \d+\n)/, `$1${orders}`);
  assert.notEqual(text, original);
  writeFileSync(manifest(), text);
  return text;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('a subscription that no service publishes is a warning at its line; the command still succeeds', async () => {
  const text = withEvents('', '    events:\n      subscribes:\n        - user.created\n        - billing.*\n');
  const result = await msx(['ps', '--json'], { cwd: join(dir, 'sys') });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), [], 'stdout stays clean JSON');
  assert.match(result.stderr, new RegExp(`^warning msx\\.yaml:${lineOf(text, '- user.created')}:11  services\\.orders\\.events\\.subscribes\\[0\\]: "orders" subscribes to user\\.created, but no service publishes a matching event$`, 'm'));
  assert.match(result.stderr, new RegExp(`^warning msx\\.yaml:${lineOf(text, '- billing.*')}:11  services\\.orders\\.events\\.subscribes\\[1\\]: "orders" subscribes to billing\\.\\*`, 'm'));
  assert.doesNotMatch(result.stderr, /^error/m);
});

test('subscriptions matched by a published type, wildcards included, give no warning', async () => {
  withEvents('    events:\n      publishes: [user.created, user.profile.changed]\n', '    events:\n      subscribes: [user.created, "user.*", "user.#", "#"]\n');
  const result = await msx(['ps', '--json'], { cwd: join(dir, 'sys') });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stderr, '');
});

test('the warning names what is published, and "*" matches exactly one word', async () => {
  withEvents('    events:\n      publishes: [user.profile.changed]\n', '    events:\n      subscribes: ["user.*"]\n');
  const result = await msx(['add', 'service', 'extra'], { cwd: join(dir, 'sys') });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stderr, /^warning msx\.yaml:\d+:\d+  services\.orders\.events\.subscribes\[0\]: "orders" subscribes to user\.\*, but no service publishes a matching event$/m);
  assert.match(result.stderr, /published in msx\.yaml: user\.profile\.changed/);
});

test('warnings do not hide errors: an invalid manifest still exits 2', async () => {
  const text = withEvents('', '    events:\n      subscribes: [nobody.publishes]\n').replace('\nname: sys\n', '\nname: sys\nnmae: sys\n');
  assert.match(text, /nmae/);
  writeFileSync(manifest(), text);
  const result = await msx(['ps', '--json'], { cwd: join(dir, 'sys') });
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /unknown key "nmae"/);
});
