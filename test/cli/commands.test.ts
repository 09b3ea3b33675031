import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msx, tempDir } from '../support/msx.js';

const COMMANDS = ['new', 'add', 'config', 'generate', 'doctor', 'up', 'down', 'ps', 'logs', 'scale', 'metrics', 'trace', 'token', 'build', 'deploy', 'render'];

test('msx --help lists every command of the tool', async () => {
  const result = await msx(['--help']);
  assert.equal(result.exitCode, 0);
  for (const name of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
  assert.match(result.stdout, /Exit codes: 0 ok, 1 failure, 2 usage/);
});

test('every command has help with examples, or says when it arrives', async () => {
  const add = await msx(['add', 'service', '--help']);
  assert.match(add.stdout, /Examples:\n {2}\$ msx add service/);
  for (const name of COMMANDS.filter((c) => c !== 'add')) {
    const result = await msx([name, '--help']);
    assert.equal(result.exitCode, 0, name);
    if (!result.stdout.includes('Not available yet: it arrives with')) assert.match(result.stdout, /Examples:\n {2}\$ .*msx /, `${name} --help shows examples`);
  }
});

test('output piped into a reader that stops early ends quietly', async () => {
  const { execa } = await import('execa');
  const { MSX_BIN } = await import('../support/msx.js');
  const result = await execa('sh', ['-c', `"${process.execPath}" "${MSX_BIN}" --help | head -n 1`], { reject: false });
  assert.equal(result.exitCode, 0);
  assert.doesNotMatch(result.stderr, /EPIPE|Error/);
});

test('msx upgrade outside a system says there is no msx.yaml, with exit code 2', async () => {
  const { dir, cleanup } = tempDir('msx-no-system-');
  try {
    const result = await msx(['upgrade', '--dry-run'], { cwd: dir });
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, /no msx\.yaml in/);
  } finally {
    cleanup();
  }
});

test('usage mistakes exit with 2 and suggest the right spelling', async () => {
  const typo = await msx(['doctr']);
  assert.equal(typo.exitCode, 2);
  assert.match(typo.stderr, /Did you mean doctor\?/);
  const missing = await msx(['new']);
  assert.equal(missing.exitCode, 2);
  assert.match(missing.stderr, /missing required argument 'dir'/);
  const badOption = await msx(['new', 'x', '--colour']);
  assert.equal(badOption.exitCode, 2);
});

test('msx doctor reports each capability, as a table and as JSON', async () => {
  const json = await msx(['doctor', '--json'], { env: { REDIS_URL: 'redis://127.0.0.1:6379' } });
  assert.equal(json.exitCode, 0, json.stderr);
  const findings = JSON.parse(json.stdout) as { name: string; ok: boolean; detail: string; impact: string }[];
  assert.deepEqual(findings.map((f) => f.name), ['Node.js', 'Docker engine', 'docker compose (v2)', 'docker-compose (v1)', 'docker buildx', 'Kubernetes context', 'RabbitMQ', 'PostgreSQL', 'Redis']);
  const byName = Object.fromEntries(findings.map((f) => [f.name, f]));
  assert.equal(byName['Node.js']!.ok, true);
  // The machine (and CI) run these servers; doctor must recognise their protocols.
  assert.equal(byName.RabbitMQ!.ok, true, byName.RabbitMQ!.detail);
  assert.equal(byName.PostgreSQL!.ok, true, byName.PostgreSQL!.detail);
  assert.equal(byName.Redis!.ok, true, byName.Redis!.detail);
  for (const f of findings) assert.ok(f.impact.length > 10, `${f.name} says what it means`);

  // Something that listens but is not Redis is not mistaken for it.
  const wrong = await msx(['doctor', '--json'], { env: { REDIS_URL: 'redis://127.0.0.1:5432' } });
  const redis = (JSON.parse(wrong.stdout) as typeof findings).find((f) => f.name === 'Redis')!;
  assert.equal(redis.ok, false);
  assert.match(redis.detail, /not as Redis|no answer/);

  const table = await msx(['doctor']);
  assert.equal(table.exitCode, 0);
  assert.match(table.stdout, /Node\.js\s+v\d+/);
});
