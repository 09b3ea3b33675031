import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, after, test } from 'node:test';
import { msx, tempDir } from '../support/msx.js';

// Every command validates msx.yaml first; `add service` is used to trigger it.
let dir: string;
let cleanup: () => void;
let original: string;

before(async () => {
  ({ dir, cleanup } = tempDir());
  const created = await msx(['new', 'sys', '--services', 'users,orders', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  original = readFileSync(join(dir, 'sys', 'msx.yaml'), 'utf8');
});
after(() => cleanup());

async function withManifest(text: string): Promise<{ exitCode: number; stderr: string }> {
  writeFileSync(join(dir, 'sys', 'msx.yaml'), text);
  const result = await msx(['-C', join(dir, 'sys'), 'add', 'service', 'extra']);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace for a user mistake');
  return result;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('malformed YAML is reported with file, line and column', async () => {
  const broken = original.replace('    kind: http', '    kind: http\n     port: [1,');
  const result = await withManifest(broken);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /msx\.yaml:\d+:\d+\s+malformed YAML/);
});

test('an unknown key is an error with a did-you-mean, at its line', async () => {
  const text = original.replace(/(  users:\n    kind: http\n)    port:/, '$1    prot:');
  const result = await withManifest(text);
  assert.equal(result.exitCode, 2);
  const line = lineOf(text, 'prot:');
  assert.match(result.stderr, new RegExp(`msx\\.yaml:${line}:5\\s+services\\.users\\.prot: unknown key "prot"`));
  assert.match(result.stderr, /did you mean "port"\?/);
});

test('a port clash names both services and suggests a free port', async () => {
  const text = original.replace(/port: 3002/, 'port: 3001');
  const result = await withManifest(text);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, new RegExp(`msx\\.yaml:${lineOf(text, 'port: 3001') === 0 ? '\\d+' : '\\d+'}:\\d+\\s+services\\.orders\\.port: port 3001 is already used by service "users"`));
  assert.match(result.stderr, /e\.g\. 3002/);
});

test('a bad service name in msx.yaml is refused as a DNS label', async () => {
  const text = original.replace('  orders:', '  Orders_Svc:');
  const result = await withManifest(text);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, new RegExp(`msx\\.yaml:${lineOf(text, 'Orders_Svc')}:3\\s+services\\.Orders_Svc: name "Orders_Svc" must be a DNS label`));
});

test('wrong types, unknown kinds and bad references are each reported', async () => {
  const text = original
    .replace('port: 3001', 'port: "abc"')
    .replace(/(  orders:\n    kind:) http/, '$1 htp');
  const result = await withManifest(text);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /services\.users\.port: must be a number, got "abc"/);
  assert.match(result.stderr, /services\.orders\.kind: kind "htp" is not one msx knows/);
  assert.match(result.stderr, /did you mean "http"\?/);
  assert.match(result.stderr, /2 problems/);
});

test('alert thresholds: a percentage for errorRate and a latency without a unit are each refused at their line, with the fix', async () => {
  const text = original.replace(/(  users:\n    kind: http\n)/, '$1    alerts:\n      errorRate: 5\n      latencyP99: 500ms5\n');
  const result = await withManifest(text);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, new RegExp(`msx\\.yaml:${lineOf(text, 'errorRate: 5')}:\\d+\\s+services\\.users\\.alerts\\.errorRate: .*a share, not a percentage: 0\\.05 is 5%`));
  assert.match(result.stderr, new RegExp(`msx\\.yaml:${lineOf(text, 'latencyP99: 500ms5')}:\\d+\\s+services\\.users\\.alerts\\.latencyP99: .*duration such as 250ms`));
});

test('a missing msx.yaml says where to run the command', async (t) => {
  const empty = tempDir();
  t.after(empty.cleanup);
  const result = await msx(['-C', empty.dir, 'add', 'service', 'x']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /no msx\.yaml in/);
  assert.match(result.stderr, /msx new <dir>/);
});
