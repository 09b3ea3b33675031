/**
 * msx.yaml is the truth, as the CLI sees it: msx generate and msx config,
 * finding msx.yaml from a subfolder, the issuer, audience and lifetime msx
 * token mints, and duration flags and short flags with one meaning each.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { msx, tempDir } from '../support/msx.js';

let dir: string;
let cleanup: () => void;
let root: string;
let original: string;
const manifestPath = () => join(root, 'msx.yaml');
const generated = () => join(root, 'services/gateway/src/gateway.generated.ts');

before(async () => {
  ({ dir, cleanup } = tempDir());
  const created = await msx(['new', 'demo', '--services', 'users,orders', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  root = join(dir, 'demo');
  original = readFileSync(manifestPath(), 'utf8');
});
after(() => cleanup());

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

test('msx generate rewrites what msx.yaml changed and says so; --check reports without writing', async () => {
  writeFileSync(manifestPath(), original);
  const clean = await msx(['generate'], { cwd: root });
  assert.equal(clean.exitCode, 0, clean.stderr);
  assert.match(clean.stdout, /everything msx owns matches msx\.yaml/);

  writeFileSync(manifestPath(), original.replace('path: /api/users', 'path: /api/people'));
  const before = readFileSync(generated(), 'utf8');
  const check = await msx(['generate', '--check'], { cwd: root });
  assert.equal(check.exitCode, 1);
  assert.match(check.stdout, /stale services\/gateway\/src\/gateway\.generated\.ts/);
  assert.equal(readFileSync(generated(), 'utf8'), before, '--check writes nothing');

  const run = await msx(['generate'], { cwd: root });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stdout, /msx\.yaml changed: regenerated services\/gateway\/src\/gateway\.generated\.ts/);
  assert.match(readFileSync(generated(), 'utf8'), /"path": "\/api\/people"/);
  assert.equal((await msx(['generate', '--check'], { cwd: root })).exitCode, 0);

  const json = JSON.parse((await msx(['generate', '--json'], { cwd: root })).stdout) as { files: { path: string; change: string }[] };
  assert.deepEqual(json.files.map((f) => [f.path, f.change]), [['msx.schema.json', 'unchanged'], ['Dockerfile.generated', 'unchanged'], ['services/gateway/src/gateway.generated.ts', 'unchanged']]);
  writeFileSync(manifestPath(), original);
  assert.equal((await msx(['generate'], { cwd: root })).exitCode, 0);
});

test('msx config prints msx.yaml resolved, and --gateway what the gateway starts with', async () => {
  writeFileSync(manifestPath(), original);
  const yaml = await msx(['config'], { cwd: root });
  assert.equal(yaml.exitCode, 0, yaml.stderr);
  assert.match(yaml.stdout, /maxTokenAge: 24h/);
  assert.match(yaml.stdout, /issuer: msx:demo/);
  const json = JSON.parse((await msx(['config', '--json'], { cwd: root })).stdout) as { services: Record<string, { routes?: { public: boolean; timeout: string }[] }> };
  assert.deepEqual(json.services.users!.routes!.map((r) => [r.public, r.timeout]), [[false, '10s']]);

  const gateway = JSON.parse((await msx(['config', '--gateway'], { cwd: root })).stdout) as { auth: Record<string, unknown>; routes: { path: string }[] };
  assert.deepEqual(gateway.auth, { algorithms: ['HS256'], issuer: 'msx:demo', audience: 'demo', clockToleranceSec: 30, maxTokenAgeSec: 86_400 });
  assert.deepEqual(gateway.routes.map((r) => r.path), ['/api/users', '/api/orders']);

  writeFileSync(manifestPath(), original.replace('    kind: gateway\n', '    kind: gateway\n    auth: { issuer: https://id.example.com, audience: demo-api, maxTokenAge: 1h }\n'));
  const overridden = JSON.parse((await msx(['config', '--gateway'], { cwd: root })).stdout) as { auth: Record<string, unknown> };
  assert.equal(overridden.auth.issuer, 'https://id.example.com');
  assert.equal(overridden.auth.audience, 'demo-api');
  assert.equal(overridden.auth.maxTokenAgeSec, 3600);

  writeFileSync(manifestPath(), original.replace('port: 3001', 'port: 80'));
  const invalid = await msx(['config'], { cwd: root });
  assert.equal(invalid.exitCode, 2);
  assert.match(invalid.stderr, /msx\.yaml:\d+:\d+\s+services\.users\.port/);
  writeFileSync(manifestPath(), original);
});

test('the gateway\'s header timeout is set in msx.yaml, reaches what the gateway starts with, and must be a duration of at least 1ms', async () => {
  writeFileSync(manifestPath(), original);
  const unset = JSON.parse((await msx(['config', '--gateway'], { cwd: root })).stdout) as Record<string, unknown>;
  assert.equal(unset.headersTimeoutMs, undefined, 'unset: the gateway keeps its own default, and the generated config is unchanged');

  writeFileSync(manifestPath(), original.replace('    kind: gateway\n', '    kind: gateway\n    headersTimeout: 2s\n'));
  const set = JSON.parse((await msx(['config', '--gateway'], { cwd: root })).stdout) as Record<string, unknown>;
  assert.equal(set.headersTimeoutMs, 2000);
  assert.equal((await msx(['generate'], { cwd: root })).exitCode, 0);
  assert.match(readFileSync(generated(), 'utf8'), /"headersTimeoutMs": 2000/);

  for (const [value, problem] of [['0ms', /at least 1ms/], ['soon', /must be a duration/]] as const) {
    writeFileSync(manifestPath(), original.replace('    kind: gateway\n', `    kind: gateway\n    headersTimeout: ${value}\n`));
    const invalid = await msx(['config'], { cwd: root });
    assert.equal(invalid.exitCode, 2, `headersTimeout: ${value}`);
    assert.match(invalid.stderr, /msx\.yaml:\d+:\d+\s+services\.gateway\.headersTimeout/);
    assert.match(invalid.stderr, problem);
  }
  writeFileSync(manifestPath(), original);
  assert.equal((await msx(['generate'], { cwd: root })).exitCode, 0);
});

test('commands run inside a service folder find msx.yaml above it; -C keeps working', async () => {
  writeFileSync(manifestPath(), original);
  const deep = join(root, 'services', 'users', 'src');
  const inside = await msx(['config', '--json'], { cwd: deep });
  assert.equal(inside.exitCode, 0, inside.stderr);
  assert.equal((JSON.parse(inside.stdout) as { name: string }).name, 'demo');
  const token = await msx(['token', '--sub', 'ann'], { cwd: join(root, 'services', 'users') });
  assert.equal(token.exitCode, 0, token.stderr);
  assert.equal(claimsOf(token.stdout.trim()).sub, 'ann');

  assert.equal((await msx(['-C', deep, 'config'], { cwd: dir })).exitCode, 0);
  assert.equal((await msx(['-C', 'demo/services/orders', 'config'], { cwd: dir })).exitCode, 0);

  // msx add service from a subfolder adds to the system, not beside the subfolder.
  const added = await msx(['add', 'service', 'billing'], { cwd: deep });
  assert.equal(added.exitCode, 0, added.stderr);
  assert.match(readFileSync(manifestPath(), 'utf8'), /billing:/);
  assert.match(readFileSync(join(root, 'services', 'billing', 'package.json'), 'utf8'), /billing/);
  writeFileSync(manifestPath(), original);

  const nowhere = tempDir();
  try {
    mkdirSync(join(nowhere.dir, 'a', 'b'), { recursive: true });
    const missing = await msx(['config'], { cwd: join(nowhere.dir, 'a', 'b') });
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /no msx\.yaml in .* or any folder above it/);
  } finally {
    nowhere.cleanup();
  }
});

test('msx token mints the system\'s issuer and audience, reads a bare --ttl as seconds, and refuses a lifetime beyond the bound', async () => {
  writeFileSync(manifestPath(), original);
  const result = await msx(['token', '--ttl', '30'], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  const claims = claimsOf(result.stdout.trim());
  assert.equal(claims.iss, 'msx:demo');
  assert.equal(claims.aud, 'demo');
  assert.equal((claims.exp as number) - (claims.iat as number), 30);

  const tooLong = await msx(['token', '--ttl', '25h'], { cwd: root });
  assert.equal(tooLong.exitCode, 2);
  assert.match(tooLong.stderr, /--ttl 25h is longer than the gateway accepts \(24h\)/);
  assert.match(tooLong.stderr, /services\.gateway\.auth\.maxTokenAge in msx\.yaml/);
  assert.equal(tooLong.stdout, '');

  writeFileSync(manifestPath(), original.replace('    kind: gateway\n', '    kind: gateway\n    auth: { maxTokenAge: 48h }\n'));
  const raised = await msx(['token', '--ttl', '25h'], { cwd: root });
  assert.equal(raised.exitCode, 0, raised.stderr);
  const long = claimsOf(raised.stdout.trim());
  assert.equal((long.exp as number) - (long.iat as number), 25 * 3600);
  writeFileSync(manifestPath(), original);
});

test('duration flags refuse bad values with exit 2, echoing the value and a valid example', async () => {
  writeFileSync(manifestPath(), original);
  for (const [args, example] of [
    [['up', '--timeout', '30x'], '30s'],
    [['logs', '--since', 'ten minutes'], '10m'],
    [['metrics', '--window', '5 s'], '10s'],
    [['token', '--ttl', '-1'], '15m'],
  ] as const) {
    const result = await msx([...args], { cwd: root });
    assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.ok(result.stderr.includes(`"${args[2]}"`), `${args.join(' ')} echoes the value: ${result.stderr}`);
    assert.ok(result.stderr.includes(`e.g. ${example}`), `${args.join(' ')} shows an example: ${result.stderr}`);
    assert.match(result.stderr, /a bare number means seconds/);
  }
  for (const name of ['up', 'logs', 'metrics', 'token']) {
    assert.match((await msx([name, '--help'])).stdout, /a bare number (is|means) seconds/, `${name} --help says what a bare number means`);
  }
});

test('every short flag means the same thing in every command that has it', async () => {
  const commands = [['new'], ['add', 'service'], ['config'], ['generate'], ['doctor'], ['up'], ['down'], ['ps'], ['logs'], ['scale'], ['metrics'], ['trace'], ['token']];
  // -n is "how many of the most recent", as head -n: lines for logs, traces for trace.
  const sameMeaning = (a: string, b: string) => a === b || (['--tail', '--limit'].includes(a) && ['--tail', '--limit'].includes(b));
  const meaning = new Map<string, { long: string; command: string }>();
  for (const command of commands) {
    const help = (await msx([...command, '--help'])).stdout;
    for (const match of help.matchAll(/^ {2}(-[a-zA-Z]), (--[a-z-]+)/gm)) {
      const [, short, long] = match as unknown as [string, string, string];
      const seen = meaning.get(short);
      if (seen) assert.ok(sameMeaning(long, seen.long), `${short} is ${seen.long} in msx ${seen.command} but ${long} in msx ${command.join(' ')}`);
      else meaning.set(short, { long, command: command.join(' ') });
    }
  }
  assert.equal(meaning.get('-w')?.long, '--watch');
});
