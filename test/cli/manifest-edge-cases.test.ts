/**
 * msx.yaml and msx new at their edges: each is refused with exit code 2 (or
 * 1 for a folder msx may not write), file:line:col where there is a line, no
 * stack trace, no "bug in msx", and no file changed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { msx, tempDir, type MsxResult } from '../support/msx.js';

let dir: string;
let cleanup: () => void;
let root: string;
let original: string;

before(async () => {
  ({ dir, cleanup } = tempDir());
  const created = await msx(['new', 'sys', '--services', 'users,orders', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  root = join(dir, 'sys');
  original = readFileSync(join(root, 'msx.yaml'), 'utf8');
});
after(() => cleanup());

function assertPlain(result: MsxResult): void {
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  assert.doesNotMatch(result.stderr, /internal error|bug in msx/);
}

/** Every file of the system with its bytes, to show a command changed none. */
function snapshot(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = join(rel, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(path, readFileSync(join(root, path)).toString('base64'));
    }
  };
  walk('.');
  return files;
}

async function refused(manifest: string | Buffer | 'directory', args: readonly string[] = ['add', 'service', 'extra']): Promise<MsxResult> {
  rmSync(join(root, 'msx.yaml'), { recursive: true, force: true });
  if (manifest === 'directory') mkdirSync(join(root, 'msx.yaml'));
  else writeFileSync(join(root, 'msx.yaml'), manifest);
  const before = snapshot();
  const result = await msx(['-C', root, ...args]);
  assertPlain(result);
  assert.equal(result.exitCode, 2, result.stderr);
  assert.deepEqual(snapshot(), before, 'no file changed');
  return result;
}

test('a YAML alias bomb is refused at the first alias', async () => {
  const bomb = ['version: 1', 'name: sys', 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
    const previous = i === 0 ? 'a' : ['b', 'c', 'd', 'e', 'f', 'g', 'h'][i - 1];
    bomb.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  }
  bomb.push('services: {}');
  const result = await refused(`${bomb.join('\n')}\n`);
  assert.match(result.stderr, /msx\.yaml:4:8\s+aliases expand to too much/);
  // A few ordinary aliases are fine (the manifest is then judged on its keys).
  const fine = await refused(original.replace('infrastructure:', 'x-port: &p 3009\ninfrastructure:'));
  assert.match(fine.stderr, /unknown key "x-port"/);
});

test('msx.yaml that is a directory is refused', async () => {
  const result = await refused('directory');
  assert.match(result.stderr, /msx\.yaml is a directory, not a file/);
  rmSync(join(root, 'msx.yaml'), { recursive: true });
});

test('msx.yaml with bytes that are not UTF-8 is refused at the first bad byte, and add service leaves them as they are', async () => {
  // A latin-1 é (0xe9) after "description: caf", on the line after name.
  const at = original.indexOf('name: sys') + 'name: sys'.length;
  const text = Buffer.concat([Buffer.from(`${original.slice(0, at)}\ndescription: caf`), Buffer.from([0xe9]), Buffer.from(` au lait${original.slice(at)}`)]);
  const line = original.slice(0, at).split('\n').length + 1;
  const result = await refused(text);
  assert.match(result.stderr, new RegExp(`msx\\.yaml:${line}:17\\s+is not UTF-8: byte 0xe9`));
  assert.deepEqual(readFileSync(join(root, 'msx.yaml')), text, 'the bytes are kept');
  for (const command of [['up'], ['token'], ['config'], ['generate']]) await refused(text, command);
});

test('{} says what is missing: version, name and services', async () => {
  const result = await refused('{}\n');
  assert.match(result.stderr, /msx\.yaml:1:1\s+version: is missing\n\s+add "version: 1"/);
  assert.match(result.stderr, /msx\.yaml:1:1\s+name: is missing/);
  assert.match(result.stderr, /msx\.yaml:1:1\s+services: is missing/);
  assert.doesNotMatch(result.stderr, /undefined/);
  writeFileSync(join(root, 'msx.yaml'), original);
});

test('msx new on the path of an existing file is refused, and leaves it alone', async () => {
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'mine\n');
  const result = await msx(['new', 'notes.txt', '--yes'], { cwd: dir });
  assertPlain(result);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /notes\.txt exists and is not a folder/);
  assert.equal(readFileSync(file, 'utf8'), 'mine\n');
  const inside = await msx(['new', 'notes.txt/demo', '--yes'], { cwd: dir });
  assertPlain(inside);
  assert.ok(inside.exitCode === 1 || inside.exitCode === 2, inside.stderr);
  assert.match(inside.stderr, /cannot create notes\.txt\/demo: a part of the path is a file/);
});

test('msx new under a folder it may not write says so plainly and leaves nothing behind', async (t) => {
  // Tests run as root, whom file modes do not stop: an immutable folder stops everyone.
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  const chattr = await execa('chattr', ['+i', locked], { reject: false });
  assert.ok(chattr.exitCode === 0 || !process.env.CI, `CI must be able to make a folder immutable: ${chattr.stderr}`);
  if (chattr.exitCode !== 0) return t.skip(`chattr +i is not available here: ${chattr.stderr}`);
  try {
    for (const target of ['locked/demo', 'locked/deeper/demo']) {
      const result = await msx(['new', target, '--yes'], { cwd: dir });
      assertPlain(result);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`cannot create ${target}: (operation not permitted|permission denied)`));
      assert.match(result.stderr, /nothing was written/);
    }
  } finally {
    await execa('chattr', ['-i', locked]);
  }
  assert.deepEqual(readdirSync(locked), []);
  assert.ok(!existsSync(join(dir, 'locked', 'deeper')));
});
